"""FIML (lavaan ``missing = "ml"``) and listwise deletion vs lavaan 0.6.14 (make_golden.R).

Golden files: hs_missing_data.csv (HolzingerSwineford1939 with 10% MCAR per item),
hs_cfa_fiml_* (``cfa(model, data, missing = "ml")``: mean structure, observed information) and
hs_cfa_listwise_* (``missing = "listwise"``). Tolerances as tests/test_sem_parity.py: 1e-3 for
estimates, SEs and standardized values, 5e-4 for fit measures, 1e-3 relative for chi-square.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    HS_ITEMS,
    HS_MODEL,
    PD_MODEL,
    PE_COLUMNS,
    assert_estimates_match,
    assert_measures_close,
    common_measures,
    golden_estimates,
    golden_fit,
    missing_measures,
    read_golden,
    read_hs_data,
    read_pd_data,
)

from surveysem.errors import InputError
from surveysem.sem import (
    UnsupportedModelError,
    estimates_report,
    fit_measures,
    fit_model,
    parameter_estimates,
)
from surveysem.sem.estimators.fiml import (
    FimlFit,
    _em_moments,
    _h1_moments,
    _loglik_moments,
    _Objective,
    _Patterns,
    fiml_estimates,
    fiml_fit_measures,
    fit_fiml,
    incomplete_numeric,
)
from surveysem.sem.model.ram import Ram

# fitMeasures names fiml_fit_measures must return (all are compared with the golden file).
REQUIRED_FIT = [
    "npar",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "srmr",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "ntotal",
    # lavaan's FIML-corrected robust indices (lav_fit_fiml_corrected, Zhang & Savalei 2023)
    "cfi.robust",
    "tli.robust",
    "rmsea.robust",
    "rmsea.ci.lower.robust",
    "rmsea.ci.upper.robust",
]


def assert_fit_match(fm: dict, gold: pd.Series, required: list[str]) -> None:
    assert not missing_measures(fm, required)
    unknown = [k for k in fm if k not in gold.index]
    assert not unknown, f"measures lavaan does not report: {unknown}"
    assert_measures_close(fm, gold)


@pytest.fixture(scope="module")
def hs_missing() -> pd.DataFrame:
    return read_golden("hs_missing_data.csv")


@pytest.fixture(scope="module")
def hs_fiml(hs_missing) -> FimlFit:
    return fit_fiml(HS_MODEL, hs_missing)


@pytest.fixture(scope="module")
def pd_missing() -> pd.DataFrame:
    data = read_pd_data()
    return data.mask(np.random.default_rng(3).random(data.shape) < 0.08)


def test_hs_fiml_estimates_match_lavaan(hs_fiml):
    assert hs_fiml.converged, hs_fiml.message
    pe = fiml_estimates(hs_fiml)
    assert_estimates_match(pe, golden_estimates("hs_cfa_fiml"), columns=PE_COLUMNS)
    means = pe[pe["op"] == "~1"]
    assert list(means["lhs"]) == HS_ITEMS + ["visual", "textual", "speed"]
    assert (means.loc[means["lhs"].isin(["visual", "textual", "speed"]), "est"] == 0).all()


def test_hs_fiml_fit_measures_match_lavaan(hs_fiml):
    fm = fiml_fit_measures(hs_fiml)
    gold = golden_fit("hs_cfa_fiml")
    assert_fit_match(fm, gold, REQUIRED_FIT)
    # lavaan's srmr with missing = "ml" is Bentler's SRMR including the mean residuals
    assert fm["srmr"] == pytest.approx(gold["srmr_bentler"], abs=1e-6)
    assert fm["srmr"] != pytest.approx(gold["srmr_bentler_nomean"], abs=1e-3)
    assert fm["chisq"] == pytest.approx(2 * (fm["unrestricted.logl"] - fm["logl"]))
    assert (fm["npar"], fm["df"], fm["ntotal"]) == (30, 24, 301)


def test_listwise_deletion_is_ml_on_complete_cases(hs_missing):
    """lavaan missing = "listwise" = the complete-data ML fit of the complete rows."""
    complete = hs_missing.dropna(subset=HS_ITEMS)
    assert len(complete) == 120
    fit = fit_model(HS_MODEL, complete)
    assert fit.converged
    pe = parameter_estimates(fit)
    assert_estimates_match(pe, golden_estimates("hs_cfa_listwise"), columns=PE_COLUMNS)
    fm = fit_measures(fit)
    gold = golden_fit("hs_cfa_listwise")
    assert_measures_close(fm, gold, common_measures(fm, gold))


def test_complete_data_fiml_equals_ml():
    """Without missing values FIML = ML with a saturated mean structure: same estimates,
    chi-square and log-likelihoods as lavaan's default ML fit. (The SEs differ: FIML uses the
    observed information, which also reflects misfit - speed =~ x9: 0.195 vs 0.151.)"""
    data = read_hs_data()
    fit = fit_fiml(HS_MODEL, data)
    assert fit.converged and fit.n_patterns == 1
    pe = fiml_estimates(fit)
    pe = pe[pe["op"] != "~1"].reset_index(drop=True)
    gold = golden_estimates("hs_cfa_ml")
    np.testing.assert_allclose(pe["est"], gold["est"], atol=1e-3)
    np.testing.assert_allclose(pe["std.all"], gold["std.all"], atol=1e-3)
    fm, gf = fiml_fit_measures(fit), golden_fit("hs_cfa_ml")
    keys = ["chisq", "df", "cfi", "tli", "rmsea", "logl", "unrestricted.logl"]
    assert_measures_close(fm, gf, keys, rel_tol=1e-6, abs_tol=None, relative={})
    intercepts = fiml_estimates(fit).query("op == '~1' and lhs in @HS_ITEMS")["est"]
    np.testing.assert_allclose(intercepts, data[HS_ITEMS].mean(), atol=1e-8)


def test_structural_model_labels_and_defined_parameters(pd_missing):
    fit = fit_fiml(PD_MODEL, pd_missing)
    assert fit.converged, fit.message
    pe = fiml_estimates(fit)
    assert list(pe["op"].iloc[-2:]) == [":=", ":="]
    est = pe.set_index("label")["est"]
    assert est["indirect"] == pytest.approx(est["a"] * est["b"], rel=1e-12)
    assert est["total"] == pytest.approx(est["c"] + est["a"] * est["b"], rel=1e-12)
    assert pe["se"].iloc[-2:].gt(0).all()
    fm = fiml_fit_measures(fit)
    p = 11
    assert fm["df"] == p * (p + 1) / 2 + p - fit.partable.n_free
    assert 0 < fm["chisq"] < 100


def test_analytic_observed_information_matches_numeric_hessian(pd_missing):
    fit = fit_fiml(PD_MODEL, pd_missing)
    pt = fit.partable
    values, _ = incomplete_numeric(pd_missing, pt.ov_names)
    obj = _Objective([Ram.from_partable(pt)], [_Patterns.from_values(values)])
    theta = fit.x * 1.03  # away from the optimum, where the second-order terms matter
    st = obj.state(theta)
    analytic, numeric = obj.hessian(theta, st), obj.numeric_hessian(theta)
    np.testing.assert_allclose(analytic, numeric, atol=1e-6 * np.abs(numeric).max())
    eps = 1e-6
    grad_num = [
        (obj.loglik(theta + eps * e) - obj.loglik(theta - eps * e)) / (2 * eps)
        for e in np.eye(len(theta))
    ]
    np.testing.assert_allclose(st.grad, grad_num, atol=1e-5 * np.abs(st.grad).max())


def test_empty_rows_are_dropped(hs_missing, hs_fiml):
    extra = hs_missing.iloc[:3].copy()
    extra[HS_ITEMS] = np.nan
    fit = fit_fiml(HS_MODEL, pd.concat([hs_missing, extra], ignore_index=True))
    assert (fit.n, fit.n_empty) == (301, 3)
    assert fit.logl == pytest.approx(hs_fiml.logl, rel=1e-12)


def test_input_errors(hs_missing):
    bad = hs_missing.copy()
    bad["x1"] = bad["x1"].astype(str)
    with pytest.raises(InputError, match="not numeric"):
        fit_fiml(HS_MODEL, bad)
    split = hs_missing.copy()
    split.loc[split["x1"].notna(), "x2"] = np.nan
    with pytest.raises(InputError, match="'x1' and 'x2'"):
        fit_fiml(HS_MODEL, split)
    with pytest.raises(UnsupportedModelError):
        fit_fiml(HS_MODEL + "x1 ~ 1", hs_missing)


def test_21_item_model_converges_and_recovers_truth():
    """A 21-item, 5-factor structural model (the bundled study's size), 390 rows, 10% MCAR:
    a simulation with known truth (time is measured in benchmarks/)."""
    rng = np.random.default_rng(2009)
    sizes = [5, 5, 4, 3, 4]
    n = 390
    f = np.empty((n, 5))
    f[:, 0] = rng.standard_normal(n)
    f[:, 1] = 0.6 * f[:, 0] + 0.8 * rng.standard_normal(n)
    f[:, 2] = 0.5 * f[:, 1] + 0.85 * rng.standard_normal(n)
    f[:, 3] = 0.5 * f[:, 1] + 0.85 * rng.standard_normal(n)
    f[:, 4] = 0.4 * f[:, 2] + 0.4 * f[:, 3] + 0.7 * rng.standard_normal(n)
    cols, items = {}, []
    for j, size in enumerate(sizes):
        names = [f"f{j}_{i}" for i in range(size)]
        items.append(names)
        for name in names:
            cols[name] = 3 + 0.8 * f[:, j] + 0.6 * rng.standard_normal(n)
    data = pd.DataFrame(cols).mask(rng.random((n, 21)) < 0.10)
    syntax = "\n".join(f"F{j} =~ " + " + ".join(names) for j, names in enumerate(items))
    syntax += "\nF1 ~ F0\nF2 ~ F1\nF3 ~ F1\nF4 ~ F2 + F3"
    fit = fit_fiml(syntax, data)
    assert fit.converged, fit.message
    fm = fiml_fit_measures(fit)
    assert fm["npar"] == 68 and fm["df"] == 184
    assert fm["pvalue"] > 0.001 and fm["rmsea"] < 0.05
    pe = fiml_estimates(fit).set_index(["lhs", "op", "rhs"])
    assert pe.loc[("F1", "~", "F0"), "est"] == pytest.approx(0.6, abs=0.15)
    loadings = pe.xs("=~", level="op")["est"]
    assert loadings.between(0.75, 1.35).all()


def test_second_order_factor_is_equivalent_to_correlated_factors(hs_missing, hs_fiml):
    fit = fit_fiml(HS_MODEL + "g =~ visual + textual + speed", hs_missing)
    assert fit.converged, fit.message
    assert fit.logl == pytest.approx(hs_fiml.logl, abs=1e-6)


def test_stalled_search_falls_back_to_trust_region(hs_missing, hs_fiml, monkeypatch):
    """A first search that stops short of the optimum (here: cut off after two iterations,
    as a search stalled on a ridge stops) is restarted by the trust-region method, which
    reaches lavaan's optimum."""
    from surveysem.sem.estimators import fiml

    original, calls = fiml._maximize, []

    def stalls_first(obj, theta, max_iter=200):
        calls.append(theta)
        return original(obj, theta, max_iter=2 if len(calls) == 1 else max_iter)

    monkeypatch.setattr(fiml, "_maximize", stalls_first)
    fit = fit_fiml(HS_MODEL + "g =~ visual + textual + speed", hs_missing)
    assert len(calls) == 2 and fit.converged, fit.message
    assert "trust region" in fit.message
    assert fit.logl == pytest.approx(hs_fiml.logl, abs=1e-6)


def test_collinear_items_raise(hs_missing):
    with pytest.raises(InputError, match="singular"):
        fit_fiml(HS_MODEL + "visual =~ x10", hs_missing.assign(x10=2 * hs_missing["x1"]))


def test_newton_polished_h1_moments_equal_em_to_convergence():
    """With 40% missing cells EM is slow; the Newton polish reaches EM's fixed point."""
    data = read_hs_data()[HS_ITEMS]
    data = data.mask(np.random.default_rng(5).random(data.shape) < 0.4)
    pat = _Patterns.from_values(incomplete_numeric(data, HS_ITEMS)[0])
    mu, sigma, note, ok = _h1_moments(pat)
    assert ok and "Newton" in note
    mu_em, sigma_em, _, done = _em_moments(pat, max_iter=20000, tol=1e-12)
    assert done
    np.testing.assert_allclose(mu, mu_em, atol=1e-9)
    np.testing.assert_allclose(sigma, sigma_em, atol=1e-9)
    assert _loglik_moments(pat, mu, sigma) == pytest.approx(_loglik_moments(pat, mu_em, sigma_em))


def test_sparse_data_without_saturated_estimate_raise():
    """N = 75, 11 items, 35% missing cells: the saturated ML covariance matrix is singular."""
    data = read_pd_data()
    data = data.mask(np.random.default_rng(1).random(data.shape) < 0.35)
    with pytest.raises(InputError, match="pairwise coverage"):
        fit_fiml(PD_MODEL, data)


def test_a_heywood_case_is_reported_for_fiml_as_for_ml():
    # three items correlating .6, .6 and .2 under one factor: the just-identified loadings
    # give y1 a residual variance of 1 - .6 * .6 / .2 = -.8 (hand calculation)
    rng = np.random.default_rng(7)
    cor = [[1, 0.6, 0.6], [0.6, 1, 0.2], [0.6, 0.2, 1]]
    data = pd.DataFrame(rng.multivariate_normal(np.zeros(3), cor, 500), columns=["y1", "y2", "y3"])
    data = data.mask(rng.random(data.shape) < 0.05)
    fit = fit_fiml("F =~ y1 + y2 + y3", data)
    report = estimates_report(fit.converged, fit.message, fiml_estimates(fit))
    assert not report["admissible"]
    problem, theta = report["problems"]  # the negative variance makes Theta not PD, as in ML
    assert problem.startswith("negative variance (Heywood case): residual variance of y1")
    assert theta.startswith("residual covariance matrix of the observed variables (theta)")
    assert float(problem.rsplit("= ", 1)[1]) == pytest.approx(-0.8, abs=0.2)  # sampling error
