"""Nonparametric bootstrap (surveysem.sem.resampling.bootstrap) against lavaan 0.6-14 and by hand.

References come from tests/golden/lavaan/make_bootstrap_golden.R (R is needed only to remake
them):

* pd_bootstrap_draws.csv - 200 lavaan bootstrap draws of the PoliticalDemocracy SEM with their
  resampled rows. Refitting the same rows must give lavaan's estimates (to lavaan's own
  convergence precision, 1e-3) and the same nonadmissible draws: an exact, Monte-Carlo-free
  check of the refits and of the improper flag.
* pd_bootstrap.csv, reference "draws_200" - lavaan's percentile and bca.simple intervals from
  exactly those 200 draws: checks the quantile rule (boot's norm.inter) and z0 to 1e-8.
* pd_bootstrap.csv, reference "lavaan_10000" - lavaan's own bootstrap (B = 10000, its RNG).
  Our draws use another RNG, so the two agree only up to Monte Carlo error; see
  ``quantile_se`` for the tolerance.

The BCa interval is checked against an independent implementation of Efron & Tibshirani
(1993, sec. 14.3) on a toy statistic (the mean of a skewed sample), whose jackknife
acceleration has a closed form.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import PD_MODEL, read_golden
from scipy import stats

from surveysem.sem import fit_model, parameter_estimates, solution_problems
from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
from surveysem.sem.resampling.bootstrap import (
    DRAW_COLUMNS,
    bootstrap_ci,
    bootstrap_draws,
    jackknife_estimates,
    jackknife_groups,
    refit_resamples,
    resample_indices,
)
from surveysem.sem.resampling.refit import Refitter

# Our Monte Carlo run for the comparison with lavaan's B = 10000 bootstrap. 1000 PD refits
# take about 5 s on one core (10 s on a busy one) and give 4-SE tolerances of 0.07-0.08 on the
# quartiles and 0.15-0.19 on the 95% limits of the indirect effect (see
# test_percentile_ci_matches_lavaan_bootstrap). A larger B would shrink them only by
# sqrt(B); the exact draw-level tests carry the fine-grained parity instead.
B_MC = 1000
SEED = 20090401
N_SE = 4.0  # tolerance in Monte Carlo standard errors (two-sided 6e-5 per comparison)


@pytest.fixture(scope="module")
def pd_estimates(pd_data):
    return parameter_estimates(fit_model(PD_MODEL, pd_data))


@pytest.fixture(scope="module")
def lavaan_draws():
    return read_golden("pd_bootstrap_draws.csv")


@pytest.fixture(scope="module")
def lavaan_ci():
    g = read_golden("pd_bootstrap.csv", keep_default_na=False, na_values=["NA"])
    return {ref: part.reset_index(drop=True) for ref, part in g.groupby("reference")}


@pytest.fixture(scope="module")
def our_refits_of_lavaan_draws(pd_data, lavaan_draws):
    samples = [np.array(s.split(), dtype=int) - 1 for s in lavaan_draws["idx"]]
    return refit_resamples(PD_MODEL, pd_data, samples)


@pytest.fixture(scope="module")
def mc_draws(pd_data):
    return bootstrap_draws(PD_MODEL, pd_data, range(B_MC), seed=SEED)


def key(frame: pd.DataFrame) -> pd.Series:
    return frame["lhs"] + frame["op"] + frame["rhs"]


# --- layout, determinism ------------------------------------------------------------------


def test_draw_table_layout_and_full_sample_identity(pd_data, pd_estimates):
    out = refit_resamples(PD_MODEL, pd_data, [np.arange(len(pd_data))])
    assert list(out.columns) == DRAW_COLUMNS
    assert out[["lhs", "op", "rhs", "label"]].equals(pd_estimates[["lhs", "op", "rhs", "label"]])
    # resampling every row once reproduces parameter_estimates (est, std.all, := rows)
    np.testing.assert_allclose(out["est"], pd_estimates["est"], atol=1e-9)
    np.testing.assert_allclose(out["std.all"], pd_estimates["std.all"], atol=1e-9)
    assert out["converged"].all() and not out["improper"].any()


def test_chunks_give_byte_identical_draws(pd_data, tmp_path):
    whole = bootstrap_draws(PD_MODEL, pd_data, range(40), seed=SEED)
    parts = pd.concat(
        [
            bootstrap_draws(PD_MODEL, pd_data, range(20), seed=SEED),
            bootstrap_draws(PD_MODEL, pd_data, range(20, 40), seed=SEED),
        ],
        ignore_index=True,
    )
    whole.to_csv(tmp_path / "whole.csv", index=False)
    parts.to_csv(tmp_path / "parts.csv", index=False)
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "parts.csv").read_bytes()
    # order of the requested draws is kept; a draw does not depend on its neighbours
    some = bootstrap_draws(PD_MODEL, pd_data, [37, 3], seed=SEED)
    assert some["draw"].unique().tolist() == [37, 3]
    expect = whole[whole["draw"].isin([37, 3])].set_index(["draw", "lhs", "op", "rhs"])
    got = some.set_index(["draw", "lhs", "op", "rhs"]).loc[expect.index]
    assert got.equals(expect)


def test_resample_indices_scheme():
    rng = np.random.default_rng(np.random.SeedSequence([11, 5]))
    assert np.array_equal(resample_indices(75, draw=5, seed=11), rng.integers(0, 75, 75))
    assert not np.array_equal(resample_indices(75, 5, 11), resample_indices(75, 6, 11))
    with pytest.raises(ValueError):
        resample_indices(10, draw=-1, seed=1)


def test_empty_chunk(pd_data):
    empty = bootstrap_draws(PD_MODEL, pd_data, range(0), seed=SEED)
    assert list(empty.columns) == DRAW_COLUMNS and empty.empty


def test_bad_draws_are_rejected(pd_data):
    with pytest.raises(ValueError, match="distinct"):
        bootstrap_draws(PD_MODEL, pd_data, [1, 1], seed=1)
    with pytest.raises(ValueError, match="row positions"):
        refit_resamples(PD_MODEL, pd_data, [[0, 75]])


def test_warm_start_refit_equals_fresh_fit(pd_data):
    """The reused-model refit reaches the optimum that fit_model finds from scratch."""
    draws = bootstrap_draws(PD_MODEL, pd_data, range(8), seed=SEED)
    for i in range(8):
        rows = resample_indices(len(pd_data), i, SEED)
        fresh = fit_model(PD_MODEL, pd_data.iloc[rows].reset_index(drop=True))
        pe = parameter_estimates(fresh)
        mine = draws[draws["draw"] == i]
        np.testing.assert_allclose(mine["est"], pe["est"], atol=1e-6)
        np.testing.assert_allclose(mine["std.all"], pe["std.all"], atol=1e-6)
        assert mine["improper"].iloc[0] == bool(solution_problems(fresh))


def test_refit_gives_fit_model_estimates_and_standard_errors(pd_data):
    """A refit to the covariance matrix of a subset equals fit_model on that subset."""
    engine = Refitter(PD_MODEL, pd_data)
    rows = np.arange(60)
    out = engine.refit(np.cov(engine.values[rows], rowvar=False, bias=True), len(rows))
    pe = parameter_estimates(fit_model(PD_MODEL, pd_data.iloc[rows]))
    assert out.converged and engine.keys["lhs"].tolist() == pe["lhs"].tolist()
    np.testing.assert_allclose(out.est, pe["est"], atol=1e-6)
    np.testing.assert_allclose(out.std, pe["std.all"], atol=1e-6)
    params = (pe["op"] != ":=").to_numpy()
    np.testing.assert_allclose(out.se[params], pe["se"][params], atol=1e-6)
    assert np.isnan(out.se[~params]).all()


def test_singular_covariance_matrix_is_a_failed_refit(pd_data):
    engine = Refitter(PD_MODEL, pd_data)
    out = engine.refit(np.cov(engine.values[:5], rowvar=False, bias=True), 5)
    assert not out.converged and np.isnan(out.est).all()


# --- draw-level parity with lavaan ------------------------------------------------------


def test_refits_of_lavaan_resamples_match_lavaan(our_refits_of_lavaan_draws, lavaan_draws):
    ours = our_refits_of_lavaan_draws
    keys = list(dict.fromkeys(key(ours)))
    for stat in ("est", "std.all"):
        mine = ours.assign(k=key(ours)).pivot(index="draw", columns="k", values=stat)[keys]
        theirs = lavaan_draws[[f"{stat}:{k}" for k in keys]].to_numpy()
        np.testing.assert_allclose(mine.to_numpy(), theirs, atol=1e-3, err_msg=stat)
    per_draw = ours.drop_duplicates("draw")
    assert per_draw["converged"].tolist() == (~lavaan_draws["failed"]).tolist()
    # same nonadmissible draws (65 of 200: Heywood cases of the dem65 residual variance)
    assert per_draw["improper"].tolist() == lavaan_draws["nonadmissible"].tolist()
    assert per_draw["improper"].sum() == 65


def test_ci_rule_matches_lavaan_on_the_same_draws(
    our_refits_of_lavaan_draws, lavaan_draws, lavaan_ci, pd_estimates
):
    """lavaan's percentile and bca.simple CIs from the same 200 draws: quantile rule + z0."""
    gold = lavaan_ci["draws_200"]
    # lavaan's draw values themselves (not our refits), in our draw-table layout
    keys = list(dict.fromkeys(key(our_refits_of_lavaan_draws)))
    est = lavaan_draws[[f"est:{k}" for k in keys]].to_numpy()
    table = our_refits_of_lavaan_draws.copy()
    table["est"] = est.reshape(-1)
    ci = bootstrap_ci(table, pd_estimates)
    assert ci[["lhs", "op", "rhs"]].values.tolist() == gold[["lhs", "op", "rhs"]].values.tolist()
    # fixed parameters are (est, est) in both
    np.testing.assert_allclose(ci["perc.lower"], gold["ci.lower"], atol=1e-8)
    np.testing.assert_allclose(ci["perc.upper"], gold["ci.upper"], atol=1e-8)
    np.testing.assert_allclose(ci["bca.lower"], gold["bc.lower"], atol=1e-8)
    np.testing.assert_allclose(ci["bca.upper"], gold["bc.upper"], atol=1e-8)
    assert (ci["n_improper"] == gold["n_nonadmissible"]).all()
    quart = bootstrap_ci(table, pd_estimates, level=0.5)
    np.testing.assert_allclose(quart["perc.lower"], gold["q25"], atol=1e-8)
    np.testing.assert_allclose(quart["perc.upper"], gold["q75"], atol=1e-8)


