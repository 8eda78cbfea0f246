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
    One compiled semopy model (from the full-sample fit) is reused for all draws; every draw
    starts afresh from the full-sample estimates (warm start, draws never chain), as lavaan
    does. The optimizer is Newton-Raphson on lavaan's discrepancy F with the analytic Hessian
    (a Fisher-scoring step where the Hessian is not positive definite) and step halving, run
    until ``max |dF/dtheta| < 1e-10`` (lavaan's nlminb stops around 1e-6); it typically needs
    5-8 iterations. Variances are unbounded, as in lavaan; with ``nonnegative_variances=True``
    the projected Fisher scoring of :func:`surveysem.sem.fit_model` is used instead. A draw whose
    refit does not reach ``max |dF/dtheta| < GRAD_TOL`` (1e-4, the convergence criterion of
    ``fit_model``) is refitted from scratch with :func:`~surveysem.sem.fit_model`; if that fails
    too, the draw is *failed*.

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

import dataclasses
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.errors import InputError

from . import matrices
from .diagnostics import solution_problems
from .errors import ModelSpecError
from .estimates import _definitions, _row_values, _standardize
from .fitting import GRAD_TOL, SemFit, _fisher_scoring, fit_model

#: Target max |dF/dtheta| of a bootstrap refit.
REFIT_TOL = 1e-10
KEY = ["lhs", "op", "rhs"]
DRAW_COLUMNS = ["draw", "converged", "improper", "lhs", "op", "rhs", "label", "est", "std.all"]


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


class _Refitter:
    """Refits one model on row subsets of its data, reusing the full-sample semopy model."""

    def __init__(self, syntax: str, data: pd.DataFrame, nonnegative_variances: bool):
        fit = fit_model(syntax, data, nonnegative_variances=nonnegative_variances)
        if not fit.converged:
            raise InputError(
                "the model did not converge on the full sample, so it cannot be bootstrapped: "
                f"{fit.message}"
            )
        self.fit = fit
        self.syntax = syntax
        self.nonneg = nonnegative_variances
        # complete data in semopy's variable order (fit_model has checked it)
        self.values = data[fit.observed].to_numpy(dtype=float)
        model = fit.model
        active = [name for name, par in model.parameters.items() if par.active]
        self.order = np.array([int(name[2:]) - 1 for name in active])
        pt = fit.partable
        variance_free = {r.free for r in pt.rows if r.free and r.op == "~~" and r.lhs == r.rhs}
        self.variance_mask = np.array([k + 1 in variance_free for k in self.order], dtype=bool)
        self.x0 = fit.x[self.order].copy()
        self._derivative_patterns()
        # positions used by the admissibility screen (see _clearly_admissible)
        rows = pt.rows
        self._var_rows = np.array(
            [i for i, r in enumerate(rows) if r.op == "~~" and r.lhs == r.rhs and r.free],
            dtype=int,
        )
        self._cov_rows = np.array(
            [i for i, r in enumerate(rows) if r.op == "~~" and r.lhs != r.rhs], dtype=int
        )
        inner = list(model.names_beta[0])
        self._lv_pos = [inner.index(v) for v in pt.lv_names]
        theta_names = list(model.names_theta[0])
        self._theta_pos = [i for i, v in enumerate(theta_names) if v in model.vars["_output"]]
        self.nodef = dataclasses.replace(fit, partable=dataclasses.replace(pt, definitions=()))
        self.keys = pd.DataFrame(
            {
                "lhs": [r.lhs for r in pt.rows] + [d.name for d in pt.definitions],
                "op": [r.op for r in pt.rows] + [":="] * len(pt.definitions),
                "rhs": [r.rhs for r in pt.rows] + [d.expr for d in pt.definitions],
                "label": [r.label for r in pt.rows] + [d.name for d in pt.definitions],
            }
        )

    def _derivative_patterns(self) -> None:
        """Stack semopy's constant dMatrix/dtheta patterns (``mx_diffs``) for batched use."""
        model = self.fit.model
        diffs = model.mx_diffs
        self._patterns = []
        for j in range(4):  # Beta, Lambda, Psi, Theta
            idx = [i for i, d in enumerate(diffs) if d[j] is not None]
            mats = np.array([diffs[i][j] for i in idx], dtype=float) if idx else None
            self._patterns.append((np.array(idx, dtype=int), mats))

    # -- objective, gradient, expected information and Hessian (semopy parameter order) -------
    def _f(self, x: np.ndarray, s: np.ndarray, logdet_s: float) -> float:
        matrices.set_params(self.fit.model, x)
        sigma = matrices.implied_cov(self.fit.model)
        try:
            chol = np.linalg.cholesky(sigma)
        except np.linalg.LinAlgError:
            return np.inf
        inv_chol = np.linalg.inv(chol)
        logdet = 2.0 * np.sum(np.log(np.diag(chol)))
        return float(logdet + np.sum((inv_chol.T @ inv_chol) * s) - logdet_s - s.shape[0])

    def _derivatives(self, x: np.ndarray, s: np.ndarray):
        """Gradient, expected information and Hessian of F at x.

        semopy's model: C = (I - B)^-1, M = Lambda C, Sigma = M Psi M' + Theta, every matrix
        linear in theta with constant patterns B_a, L_a, P_a, T_a (``mx_diffs``). With
        dC_a = C B_a C and dM_a = L_a C + M B_a C:

        * dSigma_a = dM_a Psi M' + M Psi dM_a' + M P_a M' + T_a  (as ``calc_sigma_grad``);
        * gradient g_a = tr(W dSigma_a), W = Sigma^-1 - Sigma^-1 S Sigma^-1;
        * expected information H_ab = tr(A_a A_b), A_a = Sigma^-1 dSigma_a;
        * Hessian = -H_ab + tr(P A_a A_b) + tr(P A_b A_a) + tr(W d2Sigma_ab), P = Sigma^-1 S,
          where tr(W d2Sigma_ab) = 2 tr(W d2M_ab Psi M') + 2 tr(W dM_a Psi dM_b')
          + 2 tr(W dM_b P_a M') + 2 tr(W dM_a P_b M') and
          d2M_ab = L_a dC_b + L_b dC_a + M (B_a C B_b + B_b C B_a) C.

        (Tests compare the gradient with semopy's and the Hessian with finite differences.)
        """
        model = self.fit.model
        matrices.set_params(model, x)
        beta, lam, psi, theta = model.matrices[:4]
        nm, p, k = beta.shape[0], lam.shape[0], len(x)
        c = np.linalg.inv(np.identity(nm) - beta)
        m = lam @ c
        sinv = np.linalg.inv(m @ psi @ m.T + theta)
        (ib, bp), (il, lp), (ip, pp), (it, tp) = self._patterns
        dc = np.zeros((k, nm, nm))
        dm = np.zeros((k, p, nm))
        full_b = np.zeros((k, nm, nm))
        full_p = np.zeros((k, nm, nm))
        if bp is not None:
            dc[ib] = c @ bp @ c
            dm[ib] += m @ bp @ c
            full_b[ib] = bp
        if lp is not None:
            dm[il] += lp @ c
        ds = dm @ psi @ m.T
        ds = ds + ds.transpose(0, 2, 1)
        if pp is not None:
            ds[ip] += m @ pp @ m.T
            full_p[ip] = pp
        if tp is not None:
            ds[it] += tp
        a = sinv @ ds
        w = sinv - sinv @ s @ sinv
        grad = ds.reshape(k, -1) @ w.reshape(-1)
        a_t = a.transpose(0, 2, 1).reshape(k, -1)
        info = a.reshape(k, -1) @ a_t.T
        e = (sinv @ s @ a).reshape(k, -1) @ a_t.T  # tr(P A_a A_b)
        g = w @ m @ psi
        u = np.zeros((k, nm, nm))
        if lp is not None:
            u[il] = lp.transpose(0, 2, 1) @ g
        t1 = u.reshape(k, -1) @ dc.reshape(k, -1).T  # <L_a' G, dC_b>
        v = c.T @ full_b.transpose(0, 2, 1) @ (m.T @ g) @ c.T
        t2 = v.reshape(k, -1) @ full_b.reshape(k, -1).T  # [b, a] = <C'B_b'M'G C', B_a>
        t3 = (w @ dm @ psi).reshape(k, -1) @ dm.reshape(k, -1).T
        t4 = (m.T @ w @ dm).reshape(k, -1) @ full_p.reshape(k, -1).T  # [b, a]
        hess = -info + e + e.T + 2 * (t1 + t1.T + t2 + t2.T + t3 + t4 + t4.T)
        return grad, (info + info.T) / 2, (hess + hess.T) / 2

    def _minimize(self, s: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
        """Minimize F from the full-sample estimates by Newton-Raphson (exact Hessian; Fisher
        scoring step when the Hessian is not positive definite) with step halving.

        Returns x, max |gradient| and the expected information at x.
        """
        x = self.x0.copy()
        _, logdet_s = np.linalg.slogdet(s)
        f = self._f(x, s, logdet_s)
        grad, info, hess = self._derivatives(x, s)
        for _ in range(200):
            if not np.isfinite(f) or np.max(np.abs(grad)) < REFIT_TOL:
                break
            try:
                np.linalg.cholesky(hess)
                step = -np.linalg.solve(hess, grad)
            except np.linalg.LinAlgError:
                try:
                    step = -np.linalg.solve(info, grad)
                except np.linalg.LinAlgError:
                    step = -np.linalg.lstsq(info, grad, rcond=None)[0]
            t, accepted = 1.0, False
            for _ in range(40):
                f_new = self._f(x + t * step, s, logdet_s)
                if f_new <= f + 1e-14 * max(1.0, abs(f)):
                    accepted = True
                    break
                t /= 2
            if not accepted:
                break
            moved = t * np.max(np.abs(step))
            x, f = x + t * step, f_new
            grad, info, hess = self._derivatives(x, s)
            if moved < 1e-13 * (1 + np.max(np.abs(x))):
                break
        return x, float(np.max(np.abs(grad))), info

    def _clearly_admissible(self, est: np.ndarray, std: np.ndarray) -> bool:
        """True only when none of :func:`solution_problems`' conditions can hold (with margins).

        A fast screen for converged refits with an invertible information matrix: free
        variances clearly positive, finite standardized covariances clearly inside (-1, 1),
        and clearly positive definite Sigma, factor covariance matrix and Theta. Anything else
        is decided by ``solution_problems`` itself (tests check that both agree).
        """
        if len(self._var_rows) and not np.all(est[self._var_rows] > 1e-5):
            return False
        if len(self._cov_rows):
            sc = std[self._cov_rows]
            if not np.all(np.isfinite(sc) & (np.abs(sc) < 1 - 1e-6)):
                return False
        model = self.fit.model
        beta, _, psi, theta = model.matrices[:4]
        c = np.linalg.inv(np.identity(beta.shape[0]) - beta)
        lv = (c @ psi @ c.T)[np.ix_(self._lv_pos, self._lv_pos)]
        th = theta[np.ix_(self._theta_pos, self._theta_pos)]
        for mat in (matrices.implied_cov(model), lv, th):
            if mat.size:
                eig = np.linalg.eigvalsh((mat + mat.T) / 2)
                if not eig.min() > 1e-8 * max(eig.max(), 1.0):
                    return False
        return True

    # -- one refit -----------------------------------------------------------------------------
    def refit(self, rows: np.ndarray) -> tuple[bool, bool, np.ndarray, np.ndarray]:
        """Refit on ``values[rows]``: (converged, improper, est, std.all) per key row."""
        sub = self.values[rows]
        n = sub.shape[0]
        s = np.cov(sub, rowvar=False, bias=True)
        nan = np.full(len(self.keys), np.nan)
        eig = np.linalg.eigvalsh(s)
        if not np.all(np.isfinite(eig)) or eig.min() <= 1e-12 * eig.max():
            return False, False, nan, nan
        model = self.fit.model
        try:
            if self.nonneg:
                x, max_grad = _fisher_scoring(
                    model, s, self.x0.copy(), self.variance_mask, True, max_iter=300
                )
                _, info = matrices.gradient_and_information(model, s)
            else:
                x, max_grad, info = self._minimize(s)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            max_grad = np.inf
        if np.isfinite(max_grad) and max_grad < GRAD_TOL:
            matrices.set_params(model, x)
            xx = np.empty_like(x)
            xx[self.order] = x
            vcov = np.full((len(x), len(x)), np.nan)
            eig = np.linalg.eigvalsh(info)
            if eig.min() > 1e-10 * eig.max():
                vcov[np.ix_(self.order, self.order)] = np.linalg.inv(info) * 2.0 / n
            fb = dataclasses.replace(
                self.fit, sample_cov=s, n=n, x=xx, vcov=vcov, converged=True, message="refit"
            )
            fb_nodef = dataclasses.replace(
                self.nodef, sample_cov=s, n=n, x=xx, vcov=vcov, converged=True, message="refit"
            )
        else:  # warm start failed: fit from scratch
            frame = pd.DataFrame(sub, columns=self.fit.observed)
            try:
                fb = fit_model(self.syntax, frame, nonnegative_variances=self.nonneg)
            except (InputError, ModelSpecError, np.linalg.LinAlgError):
                return False, False, nan, nan
            if not fb.converged:
                return False, False, nan, nan
            fb_nodef = dataclasses.replace(
                fb, partable=dataclasses.replace(fb.partable, definitions=())
            )
        est, std = _values(fb)
        clear = fb.model is model and not np.isnan(fb.vcov).all()
        if clear and self._clearly_admissible(est, std):
            improper = False
        else:
            improper = bool(solution_problems(fb_nodef))
        matrices.set_params(model, self.x0)
        return True, improper, est, std

    def run(self, samples: Iterable[tuple[int, np.ndarray]], id_name: str) -> pd.DataFrame:
        ids, conv, imp, est, std = [], [], [], [], []
        try:
            for i, rows in samples:
                c, b, e, s = self.refit(rows)
                ids.append(i)
                conv.append(c)
                imp.append(b)
                est.append(e)
                std.append(s)
        finally:
            matrices.set_params(self.fit.model, self.x0)
        k = len(self.keys)
        out = pd.DataFrame(
            {
                id_name: np.repeat(np.asarray(ids, dtype=np.int64), k),
                "converged": np.repeat(np.asarray(conv, dtype=bool), k),
                "improper": np.repeat(np.asarray(imp, dtype=bool), k),
            }
        )
        keys = self.keys.iloc[np.tile(np.arange(k), len(ids))].reset_index(drop=True)
        out = pd.concat([out, keys], axis=1)
        out["est"] = np.concatenate(est) if est else np.array([], dtype=float)
        out["std.all"] = np.concatenate(std) if std else np.array([], dtype=float)
        return out


def _values(fit: SemFit) -> tuple[np.ndarray, np.ndarray]:
    """est and std.all of every parameter-table row and ``:=`` row, as parameter_estimates."""
    est = _row_values(fit)
    std = _standardize(fit, est, "all")
    if fit.partable.definitions:
        est = np.concatenate([est, np.real(_definitions(fit, est)).astype(float)])
        std = np.concatenate([std, np.real(_definitions(fit, std)).astype(float)])
    return est, std


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
    engine = _Refitter(syntax, data, nonnegative_variances)
    n = len(engine.values)
    arrays = []
    for rows in samples:
        arr = np.asarray(rows, dtype=np.int64)
        if arr.ndim != 1 or arr.size == 0 or arr.min() < 0 or arr.max() >= n:
            raise ValueError(f"every sample must list row positions in 0..{n - 1}")
        arrays.append(arr)
    return engine.run(enumerate(arrays), "draw")


def bootstrap_draws(
    syntax: str,
    data: pd.DataFrame,
    draws: range | Sequence[int],
    seed: int,
    *,
    nonnegative_variances: bool = False,
) -> pd.DataFrame:
    """Nonparametric bootstrap draws of every parameter of a model (est and std.all).

    For each draw index ``i`` the n complete rows are resampled with replacement using
    ``np.random.default_rng(np.random.SeedSequence([seed, i]))`` (:func:`resample_indices`)
    and the model is refitted by ML, starting from the full-sample estimates. Splitting
    ``draws`` into chunks (jobs) gives the same rows as one call; concatenate the chunks in
    draw order. Conventions for failed and improper draws: module docstring.

    Cost: one ML refit per draw (a few ms for small models; see the module docstring). No
    processes are spawned: parallelize by splitting ``draws``.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``:=`` rows are bootstrapped too).
    data : pandas.DataFrame
        Complete data (as for :func:`~surveysem.sem.fit_model`).
    draws : range or sequence of int
        Draw indices (distinct, non-negative), e.g. ``range(0, 1000)``.
    seed : int
        Non-negative base seed.
    nonnegative_variances : bool, keyword-only
        Bound variances at 0 in every refit (default False, as lavaan).

    Returns
    -------
    pandas.DataFrame
        Long (tidy) table, one row per draw and parameter, columns ``draw, converged,
        improper, lhs, op, rhs, label, est, std.all``; draws in the given order, parameters in
        :func:`~surveysem.sem.parameter_estimates` order. Failed draws have NaN values.

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
    """
    ids = _draw_ids(draws)
    engine = _Refitter(syntax, data, nonnegative_variances)
    n = len(engine.values)
    return engine.run(((i, resample_indices(n, i, seed)) for i in ids), "draw")


def jackknife_estimates(
    syntax: str, data: pd.DataFrame, *, nonnegative_variances: bool = False
) -> pd.DataFrame:
    """Leave-one-out (jackknife) estimates of every parameter, for the BCa acceleration.

    Refits the model n times, each time without one complete row; cost: n refits (about
    n times the per-draw cost of :func:`bootstrap_draws`).

    Returns
    -------
    pandas.DataFrame
        As :func:`bootstrap_draws`, with ``case`` (0-based position of the left-out row)
        instead of ``draw``.

    References
    ----------
    Efron & Tibshirani (1993), An Introduction to the Bootstrap, ch. 11 and eq. 14.15.

    Examples
    --------
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> jack = jackknife_estimates(TWO_FACTOR_MODEL, two_factor_data(n=40))
    >>> jack["case"].nunique(), bool(jack["converged"].all())
    (40, True)
    """
    engine = _Refitter(syntax, data, nonnegative_variances)
    n = len(engine.values)
    every = np.arange(n)
    return engine.run(((i, np.delete(every, i)) for i in range(n)), "case")


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

    Returns
    -------
    pandas.DataFrame
        ``lhs, op, rhs, label, <statistic>, boot.se, perc.lower, perc.upper, bca.lower,
        bca.upper, z0, acceleration, n_draws, n_used, n_failed, n_improper`` (``n_draws``:
        draws in the table; ``n_used``: values used for this parameter; ``n_improper``:
        improper among the converged draws, whether used or not).

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
        res.update(dict.fromkeys(["boot.se", "perc.lower", "perc.upper", "bca.lower"], np.nan))
        res.update(dict.fromkeys(["bca.upper", "z0", "acceleration"], np.nan))
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
        rows.append(res)
    return pd.DataFrame(rows)
