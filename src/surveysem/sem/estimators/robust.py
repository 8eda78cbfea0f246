"""Robust maximum likelihood (lavaan ``estimator = "MLR"``): sandwich SEs, Yuan-Bentler test.

The estimates are the normal-theory ML estimates; only the standard errors and the test
statistic are corrected for non-normality, exactly as lavaan 0.6.14 does for ``"MLR"``
(``se = "robust.huber.white"``, ``information = "observed"``,
``observed.information = "hessian"``, ``h1.information.meat = "structured"``,
``test = "yuan.bentler.mplus"``). Notation: N complete cases ``x_i`` with mean ``xbar``,
``d_i = x_i - xbar``, p observed variables, ``p* = p(p+1)/2``, k free parameters, S the
N-divisor sample covariance matrix, ``Sigma = Sigma(theta_hat)``, ``Sigma_k = dSigma/dtheta_k``
and F the ML discrepancy (lavaan's objective is ``fmin = F/2``).

Standard errors (Huber-White sandwich)
    Bread: the unit *observed* information ``A = d^2 (F/2) / dtheta dtheta'``, the Hessian of
    lavaan's objective, in closed form (:mod:`surveysem.sem.estimators.ml`; lavaan's
    ``lav_model_hessian`` differentiates its analytic gradient numerically). Meat: the outer
    product of the case-wise scores
    ``s_ik = 1/2 [d_i' Sigma^-1 Sigma_k Sigma^-1 d_i - tr(Sigma^-1 Sigma_k)]`` evaluated at the
    model-implied Sigma ("structured"), ``B = (1/N) sum_i s_i s_i'``. Then
    ``vcov = A^-1 B A^-1 / N``.

Scaled test (Yuan & Bentler 2000, Mplus variant)
    ``c = (tr_h1 - tr_h0) / df`` and ``chisq.scaled = chisq / c`` with

    * ``tr_h1 = tr(A1^-1 B1)`` for the saturated model at the sample moments: A1 is its unit
      information ``1/2 D'(S^-1 x S^-1) D`` and B1 the outer product of its case-wise scores.
      This reduces to ``tr_h1 = (b_2p - p) / 2`` with ``b_2p = mean_i (d_i' S^-1 d_i)^2``
      (Mardia's multivariate kurtosis); under normality ``tr_h1 = p*``.
    * ``tr_h0 = tr(B A^-1)`` with the bread and meat of the sandwich above.

    lavaan reports ``scaling.factor.h1 = tr_h1 / p*`` and ``scaling.factor.h0 = tr_h0 / k``.
    The baseline (independence) model ``Sigma_b = diag(S)`` gets the same correction; its
    observed information is ``diag(1 / (2 s_jj^2))`` and its scores
    ``(z_ij^2 - 1) / (2 s_jj)``, so ``tr_h0,b = 1/2 sum_j (mean_i z_ij^4 - 1)`` with
    ``z_ij = d_ij / sqrt(s_jj)``, and ``c_b = (tr_h1 - tr_h0,b) / (p* - p)``.

References
----------
Yuan, K.-H., & Bentler, P. M. (2000). Three likelihood-based methods for mean and covariance
structure analysis with nonnormal missing data. Sociological Methodology, 30, 165-200.
https://doi.org/10.1111/0081-1750.00078

Satorra, A., & Bentler, P. M. (1994). Corrections to test statistics and standard errors in
covariance structure analysis. In A. von Eye & C. C. Clogg (Eds.), Latent variables analysis
(pp. 399-419). Sage.

Muthen, L. K., & Muthen, B. O. (1998-2017). Mplus user's guide, technical appendix 4
(MLR chi-square).

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). ``R/lav_model_vcov.R``, ``R/lav_test_yuan_bentler.R``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class YuanBentlerTest:
    """Ingredients of lavaan's ``yuan.bentler.mplus`` test for a model and its baseline.

    Attributes
    ----------
    scaling_factor : c = (trace_h1 - trace_h0) / df (NaN when df = 0 or c < 0, as lavaan).
    trace_ugamma : trace_h1 - trace_h0 (= c df).
    trace_h1, trace_h0 : traces of the saturated and the fitted model (module docstring).
    h1_ndat, npar : p* and k, the divisors of ``scaling.factor.h1`` / ``scaling.factor.h0``
        (lavaan counts k before equality constraints: each constrained copy is a parameter).
    baseline_scaling_factor : c_b of the independence model.
    """

    scaling_factor: float
    trace_ugamma: float
    trace_h1: float
    trace_h0: float
    h1_ndat: int
    npar: int
    baseline_scaling_factor: float

    @property
    def scaling_factor_h1(self) -> float:
        return self.trace_h1 / self.h1_ndat

    @property
    def scaling_factor_h0(self) -> float:
        return self.trace_h0 / self.npar if self.npar else np.nan


def casewise_scores(
    sigma: np.ndarray, d_sig: np.ndarray, centered: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Scores of the case-wise normal log-likelihood at the implied ``sigma``.

    ``s_ik = 1/2 [d_i' Sigma^-1 Sigma_k Sigma^-1 d_i - tr(Sigma^-1 Sigma_k)]`` with ``d_i``
    the rows of ``centered`` (data minus column means) and ``Sigma_k = d_sig[k]``; returns an
    ``N x k`` array. With sampling ``weights`` the rows are the weighted scores ``w_i s_i``
    (lavaan ``lav_mvnorm_scores_vech_sigma(wt = )``), ``d_i`` centred at the weighted mean.
    """
    sinv = np.linalg.inv(sigma)
    a = np.einsum("ij,kjl,lm->kim", sinv, d_sig, sinv)
    quad = np.einsum("ni,kij,nj->nk", centered, a, centered)
    scores = 0.5 * (quad - np.einsum("ij,kji->k", sinv, d_sig))
    return scores if weights is None else scores * np.asarray(weights, dtype=float)[:, None]


