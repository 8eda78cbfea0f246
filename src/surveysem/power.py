"""Monte Carlo power of the hypothesis tests at planned sample sizes.

The fitted structural model is taken as the population (Muthén & Muthén 2002): its
model-implied covariance matrix ``Sigma = Sigma(theta_hat)`` generates the data and its
full-sample estimates are the population values of the hypothesized paths. For every sample
size ``n`` and replication ``r``, a sample covariance matrix is drawn, the model is refitted
by ML and each hypothesis is decided by the rule of the main analysis
(:func:`surveysem.hypotheses.is_supported`):

    z = est / se,   p = 2 (1 - Phi(|z|)),
    supported  <=>  sign(est) = expected sign  and  p < alpha

with ``se`` the ML expected-information standard error (lavaan's default). The power of a
hypothesis at ``n`` is the share of converged replications in which it is supported, with
Monte Carlo standard error::

    power = #supported / R_c,   mc_se = sqrt(power (1 - power) / R_c)

``R_c`` the number of converged replications; replications that did not converge are counted
and excluded from the denominator (Muthén & Muthén 2002 report power over completed
replications too). Improper (converged but inadmissible, e.g. a negative variance) solutions
are kept and counted, as in the bootstrap (:mod:`surveysem.sem.resampling.bootstrap`).

Drawing the sample covariance matrix
    Under multivariate normality the unbiased covariance matrix of n rows is Wishart,
    ``(n - 1) S_u ~ W_p(n - 1, Sigma)``, and single-group ML without missing data depends on
    the rows only through ``S = (n - 1)/n S_u`` (divisor n, lavaan's ``likelihood = "normal"``).
    Drawing ``S`` directly is therefore exact, not an approximation, and costs O(p^3) whatever
    ``n``: a replication at n = 100,000 costs as much as one at n = 200, where drawing n raw
    normal rows would cost O(n p^2). The draw uses the Bartlett decomposition (Smith &
    Hocking 1972; Anderson 2003, sec. 7.2): with ``Sigma = L L'`` (Cholesky) and a
    lower-triangular ``A`` with independent ``A_ii^2 ~ chi^2(n - 1 - i)`` (i = 0..p-1) and
    ``A_ij ~ N(0, 1)`` (i > j), ``W = (L A)(L A)' ~ W_p(n - 1, Sigma)``; then ``S = W / n``.
    Raw-data draws would be needed only for non-normal data, missing data or estimators that
    use the rows (MLR), which this study does not simulate.

Random numbers
    Replication ``r`` at size ``n`` uses its own generator,
    ``np.random.default_rng(np.random.SeedSequence([seed, n, r]))``, drawing first the p
    chi-squares (``Generator.chisquare``) and then the p(p-1)/2 normals of the strict lower
    triangle in row-major order (``np.tril_indices(p, -1)``). A replication depends only on
    ``(seed, n, r)``, and every refit starts afresh from the population values, so any split of
    the replications into chunks, jobs or processes gives the same results, byte for byte.

References
----------
Muthén, L. K., & Muthén, B. O. (2002). How to use a Monte Carlo study to decide on sample
size and determine power. Structural Equation Modeling, 9(4), 599-620.
https://doi.org/10.1207/S15328007SEM0904_8
Smith, W. B., & Hocking, R. R. (1972). Algorithm AS 53: Wishart variate generator. Journal of
the Royal Statistical Society C (Applied Statistics), 21(3), 341-345.
Anderson, T. W. (2003). An Introduction to Multivariate Statistical Analysis (3rd ed.). Wiley.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

import numpy as np
import pandas as pd

from surveysem.errors import InputError
from surveysem.hypotheses import is_supported, path_position, split_path
from surveysem.sem.results.estimates import add_wald_columns

REPLICATION_COLUMNS = [
    "n", "replication", "id", "converged", "improper", "est", "se", "z", "pvalue", "supported",
]  # fmt: skip
SUMMARY_COLUMNS = [
    "id", "path", "expected", "n", "population", "replications", "n_converged", "n_improper",
    "power", "mc_se", "mean_est", "sd_est", "mean_se",
]  # fmt: skip


class RefitterLike(Protocol):
    """What :func:`simulate_power` needs of :class:`surveysem.sem.resampling.refit.Refitter`."""

    keys: pd.DataFrame
    fit: object

    def refit(self, s: np.ndarray, n: int): ...


def replication_rng(seed: int, n: int, replication: int) -> np.random.Generator:
    """The generator of replication `replication` at sample size `n`: SeedSequence([seed, n, r])."""
    if min(int(seed), int(n), int(replication)) < 0:
        raise ValueError("seed, n and replication must be non-negative integers")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(n), int(replication)]))


def wishart_cov(sigma: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """The ML (divisor n) covariance matrix of n multivariate normal rows with covariance
    `sigma`, drawn as ``S = W / n`` with ``W ~ W_p(n - 1, sigma)`` (Bartlett decomposition).

    ``E[S] = (n - 1)/n sigma`` and ``Var(n S_ij / (n - 1)) = (sigma_ij^2 + sigma_ii sigma_jj)
    / (n - 1)``. Needs ``n >= p + 1`` so that S is positive definite. See the module docstring
    for the order of the random numbers.

    Parameters
    ----------
    sigma : (p, p) symmetric positive definite population covariance matrix.
    n : sample size.
    rng : numpy Generator (see :func:`replication_rng`).

    Returns
    -------
    numpy.ndarray
        (p, p) symmetric sample covariance matrix with divisor n.

    Examples
    --------
    >>> s = wishart_cov(np.array([[1.0, 0.5], [0.5, 1.0]]), 200, replication_rng(1, 200, 0))
    >>> s.shape, bool(np.array_equal(s, s.T)), bool(np.all(np.linalg.eigvalsh(s) > 0))
    ((2, 2), True, True)
    """
    sigma = np.asarray(sigma, dtype=float)
    p = sigma.shape[0]
    if n < p + 1:
        raise ValueError(f"n = {n} is too small: a {p}-variable covariance needs n >= {p + 1}")
    chol = np.linalg.cholesky(sigma)
    a = np.zeros((p, p))
    a[np.diag_indices(p)] = np.sqrt(rng.chisquare(n - 1 - np.arange(p)))
    a[np.tril_indices(p, -1)] = rng.standard_normal(p * (p - 1) // 2)
    b = chol @ a
    w = b @ b.T
    return (w + w.T) / (2 * n)


def check_sample_sizes(sample_sizes: Sequence[int], p: int) -> None:
    """Raise InputError unless every planned sample size is at least p + 1 (p observed
    variables), the smallest n with a positive definite sample covariance matrix."""
    small = [int(n) for n in sample_sizes if int(n) < p + 1]
    if small:
        raise InputError(
            f"power.sample_sizes {small} are too small: the model has {p} observed variables, "
            f"so every sample size must be at least {p + 1}; raise them in the config"
        )


def simulate_power(
    refitter: RefitterLike,
    hypotheses: list[dict],
    sample_sizes: Iterable[int],
    replications: Iterable[int],
    seed: int,
    alpha: float,
) -> pd.DataFrame:
    """Per-replication hypothesis tests of a Monte Carlo power study (see the module docstring).

    Parameters
    ----------
    refitter : :class:`surveysem.sem.resampling.refit.Refitter` of the model on the full sample; its
        model-implied covariance matrix is the population.
    hypotheses : the config's list of {id, path, expected}.
    sample_sizes : sample sizes n (each at least the number of observed variables + 1).
    replications : replication indices r (distinct, non-negative); the same r at the same n
        always gives the same result.
    seed : root seed (the config's `seed`).
    alpha : significance level of the decision rule.

    Returns
    -------
    pandas.DataFrame
        One row per (n, replication, hypothesis), ordered by n, replication and the order of
        `hypotheses`: ``n, replication, id, converged, improper, est, se, z, pvalue,
        supported``. Replications that did not converge have NaN est/se/z/pvalue and
        ``supported = False``.

    Examples
    --------
    A toy "refitter" for y = 0.3 x + e (standardized): the ML slope and its standard error
    from S, ``b = s_xy / s_xx``, ``se = sqrt((s_yy - b s_xy) / (n s_xx))``.

    >>> from types import SimpleNamespace
    >>> class Slope:
    ...     keys = pd.DataFrame({"lhs": ["Y"], "op": ["~"], "rhs": ["X"], "label": [""]})
    ...     fit = SimpleNamespace(implied_cov=lambda: np.array([[1.0, 0.3], [0.3, 1.0]]))
    ...     def refit(self, s, n):
    ...         b = s[0, 1] / s[0, 0]
    ...         se = np.sqrt((s[1, 1] - b * s[0, 1]) / (n * s[0, 0]))
    ...         return SimpleNamespace(converged=True, improper=False, est=np.array([b]),
    ...             se=np.array([se]), std=np.array([np.nan]))
    >>> hyp = [{"id": "H1", "path": "Y ~ X", "expected": "positive"}]
    >>> out = simulate_power(Slope(), hyp, [50, 400], range(200), seed=1, alpha=0.05)
    >>> out.groupby("n")["supported"].mean().round(2).to_dict()
    {50: 0.65, 400: 1.0}
    """
    sizes = [int(n) for n in sample_sizes]
    ids = [int(r) for r in replications]
    if any(r < 0 for r in ids) or len(set(ids)) != len(ids):
        raise ValueError("replications must be distinct non-negative integers")
    sigma = np.asarray(refitter.fit.implied_cov(), dtype=float)
    check_sample_sizes(sizes, sigma.shape[0])
    rows = np.array([path_position(refitter.keys, h) for h in hypotheses], dtype=int)
    k = len(rows)
    conv, improper, est, se = [], [], [], []
    for n in sizes:
        for r in ids:
            out = refitter.refit(wishart_cov(sigma, n, replication_rng(seed, n, r)), n)
            ok = bool(out.converged)
            conv.append(ok)
            improper.append(ok and bool(out.improper))
            est.append(np.asarray(out.est, dtype=float)[rows] if ok else np.full(k, np.nan))
            se.append(np.asarray(out.se, dtype=float)[rows] if ok else np.full(k, np.nan))
    table = pd.DataFrame(
        {
            "n": np.repeat(np.repeat(sizes, len(ids)), k).astype(np.int64),
            "replication": np.repeat(np.tile(ids, len(sizes)), k).astype(np.int64),
            "id": np.tile([h["id"] for h in hypotheses], len(sizes) * len(ids)),
            "converged": np.repeat(conv, k).astype(bool),
            "improper": np.repeat(improper, k).astype(bool),
            "est": np.concatenate(est) if est else np.array([], dtype=float),
            "se": np.concatenate(se) if se else np.array([], dtype=float),
        }
    )
    add_wald_columns(table, 1 - alpha)  # z and pvalue exactly as in parameter_estimates
    expected = table["id"].map({h["id"]: h["expected"] for h in hypotheses})
    table["supported"] = np.zeros(len(table), dtype=bool)
    for direction in ("positive", "negative"):
        pick = (expected == direction).to_numpy()
        table.loc[pick, "supported"] = is_supported(
            table.loc[pick, "est"].to_numpy(), table.loc[pick, "pvalue"].to_numpy(), direction,
            alpha,
        )  # fmt: skip
    return table[REPLICATION_COLUMNS]


def combine_replications(tables: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """Chunks of :func:`simulate_power` output as one table in the order of a single run."""
    table = pd.concat(list(tables), ignore_index=True)
    return table.sort_values(["n", "replication"], kind="stable").reset_index(drop=True)


def power_summary(
    table: pd.DataFrame, hypotheses: list[dict], population: dict[str, float]
) -> pd.DataFrame:
    """Power per hypothesis and sample size from :func:`simulate_power` output.

    ``power`` is the share of converged replications in which the hypothesis is supported and
    ``mc_se = sqrt(power (1 - power) / n_converged)``; ``mean_est``, ``sd_est`` (divisor
    R_c - 1) and ``mean_se`` over the converged replications compare the estimates with the
    `population` value and the standard errors with the spread of the estimates (Muthén &
    Muthén 2002, their criteria of parameter and SE bias).

    Examples
    --------
    >>> table = pd.DataFrame({"n": [100] * 5, "replication": range(5), "id": ["H1"] * 5,
    ...     "converged": [True] * 4 + [False], "improper": [False] * 5,
    ...     "est": [0.3, 0.2, 0.4, 0.1, np.nan], "se": [0.1] * 4 + [np.nan],
    ...     "supported": [True, True, True, False, False]})
    >>> hyp = [{"id": "H1", "path": "Y ~ X", "expected": "positive"}]
    >>> power_summary(table, hyp, {"H1": 0.25})[["n", "n_converged", "power", "mc_se"]].round(4)
         n  n_converged  power   mc_se
    0  100            4   0.75  0.2165
    """
    rows = []
    for hypothesis in hypotheses:
        lhs, rhs = split_path(hypothesis["path"])
        mine = table[table["id"] == hypothesis["id"]]
        for n, group in mine.groupby("n", sort=True):
            ok = group[group["converged"]]
            r_c = len(ok)
            power = float(ok["supported"].mean()) if r_c else np.nan
            rows.append(
                {
                    "id": hypothesis["id"],
                    "path": f"{rhs} -> {lhs}",
                    "expected": hypothesis["expected"],
                    "n": int(n),
                    "population": float(population[hypothesis["id"]]),
                    "replications": len(group),
                    "n_converged": r_c,
                    "n_improper": int(ok["improper"].sum()),
                    "power": power,
                    "mc_se": float(np.sqrt(power * (1 - power) / r_c)) if r_c else np.nan,
                    "mean_est": float(ok["est"].mean()) if r_c else np.nan,
                    "sd_est": float(ok["est"].std(ddof=1)) if r_c > 1 else np.nan,
                    "mean_se": float(ok["se"].mean()) if r_c else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def smallest_adequate_n(summary: pd.DataFrame, target: float = 0.80) -> dict[str, int | None]:
    """Per hypothesis, the smallest simulated n whose estimated power reaches `target`
    (None when none does).

    >>> summary = pd.DataFrame({"id": ["H1"] * 3, "n": [100, 200, 300],
    ...     "power": [0.5, 0.85, 0.97]})
    >>> smallest_adequate_n(summary)
    {'H1': 200}
    """
    out: dict[str, int | None] = {}
    for hypothesis, group in summary.groupby("id", sort=False):
        enough = group.loc[group["power"] >= target, "n"]
        out[str(hypothesis)] = int(enough.min()) if len(enough) else None
    return out
