"""Least-squares estimators GLS and ULS as lavaan 0.6.14 computes them.

Both are fitted to the *unbiased* sample covariance matrix ``S = sum_i d_i d_i' / (N - 1)``
(lavaan rescales S to the N divisor only for ML). With ``s = vech(S)``,
``sigma = vech(Sigma(theta))`` and ``r = s - sigma`` (lower triangle with diagonal, p* entries)
they minimize ``F = r' W r``:

* GLS (Browne 1984, normal-theory weight): ``W = 1/2 D'(S^-1 x S^-1) D``, i.e.
  ``F_GLS = 1/2 tr{[S^-1 (S - Sigma)]^2}``;
* ULS: ``W = I`` on vech, i.e. ``F_ULS = sum_(i <= j) (s_ij - sigma_ij)^2``.

lavaan conventions reproduced here (``lav_model_objective``, ``lav_test``, ``lav_model_vcov``):

* ``fmin = 1/2 (N - 1)/N F`` and ``chisq = 2 N fmin = (N - 1) F``. For ULS lavaan reports no
  p-value (the statistic has no chi-square reference distribution), so ``pvalue`` is NaN.
* Standard errors (``se = "standard"``, ``information = "expected"``):
  ``vcov = (Delta' W Delta)^-1 / (N - 1)`` with ``Delta = d sigma / d theta'``. For GLS this
  is the normal-theory asymptotic covariance; for ULS it treats W = I as if it were the
  optimal weight, which is lavaan's default for ``estimator = "ULS"`` (not a sandwich; lavaan
  uses the robust ``Delta' W Gamma W Delta`` sandwich only for ULSM/ULSMV).
* The baseline model (diagonal Sigma) is fitted with the same estimator: for ULS
  ``sigma_jj = s_jj`` and ``F_b = sum_(i < j) s_ij^2``; for GLS the variances solve
  ``(S^-1 o S^-1) d = diag(S^-1)`` (``o`` the elementwise product). As lavaan's, the baseline
  of a model with observed covariates also frees the covariances among them.

The minimization is Gauss-Newton (``Delta' W Delta`` as curvature) with step halving, started
from the ML estimates; with ``nonnegative_variances`` it is projected onto variances >= 0.

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

from . import matrices

LS_ESTIMATORS = ("GLS", "ULS")


def unbiased_cov(sample_cov: np.ndarray, n: int) -> np.ndarray:
    """The N - 1 divisor covariance matrix lavaan fits GLS and ULS to."""
    return np.asarray(sample_cov, dtype=float) * n / (n - 1)


class Discrepancy:
    """``F = <S - Sigma, S - Sigma>_W`` with the inner product of the estimator on vech.

    ``<A, B>_W = vech(A)' W vech(B)`` for symmetric A, B:
    GLS ``1/2 tr(S^-1 A S^-1 B)``; ULS ``1/2 [sum_ij a_ij b_ij + sum_i a_ii b_ii]``.
    """

    def __init__(self, estimator: str, s: np.ndarray):
        if estimator not in LS_ESTIMATORS:
            raise ValueError(f"not a least-squares estimator: {estimator!r}")
        self.estimator = estimator
        self.s = np.asarray(s, dtype=float)
        self.sinv = np.linalg.inv(self.s) if estimator == "GLS" else None

    def inner(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """<a_k, b_l> for stacks ``a`` (K x p x p) and ``b`` (L x p x p): a K x L array."""
        if self.estimator == "GLS":
            va = np.einsum("ij,kjl->kil", self.sinv, a)
            vb = np.einsum("ij,kjl->kil", self.sinv, b)
            return 0.5 * np.einsum("kij,lji->kl", va, vb)
        diag_a = np.einsum("kii->ki", a)
        diag_b = np.einsum("kii->ki", b)
        return 0.5 * (np.einsum("kij,lij->kl", a, b) + diag_a @ diag_b.T)

    def value(self, sigma: np.ndarray) -> float:
        """F at the implied covariance matrix ``sigma``."""
        r = (self.s - sigma)[None]
        return float(self.inner(r, r)[0, 0])

    def parts(self, model) -> tuple[float, np.ndarray, np.ndarray]:
        """F, its gradient ``-2 Delta' W r`` and ``Delta' W Delta`` at the model's parameters."""
        sigma, (m, c) = model.calc_sigma()
        derivs = np.asarray(model.calc_sigma_grad(m, c), dtype=float).reshape(-1, *sigma.shape)
        r = (self.s - sigma)[None]
        f = float(self.inner(r, r)[0, 0])
        grad = -2.0 * self.inner(derivs, r)[:, 0]
        info = self.inner(derivs, derivs)
        return f, grad, info


