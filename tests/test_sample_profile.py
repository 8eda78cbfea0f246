"""Tests of surveysem.sample_profile against hand calculations and on the bundled survey.

Every expected number is computed here from its textbook formula (weighted shares as sums of
weights, Welch t and Welch-Satterthwaite df, pooled-SD Cohen's d, Hedges' small-sample factor,
the normal approximation of the Mann-Whitney U test, the JZS Bayes factor integral), never
copied from the module's output.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from surveysem.cleaning import clean_survey
from surveysem.codebook import Codebook, load_codebook
from surveysem.sample_profile import (
    NONRESPONSE_COLUMNS,
    PROFILE_COLUMNS,
    SIZE_BANDS,
    construct_scores,
    nonresponse_bias,
    sample_profile,
    size_band,
)
from surveysem.validation import read_raw

ROOT = Path(__file__).resolve().parents[1]
CODEBOOK = ROOT / "data" / "codebook" / "cai2009.datapackage.json"
OPTIONS = {
    "max_missing_share": 0.2,
    "exclude_straightliners": True,
    "duplicates": "keep_most_complete",
}
SMALL, MEDIUM, LARGE = SIZE_BANDS


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return load_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def clean(cb) -> pd.DataFrame:
    columns = {"id": "resp_id", "unit": "firm_id", "submitted": "submitted_on"}
    data, _ = clean_survey(read_raw(cb.data_path, cb), cb, OPTIONS, columns)
    return data


# ------------------------------------------------------------------------------ size bands
def test_size_band_boundaries():
    emp = pd.Series([0, 1, 299, 300, 1999, 2000, 52461, np.nan], index=list("abcdefgh"))
    bands = size_band(emp)
    assert bands.name == "size_band"
    assert bands.index.tolist() == list("abcdefgh")
    assert bands.iloc[:7].tolist() == [SMALL, SMALL, SMALL, MEDIUM, MEDIUM, LARGE, LARGE]
    assert pd.isna(bands.iloc[7])
    assert isinstance(bands.dtype, pd.CategoricalDtype) and bands.dtype.ordered
    assert bands.cat.categories.tolist() == list(SIZE_BANDS)


def test_size_band_rejects_negative_counts():
    with pytest.raises(ValueError, match=">= 0"):
        size_band([10, -1])


# ------------------------------------------------------------------------------ sample profile
@pytest.fixture
def firms() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "region": ["East", "East", "West", "Central", "East", None, "West"],
            "w": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
        }
    )


def test_profile_hand_calculation(firms):
    # Row 5 (region missing, weight 6) is left out of the shares: m = 6 rows, total weight 22,
    # and counted in a last "not answered" row without shares.
    # East rows 0, 1, 4: n 3, weight 1 + 2 + 5 = 8; West rows 2, 6: n 2, weight 3 + 7 = 10;
    # Central row 3: n 1, weight 4. No declared order -> descending n.
    out = sample_profile(firms, ["region"], weight="w")
    assert out.columns.tolist() == list(PROFILE_COLUMNS)
    assert out["variable"].tolist() == ["region"] * 4
    assert out["category"].tolist() == ["East", "West", "Central", ""]
    assert out["label"].tolist() == ["East", "West", "Central", "not answered"]
    assert out["n"].tolist() == [3, 2, 1, 1]
    np.testing.assert_allclose(out["percent"], [300 / 6, 200 / 6, 100 / 6, np.nan], rtol=1e-12)
    np.testing.assert_allclose(
        out["weighted_percent"], [800 / 22, 1000 / 22, 400 / 22, np.nan], rtol=1e-12
    )


def test_profile_codebook_enum_order(firms, cb):
    out = sample_profile(firms, ["region"], weight="w", codebook=cb)
    assert out["category"].tolist() == ["East", "Central", "West", ""]  # the enum's order
    assert out["n"].tolist() == [3, 1, 2, 1]
    np.testing.assert_allclose(out["weighted_percent"], [800 / 22, 400 / 22, 1000 / 22, np.nan])


def test_profile_explicit_order_zero_and_undeclared_categories(firms):
    out = sample_profile(firms, ["region"], weight="w", order={"region": ["West", "North"]})
    # declared first (North: n = 0), then the undeclared ones by descending n
    assert out["category"].tolist() == ["West", "North", "East", "Central", ""]
    assert out["n"].tolist() == [2, 0, 3, 1, 1]
    np.testing.assert_allclose(out["percent"], [200 / 6, 0.0, 300 / 6, 100 / 6, np.nan])
    np.testing.assert_allclose(
        out["weighted_percent"], [1000 / 22, 0.0, 800 / 22, 400 / 22, np.nan]
    )


def test_integer_codes_read_as_floats_match_the_declared_categories():
    # a grade column with one missing cell is read back from CSV as 7.0, 8.0, NaN
    d = pd.DataFrame({"grade": [7.0, 8.0, 8.0, None]})
    out = sample_profile(d, ["grade"], weight=None, order={"grade": [7, 8]})
    assert out["category"].tolist() == ["7", "8", ""]
    assert out["n"].tolist() == [1, 2, 1]  # the missing cell is counted, as no category


def test_value_labels_of_the_codebook_name_the_categories():
    # lavaan's documentation of HolzingerSwineford1939: sex 1 = male, 2 = female
    codebook = load_codebook(ROOT / "data/codebook/holzinger_swineford.datapackage.json")
    d = pd.DataFrame({"sex": [1, 2, 2], "school": ["Pasteur", "Grant-White", "Pasteur"]})
    out = sample_profile(d, ["sex", "school"], weight=None, codebook=codebook)
    assert out["category"].tolist() == ["1", "2", "Pasteur", "Grant-White"]
    assert out["label"].tolist() == ["male", "female", "Pasteur", "Grant-White"]


def test_profile_without_weights_and_ties_by_label():
    d = pd.DataFrame({"role": ["sales", "general", "quality", "general", "sales", "quality", "x"]})
    out = sample_profile(d, ["role"], weight=None)
    assert out["category"].tolist() == ["general", "quality", "sales", "x"]  # ties: by label
    assert out["n"].tolist() == [2, 2, 2, 1]
    np.testing.assert_allclose(out["percent"], [200 / 7, 200 / 7, 200 / 7, 100 / 7])
    assert out["weighted_percent"].isna().all()
    assert out["weighted_percent"].dtype == float


def test_profile_uses_categorical_order_and_several_variables():
    d = pd.DataFrame(
        {
            "employees": [50, 2500, 400, 120, 3000, 10],
            "ownership": ["private", "state-owned", "private", "private", "state-owned", None],
            "w": [10.0, 1.0, 4.0, 5.0, 2.0, 8.0],
        }
    )
    d["size_band"] = size_band(d["employees"])
    out = sample_profile(d, ["size_band", "ownership"], weight="w")
    size = out[out["variable"] == "size_band"]
    assert size["category"].tolist() == list(SIZE_BANDS)
    # small: rows 0, 3, 5 (w 10 + 5 + 8 = 23); medium: row 2 (4); large: rows 1, 4 (1 + 2 = 3)
    assert size["n"].tolist() == [3, 1, 2]
    np.testing.assert_allclose(size["weighted_percent"], [2300 / 30, 400 / 30, 300 / 30])
    own = out[out["variable"] == "ownership"]
    # row 5 has no ownership: total weight 30 - 8 = 22; private 10 + 4 + 5 = 19
    assert own["category"].tolist() == ["private", "state-owned", ""]
    np.testing.assert_allclose(own["percent"], [60.0, 40.0, np.nan])
    np.testing.assert_allclose(own["weighted_percent"], [1900 / 22, 300 / 22, np.nan])
    assert out.index.tolist() == list(range(6))


def test_profile_is_deterministic(firms):
    a = sample_profile(firms, ["region"], weight="w")
    b = sample_profile(firms.iloc[::-1], ["region"], weight="w")
    pd.testing.assert_frame_equal(a, b)


@pytest.mark.parametrize("bad", [[1, 2, np.nan, 4, 5, 6, 7], [1, 2, -3, 4, 5, 6, 7]])
def test_profile_rejects_bad_weights(firms, bad):
    with pytest.raises(ValueError, match="finite and >= 0"):
        sample_profile(firms.assign(w=bad), ["region"], weight="w")


def test_profile_rejects_unknown_columns(firms):
    with pytest.raises(KeyError, match="nope"):
        sample_profile(firms, ["nope"], weight="w")
    with pytest.raises(KeyError, match="weight"):
        sample_profile(firms, ["region"], weight="weight")


# ------------------------------------------------------------------------------ construct scores
def test_construct_scores_half_rule():
    nan = np.nan
    d = pd.DataFrame(
        {
            # five items: 3 answered is enough, 2 is not
            "a1": [1, 1, 7],
            "a2": [2, 2, nan],
            "a3": [3, 6, nan],
            "a4": [4, nan, nan],
            "a5": [5, nan, 4],
            # three items: 2 answered is enough, 1 is not
            "b1": [7, nan, nan],
            "b2": [5, 4, 2],
            "b3": [nan, 6, nan],
            # four items: 2 answered is enough
            "c1": [1, nan, nan],
            "c2": [nan, 2, nan],
            "c3": [3, 3, nan],
            "c4": [nan, nan, 5],
        }
    )
    constructs = {"A": ["a1", "a2", "a3", "a4", "a5"], "B": ["b1", "b2", "b3"]}
    constructs["C"] = ["c1", "c2", "c3", "c4"]
    s = construct_scores(d, constructs)
    assert s.columns.tolist() == ["A", "B", "C"]
    np.testing.assert_allclose(s["A"], [3.0, 3.0, nan])
    np.testing.assert_allclose(s["B"], [6.0, 5.0, nan])
    np.testing.assert_allclose(s["C"], [2.0, 2.5, nan])
    strict = construct_scores(d, constructs, min_share=1.0)
    np.testing.assert_allclose(strict["A"], [3.0, nan, nan])


# ------------------------------------------------------------------------------ non-response
def _welch(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    vx, vy = x.var(ddof=1) / len(x), y.var(ddof=1) / len(y)
    t = (x.mean() - y.mean()) / math.sqrt(vx + vy)
    dof = (vx + vy) ** 2 / (vx**2 / (len(x) - 1) + vy**2 / (len(y) - 1))
    return t, dof


def _cohen_d(x: np.ndarray, y: np.ndarray) -> float:
    nx, ny = len(x), len(y)
    pooled = ((nx - 1) * x.var(ddof=1) + (ny - 1) * y.var(ddof=1)) / (nx + ny - 2)
    return (x.mean() - y.mean()) / math.sqrt(pooled)


def _mwu_normal_p(x: np.ndarray, y: np.ndarray) -> float:
    """Two-sided Mann-Whitney p: normal approximation, tie and continuity corrections."""
    nx, ny = len(x), len(y)
    pooled = np.concatenate([x, y])
    n = nx + ny
    # average ranks by hand: rank of v = #(< v) + (#(== v) + 1) / 2
    ranks = np.array([(pooled < v).sum() + ((pooled == v).sum() + 1) / 2 for v in pooled])
    u = ranks[:nx].sum() - nx * (nx + 1) / 2
    _, tie_sizes = np.unique(pooled, return_counts=True)
    tie_term = (tie_sizes**3 - tie_sizes).sum() / (n * (n - 1))
    sigma = math.sqrt(nx * ny / 12 * ((n + 1) - tie_term))
    z = (abs(u - nx * ny / 2) - 0.5) / sigma
    return 2 * stats.norm.sf(z)


def _jzs_bf10(t: float, nx: int, ny: int, r: float = 0.707) -> float:
    """Rouder et al. (2009) eq. 1, two-sample: n = nx ny / (nx + ny), df = nx + ny - 2."""
    n, df = nx * ny / (nx + ny), nx + ny - 2

    def integrand(g):
        a = 1 + n * g * r**2
        return (
            a**-0.5
            * (1 + t**2 / (a * df)) ** (-(df + 1) / 2)
            * (2 * math.pi) ** -0.5
            * g**-1.5
            * math.exp(-1 / (2 * g))
        )

    return integrate.quad(integrand, 0, np.inf)[0] / (1 + t**2 / df) ** (-(df + 1) / 2)


@pytest.fixture
def waves() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n_early, n_late = 30, 20
    d = pd.DataFrame(
        {
            "wave": ["early"] * n_early + ["late"] * n_late,
            "a1": np.r_[rng.integers(3, 8, n_early), rng.integers(1, 7, n_late)].astype(float),
            "a2": np.r_[rng.integers(3, 8, n_early), rng.integers(1, 7, n_late)].astype(float),
            "employees": np.r_[rng.integers(20, 5000, n_early), rng.integers(20, 900, n_late)],
            "revenue_mrmb": np.r_[rng.uniform(5, 900, n_early), rng.uniform(5, 300, n_late)],
        }
    )
    d.loc[[0, 31], "a2"] = np.nan  # one item of two answered: still scored (half rule)
    d.loc[[1, 32], ["a1", "a2"]] = np.nan  # nothing answered: no score
    # rows that are in neither wave must be ignored
    extra = pd.DataFrame(
        {
            "wave": [None, "unknown"],
            "a1": [1.0, 7.0],
            "a2": [1.0, 7.0],
            "employees": [10, 10000],
            "revenue_mrmb": [6.0, 5000.0],
        }
    )
    return pd.concat([d, extra], ignore_index=True)


def test_nonresponse_bias_hand_calculation(waves):
    out = nonresponse_bias(waves, {"A": ["a1", "a2"]})
    assert out.columns.tolist() == list(NONRESPONSE_COLUMNS)
    assert out["variable"].tolist() == ["A", "log(employees)", "log(revenue_mrmb)"]

    early = waves["wave"].eq("early").to_numpy()
    late = waves["wave"].eq("late").to_numpy()
    items = waves[["a1", "a2"]].to_numpy()
    n_answered = (~np.isnan(items)).sum(axis=1)
    score = np.full(len(items), np.nan)
    ok = n_answered >= 1  # half of two items
    score[ok] = np.nansum(items[ok], axis=1) / n_answered[ok]
    series = {
        "A": score,
        "log(employees)": np.log(waves["employees"].to_numpy(dtype=float)),
        "log(revenue_mrmb)": np.log(waves["revenue_mrmb"].to_numpy(dtype=float)),
    }
    for row in out.itertuples(index=False):
        v = series[row.variable]
        x, y = v[early & ~np.isnan(v)], v[late & ~np.isnan(v)]
        nx, ny = len(x), len(y)
        t, dof = _welch(x, y)
        d = _cohen_d(x, y)
        assert (row.n_early, row.n_late) == (nx, ny)
        assert row.mean_early == pytest.approx(x.sum() / nx, rel=1e-12)
        assert row.mean_late == pytest.approx(y.sum() / ny, rel=1e-12)
        assert row.sd_early == pytest.approx(math.sqrt(((x - x.mean()) ** 2).sum() / (nx - 1)))
        assert row.sd_late == pytest.approx(math.sqrt(((y - y.mean()) ** 2).sum() / (ny - 1)))
        assert row.t == pytest.approx(t, rel=1e-10)
        assert row.dof == pytest.approx(dof, rel=1e-10)
        assert row.pvalue == pytest.approx(2 * stats.t.sf(abs(t), dof), rel=1e-8)
        assert row.cohen_d == pytest.approx(d, rel=1e-10)  # signed: early minus late
        assert row.hedges_g == pytest.approx(d * (1 - 3 / (4 * (nx + ny - 2) - 1)), rel=1e-10)
        assert row.bf10 == pytest.approx(_jzs_bf10(t, nx, ny), rel=1e-6)
        assert row.pvalue_mwu == pytest.approx(_mwu_normal_p(x, y), rel=1e-8)
    a = out.iloc[0]
    assert (a.n_early, a.n_late) == (29, 19)  # one unscored row per wave
    assert a.t > 0 and a.cohen_d > 0  # early items were drawn from 3..7, late from 1..6


def test_nonresponse_bias_custom_labels_and_raw_extra(waves):
    relabelled = waves.assign(when=waves["wave"].map({"early": "T1", "late": "T2"}))
    out = nonresponse_bias(
        relabelled, {}, wave="when", early="T1", late="T2", extra=["employees"], log_extra=False
    )
    assert out["variable"].tolist() == ["employees"]
    x = waves.loc[waves["wave"] == "early", "employees"].to_numpy(dtype=float)
    y = waves.loc[waves["wave"] == "late", "employees"].to_numpy(dtype=float)
    assert out.loc[0, "t"] == pytest.approx(_welch(x, y)[0], rel=1e-10)
    assert out.loc[0, "n_early"] == 30 and out.loc[0, "n_late"] == 20


def test_nonresponse_bias_errors(waves):
    with pytest.raises(ValueError, match="> 0"):
        nonresponse_bias(waves.assign(employees=0), {"A": ["a1", "a2"]})
    with pytest.raises(ValueError, match="at least 2"):
        nonresponse_bias(waves, {"A": ["a1", "a2"]}, late="unknown")
    with pytest.raises(KeyError, match="size"):
        nonresponse_bias(waves, {"A": ["a1", "a2"]}, extra=["size"])


# ------------------------------------------------------------------------------ bundled survey
PROFILE_VARS = ["region", "ownership", "industry", "respondent_role", "size_band"]


@pytest.fixture(scope="module")
def profile(clean, cb) -> pd.DataFrame:
    data = clean.assign(size_band=size_band(clean["employees"]))
    return sample_profile(data, PROFILE_VARS, codebook=cb)


def test_bundled_profile_invariants(profile, clean, cb):
    assert profile["variable"].unique().tolist() == PROFILE_VARS
    sums = profile.groupby("variable")[["n", "percent", "weighted_percent"]].sum()
    np.testing.assert_allclose(sums["percent"], 100.0, rtol=1e-12)
    np.testing.assert_allclose(sums["weighted_percent"], 100.0, rtol=1e-12)
    for var in PROFILE_VARS:
        expected_n = clean["employees"].notna().sum() if var == "size_band" else clean[var].count()
        assert sums.loc[var, "n"] == expected_n
    for var in ["region", "ownership", "industry", "respondent_role"]:
        cats = profile.loc[profile["variable"] == var, "category"].tolist()
        assert cats == list(cb.field_info(var)["enum"])
    assert profile.loc[profile["variable"] == "size_band", "category"].tolist() == list(SIZE_BANDS)
    # PPS on revenue makes the weights vary, so weighted and unweighted shares differ
    assert clean["design_weight"].std() > 0
    assert not np.allclose(profile["percent"], profile["weighted_percent"], atol=0.5)


def test_bundled_weighted_shares_follow_the_design(profile, clean):
    # weighted share of East recomputed directly from the weights
    w = clean["design_weight"].to_numpy()
    east = clean["region"].eq("East").to_numpy()
    row = profile[(profile["variable"] == "region") & (profile["category"] == "East")].iloc[0]
    assert row.weighted_percent == pytest.approx(100 * w[east].sum() / w.sum(), rel=1e-12)
    # big firms have a high inclusion probability (PPS by revenue), hence small weights: the
    # weighted share of large firms must be below their sample share, and of small ones above
    size = profile[profile["variable"] == "size_band"].set_index("category")
    assert size.loc[LARGE, "weighted_percent"] < size.loc[LARGE, "percent"]
    assert size.loc[SMALL, "weighted_percent"] > size.loc[SMALL, "percent"]


def test_bundled_nonresponse_bias(clean, cb):
    out = nonresponse_bias(clean, cb.constructs())
    names = [*cb.constructs(), "log(employees)", "log(revenue_mrmb)"]
    assert out["variable"].tolist() == names
    n_early = clean["wave"].eq("early").sum()
    n_late = clean["wave"].eq("late").sum()
    assert (out["n_early"] <= n_early).all() and (out["n_late"] <= n_late).all()
    firm_size = out[out["variable"].str.startswith("log(")]
    assert firm_size["n_early"].eq(n_early).all() and firm_size["n_late"].eq(n_late).all()
    assert out[["pvalue", "pvalue_mwu"]].apply(lambda s: s.between(0, 1)).all(axis=None)
    # Welch df lies between min(n) - 1 and n_early + n_late - 2
    lower = np.minimum(out["n_early"], out["n_late"]) - 1
    assert (out["dof"] >= lower).all() and (out["dof"] <= out["n_early"] + out["n_late"] - 2).all()
    # Hedges' g shrinks d toward zero; construct means are on the 1..7 scale
    assert (out["hedges_g"].abs() < out["cohen_d"].abs()).all()
    constructs = out.iloc[: len(cb.constructs())]
    assert constructs[["mean_early", "mean_late"]].apply(lambda s: s.between(1, 7)).all(axis=None)
    assert (out["bf10"] > 0).all()
