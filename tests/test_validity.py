"""Validity checks against the semTools/lavaan HS reference values (sem-tooling.md section 8)
and hand calculations."""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import HS_ITEMS, HS_MODEL, read_golden
from scipy import stats

from surveysem.errors import InputError
from surveysem.reliability import reliability_table
from surveysem.sem import fit
from surveysem.validity import (
    check_thresholds,
    compare_fits,
    fornell_larcker,
    fornell_larcker_verdicts,
    harman_single_factor,
)

FACTORS = ["visual", "textual", "speed"]
# sem-tooling.md section 8 (semTools AVE with obs.var = TRUE; lavaan cor.lv)
SQRT_AVE = {"visual": 0.608735, "textual": 0.849127, "speed": 0.651528}
LATENT_COR = {
    ("visual", "textual"): 0.458509,
    ("visual", "speed"): 0.470535,
    ("textual", "speed"): 0.282985,
}


@pytest.fixture(scope="module")
def hs_fit(hs_data):
    return fit(HS_MODEL, hs_data)


def hs_fornell_larcker(cfa, data):
    return fornell_larcker(cfa.estimates, reliability_table(cfa.estimates, cfa.sample_cov, data))


@pytest.fixture(scope="module")
def hs_harman(hs_data):
    return harman_single_factor(hs_data, HS_ITEMS)


# ---------------------------------------------------------------- Fornell-Larcker


def test_fornell_larcker_matches_semtools_reference(hs_fit, hs_data):
    table = hs_fornell_larcker(hs_fit, hs_data)
    assert list(table.index) == FACTORS and list(table.columns) == FACTORS
    for f, value in SQRT_AVE.items():
        assert table.loc[f, f] == pytest.approx(value, abs=1e-6)
    for (a, b), value in LATENT_COR.items():
        assert table.loc[a, b] == pytest.approx(value, abs=1e-6)
        assert table.loc[b, a] == pytest.approx(value, abs=1e-6)
    # and the semTools fixture AVE (R semTools run, tests/golden/lavaan/hs_semtools.csv)
    golden = read_golden("hs_semtools.csv").set_index("factor")["ave"]
    np.testing.assert_allclose(np.diag(table), np.sqrt(golden[FACTORS]), atol=1e-6)


def test_fornell_larcker_verdicts_hs(hs_fit, hs_data):
    verdicts = fornell_larcker_verdicts(hs_fornell_larcker(hs_fit, hs_data))
    assert list(verdicts.columns) == [
        "pair", "correlation", "sqrt_ave_min", "holds", "applicable", "note",
    ]  # fmt: skip
    assert verdicts["pair"].tolist() == ["visual-textual", "visual-speed", "textual-speed"]
    expected_min = [0.608735, 0.608735, 0.651528]
    np.testing.assert_allclose(verdicts["sqrt_ave_min"], expected_min, atol=1e-6)
    np.testing.assert_allclose(verdicts["correlation"], list(LATENT_COR.values()), atol=1e-6)
    assert verdicts["holds"].tolist() == [True, True, True]  # "FL holds for all pairs"


def test_fornell_larcker_verdicts_logic():
    names = ["A", "B", "C"]
    table = pd.DataFrame(
        [[0.70, -0.75, 0.30], [-0.75, 0.90, np.nan], [0.30, np.nan, 0.80]],
        index=names,
        columns=names,
    )
    v = fornell_larcker_verdicts(table).set_index("pair")
    assert v.loc["A-B", "sqrt_ave_min"] == 0.70
    assert not v.loc["A-B", "holds"]  # |-0.75| > 0.70: absolute value is compared
    assert v.loc["A-C", "holds"]
    assert not v.loc["B-C", "holds"]  # NaN correlation: not established


# ---------------------------------------------------------------- Harman


def test_harman_pca_variant_matches_reference(hs_harman, hs_data):
    pca = hs_harman["pca"]
    assert pca["variance_share"] == pytest.approx(0.3574, abs=5e-5)  # sem-tooling.md: 35.74 %
    assert not pca["exceeds_threshold"]
    assert "principal component" in pca["variant"]
    # eigenvalue_1 / p equals the first PC's share of the total variance of the z-scores
    z = (hs_data[HS_ITEMS] - hs_data[HS_ITEMS].mean()) / hs_data[HS_ITEMS].std()
    sv = np.linalg.svd(z.to_numpy(), compute_uv=False)
    assert pca["variance_share"] == pytest.approx(sv[0] ** 2 / np.sum(sv**2), rel=1e-10)
    assert pca["eigenvalue"] == pytest.approx(9 * pca["variance_share"])


