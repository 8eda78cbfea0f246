"""The complete-data ML discrepancy of one group's RAM model, with exact derivatives.

lavaan's ML discrepancy (``likelihood = "normal"``, N divisor) at the model of
:mod:`surveysem.sem.model.ram`, ``Sigma = M S M'`` with ``B = (I - A)^-1`` and ``M = B[observed]``:

    F = ln|Sigma| + tr(S_obs Sigma^-1) - ln|S_obs| - p,     chisq = N F,

and its gradient, expected information and Hessian in closed form, cheap enough to refit a
model thousands of times (bootstrap, jackknife, Monte Carlo) and used for the first fit too.

Derivatives in low-rank form
    Every free parameter sets one or more entries of A or S, and the derivative of Sigma with
    respect to one entry ``e`` is a symmetric rank-two matrix ``dSigma_e = w_e (u_e v_e' +
    v_e u_e')``, with ``Q = B S M'``, ``q_j`` its j-th row and ``m_i`` the i-th column of M:

    ============== ======= ======= ====================
    entry          u       v       w
    ============== ======= ======= ====================
    A_ij (path)    m_i     q_j     1
    S_ij (~~)      m_i     m_j     1 (i != j), 1/2 (i = j)
    ============== ======= ======= ====================

    With ``P = Sigma^-1``, ``W = P - P S_obs P`` and ``R = P S_obs P``, and writing
    ``X_uv = U X V'`` for the matrices of bilinear forms over all entries (rows of U and V
    are the u's and v's):

    * gradient: ``g_e = tr(W dSigma_e) = 2 w_e u_e' W v_e``;
    * expected information (lavaan's, ``H_ab = tr(P dSigma_a P dSigma_b)``):
      ``2 w w' o (P_uv o P_vu + P_uu o P_vv)``;
    * Hessian: ``-H + K + K' + tr(W d2Sigma_ab)`` with ``K = w w' o (P_vu o R_uv + P_vv o R_uu
      + P_uu o R_vv + P_uv o R_vu)`` (that is, ``K_ab = tr(R dSigma_a P dSigma_b)``) and the
      second-derivative term, nonzero only for pairs involving A. With ``dM_a = m_i y_j'``
      (``y_j`` the j-th row of B) for ``a = A_ij``, ``N = W Q'`` and ``a = A_ij``,
      ``b = A_kl``, ``c = S_kl``:
      ``tr(W d2Sigma_ab) = 2 (m_k' W m_i)(y_j' S y_l) + 2 B_li (m_k' N)_j + 2 B_jk (m_i' N)_l``
      and ``tr(W d2Sigma_ac) = 2 w_c [B_jk (m_i' W m_l) + B_jl (m_i' W m_k)]``;

    ("o" is the elementwise product.) Parameter-level quantities are sums over the entries a
    parameter sets (``J' g``, ``J' H J``). This costs a few products of (entries x p) matrices
    instead of one p x p matrix product per parameter pair, about ten times cheaper than
    per-parameter derivative matrices on the bundled model. Tests compare the gradient and
    information with :meth:`Ram.jacobian` and the Hessian with finite differences.

References
----------
Joreskog, K. G. (1967). Some contributions to maximum likelihood factor analysis.
Psychometrika, 32(4), 443-482 (the discrepancy F).

Neudecker, H., & Satorra, A. (1991). Linear structural relations: Gradient and Hessian of the
fitting function. Statistics & Probability Letters, 11(1), 57-61.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.linalg import lapack

from surveysem.sem.model.ram import Ram


def f_ml(sigma: np.ndarray, s: np.ndarray) -> float:
    """ML discrepancy F (not halved); ``inf`` when Sigma is not positive definite."""
    chol, bad = lapack.dpotrf(sigma, lower=1, clean=0)
    if bad:
        return np.inf
    logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
    _, logdet_s = np.linalg.slogdet(s)
    return float(logdet + np.trace(np.linalg.solve(sigma, s)) - logdet_s - s.shape[0])


@dataclasses.dataclass
class Point:
    """The model at one parameter vector ``x``."""

    x: np.ndarray
    sigma: np.ndarray
    inv: np.ndarray  # Sigma^-1
    logdet: float
    b: np.ndarray  # (I - A)^-1
    m: np.ndarray  # B[observed]
    q: np.ndarray  # B S M'
    s: np.ndarray  # S (the undirected matrix)

    def total_cov(self) -> np.ndarray:
        """Model-implied covariance matrix of all variables (observed first), B S B'."""
        return self.b @ self.s @ self.b.T