def minimize(
    model,
    disc: Discrepancy,
    x: np.ndarray,
    variance_mask: np.ndarray,
    nonneg: bool,
    max_iter: int = 500,
) -> tuple[np.ndarray, float]:
    """Gauss-Newton from ``x`` with step halving; returns (x, max |dF/dtheta|).

    Same active-set rule as the ML Fisher scoring: with ``nonneg``, variances at 0 whose
    gradient pushes them below 0 are held at 0.
    """
    x = np.asarray(x, dtype=float).copy()
    if nonneg:
        x[variance_mask] = np.maximum(x[variance_mask], 0.0)
    matrices.set_params(model, x)
    f, grad, info = disc.parts(model)
    clamped = np.zeros_like(variance_mask)
    for _ in range(max_iter):
        clamped = nonneg & variance_mask & (x <= 0) & (grad > 0)
        act = ~clamped
        if np.max(np.abs(grad[act]), initial=0.0) < 1e-12:
            break
        step = np.zeros_like(x)
        try:
            step[act] = -0.5 * np.linalg.solve(info[np.ix_(act, act)], grad[act])
        except np.linalg.LinAlgError:
            step[act] = -0.5 * np.linalg.lstsq(info[np.ix_(act, act)], grad[act], rcond=None)[0]
        t, accepted = 1.0, False
        for _ in range(40):
            x_new = x + t * step
            if nonneg:
                x_new[variance_mask] = np.maximum(x_new[variance_mask], 0.0)
            matrices.set_params(model, x_new)
            try:
                f_new = disc.value(matrices.implied_cov(model))
            except np.linalg.LinAlgError:
                f_new = np.inf
            if np.isfinite(f_new) and f_new <= f + 1e-14 * max(1.0, abs(f)):
                accepted = True
                break
            t /= 2
        if not accepted:
            break
        moved = np.max(np.abs(x_new - x))
        x = x_new
        f, grad, info = disc.parts(model)
        if moved < 1e-13 * (1 + np.max(np.abs(x))):
            break
    matrices.set_params(model, x)
    f, grad, _ = disc.parts(model)
    clamped = nonneg & variance_mask & (x <= 0) & (grad > 0)
    return x, float(np.max(np.abs(grad[~clamped]), initial=0.0))


def vcov(model, disc: Discrepancy, n: int) -> np.ndarray:
    """``(Delta' W Delta)^-1 / (N - 1)`` in semopy's order; NaN when singular."""
    _, _, info = disc.parts(model)
    k = info.shape[0]
    out = np.full((k, k), np.nan)
    if k == 0:
        return out
    eig = np.linalg.eigvalsh(info)
    if eig.min() <= 1e-10 * eig.max():
        return out
    return np.linalg.inv(info) / (n - 1)


def baseline_discrepancy(estimator: str, s: np.ndarray, covariates: Sequence[int] = ()) -> float:
    """Minimum of F over the baseline Sigma (the independence model), see the module docstring.

    The baseline has free variances and, as lavaan's, free covariances among the observed
    covariates at positions ``covariates``. Sigma is linear in these free elements, so F is a
    quadratic in them and its minimum solves the normal equations ``<E_k, E_l> t = <E_k, S>``
    (``E_k`` the symmetric unit matrix of element k); for diagonal Sigma these are the
    equations of the module docstring.
    """
    disc = Discrepancy(estimator, s)
    p = len(s)
    pairs = [(j, j) for j in range(p)] + list(combinations(sorted(covariates), 2))
    basis = np.zeros((len(pairs), p, p))
    for k, (a, b) in enumerate(pairs):
        basis[k, a, b] = basis[k, b, a] = 1.0
    t = np.linalg.solve(disc.inner(basis, basis), disc.inner(basis, disc.s[None])[:, 0])
    return disc.value(np.einsum("k,kij->ij", t, basis))
