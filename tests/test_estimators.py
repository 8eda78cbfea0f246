"""Parity of the MLR, GLS and ULS estimators with lavaan 0.6.14 (golden files of make_golden.R).

Tolerances as in test_sem_parity.py: 1e-3 for estimates, SEs and standardized values; 5e-4
for fit measures; 1e-3 relative for chisq and chisq.scaled. Every fit measure we output must
be in lavaan's output for that estimator, and every one of lavaan's must be output.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    HS_MODEL,
    KEY,
    PD_INDIRECT,
    PD_TEMPLATE,
    assert_estimates_match,
    assert_measures_close,
    golden_estimates,
    golden_fit,
    read_pd_data,
)

from surveysem.sem import (
    ESTIMATORS,
    fit_measures,
    fit_model,
    parameter_estimates,
    solution_problems,
)
from surveysem.sem.estimators.fit_measures import LS_NAMES, MLR_EXTRA, MLR_NAMES

# The PoliticalDemocracy SEM of make_golden.R without its "total" definition.
PD_MODEL = PD_TEMPLATE.format(a="a*", b="b*", c="c*") + PD_INDIRECT

NEW = ["MLR", "GLS", "ULS"]
RELATIVE = {"chisq": 1e-3, "chisq.scaled": 1e-3}


@pytest.fixture(scope="module")
def fits(hs_data):
    return {est: fit_model(HS_MODEL, hs_data, estimator=est) for est in ["ML", *NEW]}


@pytest.mark.parametrize("est", NEW)
def test_estimates_match_lavaan(fits, est):
    fit = fits[est]
    assert fit.converged, fit.message
    assert fit.estimator == est
    pe = parameter_estimates(fit)
    assert_estimates_match(pe, golden_estimates(f"hs_cfa_{est.lower()}"), key=KEY)


@pytest.mark.parametrize("est", NEW)
def test_fit_measures_match_lavaan(fits, est):
    fm = fit_measures(fits[est])
    gold = golden_fit(f"hs_cfa_{est.lower()}")
    assert list(fm) == list(gold.index)  # the same names, in lavaan's order
    assert list(fm) == (MLR_NAMES if est == "MLR" else LS_NAMES)
    assert_measures_close(fm, gold, relative=RELATIVE, nan_matches_nan=True)


@pytest.mark.parametrize("est", NEW)
def test_fmin_property_is_lavaans_fmin(fits, est):
    assert fits[est].fmin == pytest.approx(golden_fit(f"hs_cfa_{est.lower()}")["fmin"], rel=1e-6)


def test_mlr_has_ml_estimates_and_ml_fit_measures(fits):
    ml, mlr = fits["ML"], fits["MLR"]
    np.testing.assert_allclose(mlr.x, ml.x, rtol=0, atol=1e-12)
    fm_ml, fm_mlr = fit_measures(ml), fit_measures(mlr)
    assert set(fm_mlr) == set(fm_ml) | set(MLR_EXTRA)
    for key, value in fm_ml.items():
        assert fm_mlr[key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
    # sandwich SEs differ from the ML ones (lavaan: x9 loading 0.266 vs 0.151)
    se_ml = parameter_estimates(ml).set_index(KEY)["se"]
    se_mlr = parameter_estimates(mlr).set_index(KEY)["se"]
    assert se_mlr[("speed", "=~", "x9")] == pytest.approx(0.266376, abs=1e-5)
    assert se_ml[("speed", "=~", "x9")] == pytest.approx(0.151, abs=1e-3)


def test_yuan_bentler_scaling_factors(fits):
    # lavaan 0.6.14: chisq.scaling.factor 0.979042258766103 = (45 h1 - 21 h0) / 24
    yb = fits["MLR"].robust_test
    assert yb.scaling_factor == pytest.approx(0.979042258766103, abs=1e-6)
    assert yb.scaling_factor_h1 == pytest.approx(1.05101012628908, abs=1e-9)
    assert yb.scaling_factor_h0 == pytest.approx(1.13325911774391, abs=1e-6)
    assert yb.baseline_scaling_factor == pytest.approx(1.04405257713015, abs=1e-9)
    assert (yb.h1_ndat, yb.npar) == (45, 21)
    assert yb.trace_ugamma == pytest.approx(24 * yb.scaling_factor)


def test_uls_reports_no_pvalues(fits):
    fm = fit_measures(fits["ULS"])
    assert np.isnan(fm["pvalue"]) and np.isnan(fm["baseline.pvalue"])
    assert np.isfinite(fm["rmsea.pvalue"])
    assert fit_measures(fits["GLS"])["pvalue"] > 0


def test_estimator_names(hs_data):
    assert ESTIMATORS == ("ML", "MLR", "GLS", "ULS", "WLSMV")
    fit = fit_model("visual =~ x1 + x2 + x3", hs_data, estimator="gls")
    assert fit.estimator == "GLS"
    assert fit_model("visual =~ x1 + x2 + x3", hs_data).estimator == "ML"
    with pytest.raises(ValueError, match="estimator must be one of"):
        fit_model(HS_MODEL, hs_data, estimator="WLS")


@pytest.mark.parametrize("est", NEW)
def test_defined_parameters_and_labels_with_other_estimators(est):
    data = read_pd_data()
    fit = fit_model(PD_MODEL, data, estimator=est)
    assert fit.converged, fit.message
    pe = parameter_estimates(fit).set_index(KEY)
    a = pe.loc[("dem60", "~", "ind60"), "est"]
    b = pe.loc[("dem65", "~", "dem60"), "est"]
    row = pe.loc[("indirect", ":=", "a*b")]
    assert row["est"] == pytest.approx(a * b)
    assert np.isfinite(row["se"]) and row["se"] > 0
    fm = fit_measures(fit)
    assert fm["df"] == 35 and np.isfinite(fm["chisq"]) and fm["chisq"] > 0


R_HEYWOOD = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])


def exact_cov_data(cov, n, columns, seed=1):
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(cov).T, columns=columns)


@pytest.mark.parametrize("est", ["GLS", "ULS"])
def test_least_squares_heywood_and_bound(est):
    data = exact_cov_data(R_HEYWOOD, 50, ["a1", "a2", "a3"])
    fit = fit_model("F =~ a1 + a2 + a3", data, estimator=est)
    assert fit.converged
    pe = parameter_estimates(fit).set_index(KEY)
    # just identified: every estimator reproduces S (here with divisor N - 1)
    assert pe.loc[("a1", "~~", "a1"), "est"] == pytest.approx(-0.28 * 50 / 49, abs=1e-6)
    assert any("Heywood" in p for p in solution_problems(fit))
    bounded = fit_model("F =~ a1 + a2 + a3", data, estimator=est, nonnegative_variances=True)
    assert bounded.converged
    pe = parameter_estimates(bounded).set_index(KEY)
    assert pe.loc[("a1", "~~", "a1"), "est"] == pytest.approx(0.0, abs=1e-8)
    assert any("boundary" in p for p in solution_problems(bounded))


def test_saturated_mlr_model_has_no_scaling_factor():
    data = exact_cov_data(R_HEYWOOD, 50, ["a1", "a2", "a3"])
    fit = fit_model("F =~ a1 + a2 + a3", data, estimator="MLR")
    fm = fit_measures(fit)
    assert fm["df"] == 0
    assert np.isnan(fm["chisq.scaling.factor"])  # lavaan: NA when df = 0
    assert fm["chisq.scaled"] == pytest.approx(fm["chisq"], abs=1e-8)
