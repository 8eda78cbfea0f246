"""Parity of surveysem.sem with lavaan 0.6.14 (golden files made by make_golden.R).

Tolerances are those lavaan's printout supports: 1e-3 for estimates, SEs and standardized
values; 5e-4 for fit indices; 1e-3 relative for chi-square.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    HS_MODEL,
    PD_MODEL,
    PE_COLUMNS,
    assert_estimates_match,
    assert_measures_close,
    common_measures,
    golden_estimates,
    golden_fit,
    missing_measures,
)

from surveysem.sem import (
    ModelSpecError,
    fit_measures,
    fit_model,
    implied_latent_correlations,
    parameter_estimates,
    r_squared,
    solution_problems,
)

REQUIRED_FIT = [
    "npar",
    "fmin",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "baseline.pvalue",
    "cfi",
    "tli",
    "nfi",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
    "gfi",
    "agfi",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "ntotal",
]


@pytest.fixture(scope="module")
def hs_fit(hs_data):
    return fit_model(HS_MODEL, hs_data)


@pytest.fixture(scope="module")
def pd_fit(pd_data):
    return fit_model(PD_MODEL, pd_data)


def exact_cov_data(cov, n, columns, seed=1):
    """Data whose N-divisor sample covariance matrix is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(cov).T, columns=columns)


def assert_fit_match(fm, gold):
    assert not missing_measures(fm, REQUIRED_FIT)
    common = common_measures(fm, gold)
    assert len(common) >= len(REQUIRED_FIT)
    assert_measures_close(fm, gold, common)


def test_hs_cfa_estimates(hs_fit):
    assert hs_fit.converged
    assert_estimates_match(
        parameter_estimates(hs_fit), golden_estimates("hs_cfa_ml"), columns=PE_COLUMNS
    )


def test_hs_cfa_fit_measures(hs_fit):
    assert_fit_match(fit_measures(hs_fit), golden_fit("hs_cfa_ml"))


def test_pd_sem_estimates_with_defined_parameters(pd_fit):
    assert pd_fit.converged
    pe = parameter_estimates(pd_fit)
    gold = golden_estimates("pd_sem_ml")
    assert_estimates_match(pe, gold, columns=PE_COLUMNS)
    defined = pe[pe["op"] == ":="].set_index("lhs")
    assert list(defined.index) == ["indirect", "total"]
    assert list(defined["rhs"]) == ["a*b", "c+a*b"]


def test_pd_sem_fit_measures(pd_fit):
    assert_fit_match(fit_measures(pd_fit), golden_fit("pd_sem_ml"))


@pytest.mark.parametrize(
    ("fit_name", "gold_name"), [("hs_fit", "hs_cfa_ml"), ("pd_fit", "pd_sem_ml")]
)
def test_r_squared_matches_golden_residual_variances(fit_name, gold_name, request):
    fit = request.getfixturevalue(fit_name)
    gold = golden_estimates(gold_name)
    var = gold[(gold["op"] == "~~") & (gold["lhs"] == gold["rhs"])]
    lat = set(gold.loc[gold["op"] == "=~", "lhs"])
    exo = lat - set(gold.loc[gold["op"] == "~", "lhs"])
    expected = var[~var["lhs"].isin(exo)].set_index("lhs")["std.all"].rsub(1)
    r2 = r_squared(parameter_estimates(fit)).set_index("lhs")["r2"]
    assert list(r2.index) == list(expected.index)
    np.testing.assert_allclose(r2, expected, atol=1e-3)


def test_implied_latent_correlations(hs_fit):
    gold = golden_estimates("hs_cfa_ml")
    cor = implied_latent_correlations(parameter_estimates(hs_fit))
    lv_cov = gold[(gold["op"] == "~~") & (gold["lhs"] != gold["rhs"])]
    for lhs, rhs, r in zip(lv_cov["lhs"], lv_cov["rhs"], lv_cov["std.all"], strict=True):
        assert cor.loc[lhs, rhs] == pytest.approx(r, abs=1e-3)
        assert cor.loc[rhs, lhs] == pytest.approx(r, abs=1e-3)
    np.testing.assert_allclose(np.diag(cor), 1.0)


def test_std_lv_parametrization_gives_same_fit(hs_data):
    # NA* frees the first loading, 1* fixes the factor variance: same model, same chi-square.
    syntax = """visual =~ NA*x1 + x2 + x3; visual ~~ 1*visual
                textual =~ NA*x4 + x5 +
                           x6   # continued line
                textual ~~ 1*textual
                speed =~ x7 + x8 + x9"""
    fit = fit_model(syntax, hs_data)
    assert fit.converged
    assert fit_measures(fit)["chisq"] == pytest.approx(golden_fit("hs_cfa_ml")["chisq"], rel=1e-6)
    pe = parameter_estimates(fit).set_index(["lhs", "op", "rhs"])
    gold = golden_estimates("hs_cfa_ml").set_index(["lhs", "op", "rhs"])
    for key in [("visual", "=~", "x1"), ("textual", "=~", "x6"), ("visual", "~~", "textual")]:
        assert pe.loc[key, "std.all"] == pytest.approx(gold.loc[key, "std.all"], abs=1e-3)
        assert pe.loc[key, "est"] == pytest.approx(gold.loc[key, "std.lv"], abs=1e-3)