# --- Monte Carlo parity with lavaan's own bootstrap -----------------------------------------


def quantile_se(draws: np.ndarray, q: float) -> float:
    """Monte Carlo SE of the q-quantile of B draws: sqrt(q (1 - q) / B) / f(x_q).

    The asymptotic variance of a sample quantile (e.g. Serfling 1980, sec. 2.3); the density
    f at the quantile is estimated by the difference quotient of the empirical quantile
    function over q +/- 0.015 (about +/-15 order statistics at B = 1000).
    """
    h = 0.015
    lo, hi = max(q - h, 0.001), min(q + h, 0.999)
    inv_f = np.diff(np.quantile(draws, [lo, hi]))[0] / (hi - lo)
    return float(np.sqrt(q * (1 - q) / len(draws)) * inv_f)


def bc_se(draws: np.ndarray, theta: float, q: float, b: int) -> float:
    """Monte Carlo SE of a bias-corrected (a = 0) limit: the quantile at q1 = Phi(2 z0 + z_q)
    with z0 = Phi^-1(p), p = share of draws below theta, itself estimated from B draws
    (delta method: dq1/dp = 2 phi(2 z0 + z_q) / phi(z0))."""
    p = np.mean(draws < theta)
    z0 = stats.norm.ppf(p)
    q1 = stats.norm.cdf(2 * z0 + stats.norm.ppf(q))
    dq1 = 2 * stats.norm.pdf(2 * z0 + stats.norm.ppf(q)) / stats.norm.pdf(z0)
    var_q1 = dq1**2 * p * (1 - p) / b
    inv_f = quantile_se(draws, q1) / np.sqrt(q1 * (1 - q1) / len(draws))
    return float(np.sqrt(q1 * (1 - q1) / b + var_q1) * inv_f)


