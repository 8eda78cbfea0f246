"""Least-squares estimators GLS, ULS and DWLS (WLSMV on continuous items) as lavaan 0.6.14
computes them.

All are fitted to the *unbiased* sample covariance matrix ``S = sum_i d_i d_i' / (N - 1)``
(lavaan rescales S to the N divisor only for ML). With ``s = vech(S)``,
``sigma = vech(Sigma(theta))`` and ``r = s - sigma`` (lower triangle with diagonal, p* entries)
they minimize ``F = r' W r``:

* GLS (Browne 1984, normal-theory weight): ``W = 1/2 D'(S^-1 x S^-1) D``, i.e.
  ``F_GLS = 1/2 tr{[S^-1 (S - Sigma)]^2}``;
* ULS: ``W = I`` on vech, i.e. ``F_ULS = sum_(i <= j) (s_ij - sigma_ij)^2``;
* DWLS (lavaan ``estimator = "WLSMV"`` with continuous items): ``W = diag(Gamma)^-1`` with
  ``Gamma`` the asymptotically distribution-free covariance matrix of vech(S) (Browne 1984;
  N divisor, :func:`adf_gamma`), i.e. ``F_DWLS = sum_(i <= j) (s_ij - sigma_ij)^2 / gamma_ij``.

lavaan conventions reproduced here (``lav_model_objective``, ``lav_test``, ``lav_model_vcov``):

* ``fmin = 1/2 (N - 1)/N F`` and ``chisq = 2 N fmin = (N - 1) F``. For ULS lavaan reports no
  p-value (the statistic has no chi-square reference distribution), so ``pvalue`` is NaN.
* Standard errors (``se = "standard"``, ``information = "expected"``):
  ``vcov = (Delta' W Delta)^-1 / (N - 1)`` with ``Delta = d sigma / d theta'``. For GLS this
  is the normal-theory asymptotic covariance; for ULS it treats W = I as if it were the
  optimal weight, which is lavaan's default for ``estimator = "ULS"`` (not a sandwich; lavaan
  uses the robust ``Delta' W Gamma W Delta`` sandwich only for ULSM/ULSMV).
* WLSMV: robust SEs (``se = "robust.sem"``) ``E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)``,
  ``E = Delta' W Delta`` (:func:`robust_sem_vcov`), and the scaled-and-shifted test
  (``test = "scaled.shifted"``) from ``U Gamma``, ``U = W - W Delta E^-1 Delta' W``
  (:func:`u_gamma`; Asparouhov & Muthén 2010).
* GLS, ULS and WLSMV with sampling weights (``sampling.weights``): S is the weighted
  covariance matrix with divisor ``sum w = N`` (lavaan ``cov.wt(method = "ML")``, not
  rescaled), while the WLSMV Gamma stays the ADF matrix of the unweighted rows (lavaan
  0.6.14 computes ``NACOV`` from the data without the weights); the formulas above are
  otherwise unchanged (several groups: N_g the group's sum of weights).
* The baseline model (diagonal Sigma) is fitted with the same estimator: for ULS
  ``sigma_jj = s_jj`` and ``F_b = sum_(i < j) s_ij^2``; for GLS the variances solve
  ``(S^-1 o S^-1) d = diag(S^-1)`` (``o`` the elementwise product). As lavaan's, the baseline
  of a model with observed covariates also frees the covariances among them.

The minimization is Gauss-Newton (``2 Delta' W Delta`` as curvature, :class:`Objective` for
:func:`surveysem.sem.optimizer.minimize`), started from the ML estimates.

In G groups lavaan adds a mean structure: group g's statistics are its means and vech(S_g)
(divisor N_g - 1), its weight ``WLS.V`` (:func:`group_weight`) is ``blockdiag(S_g^-1, 1/2
D'(S_g^-1 x S_g^-1) D)`` for GLS, the identity for ULS and ``diag(Gamma_g)^-1`` for DWLS, and
``F = sum_g (N_g - 1)/N r_g' W_g r_g`` (:class:`GroupsLs`), so ``chisq = N F = sum_g (N_g - 1)
F_g`` and ``fmin = F/2``. GLS/ULS standard errors: :func:`group_vcov` (N - G).

References
----------
Browne, M. W. (1974). Generalized least squares estimators in the analysis of covariance
structures. South African Statistical Journal, 8, 1-24.

Browne, M. W. (1984). Asymptotically distribution-free methods for the analysis of covariance
structures. British Journal of Mathematical and Statistical Psychology, 37(1), 62-83.
https://doi.org/10.1111/j.2044-8317.1984.tb00789.x

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). https://doi.org/10.18637/jss.v048.i02
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations

import numpy as np
from scipy.linalg import block_diag

from surveysem.sem.model.ram import Ram

LS_ESTIMATORS = ("GLS", "ULS", "WLSMV")


def unbiased_cov(sample_cov: np.ndarray, n: int) -> np.ndarray:
    """The N - 1 divisor covariance matrix lavaan fits GLS and ULS to."""
    return np.asarray(sample_cov, dtype=float) * n / (n - 1)


class Discrepancy:
    """``F = <S - Sigma, S - Sigma>_W`` with the inner product of the estimator on vech.

    ``<A, B>_W = vech(A)' W vech(B)`` for symmetric A, B:
    GLS ``1/2 tr(S^-1 A S^-1 B)``; ULS ``1/2 [sum_ij a_ij b_ij + sum_i a_ii b_ii]``;
    WLSMV (DWLS) ``sum_(i <= j) w_ij a_ij b_ij`` with ``w = 1 / diag(gamma)`` (``gamma``:
    :func:`adf_gamma` of the data, required for WLSMV).
    """

    def __init__(self, estimator: str, s: np.ndarray, gamma: np.ndarray | None = None):
        if estimator not in LS_ESTIMATORS:
            raise ValueError(f"not a least-squares estimator: {estimator!r}")
        self.estimator = estimator
        self.s = np.asarray(s, dtype=float)
        self.sinv = np.linalg.inv(self.s) if estimator == "GLS" else None
        self.low = np.tril_indices(len(self.s))
        self.w = 1.0 / np.diag(gamma) if estimator == "WLSMV" else None

    def inner(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """<a_k, b_l> for stacks ``a`` (K x p x p) and ``b`` (L x p x p): a K x L array."""
        if self.estimator == "GLS":
            va = np.einsum("ij,kjl->kil", self.sinv, a)
            vb = np.einsum("ij,kjl->kil", self.sinv, b)
            return 0.5 * np.einsum("kij,lji->kl", va, vb)
        if self.estimator == "WLSMV":
            i, j = self.low
            return (a[:, i, j] * self.w) @ b[:, i, j].T
        diag_a = np.einsum("kii->ki", a)
        diag_b = np.einsum("kii->ki", b)
        return 0.5 * (np.einsum("kij,lij->kl", a, b) + diag_a @ diag_b.T)

    def value(self, sigma: np.ndarray) -> float:
        """F at the implied covariance matrix ``sigma``."""
        r = (self.s - sigma)[None]
        return float(self.inner(r, r)[0, 0])

    def parts(self, sigma: np.ndarray, derivs: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        """F, its gradient ``-2 Delta' W r`` and ``Delta' W Delta`` at Sigma with the
        derivatives ``derivs`` (k x p x p) of Sigma."""
        r = (self.s - sigma)[None]
        f = float(self.inner(r, r)[0, 0])
        grad = -2.0 * self.inner(derivs, r)[:, 0]
        info = self.inner(derivs, derivs)
        return f, grad, info


class Objective:
    """The discrepancy of a RAM model, for :func:`surveysem.sem.optimizer.minimize`."""

    def __init__(self, ram: Ram, disc: Discrepancy):
        self.ram, self.disc = ram, disc

    def value(self, x: np.ndarray) -> float:
        sigma = self.ram.moments(x)[1]
        return self.disc.value(sigma) if np.all(np.isfinite(sigma)) else np.inf

    def first(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient and Gauss-Newton curvature ``2 Delta' W Delta``."""
        _, grad, info = self.disc.parts(self.ram.moments(x)[1], self.ram.jacobian(x)[0])
        return grad, 2.0 * info