class MLObjective:
    """F, its gradient, expected information and Hessian of a RAM model (module docstring).

    Parameters
    ----------
    ram : Ram
        The model (no mean structure: complete-data ML fits the covariances only).
    s : ndarray
        The N-divisor sample covariance matrix of the observed variables (ram's order).

    The methods :meth:`value`, :meth:`first` and :meth:`hessian` serve
    :func:`surveysem.sem.optimizer.minimize`; :meth:`point` and :meth:`derivatives` give
    the pieces for callers that reuse them (refits).
    """

    def __init__(self, ram: Ram, s: np.ndarray):
        self.ram, self.p, self.k = ram, ram.p, ram.k
        a_mx, s_mx, _ = ram.matrices(np.zeros(ram.k))
        # working copies: only the free entries change, so they are overwritten in place
        self._a, self._s = a_mx, s_mx
        ai, aj, af, _ = ram.a
        si, sj, sf, _ = ram.s
        fa, fs = af >= 0, sf >= 0
        self.ia, self.ja, self.fa = ai[fa], aj[fa], af[fa]
        self.is_, self.js, self.fs = si[fs], sj[fs], sf[fs]
        self.na, self.ns = len(self.ia), len(self.is_)
        params = np.concatenate([self.fa, self.fs])
        ne = len(params)
        # entry -> parameter map J; a plain reordering when each parameter sets one entry
        self.jmat = np.zeros((ne, self.k))
        self.jmat[np.arange(ne), params] = 1.0
        one_to_one = ne == self.k and len(set(params.tolist())) == ne
        self.entry_of = np.argsort(params) if one_to_one else None
        w = np.ones(ne)
        w[self.na :][self.is_ == self.js] = 0.5
        self.w_s = w[self.na :]
        self.ww = np.outer(w, w)
        self.w2 = 2.0 * w
        self._eye = np.identity(ram.nv)
        # points do not depend on S: the last one and a pinned one (a refit's start) are kept
        self._cache: tuple | None = None
        self._pinned: tuple | None = None
        self.use(s)

    def use(self, s: np.ndarray) -> None:
        """Fit to the sample covariance matrix ``s`` from now on."""
        self.sample_cov = np.asarray(s, dtype=float)
        self.logdet_s = float(np.linalg.slogdet(self.sample_cov)[1])
        self._last: tuple | None = None  # (derivatives cache) at the current S

    def set_fixed_cov(self, i: np.ndarray, j: np.ndarray, values: np.ndarray) -> None:
        """Set fixed entries of S (e.g. covariates' moments, lavaan ``fixed.x``)."""
        self._s[i, j] = self._s[j, i] = values
        self._cache = self._pinned = self._last = None

    def to_params(self, entry_values: np.ndarray) -> np.ndarray:
        """Entry-level gradient (vector) or matrix summed to parameters: J' g or J' H J."""
        if self.entry_of is not None:
            e = self.entry_of
            return entry_values[e] if entry_values.ndim == 1 else entry_values[np.ix_(e, e)]
        if entry_values.ndim == 1:
            return self.jmat.T @ entry_values
        return self.jmat.T @ entry_values @ self.jmat

    def point(self, x: np.ndarray) -> Point | None:
        """Sigma and its pieces at x; None when Sigma is not positive definite."""
        a_mx, s_mx = self._a, self._s
        a_mx[self.ia, self.ja] = x[self.fa]
        s_mx[self.is_, self.js] = s_mx[self.js, self.is_] = x[self.fs]
        lu, piv, bad = lapack.dgetrf(self._eye - a_mx)
        if bad:
            return None
        b, bad = lapack.dgetri(lu, piv)
        if bad:
            return None
        m = b[: self.p]
        q = b @ s_mx @ m.T
        sigma = q[: self.p]
        # LAPACK directly: numpy.linalg's checks cost more than these small factorizations
        chol, bad = lapack.dpotrf(sigma, lower=1, clean=0)
        if bad or not np.all(np.isfinite(sigma)):
            return None
        inv, bad = lapack.dpotri(chol, lower=1)
        if bad:
            return None
        inv = np.tril(inv) + np.tril(inv, -1).T
        logdet = 2.0 * float(np.sum(np.log(np.diag(chol))))
        return Point(x.copy(), sigma, inv, logdet, b, m, q, s_mx.copy())

    def f(self, pt: Point | None) -> float:
        """F at the point (``inf`` outside the positive definite region)."""
        if pt is None:
            return np.inf
        return pt.logdet + float(np.sum(pt.inv * self.sample_cov)) - self.logdet_s - self.p

    def derivatives(self, pt: Point):
        """Gradient and expected information at the point, and what the Hessian needs."""
        p_inv, m, q = pt.inv, pt.m, pt.q
        r = p_inv @ self.sample_cov @ p_inv
        w_mat = p_inv - r
        u = np.concatenate([m[:, self.ia].T, m[:, self.is_].T])
        v = np.concatenate([q[self.ja], m[:, self.js].T])
        uw = u @ w_mat
        grad_e = self.w2 * np.einsum("ij,ij->i", uw, v)
        pu, pv = u @ p_inv, v @ p_inv
        p_uu, p_uv, p_vv = pu @ u.T, pu @ v.T, pv @ v.T
        info_e = 2.0 * self.ww * (p_uv * p_uv.T + p_uu * p_vv)
        grad, info = self.to_params(grad_e), self.to_params(info_e)
        return grad, info, (pt, r, w_mat, u, v, uw, p_uu, p_uv, p_vv, info_e)

    def hessian_at(self, cache) -> np.ndarray:
        """The Hessian of F at the point of :meth:`derivatives` (module docstring)."""
        pt, r, w_mat, u, v, uw, p_uu, p_uv, p_vv, info_e = cache
        b, m, q, s_mx = pt.b, pt.m, pt.q, pt.s
        ru, rv = u @ r, v @ r
        r_uu, r_uv, r_vv = ru @ u.T, ru @ v.T, rv @ v.T
        k_e = self.ww * (p_uv.T * r_uv + p_vv * r_uu + p_uu * r_vv + p_uv * r_uv.T)
        hess_e = k_e + k_e.T - info_e
        na = self.na
        if na:
            x_w = uw[:na]  # m_i' W for each path entry A_ij
            y = b[self.ja]  # y_j: row j of B
            block = hess_e[:na, :na]
            block += 2.0 * (x_w @ u[:na].T) * (y @ s_mx @ y.T)
            xn = x_w @ q.T  # m_i' N, N = W Q'
            t_a = 2.0 * y[:, self.ia] * xn[:, self.ja]  # [b, a] = 2 B_(l_b, i_a) (m_b' N)_(j_a)
            block += t_a + t_a.T
            if self.ns:
                v1 = x_w @ m  # m_i' W m_c
                t_s = y[:, self.is_] * v1[:, self.js] + y[:, self.js] * v1[:, self.is_]
                t_s *= 2.0 * self.w_s
                hess_e[:na, na:] += t_s
                hess_e[na:, :na] += t_s.T
        hess = self.to_params(hess_e)
        return (hess + hess.T) / 2

    # -- the optimizer's protocol (surveysem.sem.optimizer) ---------------------------------
    def point_cached(self, x: np.ndarray) -> Point | None:
        """:meth:`point`, reusing the last point or the pinned one when x is theirs."""
        for cached in (self._cache, self._pinned):
            if cached is not None and np.array_equal(cached[0], x):
                return cached[1]
        pt = self.point(x)
        self._cache = (x.copy(), pt)
        return pt

    def pin(self, x: np.ndarray) -> None:
        """Keep the point at x (a start used again and again) until fixed values change."""
        self._pinned = (x.copy(), self.point(x))

    def value(self, x: np.ndarray) -> float:
        return self.f(self.point_cached(x))

    def first(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and expected information (the scoring curvature) at x."""
        grad, info, cache = self.derivatives(self.point_cached(x))
        self._last = cache
        return grad, info

    def hessian(self, x: np.ndarray) -> np.ndarray:
        """Hessian at x (reuses :meth:`first` at the same x)."""
        if self._last is None or self._last[0] is not self.point_cached(x):
            self.first(x)
        return self.hessian_at(self._last)
