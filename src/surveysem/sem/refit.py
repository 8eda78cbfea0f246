"""Fast ML refits of one model to many covariance matrices (bootstrap, jackknife, Monte Carlo).

A resampling study refits the same model thousands of times to slightly different sample
covariance matrices S. :class:`Refitter` fits the model once with
:func:`~surveysem.sem.fit_model` and then refits it to any S by Newton-Raphson on lavaan's ML
discrepancy ``F = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p``, starting from the full-sample
estimates (warm start; refits never chain), with exact first and second derivatives in
closed form.

Derivatives in low-rank form
    semopy's model (:mod:`surveysem.sem.matrices`) is ``Sigma = M Psi M' + Theta`` with
    ``C = (I - B)^-1`` and ``M = Lambda C``. Every free parameter sets one or more entries of
    B, Lambda, Psi or Theta, and the derivative of Sigma with respect to one entry ``e = (i, j)``
    is a symmetric rank-two matrix ``dSigma_e = w_e (u_e v_e' + v_e u_e')``, with
    ``Q = C Psi M'``, ``q_j`` the j-th row of Q, ``m_i`` the i-th column of M and ``e_i`` a
    unit vector:

    ======== ======= ======= =====
    entry    u       v       w
    ======== ======= ======= =====
    B_ij     m_i     q_j     1
    Lambda_ij e_i    q_j     1
    Psi_ij   m_i     m_j     1/2
    Theta_ij e_i     e_j     1/2
    ======== ======= ======= =====

    (symmetric Psi and Theta parameters set both (i, j) and (j, i), hence w = 1/2). With
    ``P = Sigma^-1``, ``W = P - P S P`` and ``R = P S P``, and writing ``X_uv = U X V'`` for the
    matrices of bilinear forms over all entries (rows of U and V are the u's and v's):

    * gradient: ``g_e = tr(W dSigma_e) = 2 w_e u_e' W v_e``;
    * expected information (lavaan's, ``H_ab = tr(P dSigma_a P dSigma_b)``):
      ``2 w w' o (P_uv o P_vu + P_uu o P_vv)``;
    * Hessian: ``-H + K + K' + tr(W d2Sigma_ab)`` with ``K = w w' o (P_vu o R_uv + P_vv o R_uu
      + P_uu o R_vv + P_uv o R_vu)`` (that is, ``K_ab = tr(R dSigma_a P dSigma_b)``), and the
      second-derivative term, nonzero only for pairs involving B or Lambda, from
      ``dM_e = x_e y_e'`` (``x = m_i`` or ``e_i``, ``y`` the j-th row of C):
      ``2 (x_b' W x_a)(y_a' Psi y_b)`` for B/Lambda pairs, ``y_a[k] (x_a' W m_l) + y_a[l]
      (x_a' W m_k)`` for a B/Lambda entry a and Psi_kl, and, for ``a = B_kl``,
      ``2 y_b[k] (x_b' N)[l] + 2 [b = B_mn] C_lm (M' N)[k, n]`` with ``N = W Q'``;

    ("o" is the elementwise product.) Parameter-level quantities are sums over the entries a
    parameter sets (``J' g``, ``J' H J``). This costs a few products of (entries x p) matrices
    instead of one p x p matrix product per parameter pair, which makes a refit of the bundled
    model about ten times cheaper than with per-parameter derivative matrices. Tests compare
    the gradient and information with semopy's derivative matrices and the Hessian with finite
    differences.

Newton iterations
    The first step uses the Hessian of the full-sample fit at its optimum (computed once),
    the following ones the exact Hessian at the current point (a Fisher-scoring step where it
    is not positive definite), all with step halving, until ``max |dF/dtheta| < REFIT_TOL =
    1e-10`` (lavaan's nlminb stops around 1e-6); usually 4-6 iterations. A refit that does
    not reach ``GRAD_TOL`` (1e-4, the criterion of :func:`~surveysem.sem.fit_model`) is
    retried by Fisher scoring from the full-sample estimates; if that fails too, the refit
    is *failed*. With ``nonnegative_variances=True``
    the projected Fisher scoring of :func:`~surveysem.sem.fit_model` is used throughout.

Admissibility
    A converged refit is *improper* when :func:`~surveysem.sem.solution_problems` reports a
    problem (e.g. a negative variance). A cheap screen decides the clear cases first (see
    :meth:`Refitter._clearly_admissible`); tests check that both agree.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy.linalg import lapack

from . import matrices
from .diagnostics import checked_residuals, solution_problems
from .errors import ConvergenceError
from .estimates import _definitions, implied_sds, parameter_estimates, standardize_rows
from .fitting import GRAD_TOL, _fisher_scoring, fit_model, semopy_layout

#: Target max |dF/dtheta| of a refit.
REFIT_TOL = 1e-10


class Refit(NamedTuple):
    """One refit. Arrays are aligned with :attr:`Refitter.keys` (NaN when not converged)."""

    converged: bool
    improper: bool
    est: np.ndarray
    se: np.ndarray  # ML expected-information SEs; 0 for fixed rows, NaN for := rows
    std: np.ndarray  # std.all


@dataclasses.dataclass
class _Point:
    """The model at one parameter vector x (semopy order)."""

    x: np.ndarray
    sigma: np.ndarray
    inv: np.ndarray  # Sigma^-1
    logdet: float
    c: np.ndarray  # (I - B)^-1
    m: np.ndarray  # Lambda C
    q: np.ndarray  # C Psi M'
    psi: np.ndarray
    theta: np.ndarray


class _Derivatives:
    """F, its gradient, expected information and Hessian in semopy's parameter order.

    Formulas: module docstring. Entries are ordered B, Lambda (the "M-type" entries, which
    change M), Psi, Theta.
    """

    def __init__(self, model):
        beta, lam, psi, theta = (np.array(mx, dtype=float) for mx in model.matrices[:4])
        # working copies: only the free entries ever change, so they are overwritten in place
        self.work = [beta, lam, psi, theta]
        self.ranges = [(r1, np.asarray(r2, dtype=int)) for r1, r2 in model.param_ranges[:4]]
        self.p, self.m = lam.shape
        self.k = len(model.param_vals)
        # (row, column) of every entry a parameter sets, per matrix
        idx = [(np.asarray(r1[0] if r1 else [], int), np.asarray(r1[1] if r1 else [], int))
               for r1, _ in self.ranges]  # fmt: skip
        (self.ib, self.jb), (self.il, self.jl), (self.ip, self.jp), (self.it, self.jt) = idx
        self.nb, self.nl, self.n_psi = len(self.ib), len(self.il), len(self.ip)
        self.n_m = self.nb + self.nl
        params = np.concatenate([r2 for _, r2 in self.ranges])
        ne = len(params)
        # entry -> parameter map J; a plain reordering when each parameter sets one entry
        self.jmat = np.zeros((ne, self.k))
        self.jmat[np.arange(ne), params] = 1.0
        one_to_one = ne == self.k and len(set(params.tolist())) == ne
        self.entry_of = np.argsort(params) if one_to_one else None
        w = np.ones(ne)
        w[self.n_m :] = 0.5
        self.ww = np.outer(w, w)
        self.w2 = 2.0 * w
        eye = np.identity(self.p)
        self.e_lam, self.e_ti, self.e_tj = eye[self.il], eye[self.it], eye[self.jt]
        self.y_idx = np.concatenate([self.jb, self.jl])  # y_e = row j of C (M-type entries)
        self.c_ji, self.mn_ij = np.ix_(self.jb, self.ib), np.ix_(self.ib, self.jb)

    def to_params(self, entry_values: np.ndarray) -> np.ndarray:
        """Entry-level gradient (vector) or matrix summed to parameters: J' g or J' H J."""
        if self.entry_of is not None:
            e = self.entry_of
            return entry_values[e] if entry_values.ndim == 1 else entry_values[np.ix_(e, e)]
        if entry_values.ndim == 1:
            return self.jmat.T @ entry_values
        return self.jmat.T @ entry_values @ self.jmat

    def point(self, x: np.ndarray) -> _Point | None:
        """Sigma and its pieces at x; None when Sigma is not positive definite."""
        for mx, (r1, r2) in zip(self.work, self.ranges, strict=True):
            if len(r2):
                mx[r1] = x[r2]
        beta, lam, psi, theta = self.work
        c = np.linalg.inv(np.identity(self.m) - beta)
        m = lam @ c
        q = c @ psi @ m.T
        sigma = lam @ q + theta
        # LAPACK directly: numpy.linalg's checks cost more than these 21 x 21 factorizations
        chol, bad = lapack.dpotrf(sigma, lower=1, clean=0)
        if bad:
            return None
        inv, bad = lapack.dpotri(chol, lower=1)
        if bad:
            return None
        inv = np.tril(inv) + np.tril(inv, -1).T
        return _Point(
            x=x,
            sigma=sigma,
            inv=inv,
            logdet=2.0 * float(np.sum(np.log(np.diag(chol)))),
            c=c,
            m=m,
            q=q,
            psi=psi.copy(),
            theta=theta.copy(),
        )

    def f(self, pt: _Point | None, s: np.ndarray, logdet_s: float) -> float:
        """F at the point (``inf`` outside the positive definite region)."""
        if pt is None:
            return np.inf
        return pt.logdet + float(np.sum(pt.inv * s)) - logdet_s - self.p

    def first(self, pt: _Point, s: np.ndarray):
        """Gradient and expected information at the point, and what the Hessian needs."""
        p_inv, m, q = pt.inv, pt.m, pt.q
        r = p_inv @ s @ p_inv
        w_mat = p_inv - r
        u = np.concatenate([m[:, self.ib].T, self.e_lam, m[:, self.ip].T, self.e_ti])
        v = np.concatenate([q[self.jb], q[self.jl], m[:, self.jp].T, self.e_tj])
        uw = u @ w_mat
        grad_e = self.w2 * np.einsum("ij,ij->i", uw, v)
        pu, pv = u @ p_inv, v @ p_inv
        p_uu, p_uv, p_vv = pu @ u.T, pu @ v.T, pv @ v.T
        info_e = 2.0 * self.ww * (p_uv * p_uv.T + p_uu * p_vv)
        grad, info = self.to_params(grad_e), self.to_params(info_e)
        return grad, info, (pt, r, w_mat, u, v, uw, p_uu, p_uv, p_vv, info_e)

    def hessian(self, cache) -> np.ndarray:
        """The Hessian of F at the point of :meth:`first` (module docstring)."""
        pt, r, w_mat, u, v, uw, p_uu, p_uv, p_vv, info_e = cache
        c, m, q, psi = pt.c, pt.m, pt.q, pt.psi
        ru, rv = u @ r, v @ r
        r_uu, r_uv, r_vv = ru @ u.T, ru @ v.T, rv @ v.T
        k_e = self.ww * (p_uv.T * r_uv + p_vv * r_uu + p_uu * r_vv + p_uv * r_uv.T)
        hess_e = k_e + k_e.T - info_e
        n_m, nb = self.n_m, self.nb
        if n_m:
            x_w = uw[:n_m]  # x_e' W (x_e = u_e for B and Lambda entries)
            y = c[self.y_idx]
            block = hess_e[:n_m, :n_m]
            block += 2.0 * (x_w @ u[:n_m].T) * (y @ psi @ y.T)
            if self.n_psi:
                v1 = x_w @ m
                t_b = y[:, self.ip] * v1[:, self.jp] + y[:, self.jp] * v1[:, self.ip]
                hess_e[:n_m, n_m : n_m + self.n_psi] += t_b
                hess_e[n_m : n_m + self.n_psi, :n_m] += t_b.T
            if nb:
                xn = x_w @ q.T  # x_e' N, N = W Q'
                t_c = 2.0 * (y[:, self.ib] * xn[:, self.jb]).T
                t_c[:, :nb] += 2.0 * c[self.c_ji] * (m.T @ w_mat @ q.T)[self.mn_ij]
                block[:nb] += t_c
                block[nb:, :nb] += t_c[:, nb:].T
        hess = self.to_params(hess_e)
        return (hess + hess.T) / 2


def _positions(rows, names) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``names`` of the lhs and of the rhs of each row."""
    index = {v: i for i, v in enumerate(names)}
    return tuple(
        np.array([index[getattr(r, side)] for r in rows], dtype=int) for side in ("lhs", "rhs")
    )


