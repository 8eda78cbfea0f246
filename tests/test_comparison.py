"""Model comparison (surveysem.comparison) against R lavaan anova() and the golden fits.

anova_nested.csv comes from tests/golden/lavaan/make_bootstrap_golden.R (lavaan 0.6-14):
HS three-factor vs one-factor CFA, and the PoliticalDemocracy SEM with vs without y4 ~~ y8.
The chi-square of the general models is also in the independent golden fit files.
anova_estimators.csv (make_golden_difference.R, lavaan 0.6-14) has the same pairs under ML,
MLR (Satorra-Bentler 2001 scaled difference), GLS and ULS, and the HS pair under FIML with
ML and with MLR.
"""

import numpy as np
import pytest
from lavaan_golden import (
    HS_MODEL,
    PD_MODEL,
    assert_measures_close,
    golden_fit,
    read_golden,
)

from surveysem.comparison import COLUMNS, compare_models, is_nested
from surveysem.sem import fit
from surveysem.sem.results.residuals import largest_residuals, residual_correlations

HS1 = "g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9"
PD_NO48 = PD_MODEL.replace("  y4 ~~ y8\n", "")


@pytest.fixture(scope="module")
def anova():
    return read_golden("anova_nested.csv").set_index("model")


@pytest.fixture(scope="module")
def hs_fits(hs_data):
    return {"three_factor": fit(HS_MODEL, hs_data), "one_factor": fit(HS1, hs_data)}


@pytest.fixture(scope="module")
def pd_fits(pd_data):
    return {"with_y4y8": fit(PD_MODEL, pd_data), "without_y4y8": fit(PD_NO48, pd_data)}


def check_against_anova(tab, anova, restricted):
    assert list(tab.columns) == COLUMNS
    t = tab.set_index("model")
    for model in t.index:
        for col in ("npar", "df"):
            assert t.loc[model, col] == anova.loc[model, col]
        for col in ("chisq", "aic", "bic"):
            assert t.loc[model, col] == pytest.approx(anova.loc[model, col], abs=1e-3)
    for col, gold in (("delta_chisq", "chisq_diff"), ("delta_df", "df_diff")):
        assert t.loc[restricted, col] == pytest.approx(anova.loc[restricted, gold], abs=1e-3)
    assert t.loc[restricted, "delta_pvalue"] == pytest.approx(
        anova.loc[restricted, "pvalue"], rel=1e-3
    )
    assert t.loc[restricted, "relation"] == "restricted"


def test_hs_three_vs_one_factor(hs_fits, anova):
    """The one-factor CFA is nested (factor correlations 1) but not by parameter names."""
    assert not is_nested(hs_fits["one_factor"], hs_fits["three_factor"])
    tab = compare_models(hs_fits, baseline="three_factor", nested={"one_factor": True})
    check_against_anova(tab, anova, "one_factor")
    # the general model's chi-square from the independent golden fit file
    gold = golden_fit("hs_cfa_ml")
    assert tab.loc[0, "chisq"] == pytest.approx(gold["chisq"], abs=1e-3)
    # without the override the pair is reported as not nested (no test)
    plain = compare_models(hs_fits, baseline="three_factor")
    assert plain.loc[1, "relation"] == "not nested" and np.isnan(plain.loc[1, "delta_chisq"])


def test_pd_residual_covariance_detected_as_nested(pd_fits, anova):
    assert is_nested(pd_fits["without_y4y8"], pd_fits["with_y4y8"])
    assert not is_nested(pd_fits["with_y4y8"], pd_fits["without_y4y8"])
    tab = compare_models(pd_fits, baseline="with_y4y8")
    check_against_anova(tab, anova, "without_y4y8")
    gold = golden_fit("pd_sem_ml")
    row = tab.set_index("model").loc["with_y4y8"]
    cols = ("chisq", "cfi", "tli", "rmsea", "srmr", "aic", "bic")
    assert_measures_close(row, gold, cols, abs_tol=1e-3, relative={})
    # the other direction: baseline = restricted model, the freer one is "general"
    back = compare_models(pd_fits, baseline="without_y4y8").set_index("model")
    assert back.loc["with_y4y8", "relation"] == "general"
    assert back.loc["with_y4y8", "delta_chisq"] == pytest.approx(
        anova.loc["without_y4y8", "chisq_diff"], abs=1e-3
    )


def test_is_nested_rules(pd_data, hs_data, pd_fits):
    base = pd_fits["with_y4y8"]
    # a path fixed at another value is a restriction
    fixed = fit(PD_MODEL.replace("c*ind60", "0.5*ind60").replace("total := c + a*b", ""), pd_data)
    assert is_nested(fixed, base) and not is_nested(base, fixed)
    # an equality constraint is a restriction; dropping it again is not
    equal = fit(PD_MODEL.replace("y2 ~~ y4 + y6", "y2 ~~ e*y4 + e*y6"), pd_data)
    assert is_nested(equal, base) and not is_nested(base, equal)
    # other rows (data) are not the same data
    other = fit(PD_NO48, pd_data.iloc[:70])
    assert not is_nested(other, base)
    # a model is nested in itself
    assert is_nested(base, base)
    with pytest.raises(ValueError, match="baseline"):
        compare_models(pd_fits, baseline="nope")


