"""Nonparametric (case-resampling) bootstrap and jackknife of a lavaan-syntax SEM.

Every bootstrap draw resamples the n complete rows with replacement, refits the model by ML
and records the estimate (``est``) and the completely standardized value (``std.all``) of
every parameter-table row, ``:=`` defined parameters included (e.g. indirect effects). This is
lavaan's ``se = "bootstrap"`` / ``bootstrapLavaan(type = "ordinary")`` (Bollen & Stine 1990;
Efron & Tibshirani 1993, ch. 6), extended to standardized values.

Random numbers
    Draw ``i`` uses its own generator, ``np.random.default_rng(np.random.SeedSequence([seed,
    i]))``, and the rows ``rng.integers(0, n, n)`` (:func:`resample_indices`). A draw therefore
    depends only on ``(seed, i)``: any split of the draw indices into chunks, jobs or processes
    gives the same draws, byte for byte.

Refits
    Each draw refits the model to the covariance matrix of its rows with
    :class:`surveysem.sem.resampling.refit.Refitter`: Newton-Raphson with exact derivatives,
    starting afresh from the full-sample estimates (warm start, draws never chain), as lavaan
    does; see :mod:`surveysem.sem.resampling.refit` for the derivatives, the stopping rule and
    the retry of a refit that does not converge (then Fisher scoring from the full-sample
    estimates). A draw whose refits do not converge is *failed*.

Failed and improper draws (lavaan's convention, ``lav_bootstrap.R`` and
``parameterEstimates``, lavaan 0.6-14)
    * failed (no convergence, singular resampled covariance matrix): ``converged = False``,
      NaN values. :func:`bootstrap_ci` excludes them and counts them (``n_failed``); lavaan
      drops them too (``error.idx``) and warns.
    * improper (converged, but :func:`~surveysem.sem.solution_problems` is non-empty, e.g. a
      negative variance): ``improper = True``. They are **kept** and counted (``n_improper``),
      as lavaan keeps its "nonadmissible" draws and only warns. ``drop_improper=True`` gives the
      sensitivity analysis without them. ``solution_problems`` checks a little more than
      lavaan's ``post.check`` (also zero-bound variances, a non-positive-definite Sigma and
      standardized covariances beyond +/-1), which in practice coincide with it.

Confidence intervals (:func:`bootstrap_ci`)
    percentile ``(t*_(alpha/2), t*_(1 - alpha/2))`` and BCa (bias-corrected and accelerated,
    Efron 1987; Efron & Tibshirani 1993, sec. 14.3)::

        z0 = Phi^-1( #{t*_b < t_hat} / B )
        a  = sum_i (t_(.) - t_(i))^3 / (6 [sum_i (t_(.) - t_(i))^2]^(3/2))      (jackknife)
        alpha_1 = Phi(z0 + (z0 + z_(alpha/2))   / (1 - a (z0 + z_(alpha/2))))
        alpha_2 = Phi(z0 + (z0 + z_(1-alpha/2)) / (1 - a (z0 + z_(1-alpha/2))))
        BCa interval = (t*_(alpha_1), t*_(alpha_2))

    with ``t_(i)`` the leave-one-out (jackknife) estimates and ``t_(.)`` their mean
    (:func:`jackknife_estimates`; costs n refits). Without a jackknife ``a = 0`` (the
    bias-corrected interval, lavaan's ``boot.ci.type = "bca.simple"``). lavaan's own ``"bca"``
    estimates ``a`` from the bootstrap draws by regression instead of a jackknife.
    Quantiles ``t*_(q)`` are those of lavaan and the R package boot (``norm.inter``):
    the order statistic ``(B + 1) q``, interpolated on the normal-quantile scale between
    neighbours (Davison & Hinkley 1997, eq. 5.8). The bootstrap SE is the SD of the draws with
    divisor B, as lavaan's ``se = "bootstrap"``.

References
----------
Bollen, K. A., & Stine, R. A. (1990). Direct and indirect effects: Classical and bootstrap
estimates of variability. Sociological Methodology, 20, 115-140.
Efron, B. (1987). Better bootstrap confidence intervals. JASA, 82(397), 171-185.
Efron, B., & Tibshirani, R. J. (1993). An Introduction to the Bootstrap. Chapman & Hall.
Davison, A. C., & Hinkley, D. V. (1997). Bootstrap Methods and their Application. CUP.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.errors import InputError
from surveysem.sem.entry import fit
from surveysem.sem.errors import ConvergenceError
from surveysem.sem.resampling.refit import Refit, Refitter

KEY = ["lhs", "op", "rhs"]
DRAW_COLUMNS = ["draw", "converged", "improper", "lhs", "op", "rhs", "label", "est", "std.all"]
#: The columns of :func:`bootstrap_ci` that draws too few to trust leave NaN.
INTERVAL_COLUMNS = [
    "boot.se", "perc.lower", "perc.upper", "bca.lower", "bca.upper", "z0", "acceleration",
]  # fmt: skip
#: Attempted draws after which :func:`bootstrap_draws` first checks the share of failed draws.
MIN_ATTEMPTS = 50


def resample_indices(n: int, draw: int, seed: int) -> np.ndarray:
    """Row positions (0-based) of bootstrap draw ``draw``: n draws with replacement from n rows.

    The generator is ``np.random.default_rng(np.random.SeedSequence([seed, draw]))``, so a draw
    depends only on ``(seed, draw)``.

    Examples
    --------
    >>> resample_indices(5, draw=0, seed=1)
    array([2, 2, 3, 4, 0])
    """
    if int(seed) < 0 or int(draw) < 0:
        raise ValueError("seed and draw must be non-negative integers")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(draw)]))
    return rng.integers(0, n, size=n)


def too_many_failed(failed: int, attempted: int, max_failed_share: float | None) -> bool:
    """Whether more than ``max_failed_share`` of the attempted refits failed (None: no limit).

    >>> too_many_failed(26, 50, 0.5), too_many_failed(25, 50, 0.5), too_many_failed(9, 9, None)
    (True, False, False)
    """
    return max_failed_share is not None and attempted > 0 and failed > max_failed_share * attempted


def _refit_all(
    keys: pd.DataFrame,
    refits: Iterable[tuple[int, Refit]],
    id_name: str,
    stop_after: int | None = None,
    max_failed_share: float | None = None,
) -> pd.DataFrame:
    """The long table of bootstrap_draws from (id, refit) pairs, made one at a time.

    From ``stop_after`` attempted refits on, the loop stops as soon as more than
    ``max_failed_share`` of them failed (:func:`too_many_failed`).
    """
    ids, conv, imp, est, std = [], [], [], [], []
    for i, out in refits:
        ids.append(i)
        conv.append(out.converged)
        imp.append(out.improper)
        est.append(out.est)
        std.append(out.std)
        if stop_after is not None and len(ids) >= stop_after:
            if too_many_failed(len(ids) - sum(conv), len(ids), max_failed_share):
                break
    return _long_table(keys, id_name, ids, conv, imp, est, std)


class FitRefitter:
    """Refits a model with :func:`surveysem.sem.fit` on rows of the data: the refits of
    estimation options without a fast covariance-matrix refit (GLS, ULS, FIML, WLSMV).

    Each refit is a full fit from the default start values (not a warm start), so it costs
    what the main fit costs. A refit that raises a data error (e.g. a resample in which an
    ordinal item has one category) or does not converge is failed; a converged one is
    improper when :func:`~surveysem.sem.estimates_report` finds a problem.

    Attributes
    ----------
    keys, values : as :class:`~surveysem.sem.resampling.refit.Refitter` (``values`` may hold
        NaN under FIML).
    """

    def __init__(self, syntax: str, data: pd.DataFrame, estimation: dict):
        base = fit(syntax, data, **estimation)
        if not base.converged:
            raise ConvergenceError(
                "the model did not converge on the full sample, so it cannot be refitted to "
                f"resamples: {base.solution['message']}"
            )
        self.syntax, self.estimation = syntax, estimation
        self.data = data.reset_index(drop=True)
        self.values = self.data.to_numpy()
        self.keys = base.estimates[["lhs", "op", "rhs", "label"]].reset_index(drop=True)

    def refit_rows(self, rows: np.ndarray) -> Refit:
        failed = Refit(
            False, False, np.full(len(self.keys), np.nan), None, np.full(len(self.keys), np.nan)
        )
        try:
            out = fit(self.syntax, self.data.iloc[rows], **self.estimation)
        except InputError:
            return failed
        if not out.converged or len(out.estimates) != len(self.keys):
            return failed
        est = out.estimates
        return Refit(True, not out.solution["admissible"], est["est"].to_numpy(), None,
                     est["std.all"].to_numpy())  # fmt: skip


def refit_engine(
    syntax: str, data: pd.DataFrame, estimation: dict | None = None, nonnegative_variances=False
) -> Refitter | FitRefitter:
    """The refit machinery for a model and its estimation options (:func:`surveysem.sem.fit`
    keywords): the fast :class:`~surveysem.sem.resampling.refit.Refitter` for unweighted ML and
    MLR with listwise deletion (MLR's estimates are ML's, and the bootstrap resamples estimates, not
    SEs), else
    :class:`FitRefitter`. Raises ConvergenceError when the full-sample fit did not converge."""
    options = dict(estimation or {})
    fast = (
        options.get("estimator", "ML") in ("ML", "MLR")
        and options.get("missing", "listwise") == "listwise"
        and not options.get("ordered")
        and not options.get("sampling_weights")
    )
    if fast:
        return Refitter(syntax, data, nonnegative_variances=nonnegative_variances)
    return FitRefitter(syntax, data, options)


def _long_table(keys: pd.DataFrame, id_name: str, ids, conv, imp, est, std) -> pd.DataFrame:
    k = len(keys)
    out = pd.DataFrame(
        {
            id_name: np.repeat(np.asarray(ids, dtype=np.int64), k),
            "converged": np.repeat(np.asarray(conv, dtype=bool), k),
            "improper": np.repeat(np.asarray(imp, dtype=bool), k),
        }
    )
    out = pd.concat(
        [out, keys.iloc[np.tile(np.arange(k), len(ids))].reset_index(drop=True)], axis=1
    )
    out["est"] = np.concatenate(est) if est else np.array([], dtype=float)
    out["std.all"] = np.concatenate(std) if std else np.array([], dtype=float)
    return out


def _draw_ids(draws: range | Sequence[int]) -> list[int]:
    ids = [int(i) for i in draws]
    if any(i < 0 for i in ids) or len(set(ids)) != len(ids):
        raise ValueError("draws must be distinct non-negative integers")
    return ids


def refit_resamples(
    syntax: str,
    data: pd.DataFrame,
    samples: Sequence[Sequence[int]],
    *,
    nonnegative_variances: bool = False,
) -> pd.DataFrame:
    """Refit a model on given row subsets of ``data`` (e.g. bootstrap indices made elsewhere).

    ``samples[b]`` holds 0-based row positions (repeats allowed). The result has the layout of
    :func:`bootstrap_draws`, with ``draw = b``. In the example, draw 0 uses every row (the
    full-sample fit) and draw 1 the first half. Used to compare with lavaan draw by draw
    (``bootstrapLavaan(..., keep.idx = TRUE)``).

    Examples
    --------
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> out = refit_resamples(TWO_FACTOR_MODEL, data, [range(300), range(150)])
    >>> out.query("op == '=~' and rhs == 'a2'")[["draw", "lhs", "rhs", "est", "std.all"]].round(3)
        draw lhs rhs    est  std.all
    1      0   A  a2  0.835    0.749
    16     1   A  a2  0.908    0.777
    """
    engine = Refitter(syntax, data, nonnegative_variances=nonnegative_variances)
    n = len(engine.values)
    arrays = []
    for rows in samples:
        arr = np.asarray(rows, dtype=np.int64)
        if arr.ndim != 1 or arr.size == 0 or arr.min() < 0 or arr.max() >= n:
            raise ValueError(f"every sample must list row positions in 0..{n - 1}")
        arrays.append(arr)
    return _refit_all(
        engine.keys, ((b, engine.refit_rows(a)) for b, a in enumerate(arrays)), "draw"
    )


def bootstrap_draws(
    syntax: str,
    data: pd.DataFrame,
    draws: range | Sequence[int],
    seed: int,
    *,
    estimation: dict | None = None,
    nonnegative_variances: bool = False,
    max_failed_share: float | None = None,
    min_attempts: int = MIN_ATTEMPTS,
) -> pd.DataFrame:
    """Nonparametric bootstrap draws of every parameter of a model (est and std.all).

    For each draw index ``i`` the n complete rows are resampled with replacement using
    ``np.random.default_rng(np.random.SeedSequence([seed, i]))`` (:func:`resample_indices`)
    and the model is refitted with ``estimation`` (:func:`refit_engine`: by ML from the
    full-sample estimates for ML and MLR, by :func:`surveysem.sem.fit` otherwise). Splitting
    ``draws`` into chunks (jobs) gives the same rows as one call; concatenate the chunks in
    draw order. Conventions for failed and improper draws: module docstring.

    With ``max_failed_share`` the draws stop early, deterministically, once at least
    ``min(min_attempts, len(draws))`` draws were attempted and more than that share of them
    failed: a model that fails on most resamples (e.g. an empirically under-identified one)
    gives no usable interval, and every failed draw costs the most refit iterations. A model
    that did not converge on the full sample is not bootstrapped at all (no rows).

    Cost: one ML refit per draw (a few ms for small models; see the module docstring), or one
    full fit per draw for the other estimation options. No processes are spawned:
    parallelize by splitting ``draws``.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``:=`` rows are bootstrapped too).
    data : pandas.DataFrame
        The rows the model is fitted to (complete rows unless ``estimation`` is FIML).
    draws : range or sequence of int
        Draw indices (distinct, non-negative), e.g. ``range(0, 1000)``.
    seed : int
        Non-negative base seed.
    estimation : dict or None, keyword-only
        Keywords of :func:`surveysem.sem.fit` (estimator, missing, ordered); None is ML.
    nonnegative_variances : bool, keyword-only
        Bound variances at 0 in every refit (default False, as lavaan; ML refits only).
    max_failed_share : float or None, keyword-only
        Stop once more than this share of the attempted draws failed (None: never stop).
    min_attempts : int, keyword-only
        Draws attempted before the share is first checked (default :data:`MIN_ATTEMPTS`).

    Returns
    -------
    pandas.DataFrame
        Long (tidy) table, one row per attempted draw and parameter, columns ``draw,
        converged, improper, lhs, op, rhs, label, est, std.all``; draws in the given order,
        parameters in :func:`~surveysem.sem.parameter_estimates` order. Failed draws have NaN
        values. ``attrs["status"]`` holds :func:`bootstrap_status`: requested, attempted,
        failed and improper draws, ``stopped_early`` and the ``reason`` why the draws give no
        interval ("" when they do).

    References
    ----------
    Bollen & Stine (1990), Sociological Methodology 20; Efron & Tibshirani (1993), An
    Introduction to the Bootstrap, ch. 6.

    Examples
    --------
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> boot = bootstrap_draws(TWO_FACTOR_MODEL, two_factor_data(), range(3), seed=1)
    >>> boot.shape, list(boot.columns)
    ((45, 9), ['draw', 'converged', 'improper', 'lhs', 'op', 'rhs', 'label', 'est', 'std.all'])
    >>> boot.query("lhs == 'A' and rhs == 'B'")[["draw", "converged", "est"]].round(3)
        draw  converged    est
    14     0       True  0.520
    29     1       True  0.435
    44     2       True  0.594
    >>> boot.attrs["status"]["attempted"], boot.attrs["status"]["stopped_early"]
    (3, False)
    """
    ids = _draw_ids(draws)
    try:
        engine = refit_engine(syntax, data, estimation, nonnegative_variances)
    except ConvergenceError as error:
        table = pd.DataFrame(columns=DRAW_COLUMNS)
        table.attrs["status"] = bootstrap_status(table, len(ids), str(error))
        return table
    n = len(engine.values)
    refits = ((i, engine.refit_rows(resample_indices(n, i, seed))) for i in ids)
    stop_after = min(min_attempts, len(ids))
    table = _refit_all(engine.keys, refits, "draw", stop_after, max_failed_share)
    status = bootstrap_status(table, len(ids))
    if too_many_failed(status["failed"], status["attempted"], max_failed_share):
        stopped = f"; the draws stopped after {status['attempted']} of {len(ids)}"
        status["reason"] = (
            f"{status['failed']} of {status['attempted']} attempted bootstrap draws failed, more "
            f"than bootstrap.max_failed_share = {max_failed_share:g} of them"
            f"{stopped if status['stopped_early'] else ''}, so they give no confidence interval"
        )
    table.attrs["status"] = status
    return table


def bootstrap_status(table: pd.DataFrame, requested: int, reason: str = "") -> dict:
    """What became of the requested draws of a :func:`bootstrap_draws` table.

    Returns ``{"requested", "attempted", "failed", "improper", "stopped_early", "reason"}``:
    draws requested and attempted, attempted draws that failed, converged draws that are
    improper, whether fewer were attempted than requested, and why the draws give no
    interval ("" when they do).

    >>> bootstrap_status(pd.DataFrame(columns=DRAW_COLUMNS), 10, "no fit")["stopped_early"]
    True
    """
    per_draw = table.drop_duplicates("draw")
    converged = per_draw["converged"].astype(bool)
    return {
        "requested": int(requested),
        "attempted": len(per_draw),
        "failed": int((~converged).sum()),
        "improper": int((converged & per_draw["improper"].astype(bool)).sum()),
        "stopped_early": len(per_draw) < requested,
        "reason": reason,
    }


def combine_status(statuses: Iterable[dict]) -> dict:
    """The :func:`bootstrap_status` of several chunks of one bootstrap, summed.

    ``reason`` joins the chunks' distinct reasons; the bootstrap gives no interval when it is
    not empty.

    >>> a = {"requested": 5, "attempted": 5, "failed": 0, "improper": 1, "stopped_early": False,
    ...      "reason": ""}
    >>> combine_status([a, a | {"attempted": 3, "stopped_early": True, "reason": "too many"}])
    {'requested': 10, 'attempted': 8, 'failed': 0, 'improper': 2, 'stopped_early': True, \
'reason': 'too many'}
    """
    statuses = list(statuses)
    counts = ("requested", "attempted", "failed", "improper")
    out = {key: sum(s[key] for s in statuses) for key in counts}
    out["stopped_early"] = any(s["stopped_early"] for s in statuses)
    out["reason"] = "; ".join(dict.fromkeys(s["reason"] for s in statuses if s["reason"]))
    return out


def jackknife_groups(n: int, groups: int | None, seed: int) -> np.ndarray:
    """Group (0-based) of each of n rows for the jackknife.

    With ``groups`` None or at least n, row i is group i (leave-one-out). Otherwise the rows
    are shuffled with ``np.random.default_rng(np.random.SeedSequence([seed, n, groups]))`` and
    dealt into ``groups`` groups whose sizes differ by at most one.

    Examples
    --------
    >>> jackknife_groups(4, None, seed=1)
    array([0, 1, 2, 3])
    >>> np.bincount(jackknife_groups(10, 3, seed=1)).tolist()
    [4, 3, 3]
    """
    if groups is None or groups >= n:
        return np.arange(n)
    if groups < 2:
        raise ValueError("the jackknife needs at least 2 groups")
    rng = np.random.default_rng(np.random.SeedSequence([int(seed), int(n), int(groups)]))
    out = np.empty(n, dtype=np.int64)
    out[rng.permutation(n)] = np.arange(n) % groups
    return out


def jackknife_estimates(
    syntax: str,
    data: pd.DataFrame,
    *,
    groups: int | None = None,
    seed: int = 0,
    estimation: dict | None = None,
    nonnegative_variances: bool = False,
) -> pd.DataFrame:
    """Jackknife estimates of every parameter (est and std.all), for the BCa acceleration.

    Leave-one-out by default: n refits, each without one complete row. With ``groups`` < n,
    the delete-d (grouped) jackknife: the rows are dealt at random into ``groups`` groups
    (:func:`jackknife_groups`) and each refit leaves out one group, so the cost is ``groups``
    refits whatever n. The acceleration (module docstring) is computed from either kind of
    jackknife values in the same way.

    Refits use ``estimation`` as :func:`bootstrap_draws` does. For the ML refits the
    covariance matrix without the left-out rows G is a downdate of the full one, not a new
    pass over the data: with Z the rows centred at the full-sample mean, A = Z'Z and
    n' = n - |G|, ``S_(-G) = (A - Z_G'Z_G) / n' - zbar zbar'`` with ``zbar = -sum_G z / n'``.

    Returns
    -------
    pandas.DataFrame
        As :func:`bootstrap_draws`, with ``group`` (0-based index of the left-out group; in
        leave-one-out, the position of the left-out row) instead of ``draw``; no rows when
        the model did not converge on the full sample.

    References
    ----------
    Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 11 (the jackknife, also
    delete-d) and eq. 14.15 (the acceleration).

    Examples
    --------
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> jack = jackknife_estimates(TWO_FACTOR_MODEL, two_factor_data(n=40))
    >>> jack["group"].nunique(), bool(jack["converged"].all())
    (40, True)
    >>> jackknife_estimates(TWO_FACTOR_MODEL, two_factor_data(n=40), groups=8)["group"].nunique()
    8
    """
    try:
        engine = refit_engine(syntax, data, estimation, nonnegative_variances)
    except ConvergenceError:
        return pd.DataFrame(columns=["group", *DRAW_COLUMNS[1:]])
    n = len(engine.values)
    labels = jackknife_groups(n, groups, seed)
    left_out = range(int(labels.max()) + 1)
    if isinstance(engine, FitRefitter):
        refits = ((g, engine.refit_rows(np.flatnonzero(labels != g))) for g in left_out)
        return _refit_all(engine.keys, refits, "group")
    z = engine.values - engine.values.mean(axis=0)
    cross = z.T @ z

    def downdate(g: int) -> tuple[int, Refit]:
        zg = z[labels == g]
        kept = n - len(zg)
        zbar = -zg.sum(axis=0) / kept
        return g, engine.refit((cross - zg.T @ zg) / kept - np.outer(zbar, zbar), kept)

    return _refit_all(engine.keys, map(downdate, left_out), "group")


def status_warnings(status: dict) -> list[str]:
    """Sentences for a reader about failed draws and unusable intervals (a
    :func:`bootstrap_status` or :func:`combine_status`).

    >>> status_warnings({"requested": 100, "attempted": 100, "failed": 2, "improper": 0,
    ...                  "stopped_early": False, "reason": ""})
    ['2 of 100 attempted bootstrap draws failed (did not converge); the intervals leave them out.']
    """
    out = []
    if status["failed"]:
        out.append(
            f"{status['failed']} of {status['attempted']} attempted bootstrap draws failed (did "
            "not converge); the intervals leave them out."
        )
    if status["reason"]:
        out.append(f"The bootstrap intervals are empty: {status['reason']}.")
    return out


def _norm_inter(t: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """Quantiles of ``t`` at ``alpha`` as R boot's (and lavaan's) ``norm.inter``.

    Order statistic k = floor((R + 1) alpha); non-integer (R + 1) alpha is interpolated
    between t_(k) and t_(k+1) linearly in Phi^-1 (Davison & Hinkley 1997, eq. 5.8); k = 0 and
    k = R give the extremes.
    """
    t = np.sort(t[np.isfinite(t)])
    r = len(t)
    out = np.full(len(alpha), np.nan)
    if r == 0:
        return out
    for j, a in enumerate(alpha):
        if not np.isfinite(a):
            continue
        rk = (r + 1) * a
        k = int(np.floor(rk))
        if k <= 0:
            out[j] = t[0]
        elif k >= r:
            out[j] = t[r - 1]
        elif k == rk:
            out[j] = t[k - 1]
        else:
            z, zk, zk1 = stats.norm.ppf([a, k / (r + 1), (k + 1) / (r + 1)])
            out[j] = t[k - 1] + (z - zk) / (zk1 - zk) * (t[k] - t[k - 1])
    return out


def _acceleration(jack: np.ndarray) -> float:
    """Efron & Tibshirani (1993) eq. 14.15 from jackknife values (NaN-free)."""
    d = np.mean(jack) - jack
    den = 6.0 * np.sum(d**2) ** 1.5
    return float(np.sum(d**3) / den) if den > 0 else 0.0


def bootstrap_ci(
    draws_table: pd.DataFrame,
    estimates: pd.DataFrame,
    level: float = 0.95,
    jackknife: pd.DataFrame | None = None,
    *,
    statistic: str = "est",
    drop_improper: bool = False,
    unusable: str = "",
) -> pd.DataFrame:
    """Percentile and BCa bootstrap confidence intervals of every parameter.

    Formulas (z0, acceleration, quantile rule, SE) and the treatment of failed/improper draws:
    module docstring. Per parameter, draws with a non-finite value (failed draws, or e.g. a
    std.all that is undefined because of a negative variance) are left out, as lavaan does.
    If all draws equal the estimate (a fixed parameter) both intervals are ``(est, est)``; if
    the estimate lies outside the range of the draws, z0 is infinite and the BCa interval NaN.

    Parameters
    ----------
    draws_table : pandas.DataFrame
        Output of :func:`bootstrap_draws` (possibly several chunks concatenated).
    estimates : pandas.DataFrame
        :func:`~surveysem.sem.parameter_estimates` of the full-sample fit (point estimates;
        its row order is kept).
    level : float
        Confidence level.
    jackknife : pandas.DataFrame, optional
        Output of :func:`jackknife_estimates`, for the BCa acceleration. Without it ``a = 0``
        (bias-corrected interval, lavaan ``"bca.simple"``). Failed leave-one-out fits are left
        out of the acceleration.
    statistic : {"est", "std.all"}
        Which value to bootstrap.
    drop_improper : bool
        Leave out improper draws too (default False: kept, as lavaan).
    unusable : str
        Why the draws give no interval at all (the ``reason`` of :func:`combine_status`,
        e.g. too many failed draws); then every interval, SE, z0 and acceleration is NaN
        and ``note`` says why. Default "": the draws are usable.

    Returns
    -------
    pandas.DataFrame
        ``lhs, op, rhs, label, <statistic>, boot.se, perc.lower, perc.upper, bca.lower,
        bca.upper, z0, acceleration, n_draws, n_used, n_failed, n_improper, note``
        (``n_draws``: draws in the table; ``n_used``: values used for this parameter;
        ``n_improper``: improper among the converged draws, whether used or not; ``note``:
        why the interval is NaN, "" when it is not or when a parameter has no usable value).

    References
    ----------
    Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 13-14 (eq. 14.9-14.15);
    Davison & Hinkley (1997), eq. 5.8; lavaan ``parameterEstimates(boot.ci.type = ...)``.

    Examples
    --------
    >>> from surveysem.sem import fit_model, parameter_estimates
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data(n=60)
    >>> pe = parameter_estimates(fit_model(TWO_FACTOR_MODEL, data))
    >>> boot = bootstrap_draws(TWO_FACTOR_MODEL, data, range(20), seed=1)
    >>> ci = bootstrap_ci(boot, pe, jackknife=jackknife_estimates(TWO_FACTOR_MODEL, data))
    >>> cols = ["lhs", "op", "rhs", "est", "perc.lower", "perc.upper", "bca.lower", "bca.upper"]
    >>> ci.loc[[1, 14], cols].round(3)
       lhs  op rhs    est  perc.lower  perc.upper  bca.lower  bca.upper
    1    A  =~  a2  0.599       0.117       0.862      0.249      0.862
    14   A  ~~   B  0.573       0.373       0.789      0.373      0.789
    >>> ci.loc[0, ["n_draws", "n_used", "n_failed", "n_improper"]].tolist()
    [20, 20, 0, 4]
    """
    if statistic not in ("est", "std.all"):
        raise ValueError("statistic must be 'est' or 'std.all'")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    missing = [
        c for c in ["draw", "converged", "improper", *KEY, statistic] if c not in draws_table
    ]
    if missing:
        raise ValueError(f"draws_table lacks columns {missing}; pass bootstrap_draws() output")
    per_draw = draws_table.drop_duplicates("draw")
    n_draws = len(per_draw)
    n_failed = int((~per_draw["converged"].astype(bool)).sum())
    n_improper = int((per_draw["converged"].astype(bool) & per_draw["improper"].astype(bool)).sum())

    use = draws_table["converged"].astype(bool)
    if drop_improper:
        use &= ~draws_table["improper"].astype(bool)
    groups = {
        key: g[statistic].to_numpy(dtype=float)
        for key, g in draws_table[use].groupby(KEY, sort=False)
    }
    jack = {}
    if jackknife is not None:
        jok = jackknife[jackknife["converged"].astype(bool)]
        jack = {key: g[statistic].to_numpy(dtype=float) for key, g in jok.groupby(KEY, sort=False)}

    probs = np.array([(1 - level) / 2, (1 + level) / 2])  # as lavaan, to the last bit
    z_lo, z_hi = stats.norm.ppf(probs)
    rows = []
    for lhs, op, rhs, label, theta in zip(
        estimates["lhs"], estimates["op"], estimates["rhs"], estimates["label"],
        estimates[statistic], strict=True,
    ):  # fmt: skip
        key = (lhs, op, rhs)
        t = groups.get(key, np.array([]))
        t = t[np.isfinite(t)]
        res = {"lhs": lhs, "op": op, "rhs": rhs, "label": label, statistic: theta}
        res.update(dict.fromkeys(INTERVAL_COLUMNS, np.nan))
        if len(t):
            res["boot.se"] = float(np.std(t))
            if np.ptp(t) == 0:
                res.update({"perc.lower": theta, "perc.upper": theta})
                res.update({"bca.lower": theta, "bca.upper": theta, "z0": 0.0})
                res["acceleration"] = 0.0
            else:
                res["perc.lower"], res["perc.upper"] = _norm_inter(t, probs)
                acc = 0.0
                if jackknife is not None:
                    jv = jack.get(key, np.array([]))
                    jv = jv[np.isfinite(jv)]
                    acc = _acceleration(jv) if len(jv) > 1 else np.nan
                z0 = float(stats.norm.ppf(np.mean(t < theta)))
                res["z0"], res["acceleration"] = z0, acc
                adj = [np.nan, np.nan]
                if np.isfinite(z0) and np.isfinite(acc):
                    for j, z in enumerate((z_lo, z_hi)):
                        den = 1 - acc * (z0 + z)
                        if den > 0:
                            adj[j] = stats.norm.cdf(z0 + (z0 + z) / den)
                if np.all(np.isfinite(adj)):
                    res["bca.lower"], res["bca.upper"] = _norm_inter(t, np.array(adj))
        res.update({"n_draws": n_draws, "n_used": len(t), "n_failed": n_failed})
        res["n_improper"] = n_improper
        res["note"] = unusable
        if unusable:
            res.update(dict.fromkeys(INTERVAL_COLUMNS, np.nan))
        rows.append(res)
    return pd.DataFrame(rows)