def test_percentile_ci_matches_lavaan_bootstrap(mc_draws, pd_estimates, lavaan_ci):
    """Our B_MC-draw percentile CI and quartiles vs lavaan's B = 10000 ones, every parameter.

    Both estimate the same (infinite-B) bootstrap quantiles of the same data and estimator,
    so they differ by Monte Carlo error only: |ours - lavaan| <= N_SE * sqrt(SE_ours^2 +
    SE_lavaan^2), each SE from ``quantile_se`` (computed from our draws, with B = B_MC and
    B = 10000). For the indirect effect (CI about [0.57, 1.98]) the tolerance is 0.15-0.19 on
    the 2.5%/97.5% limits but 0.07-0.08 on the quartiles, which therefore carry most of the
    power of this comparison (e.g. a shift or a 10% change of spread of the bootstrap
    distribution). Exact parity is tested draw by draw above.
    """
    gold = lavaan_ci["lavaan_10000"]
    ci = bootstrap_ci(mc_draws, pd_estimates)
    quart = bootstrap_ci(mc_draws, pd_estimates, level=0.5)
    assert ci[["lhs", "op", "rhs"]].values.tolist() == gold[["lhs", "op", "rhs"]].values.tolist()
    ok = mc_draws[mc_draws["converged"]]
    by_key = {k: g["est"].to_numpy() for k, g in ok.groupby(key(ok), sort=False)}
    checked = 0
    for i, k in enumerate(key(gold)):
        t = by_key[k]
        if np.ptp(t) == 0:  # fixed parameter: (est, est) in both
            assert ci.loc[i, "perc.lower"] == ci.loc[i, "perc.upper"] == gold.loc[i, "ci.lower"]
            continue
        for q, ours, theirs in (
            (0.025, ci.loc[i, "perc.lower"], gold.loc[i, "ci.lower"]),
            (0.975, ci.loc[i, "perc.upper"], gold.loc[i, "ci.upper"]),
            (0.25, quart.loc[i, "perc.lower"], gold.loc[i, "q25"]),
            (0.75, quart.loc[i, "perc.upper"], gold.loc[i, "q75"]),
        ):
            se_ours = quantile_se(t, q)
            se_lav = se_ours * np.sqrt(len(t) / gold.loc[i, "B"])
            tol = N_SE * np.hypot(se_ours, se_lav)
            assert abs(ours - theirs) <= tol, (k, q, ours, theirs, tol)
            checked += 1
        # bootstrap SE (SD with divisor B): SE of an SD = sd sqrt((kurtosis - 1) / (4 B))
        kurt = stats.kurtosis(t, fisher=False)
        se_sd = ci.loc[i, "boot.se"] * np.sqrt((kurt - 1) / 4 * (1 / len(t) + 1 / 10000))
        assert abs(ci.loc[i, "boot.se"] - gold.loc[i, "se"]) <= N_SE * se_sd, k
    assert checked == 4 * 33  # 31 free parameters + indirect + total
    row = ci.set_index("lhs").loc["indirect"]
    assert row["n_draws"] == row["n_used"] == B_MC and row["n_failed"] == 0


