"""Reliability and validity measures against hand calculations and semTools 0.5.6 golden files."""

import numpy as np
import pingouin as pg
import pytest
from lavaan_golden import HS_MODEL, read_golden
from scipy import stats

from surveysem.reliability import cronbach_alpha, htmt, reliability_table
from surveysem.sem import fit

CONSTRUCTS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}


@pytest.fixture(scope="module")
def hs_fit(hs_data):
    return fit(HS_MODEL, hs_data)


def hand_alpha(x: np.ndarray, level=0.95):
    """Cronbach (1951) from item and total-score variances; Feldt (1965) F interval."""
    n, k = x.shape
    item_var = x.var(axis=0, ddof=1).sum()
    total_var = x.sum(axis=1).var(ddof=1)
    alpha = k / (k - 1) * (1 - item_var / total_var)
    f_hi = stats.f.ppf(1 - (1 - level) / 2, n - 1, (n - 1) * (k - 1))
    f_lo = stats.f.ppf((1 - level) / 2, n - 1, (n - 1) * (k - 1))
    return alpha, 1 - (1 - alpha) * f_hi, 1 - (1 - alpha) * f_lo


def test_cronbach_alpha_matches_hand_calculation(hs_data):
    x = hs_data[["x1", "x2", "x3"]]
    got = cronbach_alpha(x)
    alpha, lo, hi = hand_alpha(x.to_numpy())
    assert got["alpha"] == pytest.approx(alpha, abs=1e-12)
    assert got["ci.lower"] == pytest.approx(lo, abs=1e-12)
    assert got["ci.upper"] == pytest.approx(hi, abs=1e-12)
    assert (got["n"], got["k"]) == (301, 3)
    # pingouin gives the same numbers, with the interval rounded to 3 decimals
    pa, pci = pg.cronbach_alpha(x)
    assert got["alpha"] == pytest.approx(pa, abs=1e-12)
    np.testing.assert_allclose([got["ci.lower"], got["ci.upper"]], pci, atol=5e-4)


def test_cronbach_alpha_is_listwise_and_level_aware(hs_data):
    x = hs_data[["x4", "x5", "x6"]].copy()
    x.iloc[:5, 0] = np.nan
    got = cronbach_alpha(x, level=0.90)
    alpha, lo, hi = hand_alpha(x.dropna().to_numpy(), level=0.90)
    assert got["n"] == 296
    assert (got["alpha"], got["ci.lower"], got["ci.upper"]) == pytest.approx((alpha, lo, hi))
    with pytest.raises(ValueError, match="two items"):
        cronbach_alpha(x[["x4"]])


def test_omega_and_ave_match_semtools(hs_fit, hs_data):
    table = reliability_table(hs_fit.estimates, hs_fit.sample_cov, hs_data)
    assert list(table.columns) == [
        "construct",
        "n_items",
        "alpha",
        "alpha.ci.lower",
        "alpha.ci.upper",
        "omega",
        "ave",
        "note",
    ]
    assert (table["note"] == "").all()
    gold = read_golden("hs_semtools.csv").set_index("factor")
    table = table.set_index("construct").loc[gold.index]
    np.testing.assert_allclose(table["omega"], gold["omega"], atol=1e-4)
    np.testing.assert_allclose(table["ave"], gold["ave"], atol=1e-4)
    assert (table["n_items"] == 3).all()
    for name, items in CONSTRUCTS.items():
        alpha, lo, hi = hand_alpha(hs_data[items].to_numpy())
        assert table.loc[name, ["alpha", "alpha.ci.lower", "alpha.ci.upper"]].tolist() == (
            pytest.approx([alpha, lo, hi])
        )


@pytest.mark.parametrize(("htmt2", "golden"), [(True, "hs_htmt2.csv"), (False, "hs_htmt.csv")])
def test_htmt_matches_semtools(hs_data, htmt2, golden):
    gold = read_golden(golden).set_index("factor")
    got = htmt(hs_data, CONSTRUCTS, htmt2=htmt2)
    assert list(got.index) == list(got.columns) == list(gold.index)
    np.testing.assert_allclose(got.to_numpy(), gold.loc[got.index, got.columns], atol=1e-4)


def test_htmt_single_item_construct_is_nan(hs_data):
    got = htmt(hs_data, {"a": ["x1", "x2"], "b": ["x4"]})
    assert np.isnan(got.loc["a", "b"]) and got.loc["a", "a"] == pytest.approx(1.0)
