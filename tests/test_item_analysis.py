"""Item analysis against hand formulas written out independently in numpy / pure Python."""

import math

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import HS_ITEMS
from scipy import stats

from surveysem.errors import InputError
from surveysem.item_analysis import item_descriptives, item_total, mardia


@pytest.fixture(scope="module")
def likert():
    """Seeded 7-point items with a few missing cells."""
    rng = np.random.default_rng(2009)
    latent = rng.normal(size=(120, 1))
    raw = 4 + 1.2 * latent + rng.normal(scale=1.0, size=(120, 4)) + [0, 0.8, -0.5, 1.5]
    frame = pd.DataFrame(np.clip(np.round(raw), 1, 7), columns=["q1", "q2", "q3", "q4"])
    frame.iloc[[3, 17, 40], 0] = np.nan
    frame.iloc[[17, 99], 2] = np.nan
    return frame


# ---------------------------------------------------------------- descriptives


def spss_skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """SPSS / Excel SKEW and KURT written with z-scores on the n - 1 SD."""
    n = len(x)
    z = (x - x.mean()) / x.std(ddof=1)
    skew = n / ((n - 1) * (n - 2)) * np.sum(z**3)
    kurt = n * (n + 1) / ((n - 1) * (n - 2) * (n - 3)) * np.sum(z**4) - 3 * (n - 1) ** 2 / (
        (n - 2) * (n - 3)
    )
    return skew, kurt


def moment_skew_kurt(x: np.ndarray) -> tuple[float, float]:
    """g1 = m3 / m2^1.5 and g2 = m4 / m2^2 - 3 with central moments m_r = mean((x - m)^r)."""
    d = x - x.mean()
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    return m3 / m2**1.5, m4 / m2**2 - 3


def test_item_descriptives_bias_adjusted_matches_spss_formula(likert):
    got = item_descriptives(likert, ["q1", "q2", "q3", "q4"])
    assert list(got.columns) == [
        "item",
        "n",
        "mean",
        "sd",
        "min",
        "max",
        "skew",
        "kurtosis",
        "missing_pct",
    ]
    assert got["item"].tolist() == ["q1", "q2", "q3", "q4"]
    for row in got.itertuples():
        col = likert[row.item]
        x = col.dropna().to_numpy()
        n = len(x)
        skew, kurt = spss_skew_kurt(x)
        assert row.n == n
        assert row.mean == pytest.approx(sum(x) / n, abs=1e-12)
        assert row.sd == pytest.approx(math.sqrt(sum((x - x.mean()) ** 2) / (n - 1)), abs=1e-12)
        assert (row.min, row.max) == (x.min(), x.max())
        assert row.skew == pytest.approx(skew, abs=1e-12)
        assert row.kurtosis == pytest.approx(kurt, abs=1e-12)
        assert row.missing_pct == pytest.approx(100 * col.isna().sum() / len(col))
        # pandas implements the same G1/G2 estimators independently
        assert row.skew == pytest.approx(col.skew(), abs=1e-12)
        assert row.kurtosis == pytest.approx(col.kurt(), abs=1e-12)
    assert got.loc[0, "missing_pct"] == pytest.approx(2.5)  # 3 of 120


def test_item_descriptives_moment_estimators(hs_data):
    got = item_descriptives(hs_data, HS_ITEMS, bias_adjusted=False)
    for row in got.itertuples():
        skew, kurt = moment_skew_kurt(hs_data[row.item].to_numpy())
        assert row.skew == pytest.approx(skew, abs=1e-12)
        assert row.kurtosis == pytest.approx(kurt, abs=1e-12)