def trace_h1(
    centered: np.ndarray,
    s: np.ndarray,
    weights: np.ndarray | None = None,
    fixed: Sequence[int] = (),
) -> float:
    """tr(A1^-1 B1) of the saturated model: ``(mean_i (d_i' S^-1 d_i)^2 - p) / 2``.

    With sampling weights (normalized to sum to N, S and ``d_i`` the weighted moments) the
    scores are ``w_i s_i`` and the trace is
    ``1/(2N) sum_i w_i^2 (m_i^2 - 2 m_i + p)``, ``m_i = d_i' S^-1 d_i``; for ``w_i = 1`` this is
    the unweighted formula, because then ``sum_i m_i = N p``.

    With observed covariates at positions ``fixed`` (lavaan ``fixed.x``) the moments among them
    are not data: their rows and columns leave A1 and B1 before the trace is taken, which has
    no closed form. Then, with ``u_i = S^-1 d_i`` and ``c_ab`` = 1/2 on the diagonal and 1
    off it, the case-wise scores of ``sigma_ab`` are ``c_ab (u_ia u_ib - S^-1_ab)`` and
    ``A1[ab, cd] = c_ab c_cd (S^-1_ac S^-1_bd + S^-1_ad S^-1_bc)``, both over the other
    elements of vech(S).
    """
    p = s.shape[0]
    sinv = np.linalg.inv(s)
    if not len(fixed):
        mahal = np.einsum("ni,ij,nj->n", centered, sinv, centered)
        if weights is None:
            return float(0.5 * (np.mean(mahal**2) - p))
        w2 = np.asarray(weights, dtype=float) ** 2
        return float(0.5 * np.sum(w2 * (mahal**2 - 2 * mahal + p)) / np.sum(weights))
    a, b = np.tril_indices(p)
    data = ~(np.isin(a, fixed) & np.isin(b, fixed))
    a, b = a[data], b[data]
    half = np.where(a == b, 0.5, 1.0)
    u = centered @ sinv
    scores = half * (u[:, a] * u[:, b] - sinv[a, b])
    if weights is not None:
        scores = scores * np.asarray(weights, dtype=float)[:, None]
    meat = scores.T @ scores / (len(u) if weights is None else np.sum(weights))
    info = np.outer(half, half) * (
        sinv[np.ix_(a, a)] * sinv[np.ix_(b, b)] + sinv[np.ix_(a, b)] * sinv[np.ix_(b, a)]
    )
    return float(np.sum(meat * np.linalg.inv(info).T))