def vcov(curvature: np.ndarray, n: int) -> np.ndarray:
    """``(Delta' W Delta)^-1 / (N - 1)`` from the curvature ``2 Delta' W Delta``; NaN when
    singular."""
    k = curvature.shape[0]
    out = np.full((k, k), np.nan)
    if k == 0:
        return out
    eig = np.linalg.eigvalsh(curvature)
    if eig.min() <= 1e-10 * eig.max():
        return out
    return 2.0 * np.linalg.inv(curvature) / (n - 1)


def adf_gamma(values: np.ndarray, meanstructure: bool = False) -> np.ndarray:
    """N times the asymptotic covariance matrix of vech(S), distribution-free (Browne 1984;
    lavaan's ``Gamma`` with ``gamma.n.minus.one = FALSE``): the covariance matrix, divisor N,
    of ``vech(d_i d_i')`` over the cases, ``d_i`` the centred rows (vech order of
    ``np.tril_indices``). With ``meanstructure`` the statistics are the means, then vech(S)
    (lavaan's order with a mean structure): the covariance matrix of ``(d_i, vech(d_i d_i'))``,
    whose mean block is S and whose off-diagonal blocks are the third moments."""
    d = values - values.mean(axis=0)
    i, j = np.tril_indices(values.shape[1])
    z = d[:, i] * d[:, j]
    if meanstructure:
        z = np.hstack([d, z])
    z = z - z.mean(axis=0)
    return z.T @ z / len(z)


