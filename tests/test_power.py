"""Monte Carlo power study (surveysem.power) against distribution theory and a hand calculation.

* The Wishart sampler: the mean and variance of the simulated covariances against the
  moments of the Wishart distribution, and a diagonal element against its chi-square law.
* Power of a one-path model against the asymptotic power of the Wald test, with the standard
  error of a regression slope derived by hand (test_power_of_one_path_matches_analytic_power).
* The replications do not depend on how they are split into chunks, and power grows with n
  on the bundled model.
"""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from surveysem.errors import InputError
from surveysem.figures import power_curves, save
from surveysem.io import write_csv
from surveysem.power import (
    REPLICATION_COLUMNS,
    combine_replications,
    power_summary,
    replication_rng,
    simulate_power,
    wishart_cov,
)
from surveysem.sem import factor_indicators
from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
from surveysem.sem.resampling.refit import Refitter
from surveysem.step import chunk_range

ROOT = Path(__file__).resolve().parents[1]
N_SE = 4.0  # tolerance in Monte Carlo standard errors (two-sided 6e-5 per comparison)


def exact_cov_rows(sigma: np.ndarray, rows: int, names: list[str]) -> pd.DataFrame:
    """Rows whose sample covariance matrix (divisor N) is exactly `sigma`."""
    z = np.random.default_rng(0).standard_normal((rows, len(names)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    return pd.DataFrame(z @ np.linalg.cholesky(sigma).T, columns=names)


# --- the Wishart sampler --------------------------------------------------------------------
SIGMA = np.array([[2.0, 0.6, -0.3], [0.6, 1.0, 0.4], [-0.3, 0.4, 1.5]])


@pytest.fixture(scope="module")
def wishart_draws():
    n = 12
    draws = np.array([wishart_cov(SIGMA, n, replication_rng(5, n, r)) for r in range(20000)])
    return n, draws


def test_wishart_mean_is_ml_expectation(wishart_draws):
    # E[S] = (n - 1)/n Sigma for the divisor-n covariance of n normal rows
    n, draws = wishart_draws
    mean = draws.mean(axis=0)
    mc_se = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(mean - (n - 1) / n * SIGMA) < N_SE * mc_se)
    assert not np.allclose(mean, SIGMA, atol=N_SE * mc_se.max())  # the (n-1)/n is visible


def test_wishart_variance_matches_formula(wishart_draws):
    # (n - 1) S_u ~ W_p(n - 1, Sigma): Var(S_u,ij) = (sigma_ij^2 + sigma_ii sigma_jj) / (n - 1)
    n, draws = wishart_draws
    unbiased = draws * n / (n - 1)
    d = np.diag(SIGMA)
    formula = (SIGMA**2 + np.outer(d, d)) / (n - 1)
    centered = unbiased - unbiased.mean(axis=0)
    var = (centered**2).mean(axis=0)
    # SE of a sample variance: sqrt((m4 - var^2) / M), from the draws' fourth moment
    se = np.sqrt(((centered**4).mean(axis=0) - var**2) / len(draws))
    assert np.all(np.abs(var - formula) < N_SE * se)


def test_wishart_diagonal_is_chi_square(wishart_draws):
    # (n - 1) S_u,ii / sigma_ii ~ chi^2(n - 1)
    n, draws = wishart_draws
    scaled = draws[:, 2, 2] * n / SIGMA[2, 2]
    assert stats.kstest(scaled, stats.chi2(n - 1).cdf).pvalue > 1e-3


def test_wishart_needs_p_plus_one_rows():
    assert np.all(np.linalg.eigvalsh(wishart_cov(SIGMA, 4, replication_rng(1, 4, 0))) > 0)
    with pytest.raises(ValueError, match="n >= 4"):
        wishart_cov(SIGMA, 3, replication_rng(1, 3, 0))


# --- power of one path against the analytic power ---------------------------------------------
def test_power_of_one_path_matches_analytic_power():
    """y = beta x + e with var(x) = var(y) = 1, fitted as single-indicator factors.

    Hand calculation: for the regression y = beta x + e, e ~ N(0, sigma_e^2), the expected
    Fisher information of beta from n rows is n E[x^2] / sigma_e^2 = n var_x / sigma_e^2, so
    se(n) = sqrt(sigma_e^2 / (n var_x)) = sqrt((1 - R^2) var_y / (n var_x)); with var_x =
    var_y = 1 and R^2 = beta^2, se(n) = sqrt((1 - beta^2) / n). The Wald test rejects when
    |z| > z_(1 - alpha/2), asymptotically z ~ N(beta / se(n), 1), so

        P(p < alpha)  = Phi(|beta|/se(n) - z_(1-alpha/2)) + Phi(-|beta|/se(n) - z_(1-alpha/2))
        P(supported)  = Phi(beta/se(n) - z_(1-alpha/2))          (beta > 0, expected positive)

    the second term of the first line being significance in the wrong direction.
    """
    beta, alpha, reps = 0.15, 0.05, 400
    syntax = "X =~ 1*x\nY =~ 1*y\nx ~~ 0*x\ny ~~ 0*y\nY ~ X"
    data = exact_cov_rows(np.array([[1.0, beta], [beta, 1.0]]), 500, ["x", "y"])
    refitter = Refitter(syntax, data)
    hypotheses = [{"id": "H1", "path": "Y ~ X", "expected": "positive"}]
    table = simulate_power(refitter, hypotheses, [150, 400], range(reps), seed=11, alpha=alpha)
    summary = power_summary(table, hypotheses, {"H1": beta}).set_index("n")
    crit = stats.norm.ppf(1 - alpha / 2)
    for n in (150, 400):
        se_n = np.sqrt((1 - beta**2) / n)
        supported = stats.norm.cdf(beta / se_n - crit)
        significant = supported + stats.norm.cdf(-beta / se_n - crit)
        row = summary.loc[n]
        assert row["n_converged"] == reps
        assert abs(row["power"] - supported) < 3 * np.sqrt(supported * (1 - supported) / reps)
        rejected = (table.loc[table["n"] == n, "pvalue"] < alpha).mean()
        assert abs(rejected - significant) < 3 * np.sqrt(significant * (1 - significant) / reps)
        assert abs(row["mean_se"] / se_n - 1) < 0.03
        assert abs(row["mean_est"] - beta) < N_SE * row["sd_est"] / np.sqrt(reps)
    assert 0.3 < summary.loc[150, "power"] < summary.loc[400, "power"] < 0.95  # informative


# --- chunks, convergence bookkeeping --------------------------------------------------------
def test_chunks_give_byte_identical_tables(tmp_path):
    refitter = Refitter(TWO_FACTOR_MODEL + "\nB ~ A", two_factor_data())
    hypotheses = [{"id": "H1", "path": "B ~ A", "expected": "positive"}]
    whole = simulate_power(refitter, hypotheses, [30, 80], range(7), seed=3, alpha=0.05)
    # the later chunk first, on the same refitter: refits must not depend on earlier ones
    parts = [
        simulate_power(refitter, hypotheses, [30, 80], chunk_range(c, 3, 7), 3, 0.05)
        for c in (2, 0, 1)
    ]
    write_csv(whole, tmp_path / "whole.csv")
    write_csv(combine_replications(parts), tmp_path / "chunks.csv")
    assert (tmp_path / "whole.csv").read_bytes() == (tmp_path / "chunks.csv").read_bytes()
    assert list(whole.columns) == REPLICATION_COLUMNS and len(whole) == 14


def test_failed_replications_are_counted_and_excluded():
    fail = {3, 5}

    class Flaky:  # one sample size: call r is replication r; fails at 3 and 5
        keys = pd.DataFrame({"lhs": ["Y"], "op": ["~"], "rhs": ["X"], "label": [""]})
        fit = SimpleNamespace(implied_cov=lambda: np.array([[1.0, 0.5], [0.5, 1.0]]))
        calls = 0

        def refit(self, s, n):
            self.calls += 1
            return SimpleNamespace(converged=self.calls - 1 not in fail, improper=False,
                                   est=np.array([0.5]), se=np.array([0.1]),
                                   std=np.array([0.5]))  # fmt: skip

    hypotheses = [{"id": "H1", "path": "Y ~ X", "expected": "positive"}]
    table = simulate_power(Flaky(), hypotheses, [40], range(10), seed=0, alpha=0.05)
    assert table.loc[~table["converged"], "replication"].tolist() == sorted(fail)
    assert table.loc[~table["converged"], ["est", "pvalue"]].isna().all().all()
    assert not table.loc[~table["converged"], "supported"].any()
    row = power_summary(table, hypotheses, {"H1": 0.5}).iloc[0]
    assert (row["replications"], row["n_converged"], row["power"], row["mc_se"]) == (10, 8, 1, 0)


def test_negative_hypothesis_and_too_small_n():
    refitter = Refitter(TWO_FACTOR_MODEL + "\nB ~ A", two_factor_data())
    hypotheses = [{"id": "H1", "path": "B ~ A", "expected": "negative"}]
    table = simulate_power(refitter, hypotheses, [200], range(5), seed=1, alpha=0.05)
    assert (table["est"] > 0).all() and not table["supported"].any()  # wrong sign: never
    with pytest.raises(InputError, match="at least 7"):
        simulate_power(refitter, hypotheses, [6, 200], range(2), seed=1, alpha=0.05)


# --- the bundled model ----------------------------------------------------------------------
def test_power_grows_with_n_on_the_bundled_model(tmp_path):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))
    items = [i for inds in factor_indicators(config["model"]).values() for i in inds]
    raw = pd.read_csv(ROOT / "data" / "raw" / "cai2009_survey.csv")
    data = raw.dropna(subset=items)
    data = data[data[items].ge(1).all(axis=1) & data[items].le(7).all(axis=1)]
    refitter = Refitter(config["model"], data)
    hypotheses = config["hypotheses"]
    table = simulate_power(refitter, hypotheses, [60, 200], range(40), seed=1, alpha=0.05)
    summary = power_summary(table, hypotheses, dict.fromkeys([h["id"] for h in hypotheses], 0))
    power = summary.pivot(index="id", columns="n", values="power")
    assert (power[60] <= power[200]).all() and (power[60] < power[200]).any()
    assert summary["n_converged"].min() >= 38
    figure = power_curves(summary)
    dashed = [line for ax in figure.axes for line in ax.lines if line.get_linestyle() == "--"]
    assert len(dashed) == len(hypotheses) and all(set(d.get_ydata()) == {0.8} for d in dashed)
    first = save(figure, tmp_path / "one")
    second = save(power_curves(summary), tmp_path / "two")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix


def test_power_refuses_a_study_not_estimated_by_ml(root, tmp_path, capsys):
    """The power study refits by ML on complete normal data: a FIML study is refused with a
    message naming its estimation, before any replication is written."""
    from test_nonconvergence_steps import run_script

    with pytest.raises(SystemExit) as stopped:
        run_script(
            root, tmp_path, "power_chunk_0", "power_chunk",
            {"data": "data.csv", "codebook": "codebook.json", "syntax": "model.lav"},
            {"replications": "power/replications_0.csv"},
            {"estimation": {"estimator": "MLR", "missing": "fiml"}, "seed": 1,
             "hypotheses": [], "alpha": 0.05, "sample_sizes": [50], "replications": 2,
             "chunks": 1},
            chunk="0",
        )  # fmt: skip
    assert stopped.value.code != 0
    message = capsys.readouterr().err
    assert "estimated by MLR with missing fiml" in message
    assert not (tmp_path / "power/replications_0.csv").exists()