def baseline_trace_h0(
    centered: np.ndarray,
    s: np.ndarray,
    weights: np.ndarray | None = None,
    fixed: Sequence[int] = (),
) -> float:
    """tr(B A^-1) of the independence model: ``1/2 sum_j (mean_i z_ij^4 - 1)``.

    Weighted: ``1/(2N) sum_j sum_i w_i^2 (z_ij^2 - 1)^2`` (scores ``w_i (z_ij^2 - 1)/(2 s_jj)``).
    The sums run over the variables that are not covariates at positions ``fixed``, whose
    moments the baseline fixes (lavaan ``fixed.x``).
    """
    free = np.setdiff1d(np.arange(s.shape[0]), fixed)
    z2 = centered[:, free] ** 2 / np.diag(s)[free]
    if weights is None:
        return float(0.5 * np.sum(np.mean(z2**2, axis=0) - 1.0))
    w2 = np.asarray(weights, dtype=float) ** 2
    return float(0.5 * np.sum(w2[:, None] * (z2 - 1.0) ** 2) / np.sum(weights))


def _scaling(trace_ugamma: float, df: int) -> float:
    if df <= 0:
        return np.nan
    c = trace_ugamma / df
    return c if c >= 0 else np.nan


def yuan_bentler_test(
    tr_h1: float,
    tr_h0: float,
    tr_baseline: float,
    ndat: int,
    npar: int,
    df_baseline: int,
    h0_npar: int | None = None,
) -> YuanBentlerTest:
    """The test from the traces of the saturated, fitted and baseline models (module
    docstring), whatever likelihood they come from (complete data or FIML); df = ndat -
    npar. ``h0_npar``: the divisor of ``scaling.factor.h0`` when it is not ``npar`` (the
    free parameters before equality constraints of a multi-group model, as lavaan)."""
    return YuanBentlerTest(
        scaling_factor=_scaling(tr_h1 - tr_h0, ndat - npar),
        trace_ugamma=tr_h1 - tr_h0,
        trace_h1=tr_h1,
        trace_h0=tr_h0,
        h1_ndat=ndat,
        npar=npar if h0_npar is None else h0_npar,
        baseline_scaling_factor=_scaling(tr_h1 - tr_baseline, df_baseline),
    )


def sandwich_and_test(
    info: np.ndarray,
    sigma: np.ndarray,
    d_sig: np.ndarray,
    s: np.ndarray,
    centered: np.ndarray,
    weights: np.ndarray | None = None,
    covariates: Sequence[int] = (),
    h0_npar: int | None = None,
) -> tuple[np.ndarray, YuanBentlerTest]:
    """Sandwich covariance of the estimates and the Yuan-Bentler test.

    Parameters
    ----------
    info : unit observed information at the ML estimates (Hessian of F/2).
    sigma, d_sig : model-implied covariance matrix and its derivatives (k x p x p) there.
    s : N-divisor sample covariance matrix (weighted: the weighted covariance matrix with
        divisor ``sum(w) = N``).
    centered : N x p complete data minus column (weighted) means, same column order.
    weights : optional sampling weights normalized to sum to N (lavaan
        ``sampling.weights.normalization = "total"``); every case-wise score, in the meat of
        the sandwich and in the traces of the test, is multiplied by its weight, and
        ``N = sum(w)`` (see :mod:`surveysem.sem.estimators.weights`).
    covariates : positions (same order) of observed covariates, whose moments are fixed
        (lavaan ``fixed.x``): they are not data in the saturated and the baseline model and
        not counted in the degrees of freedom.
    h0_npar : the divisor of ``scaling.factor.h0`` when equality constraints make it differ
        from the number of free parameters (lavaan counts each constrained copy).

    Returns
    -------
    vcov : ``A^-1 B A^-1 / N`` (NaN when A is numerically singular).
    test : :class:`YuanBentlerTest`.
    """
    n, p = centered.shape
    if weights is not None:
        n = float(np.sum(weights))
    k = len(d_sig)
    nx = len(covariates)
    ndat = p * (p + 1) // 2 - nx * (nx + 1) // 2
    scores = casewise_scores(sigma, d_sig, centered, weights)
    meat = scores.T @ scores / n
    tr_h1 = trace_h1(centered, s, weights, covariates)
    vcov = np.full((k, k), np.nan)
    tr_h0 = np.nan
    eig = np.linalg.eigvalsh(info) if k else np.array([1.0])
    if k == 0:
        tr_h0 = 0.0
    elif eig.min() > 1e-10 * abs(eig).max():
        info_inv = np.linalg.inv(info)
        vcov = info_inv @ meat @ info_inv / n
        tr_h0 = float(np.sum(meat * info_inv.T))
    tr_b = baseline_trace_h0(centered, s, weights, covariates)
    test = yuan_bentler_test(tr_h1, tr_h0, tr_b, ndat, k, ndat - (p - nx), h0_npar)
    return (vcov + vcov.T) / 2, test