def test_bias_corrected_ci_matches_lavaan_bootstrap(mc_draws, pd_estimates, lavaan_ci):
    """Without a jackknife our BCa is lavaan's "bca.simple"; compare structural paths and
    effects within Monte Carlo error (``bc_se``)."""
    gold = lavaan_ci["lavaan_10000"].set_index(["lhs", "op", "rhs"])
    ci = bootstrap_ci(mc_draws, pd_estimates).set_index(["lhs", "op", "rhs"])
    ok = mc_draws[mc_draws["converged"]]
    for idx in [i for i in ci.index if i[1] in ("~", ":=")]:
        t = ok[(ok["lhs"] == idx[0]) & (ok["op"] == idx[1]) & (ok["rhs"] == idx[2])]
        t = t["est"].to_numpy()
        theta = ci.loc[idx, "est"]
        for q, col, gcol in ((0.025, "bca.lower", "bc.lower"), (0.975, "bca.upper", "bc.upper")):
            tol = N_SE * np.hypot(bc_se(t, theta, q, len(t)), bc_se(t, theta, q, 10000))
            assert abs(ci.loc[idx, col] - gold.loc[idx, gcol]) <= tol, (idx, q)


def test_improper_share_matches_lavaan(mc_draws, lavaan_ci):
    gold = lavaan_ci["lavaan_10000"].iloc[0]
    per_draw = mc_draws.drop_duplicates("draw")
    ours = per_draw["improper"].mean()
    theirs = gold["n_nonadmissible"] / gold["B"]
    se = np.sqrt(theirs * (1 - theirs) * (1 / len(per_draw) + 1 / gold["B"]))
    assert abs(ours - theirs) <= N_SE * se
    assert gold["n_failed"] == 0 and per_draw["converged"].all()