def test_equality_constraint_shares_one_parameter(hs_data):
    fit = fit_model("visual =~ x1 + v*x2 + v*x3\ntextual =~ x4 + x5 + x6", hs_data)
    pe = parameter_estimates(fit)
    load = pe[pe["label"] == "v"]
    assert load["est"].nunique() == 1 and load["se"].nunique() == 1
    fm_free = fit_measures(fit_model("visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", hs_data))
    fm = fit_measures(fit)
    assert fm["df"] == fm_free["df"] + 1
    assert fm["chisq"] >= fm_free["chisq"]


def test_pure_outcome_factors_get_residual_covariance(pd_fit, pd_data):
    # lavaan auto.cov.y: residual covariances among pure outcomes, but none for a mediator
    # (the PD golden file has no dem60 ~~ dem65 row).
    fit = fit_model(
        """ind60 =~ x1 + x2 + x3
           dem60 =~ y1 + y2 + y3 + y4
           dem65 =~ y5 + y6 + y7 + y8
           dem60 ~ ind60
           dem65 ~ ind60""",
        pd_data,
    )
    rows = {(r.lhs, r.op, r.rhs) for r in fit.partable.rows}
    assert ("dem60", "~~", "dem65") in rows
    assert not any(
        r.op == "~~" and {r.lhs, r.rhs} == {"dem60", "dem65"} for r in pd_fit.partable.rows
    )


def test_no_problems_for_admissible_solutions(hs_fit, pd_fit):
    assert solution_problems(hs_fit) == []
    assert solution_problems(pd_fit) == []


R_HEYWOOD = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])


def test_heywood_case_is_reported():
    # One factor, three items: phi = s12 s13 / s23 = 1.28, so theta_1 = 1 - 1.28 = -0.28.
    data = exact_cov_data(R_HEYWOOD, 50, ["a1", "a2", "a3"])
    fit = fit_model("F =~ a1 + a2 + a3", data)
    assert fit.converged
    pe = parameter_estimates(fit).set_index(["lhs", "op", "rhs"])
    assert pe.loc[("a1", "~~", "a1"), "est"] == pytest.approx(-0.28, abs=1e-6)
    assert pe.loc[("F", "~~", "F"), "est"] == pytest.approx(1.28, abs=1e-6)
    assert pe.loc[("F", "=~", "a2"), "est"] == pytest.approx(0.8 / 1.28, abs=1e-6)
    problems = solution_problems(fit)
    assert any("Heywood" in p and "a1" in p for p in problems)


def test_bounded_variances_report_boundary_hit():
    data = exact_cov_data(R_HEYWOOD, 50, ["a1", "a2", "a3"])
    fit = fit_model("F =~ a1 + a2 + a3", data, nonnegative_variances=True)
    assert fit.converged
    pe = parameter_estimates(fit).set_index(["lhs", "op", "rhs"])
    assert pe.loc[("a1", "~~", "a1"), "est"] == pytest.approx(0.0, abs=1e-8)
    assert any("boundary" in p and "a1" in p for p in solution_problems(fit))


def test_heywood_in_overidentified_model():
    cov = np.full((6, 6), 0.3)
    cov[:3, :3] = R_HEYWOOD
    cov[3:, 3:] = 0.5
    np.fill_diagonal(cov, 1.0)
    data = exact_cov_data(cov, 80, ["a1", "a2", "a3", "b1", "b2", "b3"])
    fit = fit_model("F =~ a1 + a2 + a3\nG =~ b1 + b2 + b3", data)
    assert fit.converged
    assert any("Heywood" in p for p in solution_problems(fit))


def test_missing_values_raise(hs_data):
    bad = hs_data.copy()
    bad.loc[3, "x2"] = np.nan
    with pytest.raises(ValueError, match="missing values in x2"):
        fit_model(HS_MODEL, bad)


def test_unknown_variable_raises_model_spec_error(hs_data):
    with pytest.raises(ModelSpecError, match=r"line 3 .*'x22'.*did you mean"):
        fit_model("visual =~ x1 + x2 + x3\n\ntextual =~ x4 + x5 + x22", hs_data)


def test_problems_property_and_input_errors_are_input_errors(hs_fit, hs_data):
    from surveysem.errors import InputError

    assert solution_problems(hs_fit) == []
    with pytest.raises(InputError):
        fit_model("visual =~ x1 + x2 + zz", hs_data)
    with pytest.raises(InputError):
        fit_model(HS_MODEL, hs_data.assign(x1=np.nan))


def test_second_order_factor_is_equivalent_to_correlated_factors(hs_data):
    # Three first-order factors under one second-order factor: just-identified structure,
    # so the fit equals lavaan's correlated-factor CFA.
    fit = fit_model(HS_MODEL + "g =~ visual + textual + speed", hs_data)
    gold = golden_fit("hs_cfa_ml")
    fm = fit_measures(fit)
    assert fm["chisq"] == pytest.approx(gold["chisq"], rel=1e-6)
    assert fm["df"] == gold["df"]
    assert set(r_squared(parameter_estimates(fit))["lhs"]) >= {"visual", "textual", "speed"}
