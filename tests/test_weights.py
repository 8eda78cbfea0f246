"""Design-weighted estimation (lavaan ``sampling.weights``) against lavaan 0.6.14.

Golden files from ``tests/golden/lavaan/make_weights_golden.R``: the HS 3-factor CFA with
``w = (1 + (id %% 5)/2) * (2 if school == "Pasteur" else 1)`` and the PoliticalDemocracy SEM
(with ``:=`` parameters) with ``w = 1 + (row %% 4)/3``, both fitted by lavaan with
``sampling.weights = "w"`` (MLR, weights normalized to sum to N).

Observed deviations from lavaan are <= 3e-5 for estimates, SEs and standardized values and
<= 2e-5 for fit measures (lavaan stops its optimizer slightly before the optimum: our fmin is
lower), so the tolerances here are 1e-4, tighter than the 1e-3 / 5e-4 of the other parity
tests.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    HS_MODEL,
    KEY,
    PD_MODEL,
    assert_columns_close,
    assert_measures_close,
    assert_same_rows,
    golden_estimates,
    golden_fit,
    read_hs_data,
    read_pd_data,
)

from surveysem.errors import InputError
from surveysem.sem import fit_measures, fit_model, parameter_estimates
from surveysem.sem.estimators.fit_measures import MLR_NAMES
from surveysem.sem.estimators.weights import normalized_weights, weighted_moments

PARAM_COLS = ["est", "se", "pvalue", "ci.lower", "ci.upper", "std.lv", "std.all"]
TOL = 1e-4


def hs_weighted() -> pd.DataFrame:
    hs = read_hs_data()
    pasteur = np.where(hs["school"] == "Pasteur", 2.0, 1.0)
    return hs.assign(w=(1 + (hs["id"] % 5) / 2) * pasteur)


def pd_weighted() -> pd.DataFrame:
    data = read_pd_data()
    return data.assign(w=1 + (np.arange(1, len(data) + 1) % 4) / 3)


CASES = {
    "hs_cfa_weighted": (HS_MODEL, hs_weighted),
    "pd_sem_weighted": (PD_MODEL, pd_weighted),
}


@pytest.fixture(scope="module")
def fits():
    return {
        case: fit_model(model, make(), estimator="MLR", sampling_weights="w")
        for case, (model, make) in CASES.items()
    }


@pytest.mark.parametrize("case", CASES)
def test_estimates_match_lavaan(fits, case):
    fit = fits[case]
    assert fit.converged, fit.message
    assert (fit.estimator, fit.sampling_weights) == ("MLR", "w")
    pe = parameter_estimates(fit)
    gold = golden_estimates(case)
    assert_same_rows(pe, gold, KEY)
    assert_columns_close(pe, gold, PARAM_COLS, atol=TOL, rtol=0)
    assert_columns_close(pe, gold, ["z"], rtol=TOL)


@pytest.mark.parametrize("case", CASES)
def test_fit_measures_match_lavaan(fits, case):
    fm = fit_measures(fits[case])
    gold = golden_fit(case)
    assert list(fm) == list(gold.index) == MLR_NAMES  # lavaan's names, in lavaan's order
    assert_measures_close(fm, gold, rel_tol=1e-6, abs_tol=TOL, relative={})


@pytest.mark.parametrize("case", CASES)
def test_optimum_is_at_least_as_good_as_lavaans(fits, case):
    assert fits[case].fmin <= golden_fit(case)["fmin"] + 1e-12


def test_scaling_factors_match_lavaan(fits):
    yb = fits["hs_cfa_weighted"].robust_test
    gold = golden_fit("hs_cfa_weighted")
    assert yb.scaling_factor == pytest.approx(gold["chisq.scaling.factor"], abs=1e-6)
    assert yb.scaling_factor_h1 == pytest.approx(gold["scaling.factor.h1"], abs=1e-9)
    assert yb.scaling_factor_h0 == pytest.approx(gold["scaling.factor.h0"], abs=1e-6)
    assert yb.baseline_scaling_factor == pytest.approx(
        gold["baseline.chisq.scaling.factor"], abs=1e-9
    )


def test_weighted_moments_and_normalization(fits):
    data = hs_weighted()
    fit = fits["hs_cfa_weighted"]
    assert fit.n == 301 and fit.weights.sum() == pytest.approx(301)
    np.testing.assert_allclose(fit.weights, data["w"] * 301 / data["w"].sum())
    s = np.cov(data[fit.observed].to_numpy(), rowvar=False, aweights=data["w"], bias=True)
    np.testing.assert_allclose(fit.sample_cov, s, rtol=1e-12)
    np.testing.assert_allclose(fit.data, data[fit.observed].to_numpy())


def test_rescaled_or_shuffled_weights_give_the_same_fit(fits):
    ref = fits["hs_cfa_weighted"]
    data = hs_weighted()
    data = data.assign(w=data["w"] * 7.5).sample(frac=1.0, random_state=3)
    fit = fit_model(HS_MODEL, data, sampling_weights="w")
    np.testing.assert_allclose(fit.x, ref.x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fit.vcov, ref.vcov, rtol=1e-6, atol=1e-10)
    fm, fm_ref = fit_measures(fit), fit_measures(ref)
    for key, value in fm.items():
        assert value == pytest.approx(fm_ref[key], rel=1e-6, abs=1e-9), key


def test_equal_weights_reproduce_unweighted_mlr():
    data = hs_weighted().assign(w=2.5)
    weighted = fit_model(HS_MODEL, data, sampling_weights="w")
    plain = fit_model(HS_MODEL, data, estimator="MLR")
    assert plain.weights is None and plain.sampling_weights is None
    np.testing.assert_allclose(weighted.x, plain.x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(weighted.vcov, plain.vcov, rtol=1e-6, atol=1e-10)
    fm_w, fm_p = fit_measures(weighted), fit_measures(plain)
    for key, value in fm_w.items():
        assert value == pytest.approx(fm_p[key], rel=1e-6, abs=1e-9), key
    # and the unweighted MLR golden of make_golden.R
    gold = golden_fit("hs_cfa_mlr")
    assert fm_w["chisq.scaled"] == pytest.approx(gold["chisq.scaled"], rel=1e-6)


def test_integer_weights_give_the_estimates_of_replicated_rows():
    data = hs_weighted().assign(w=lambda d: 1 + d["id"] % 3)
    weighted = fit_model(HS_MODEL, data, sampling_weights="w")
    replicated = data.loc[data.index.repeat(data["w"])]
    plain = fit_model(HS_MODEL, replicated)
    np.testing.assert_allclose(weighted.x, plain.x, rtol=0, atol=1e-8)
    # ... but not their SEs: the sandwich keeps N = 301 independent cases
    assert weighted.n == 301 and plain.n == len(replicated)


def test_ml_becomes_mlr_and_least_squares_stay_as_asked():
    """lavaan 0.6.14: with sampling.weights ML becomes MLR; GLS, ULS and WLSMV are kept
    (their parity with lavaan is in test_option_combinations.py)."""
    data = hs_weighted()
    assert fit_model("visual =~ x1 + x2 + x3", data, sampling_weights="w").estimator == "MLR"
    for est in ("GLS", "ULS", "WLSMV"):
        assert fit_model(HS_MODEL, data, estimator=est, sampling_weights="w").estimator == est


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (lambda d: d["w"].where(d.index != 4), "1 missing or non-finite value"),
        (lambda d: d["w"].where(d.index != 4, np.inf), "1 missing or non-finite value"),
        (lambda d: d["w"].where(d.index % 100 != 0, 0.0), r"4 value\(s\) <= 0 \(first at row 0\)"),
        (lambda d: -d["w"], r"301 value\(s\) <= 0"),
        (lambda d: d["school"], "is not numeric"),
        (lambda d: d["w"] > 2, "is not numeric"),
    ],
)
def test_invalid_weight_values(weights, message):
    data = hs_weighted()
    data["w"] = weights(data)
    with pytest.raises(InputError, match=message):
        fit_model(HS_MODEL, data, sampling_weights="w")


def test_invalid_weight_columns():
    data = hs_weighted()
    with pytest.raises(InputError, match="'wt' is not a column of the data"):
        fit_model(HS_MODEL, data, sampling_weights="wt")
    with pytest.raises(InputError, match="'x1' is also a variable of the model"):
        fit_model(HS_MODEL, data, sampling_weights="x1")
    with pytest.raises(InputError, match="must be the name of a data column"):
        fit_model(HS_MODEL, data, sampling_weights=data["w"])


def test_weighted_moments_helper():
    x = np.array([[0.0, 1.0], [1.0, 3.0], [2.0, 2.0], [4.0, 0.0]])
    w = np.array([1.0, 2.0, 3.0, 0.5])
    mean, cov = weighted_moments(x, w)
    np.testing.assert_allclose(mean, np.average(x, axis=0, weights=w))
    np.testing.assert_allclose(cov, np.cov(x, rowvar=False, aweights=w, bias=True))
    frame = pd.DataFrame({"y": [1.0, 2.0], "w": [1, 3]})
    np.testing.assert_allclose(normalized_weights(frame, "w", ["y"]), [0.5, 1.5])