# --- BCa by hand ------------------------------------------------------------------------------


def norm_inter(t: np.ndarray, alpha: float) -> float:
    """Independent copy of Davison & Hinkley (1997) eq. 5.8 (R boot's norm.inter)."""
    t = np.sort(t)
    r = len(t)
    k = int((r + 1) * alpha)
    if (r + 1) * alpha == k:
        return t[k - 1]
    lo, hi = stats.norm.ppf(k / (r + 1)), stats.norm.ppf((k + 1) / (r + 1))
    return t[k - 1] + (stats.norm.ppf(alpha) - lo) / (hi - lo) * (t[k] - t[k - 1])


def toy_tables(x: np.ndarray, b: int, seed: int):
    """Draw/jackknife tables of the statistic 'mean' in bootstrap_ci's layout."""
    rng = np.random.default_rng(seed)
    boot = np.array([x[rng.integers(0, len(x), len(x))].mean() for _ in range(b)])
    jack = (x.sum() - x) / (len(x) - 1)

    def table(values, id_name):
        return pd.DataFrame(
            {
                id_name: np.arange(len(values)),
                "converged": True,
                "improper": False,
                "lhs": "m",
                "op": ":=",
                "rhs": "mean",
                "label": "m",
                "est": values,
                "std.all": values,
            }
        )

    est = pd.DataFrame(
        {"lhs": ["m"], "op": [":="], "rhs": ["mean"], "label": ["m"], "est": [x.mean()]}
    ).assign(**{"std.all": x.mean()})
    return boot, table(boot, "draw"), table(jack, "group"), est


def test_bca_by_hand_on_the_mean_of_a_skewed_sample():
    """Efron & Tibshirani (1993) sec. 14.3, implemented independently of the module."""
    x = np.random.default_rng(42).lognormal(sigma=1.0, size=40)
    boot, draws, jack, est = toy_tables(x, b=1999, seed=7)
    theta = x.mean()
    # acceleration of the mean in closed form (E&T 1993, problem 14.12):
    # a = sum (x_i - xbar)^3 / (6 [sum (x_i - xbar)^2]^(3/2))
    d = x - theta
    a = np.sum(d**3) / (6 * np.sum(d**2) ** 1.5)
    z0 = stats.norm.ppf(np.mean(boot < theta))
    expect = []
    for z in stats.norm.ppf([0.025, 0.975]):
        expect.append(norm_inter(boot, stats.norm.cdf(z0 + (z0 + z) / (1 - a * (z0 + z)))))
    ci = bootstrap_ci(draws, est, jackknife=jack).iloc[0]
    assert ci["acceleration"] == pytest.approx(a, rel=1e-10)
    assert ci["acceleration"] > 0.02  # skewed: the acceleration matters here
    assert ci["z0"] == pytest.approx(z0, rel=1e-12)
    assert [ci["bca.lower"], ci["bca.upper"]] == pytest.approx(expect, rel=1e-12)
    # percentile: B = 1999, (B + 1) alpha = 50 and 1950 are whole order statistics
    assert ci["perc.lower"] == pytest.approx(np.sort(boot)[49], rel=1e-12)
    assert ci["perc.upper"] == pytest.approx(np.sort(boot)[1949], rel=1e-12)
    assert ci["boot.se"] == pytest.approx(np.std(boot))
    # BCa shifts the interval to the right for a right-skewed statistic
    assert ci["bca.lower"] > ci["perc.lower"] and ci["bca.upper"] > ci["perc.upper"]