def robust_sem_vcov(jacobians, gammas, ns) -> np.ndarray:
    """lavaan ``se = "robust.sem"`` over groups g (one for continuous items):
    ``H^-1 J H^-1`` with ``H = sum_g (N_g - 1) Delta_g' W_g Delta_g`` and ``J = sum_g (N_g - 1)
    Delta_g' W_g Gamma_g W_g Delta_g``, ``W_g = diag(Gamma_g)^-1`` (Muthén, du Toit & Spisic
    1997); NaN when H is singular (the model is not identified)."""
    bread = meat = 0.0
    for delta, gamma, n in zip(jacobians, gammas, ns, strict=True):
        wd = (n - 1) / np.diag(gamma)[:, None] * delta
        bread = bread + delta.T @ wd
        meat = meat + wd.T @ gamma @ wd / (n - 1)
    k = len(bread)
    eig = np.linalg.eigvalsh(bread)
    if eig.min() <= 1e-10 * eig.max():
        return np.full((k, k), np.nan)
    bread_inv = np.linalg.inv(bread)
    vcov = bread_inv @ meat @ bread_inv
    return (vcov + vcov.T) / 2


def u_gamma(delta: np.ndarray, gammas, ns) -> np.ndarray:
    """``U Omega`` of the scaled-and-shifted test of a DWLS fit in G groups (Asparouhov &
    Muthén 2010; lavaan ``lav_test_satorra_bentler``) with the stacked Jacobian ``delta``
    (statistics of every group by parameters), each group's ``Gamma_g`` in ``gammas`` and its
    size in ``ns``: ``U = A - A Delta (Delta' A Delta)^-1 Delta' A``, ``A = blockdiag((N_g - 1)
    W_g)``, ``W_g = diag(Gamma_g)^-1``, ``Omega = blockdiag(Gamma_g / (N_g - 1))``. In one
    group ``U Omega = (W - W Delta E^-1 Delta' W) Gamma``, ``E = Delta' W Delta``."""
    a = np.concatenate([(n - 1) / np.diag(g) for g, n in zip(gammas, ns, strict=True)])
    omega = block_diag(*[g / (n - 1) for g, n in zip(gammas, ns, strict=True)])
    ad = a[:, None] * delta
    return (np.diag(a) - ad @ np.linalg.solve(delta.T @ ad, ad.T)) @ omega