# --- residual correlations (surveysem.sem.results.residuals) ------------------------------


@pytest.mark.parametrize("case", ["hs", "pd"])
def test_residual_correlations_give_srmr(case, hs_fits, pd_fits):
    fit = hs_fits["three_factor"] if case == "hs" else pd_fits["with_y4y8"]
    res = residual_correlations(fit)
    assert list(res.index) == list(res.columns) == list(fit.backend.partable.ov_names)
    np.testing.assert_allclose(res.to_numpy(), res.to_numpy().T, atol=1e-12)
    low = res.to_numpy()[np.tril_indices(len(res))]
    srmr = float(np.sqrt(np.mean(low**2)))
    assert srmr == pytest.approx(fit.measures["srmr"], rel=1e-12)
    name = "hs_cfa_ml" if case == "hs" else "pd_sem_ml"
    gold = golden_fit(name)
    assert srmr == pytest.approx(gold["srmr"], abs=5e-4)


def test_residual_values_and_ranking(hs_fits):
    res = residual_correlations(hs_fits["three_factor"])
    # lavaan 0.6-14: unclass(residuals(fit, type = "cor.bentler")$cov) for HS, to 6 dp
    lavaan = {("x7", "x1"): -0.139982, ("x7", "x2"): -0.189184, ("x9", "x1"): 0.148811,
              ("x9", "x3"): 0.146809, ("x5", "x3"): -0.150638, ("x5", "x1"): -0.009176}  # fmt: skip
    for (a, b), value in lavaan.items():
        assert res.loc[a, b] == pytest.approx(value, abs=1e-5)
        assert res.loc[b, a] == pytest.approx(value, abs=1e-5)
    top = largest_residuals(res, k=3)
    assert list(top.columns) == ["var1", "var2", "residual"]
    assert top[["var1", "var2"]].values.tolist() == [["x2", "x7"], ["x3", "x5"], ["x1", "x9"]]
    assert top["residual"].abs().is_monotonic_decreasing
    everything = largest_residuals(res, k=100, include_diagonal=True)
    assert len(everything) == 45
    assert len(largest_residuals(res, k=100)) == 36


# --- difference tests under each estimator ---------------------------------------------------

PAIRS = {"hs": (HS_MODEL, HS1, "hs_data.csv"), "pd": (PD_MODEL, PD_NO48, "pd_data.csv")}


@pytest.mark.parametrize(
    ("case", "estimator", "missing"),
    [("hs", "ML", "listwise"), ("pd", "ML", "listwise"), ("hs", "MLR", "listwise"),
     ("pd", "MLR", "listwise"), ("hs", "GLS", "listwise"), ("pd", "GLS", "listwise"),
     ("hs", "ULS", "listwise"), ("pd", "ULS", "listwise"), ("hs", "ML", "fiml"),
     ("hs", "MLR", "fiml")],
)  # fmt: skip
def test_difference_tests_match_lavaan_per_estimator(case, estimator, missing):
    gold = read_golden("anova_estimators.csv")
    gold = gold[(gold.case == case) & (gold.estimator == estimator) & (gold.missing == missing)]
    (gold,) = gold.to_dict("records")
    general, restricted, data = PAIRS[case]
    data = read_golden("hs_missing_data.csv" if missing == "fiml" else data)
    options = {"estimator": estimator, "missing": missing}
    fits = {
        name: fit(syntax, data, **options)
        for name, syntax in (("general", general), ("restricted", restricted))
    }
    tab = compare_models(fits, baseline="general", nested={"restricted": True}).set_index("model")
    row = tab.loc["restricted"]
    measures = {name: result.measures for name, result in fits.items()}
    assert measures["general"]["chisq"] == pytest.approx(gold["chisq_general"], abs=1e-3)
    assert measures["restricted"]["chisq"] == pytest.approx(gold["chisq_restricted"], abs=1e-3)
    shown = "chisq.scaled" if estimator == "MLR" else "chisq"  # what the table reports
    assert row["chisq"] == measures["restricted"][shown]
    assert row["delta_method"] == gold["method"]
    # relative: the scaled difference divides by c_d = (df_R c_R - df_G c_G) / delta_df, which
    # magnifies the 1e-7 (complete data) to 2e-6 (FIML) agreement of the scaling factors c
    # with lavaan's (whose optimizer stops at rel.tol 1e-10) about tenfold
    assert row["delta_chisq"] == pytest.approx(gold["chisq_diff"], rel=2e-5)
    assert row["delta_df"] == gold["df_diff"]
    assert row["delta_pvalue"] == pytest.approx(gold["pvalue"], rel=1e-3, abs=1e-12)


def test_wlsmv_difference_test_is_refused_with_a_reason():
    data = read_golden("hs_ordinal_data.csv")
    options = {"estimator": "WLSMV", "ordered": True}
    fits = {"general": fit(HS_MODEL, data, **options), "restricted": fit(HS1, data, **options)}
    row = compare_models(fits, "general", nested={"restricted": True}).iloc[1]
    assert np.isnan(row["delta_chisq"]) and np.isnan(row["delta_pvalue"])
    assert "satorra.2000" in row["delta_note"] and row["delta_method"] == ""