def test_failed_and_improper_draws_are_counted():
    x = np.random.default_rng(1).normal(size=30)
    _, draws, _, est = toy_tables(x, b=100, seed=3)
    draws.loc[draws["draw"] < 5, ["converged", "est"]] = [False, np.nan]  # failed
    draws.loc[draws["draw"].between(5, 14), "improper"] = True  # improper: kept by default
    kept = bootstrap_ci(draws, est).iloc[0]
    assert (kept["n_draws"], kept["n_failed"], kept["n_improper"], kept["n_used"]) == (
        100,
        5,
        10,
        95,
    )
    dropped = bootstrap_ci(draws, est, drop_improper=True).iloc[0]
    assert dropped["n_used"] == 85 and dropped["n_improper"] == 10
    t = draws.loc[draws["draw"] >= 15, "est"].to_numpy()
    assert dropped["perc.lower"] == pytest.approx(norm_inter(t, 0.025))


def test_estimate_outside_the_draws_gives_nan_bca():
    x = np.random.default_rng(1).normal(size=30)
    _, draws, _, est = toy_tables(x, b=50, seed=3)
    est["est"] = draws["est"].max() + 1
    ci = bootstrap_ci(draws, est).iloc[0]
    assert np.isnan(ci["bca.lower"]) and np.isfinite(ci["perc.lower"])


def test_jackknife_and_bca_on_the_pd_model(pd_data, pd_estimates, mc_draws):
    jack = jackknife_estimates(PD_MODEL, pd_data)
    assert jack["group"].nunique() == len(pd_data) and jack["converged"].all()
    first = jack[jack["group"] == 0]
    loo = parameter_estimates(fit_model(PD_MODEL, pd_data.drop(index=0)))
    np.testing.assert_allclose(first["est"], loo["est"], atol=1e-6)
    ci = bootstrap_ci(mc_draws, pd_estimates, jackknife=jack).set_index("lhs")
    ind = ci.loc["indirect"]
    t = jack.loc[jack["lhs"] == "indirect", "est"].to_numpy()
    d = t.mean() - t
    assert ind["acceleration"] == pytest.approx(np.sum(d**3) / (6 * np.sum(d**2) ** 1.5))
    assert ind["bca.lower"] < ind["est"] < ind["bca.upper"]
    std = bootstrap_ci(mc_draws, pd_estimates, jackknife=jack, statistic="std.all")
    row = std.set_index("lhs").loc["indirect"]
    assert row["std.all"] == pytest.approx(0.3954, abs=1e-4)  # lavaan std.all, golden file
    assert row["perc.lower"] < row["std.all"] < row["perc.upper"] < 1


def test_nonnegative_variances_bootstrap():
    data = two_factor_data(n=40)
    boot = bootstrap_draws(TWO_FACTOR_MODEL, data, range(6), seed=2, nonnegative_variances=True)
    variances = boot[(boot["op"] == "~~") & (boot["lhs"] == boot["rhs"])]
    assert boot["converged"].all() and (variances["est"] >= 0).all()


def test_grouped_jackknife_leaves_out_whole_groups(pd_data):
    """Group g's estimates are those of fit_model without the rows of group g."""
    labels = jackknife_groups(len(pd_data), 10, seed=SEED)
    assert sorted(np.bincount(labels)) == [7] * 5 + [8] * 5
    jack = jackknife_estimates(PD_MODEL, pd_data, groups=10, seed=SEED)
    assert sorted(jack["group"].unique()) == list(range(10)) and jack["converged"].all()
    for g in (0, 7):
        kept = pd_data[labels != g].reset_index(drop=True)
        pe = parameter_estimates(fit_model(PD_MODEL, kept))
        np.testing.assert_allclose(jack.loc[jack["group"] == g, "est"], pe["est"], atol=1e-6)
    loo = jackknife_estimates(PD_MODEL, pd_data, groups=len(pd_data))
    assert loo["group"].nunique() == len(pd_data)