def _times(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``W v`` for a weight matrix ``w`` given in full or, 1-D, by its diagonal."""
    return w @ v if w.ndim == 2 else (w * v.T).T


def _unit_matrices(p: int, pairs) -> np.ndarray:
    """The symmetric unit matrices ``E_(a,b)`` (ones at (a, b) and (b, a)) of ``pairs``."""
    basis = np.zeros((len(pairs), p, p))
    for k, (a, b) in enumerate(pairs):
        basis[k, a, b] = basis[k, b, a] = 1.0
    return basis


def group_weight(estimator: str, s: np.ndarray, gamma: np.ndarray | None = None) -> np.ndarray:
    """lavaan's ``WLS.V`` of one group with a mean structure, the statistics ordered (means,
    vech(S)) (vech in ``np.tril_indices`` order): GLS ``blockdiag(S^-1, 1/2 D'(S^-1 x S^-1)
    D)`` (the normal-theory weight at the N_g - 1 divisor S), ULS the identity, both as full
    matrices; WLSMV (DWLS) the diagonal ``1/diag(Gamma)`` as a vector. The vech block is the
    inner product of :class:`Discrepancy` on the unit matrices, so ``r' W r`` is its F."""
    if estimator == "WLSMV":
        return 1.0 / np.diag(gamma)
    disc = Discrepancy(estimator, s)
    p = len(disc.s)
    basis = _unit_matrices(p, list(zip(*(ix.tolist() for ix in disc.low), strict=True)))
    means = disc.sinv if estimator == "GLS" else np.eye(p)
    return block_diag(means, disc.inner(basis, basis))


class GroupsLs:
    """The least-squares discrepancy of G groups, ``F = sum_g (N_g - 1)/N r_g' W_g r_g`` with
    ``r_g = s_g - sigma_g(theta)`` and lavaan's weights ``W_g`` in ``weights`` (full, or 1-D
    diagonal; :func:`group_weight`) (lavaan: ``fmin = F/2``, ``chisq = N F``), with its
    gradient and Gauss-Newton curvature for :func:`~surveysem.sem.optimizer.minimize`.
    ``model`` gives ``implied(g, x)`` (sigma_g) and ``jacobian(g, x)`` (Delta_g, statistics
    by parameters); ``stats`` the s_g."""

    def __init__(self, model, stats, weights, ns):
        n = sum(ns)
        self.model = model
        self.stats = [np.asarray(s, dtype=float) for s in stats]
        self.w = list(weights)
        self.scale = [(m - 1) / n for m in ns]

    def value(self, x: np.ndarray) -> float:
        try:
            resid = [s - self.model.implied(g, x) for g, s in enumerate(self.stats)]
        except np.linalg.LinAlgError:  # I - B singular
            return np.inf
        f = sum(
            c * float(r @ _times(w, r)) for r, w, c in zip(resid, self.w, self.scale, strict=True)
        )
        return f if np.isfinite(f) else np.inf

    def first(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        grad, curv = np.zeros(len(x)), np.zeros((len(x), len(x)))
        for g, (s, w, c) in enumerate(zip(self.stats, self.w, self.scale, strict=True)):
            delta = self.model.jacobian(g, x)
            wd = c * _times(w, delta)
            grad -= 2 * wd.T @ (s - self.model.implied(g, x))
            curv += 2 * delta.T @ wd
        return grad, curv


def group_vcov(jacobians, weights, ns) -> np.ndarray:
    """lavaan ``se = "standard"`` (expected information) of GLS or ULS in G groups:
    ``(sum_g N_g/N Delta_g' W_g Delta_g)^-1 / (N - G)`` (``lav_model_information_expected``
    weighs the groups by N_g/N, ``lav_model_vcov`` divides by N - G for estimators other than
    ML); in one group :func:`vcov`. NaN when singular."""
    n = sum(ns)
    info = sum(
        m / n * delta.T @ _times(w, delta)
        for delta, w, m in zip(jacobians, weights, ns, strict=True)
    )
    return vcov(2.0 * info, n - len(ns) + 1)


def baseline_discrepancy(
    estimator: str, s: np.ndarray, covariates: Sequence[int] = (), gamma: np.ndarray | None = None
) -> float:
    """Minimum of F over the baseline Sigma (the independence model), see the module docstring.

    The baseline has free variances and, as lavaan's, free covariances among the observed
    covariates at positions ``covariates``. Sigma is linear in these free elements, so F is a
    quadratic in them and its minimum solves the normal equations ``<E_k, E_l> t = <E_k, S>``
    (``E_k`` the symmetric unit matrix of element k); for diagonal Sigma these are the
    equations of the module docstring.
    """
    disc = Discrepancy(estimator, s, gamma)
    p = len(s)
    pairs = [(j, j) for j in range(p)] + list(combinations(sorted(covariates), 2))
    basis = _unit_matrices(p, pairs)
    t = np.linalg.solve(disc.inner(basis, basis), disc.inner(basis, disc.s[None])[:, 0])
    return disc.value(np.einsum("k,kij->ij", t, basis))