class Refitter:
    """Refits one model by ML to other covariance matrices, reusing the full-sample fit.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``:=`` rows included in the results).
    data : pandas.DataFrame
        Complete data of the full-sample fit (as for :func:`~surveysem.sem.fit_model`).
    nonnegative_variances : bool, keyword-only
        Bound variances at 0 in every refit (default False, as lavaan).

    Attributes
    ----------
    fit : the full-sample :class:`~surveysem.sem.SemFit` (the starting point of every refit).
    keys : DataFrame ``lhs, op, rhs, label``: the parameter-table rows, then the ``:=`` rows,
        in :func:`~surveysem.sem.parameter_estimates` order; every :class:`Refit` array is
        aligned with it.
    values : the complete data as a float array, columns in ``fit.observed`` order.

    Examples
    --------
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> engine = Refitter(TWO_FACTOR_MODEL, two_factor_data())
    >>> half = np.cov(engine.values[:150], rowvar=False, bias=True)
    >>> out = engine.refit(half, 150)
    >>> out.converged, out.improper, round(float(out.est[1]), 3), round(float(out.se[1]), 3)
    (True, False, 0.908, 0.108)
    """

    def __init__(self, syntax: str, data: pd.DataFrame, *, nonnegative_variances: bool = False):
        fit = fit_model(syntax, data, nonnegative_variances=nonnegative_variances)
        if not fit.converged:
            raise ConvergenceError(
                "the model did not converge on the full sample, so it cannot be refitted to "
                f"resamples: {fit.message}"
            )
        self.fit = fit
        self.values = data[fit.observed].to_numpy(dtype=float)
        self._nonneg = nonnegative_variances
        model = fit.model
        pt = fit.partable
        self._rows = pt.rows
        self._order, self._variance_mask = semopy_layout(model, pt)
        self._x0 = fit.x[self._order].copy()
        self._d = _Derivatives(model)
        self._start = self._d.point(self._x0)
        self._start_hessian = self._d.hessian(self._d.first(self._start, fit.sample_cov)[2])
        # row values from the semopy-ordered x: free rows take x[semopy position], fixed their value
        position = {free: i for i, free in enumerate(self._order + 1)}
        self._free_rows = np.array([i for i, r in enumerate(pt.rows) if r.free], dtype=int)
        self._free_pos = np.array([position[pt.rows[i].free] for i in self._free_rows], dtype=int)
        self._fixed_values = np.array([0.0 if r.free else r.value for r in pt.rows])
        # the covariates' fixed (co)variances follow each S, as lavaan's fixed.x (_use_moments)
        exo = [r for r in pt.rows if r.exo and not r.free]
        self._exo_rows = np.array([i for i, r in enumerate(pt.rows) if r.exo and not r.free])
        self._exo_s = _positions(exo, fit.observed)
        self._exo_psi = _positions(exo, model.names_psi[0])
        self._var_rows = np.array(
            [i for i, r in enumerate(pt.rows) if r.op == "~~" and r.lhs == r.rhs and r.free],
            dtype=int,
        )
        self._cov_rows = np.array(
            [i for i, r in enumerate(pt.rows) if r.op == "~~" and r.lhs != r.rhs], dtype=int
        )
        inner = list(model.names_beta[0])
        self._lv_pos = [inner.index(v) for v in pt.lv_names]
        theta_names = list(model.names_theta[0])
        self._theta_pos = [theta_names.index(v) for v in checked_residuals(model, pt)]
        self._no_definitions = dataclasses.replace(
            fit, partable=dataclasses.replace(pt, definitions=())
        )
        self.keys = parameter_estimates(fit)[["lhs", "op", "rhs", "label"]]

    def _use_moments(self, s: np.ndarray) -> None:
        """Fix the covariates' (co)variances at their values in ``s`` (lavaan ``fixed.x``)."""
        if not len(self._exo_rows):
            return
        values = s[self._exo_s]
        a, b = self._exo_psi
        for psi in (self._d.work[2], self.fit.model.mx_psi):
            psi[a, b] = psi[b, a] = values
        self._fixed_values[self._exo_rows] = values
        self._start = self._d.point(self._x0)

    # -- optimization (semopy parameter order) ---------------------------------------------------
    def _newton(self, s: np.ndarray) -> tuple[_Point, float, np.ndarray]:
        """Newton-Raphson from the full-sample estimates: point, max |gradient|, information.

        The first step uses the full-sample Hessian (at the full-sample optimum), which
        predicts the resampled optimum better than the Hessian at the start for the new S
        and saves about two Hessians per refit on the bundled model.
        """
        d = self._d
        _, logdet_s = np.linalg.slogdet(s)
        pt = self._start
        f = d.f(pt, s, logdet_s)
        grad, info, cache = d.first(pt, s)
        hess = self._start_hessian
        for _ in range(200):
            if not np.isfinite(f) or np.max(np.abs(grad)) < REFIT_TOL:
                break
            factor, bad = lapack.dpotrf(d.hessian(cache) if hess is None else hess, lower=1)
            hess = None
            if not bad:
                step = -lapack.dpotrs(factor, grad, lower=1)[0]
            else:  # Hessian not positive definite: Fisher-scoring step
                try:
                    step = -np.linalg.solve(info, grad)
                except np.linalg.LinAlgError:
                    step = -np.linalg.lstsq(info, grad, rcond=None)[0]
            t, trial = 1.0, None
            for _ in range(40):
                trial = d.point(pt.x + t * step)
                f_new = d.f(trial, s, logdet_s)
                if f_new <= f + 1e-14 * max(1.0, abs(f)):
                    break
                t, trial = t / 2, None
            if trial is None:
                break
            moved = t * np.max(np.abs(step))
            pt, f = trial, f_new
            grad, info, cache = d.first(pt, s)
            if moved < 1e-13 * (1 + np.max(np.abs(pt.x))):
                break
        return pt, float(np.max(np.abs(grad))), info

    def _scoring(self, s: np.ndarray) -> tuple[_Point | None, float, np.ndarray | None]:
        """Fisher scoring from the full-sample estimates (fit_model's polishing step)."""
        model = self.fit.model
        try:
            x, max_grad = _fisher_scoring(
                model, s, self._x0.copy(), self._variance_mask, self._nonneg, max_iter=300
            )
        finally:
            matrices.set_params(model, self._x0)
        pt = self._d.point(x)
        if pt is None:
            return None, np.inf, None
        return pt, max_grad, self._d.first(pt, s)[1]

    def _solve(self, s: np.ndarray) -> tuple[_Point | None, float, np.ndarray | None]:
        if self._nonneg:
            return self._scoring(s)
        try:
            pt, max_grad, info = self._newton(s)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            max_grad = np.inf
        if not max_grad < GRAD_TOL:
            pt, max_grad, info = self._scoring(s)
        return pt, max_grad, info

    # -- results -----------------------------------------------------------------------------
    def refit(self, s: np.ndarray, n: int) -> Refit:
        """Refit to the covariance matrix ``s`` (divisor n) of ``n`` rows.

        Returns a :class:`Refit`; a failed refit (singular ``s``, no convergence) has
        ``converged = False`` and NaN values.
        """
        nan = np.full(len(self.keys), np.nan)
        failed = Refit(False, False, nan, nan, nan)
        eig = np.linalg.eigvalsh(s)
        if not np.all(np.isfinite(eig)) or eig.min() <= 1e-12 * eig.max():
            return failed
        self._use_moments(s)
        try:
            return self._results(s, n) or failed
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return failed
        finally:
            self._use_moments(self.fit.sample_cov)

    def _results(self, s: np.ndarray, n: int) -> Refit | None:
        """The refit to ``s`` (the covariates' moments already set); None if not converged."""
        pt, max_grad, info = self._solve(s)
        if not max_grad < GRAD_TOL:
            return None
        x = pt.x
        est = self._fixed_values.copy()
        est[self._free_rows] = x[self._free_pos]
        vcov = np.full((len(x), len(x)), np.nan)
        eig = np.linalg.eigvalsh(info)
        if eig.min() > 1e-10 * eig.max():
            vcov = np.linalg.inv(info) * 2.0 / n
        se = np.zeros(len(self._rows))
        se[self._free_rows] = np.sqrt(np.diag(vcov))[self._free_pos]
        phi = (pt.c @ pt.psi @ pt.c.T)[np.ix_(self._lv_pos, self._lv_pos)]
        lv_names = self.fit.partable.lv_names
        sd = implied_sds(np.diag(pt.sigma), np.diag(phi), self.fit.observed, lv_names)
        std = standardize_rows(self._rows, est, sd, lv_names, "all")
        identified = not np.isnan(vcov).all()
        if identified and self._clearly_admissible(est, std, pt.sigma, phi, pt.theta):
            improper = False
        else:
            improper = self._improper(x, s, n, vcov)
        if self.fit.partable.definitions:
            n_defs = len(self.fit.partable.definitions)
            est = np.concatenate([est, np.real(_definitions(self.fit, est)).astype(float)])
            std = np.concatenate([std, np.real(_definitions(self.fit, std)).astype(float)])
            se = np.concatenate([se, np.full(n_defs, np.nan)])
        return Refit(True, improper, est, se, std)

    def refit_rows(self, rows: np.ndarray) -> Refit:
        """:meth:`refit` to the rows ``rows`` of :attr:`values` (repeats allowed)."""
        return self.refit(np.cov(self.values[rows], rowvar=False, bias=True), len(rows))

    def _improper(self, x: np.ndarray, s: np.ndarray, n: int, vcov: np.ndarray) -> bool:
        """:func:`solution_problems` of the refit (the model matrices are set to x, then reset)."""
        model = self.fit.model
        xx = np.empty_like(x)
        xx[self._order] = x
        full = np.full((len(x), len(x)), np.nan)
        full[np.ix_(self._order, self._order)] = vcov
        refit = dataclasses.replace(
            self._no_definitions,
            sample_cov=s,
            n=n,
            x=xx,
            vcov=full,
            converged=True,
            message="refit",
        )
        matrices.set_params(model, x)
        try:
            return bool(solution_problems(refit))
        finally:
            matrices.set_params(model, self._x0)

    def _clearly_admissible(self, est, std, sigma, lv_cov, theta) -> bool:
        """True only when none of :func:`solution_problems`' conditions can hold (with margins).

        Free variances clearly positive, finite standardized covariances clearly inside
        (-1, 1), and clearly positive definite Sigma, factor covariance matrix and Theta.
        Anything else is decided by ``solution_problems`` itself.
        """
        if len(self._var_rows) and not np.all(est[self._var_rows] > 1e-5):
            return False
        if len(self._cov_rows):
            sc = std[self._cov_rows]
            if not np.all(np.isfinite(sc) & (np.abs(sc) < 1 - 1e-6)):
                return False
        th = theta[np.ix_(self._theta_pos, self._theta_pos)]
        for mat in (sigma, lv_cov, th):
            if mat.size:
                eig = np.linalg.eigvalsh((mat + mat.T) / 2)
                if not eig.min() > 1e-8 * max(eig.max(), 1.0):
                    return False
        return True