def test_item_descriptives_degenerate_items():
    frame = pd.DataFrame(
        {"const": [4.0, 4, 4, 4, 4], "three": [1.0, 2, 4, np.nan, np.nan], "none": [np.nan] * 5}
    )
    got = item_descriptives(frame, ["const", "three", "none"]).set_index("item")
    assert np.isnan(got.loc["const", "skew"]) and np.isnan(got.loc["const", "kurtosis"])
    assert got.loc["const", "sd"] == 0
    x3 = np.array([1.0, 2, 4])
    skew3 = 3 / (2 * 1) * np.sum(((x3 - x3.mean()) / x3.std(ddof=1)) ** 3)
    assert got.loc["three", "skew"] == pytest.approx(skew3)
    assert np.isnan(got.loc["three", "kurtosis"])  # G2 needs n >= 4
    assert got.loc["none", "n"] == 0 and got.loc["none", "missing_pct"] == 100
    with pytest.raises(InputError, match="not in the data"):
        item_descriptives(frame, ["nope"])


# ---------------------------------------------------------------- Mardia


def mardia_by_loops(rows: list[list[float]]) -> tuple[float, float]:
    """Mardia (1970) b1,p and b2,p for two variables in pure Python (2x2 inverse by hand)."""
    n = len(rows)
    mx = sum(r[0] for r in rows) / n
    my = sum(r[1] for r in rows) / n
    d = [(r[0] - mx, r[1] - my) for r in rows]
    sxx = sum(a * a for a, _ in d) / n
    syy = sum(b * b for _, b in d) / n
    sxy = sum(a * b for a, b in d) / n
    det = sxx * syy - sxy * sxy
    inv = ((syy / det, -sxy / det), (-sxy / det, sxx / det))

    def m(i: int, j: int) -> float:
        (a1, b1), (a2, b2) = d[i], d[j]
        return a1 * (inv[0][0] * a2 + inv[0][1] * b2) + b1 * (inv[1][0] * a2 + inv[1][1] * b2)

    b1p = sum(m(i, j) ** 3 for i in range(n) for j in range(n)) / n**2
    b2p = sum(m(i, i) ** 2 for i in range(n)) / n
    return b1p, b2p


def test_mardia_matches_hand_calculation_small_data():
    rows = [[1, 2], [2, 2], [3, 5], [4, 3], [5, 7], [6, 4], [7, 7], [2, 6], [6, 1], [7, 2]]
    frame = pd.DataFrame(rows + [[np.nan, 3.0]], columns=["u", "v"])  # last row dropped
    got = mardia(frame)
    b1p, b2p = mardia_by_loops(rows)
    n, p = 10, 2
    assert (got["n"], got["p"]) == (n, p)
    assert got["b1p"] == pytest.approx(b1p, rel=1e-12)
    assert got["b2p"] == pytest.approx(b2p, rel=1e-12)
    assert got["skew_df"] == 4  # p(p+1)(p+2)/6
    assert got["skew_chisq"] == pytest.approx(n * b1p / 6, rel=1e-12)
    assert got["skew_pvalue"] == pytest.approx(1 - stats.chi2.cdf(n * b1p / 6, 4), rel=1e-10)
    k = (p + 1) * (n + 1) * (n + 3) / (n * ((n + 1) * (p + 1) - 6))
    assert got["skew_chisq_small"] == pytest.approx(n * k * b1p / 6, rel=1e-12)
    assert got["skew_pvalue_small"] == pytest.approx(stats.chi2.sf(n * k * b1p / 6, 4))
    z = (b2p - 8) / math.sqrt(8 * 2 * 4 / n)
    assert got["kurt_expected"] == 8
    assert got["kurt_excess"] == pytest.approx(b2p - 8, rel=1e-12)
    assert got["kurt_z"] == pytest.approx(z, rel=1e-12)
    assert got["kurt_pvalue"] == pytest.approx(2 * (1 - stats.norm.cdf(abs(z))), rel=1e-10)