def test_harman_cfa_variant_matches_reference(hs_harman):
    cfa = hs_harman["cfa"]
    assert cfa["mean_sq_std_loading"] == pytest.approx(0.2873, abs=5e-5)  # 28.73 %
    assert not cfa["exceeds_threshold"] and cfa["converged"]
    assert cfa["syntax"] == "common =~ " + " + ".join(HS_ITEMS)
    fit = cfa["fit"]
    assert {"npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic"} <= set(
        fit
    )
    # one factor, 9 items: 9 loadings (1 fixed) + 9 residual variances + 1 factor variance
    assert (fit["npar"], fit["df"]) == (18, 9 * 10 / 2 - 18)
    assert hs_harman["threshold"] == 0.5 and hs_harman["n"] == 301


def test_harman_flags_a_dominant_factor():
    rng = np.random.default_rng(3)
    common = rng.normal(size=(200, 1))
    data = pd.DataFrame(common + 0.5 * rng.normal(size=(200, 5)), columns=list("abcde"))
    res = harman_single_factor(data, list("abcde"))
    assert res["pca"]["exceeds_threshold"] and res["cfa"]["exceeds_threshold"]
    with pytest.raises(InputError, match="item name"):
        harman_single_factor(data, list("abcde"), factor_name="a")
    with pytest.raises(InputError, match="three items"):
        harman_single_factor(data, ["a", "b"])


# ---------------------------------------------------------------- compare_fits


def test_compare_fits_hand_example():
    fits = {
        "one-factor": {"npar": 10, "chisq": 120.0, "df": 35, "cfi": 0.80, "aic": 900.0},
        "measurement model": {"npar": 13, "chisq": 101.5, "df": 32, "cfi": 0.95, "aic": 887.5},
        "free": {"npar": 14, "chisq": 99.0, "df": 31},
    }
    got = compare_fits(fits)
    assert list(got.columns) == [
        "model",
        "npar",
        "chisq",
        "df",
        "cfi",
        "tli",
        "rmsea",
        "srmr",
        "aic",
        "bic",
        "delta_chisq",
        "delta_df",
        "delta_pvalue",
        "delta_method",
        "delta_note",
    ]
    assert got["model"].tolist() == list(fits)
    assert got.loc[0, ["delta_chisq", "delta_df", "delta_pvalue"]].isna().all()
    assert got.loc[1, "delta_chisq"] == pytest.approx(18.5)
    assert got.loc[1, "delta_df"] == 3
    assert got.loc[1, "delta_pvalue"] == pytest.approx(stats.chi2.sf(18.5, 3))
    assert got.loc[2, "delta_chisq"] == pytest.approx(21.0)
    assert got.loc[2, "delta_pvalue"] == pytest.approx(1 - stats.chi2.cdf(21.0, 4))
    assert np.isnan(got.loc[2, "cfi"]) and np.isnan(got.loc[0, "tli"])


def test_compare_fits_hs_one_factor_vs_three(hs_fit, hs_harman):
    got = compare_fits({"one-factor": hs_harman["cfa"]["fit"], "3 factors": hs_fit.measures})
    assert got.loc[1, "chisq"] == pytest.approx(85.306, abs=1e-3)  # lavaan HS printout
    assert got.loc[1, "df"] == 24 and got.loc[1, "delta_df"] == 3  # 3 correlations freed
    assert got.loc[1, "delta_chisq"] == pytest.approx(got.loc[0, "chisq"] - 85.3055, abs=1e-3)


def test_compare_fits_rejects_wrong_order():
    with pytest.raises(ValueError, match="most restricted"):
        compare_fits({"a": {"chisq": 10.0, "df": 5}, "b": {"chisq": 20.0, "df": 8}})
    with pytest.raises(ValueError, match="'chisq' and 'df'"):
        compare_fits({"a": {"chisq": 10.0}})


# ---------------------------------------------------------------- check_thresholds


def test_check_thresholds():
    values = {"cfi": 0.93, "rmsea": 0.08, "ave": float("nan"), "harman": 0.36}
    thresholds = {
        "CFI >= .90": {"statistic": "cfi", "value": 0.90, "direction": "min", "reference": "HB"},
        "rmsea": {"value": 0.08, "direction": "max"},
        "RMSEA <= .05": {"statistic": "rmsea", "value": 0.05, "direction": "max"},
        "ave": {"value": 0.50, "direction": "min"},
        "harman": {"value": 0.50, "direction": "max", "reference": "Podsakoff et al. 2003"},
    }
    got = check_thresholds(values, thresholds)
    assert list(got.columns) == [
        "check",
        "statistic",
        "value",
        "threshold",
        "direction",
        "pass",
        "reference",
    ]
    assert got["check"].tolist() == list(thresholds)
    assert got["statistic"].tolist() == ["cfi", "rmsea", "rmsea", "ave", "harman"]
    assert got["pass"].tolist() == [True, True, False, False, True]  # bounds inclusive, NaN fails
    assert got.loc[0, "reference"] == "HB" and got.loc[1, "reference"] == ""
    with pytest.raises(ValueError, match="direction"):
        check_thresholds(values, {"cfi": {"value": 0.9, "direction": "above"}})
    with pytest.raises(KeyError, match="srmr"):
        check_thresholds(values, {"srmr": {"value": 0.08, "direction": "max"}})