def test_mardia_hs_matches_moment_tensor_formula(hs_data):
    """Independent route: whiten with the Cholesky factor of S (N divisor), then
    b1,p = sum_rst (mean z_r z_s z_t)^2 (Mardia 1970, eq. 2.5 in standardized form) and
    b2,p = mean(|z_i|^4)."""
    x = hs_data[HS_ITEMS].to_numpy()
    n, p = x.shape
    d = x - x.mean(axis=0)
    chol = np.linalg.cholesky(d.T @ d / n)
    z = np.linalg.solve(chol, d.T).T  # rows z_i with identity covariance
    third = np.einsum("ir,is,it->rst", z, z, z) / n
    b1p = float(np.sum(third**2))
    b2p = float(np.mean(np.sum(z**2, axis=1) ** 2))
    got = mardia(hs_data[HS_ITEMS])
    assert got["n"] == 301 and got["skew_df"] == 165
    assert got["b1p"] == pytest.approx(b1p, rel=1e-10)
    assert got["b2p"] == pytest.approx(b2p, rel=1e-10)
    assert got["kurt_z"] == pytest.approx((b2p - 99) / math.sqrt(8 * 99 / n), rel=1e-10)


def test_mardia_is_affine_invariant_and_validates(hs_data):
    x = hs_data[HS_ITEMS[:4]]
    a = np.array([[2.0, 0.5, 0, 0], [0, 1, 0.3, 0], [0, 0, -1, 0.2], [0.1, 0, 0, 3]])
    y = pd.DataFrame(x.to_numpy() @ a + 7.0)
    base, moved = mardia(x), mardia(y)
    assert moved["b1p"] == pytest.approx(base["b1p"], rel=1e-9)
    assert moved["b2p"] == pytest.approx(base["b2p"], rel=1e-9)
    with pytest.raises(InputError, match="more complete rows"):
        mardia(x.iloc[:4])
    with pytest.raises(InputError, match="singular"):
        mardia(x.assign(dup=x["x1"] * 2))


# ---------------------------------------------------------------- item-total


def hand_alpha(x: np.ndarray) -> float:
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(axis=0, ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_item_total_matches_hand_formulas(hs_data):
    data = hs_data[HS_ITEMS].copy()
    data.iloc[[0, 5, 9], 1] = np.nan  # x2: only the visual block loses rows
    constructs = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6", "x7"]}
    got = item_total(data, constructs)
    assert list(got.columns) == [
        "construct", "item", "corrected_item_total", "alpha_if_deleted", "note",
    ]  # fmt: skip
    assert (got["note"] == "").all()
    assert got["item"].tolist() == ["x1", "x2", "x3", "x4", "x5", "x6", "x7"]
    for row in got.itertuples():
        items = constructs[row.construct]
        block = data[items].dropna()
        assert len(block) == (298 if row.construct == "visual" else 301)
        others = [c for c in items if c != row.item]
        rest = block[others].to_numpy().sum(axis=1)
        r = np.corrcoef(block[row.item].to_numpy(), rest)[0, 1]
        assert row.corrected_item_total == pytest.approx(r, abs=1e-12)
        assert row.alpha_if_deleted == pytest.approx(
            hand_alpha(block[others].to_numpy()), abs=1e-12
        )


def test_item_total_small_constructs(likert):
    got = item_total(likert, {"pair": ["q1", "q2"], "single": ["q4"]}).set_index("item")
    block = likert[["q1", "q2"]].dropna()
    r = np.corrcoef(block["q1"], block["q2"])[0, 1]  # the "total" is the other item
    assert got.loc["q1", "corrected_item_total"] == pytest.approx(r)
    assert got.loc["q2", "corrected_item_total"] == pytest.approx(r)
    assert got["alpha_if_deleted"].isna().all()
    assert np.isnan(got.loc["q4", "corrected_item_total"])
    assert got["note"].str.startswith("not applicable").all()  # none of these NaNs is a failure
    with pytest.raises(InputError, match="not in the data"):
        item_total(likert, {"bad": ["q1", "zz"]})
