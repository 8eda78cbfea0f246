"""Full-information maximum likelihood (FIML) for incomplete data, as lavaan ``missing = "ml"``.

The model is the lavaan ``sem()``/``cfa()`` parameter table of :mod:`.partable` plus a mean
structure: every observed variable gets a free intercept (``y ~ 1``) and every factor a mean fixed
at 0, so the mean structure of the observed variables is saturated. Written in RAM form with the
observed variables first, ``v = A v + u``, ``Var(u) = S``, ``E(u) = m`` and ``B = (I - A)^-1``:

    Sigma(theta) = [B S B']_obs,      mu(theta) = [B m]_obs.

Casewise (raw-data) log-likelihood under multivariate normality and MAR (Arbuckle 1996), with
``o_i`` the variables observed for case i (``p_i`` of them):

    logL = sum_i -1/2 [p_i ln(2 pi) + ln|Sigma_oo| + (y_io - mu_o)' Sigma_oo^-1 (y_io - mu_o)].

Cases are grouped by missing-data pattern g (``n_g`` cases, mean ``ybar_g``, N-divisor covariance
``S_g`` of the observed part), so with ``d_g = ybar_g - mu_o``:

    logL = sum_g -n_g/2 [ p_g ln(2 pi) + ln|Sigma_g| + tr(Sigma_g^-1 (S_g + d_g d_g')) ].

Estimation starts from the EM moments (see below). It uses Fisher scoring (expected information
of the casewise likelihood) while ``max |dlogL/dtheta| / N >= 1e-3``, then Newton steps with the
analytic observed Hessian; every step is halved until logL does not decrease. Iteration stops
when ``max |dlogL/dtheta| / N < 1e-12`` or the steps vanish; ``converged`` requires ``< 1e-6``.
If that stalls (e.g. on a ridge from poor starting values), scipy's exact trust-region method
(``trust-exact``, which copes with an indefinite Hessian) restarts from the starting values.
Standard errors come from the observed information (lavaan's default for ``missing = "ml"`` is
``information = "observed"``): the inverse of the analytic Hessian of ``-logL``. The tests check
it against numerical differences of the gradient; lavaan differentiates numerically
(``lav_model_hessian``).

The unrestricted (H1) model - free mean vector and covariance matrix - is estimated by the EM
algorithm (Dempster, Laird & Rubin 1977; Enders 2010, ch. 4), polished by Newton steps on
(mu, vech Sigma) when EM is slow (much missing information). If its covariance matrix is
singular (collinear items, or too little pairwise coverage for the saturated model to have an ML
estimate) :func:`fit_fiml` raises :class:`~surveysem.errors.InputError`. The test statistic is the
likelihood ratio ``chisq = 2 (logL_H1 - logL_H0)`` with ``df = p(p+1)/2 + p - npar``; the baseline
(independence) model has free means and variances only, so its FIML estimates are the
available-case means and N-divisor variances of each variable.

Several groups (lavaan ``group =`` with ``missing = "ml"``) are the same likelihood summed
over groups, ``logL = sum_g logL_g``: group g has its own patterns, EM moments and RAM model
(:func:`estimate_fiml`; the models of all groups index one parameter vector, so the
``group.equal`` constraints of :mod:`surveysem.sem.model.groups` are shared entries). One
group is the case G = 1. The observed information is the sum of the groups' Hessians; the
saturated and baseline models are fitted per group, so ``df = G (p(p+1)/2 + p) - npar``.

References
----------
Arbuckle, J. L. (1996). Full information estimation in the presence of incomplete data. In
G. A. Marcoulides & R. E. Schumacker (Eds.), Advanced structural equation modeling (pp. 243-277).
Erlbaum.

Enders, C. K. (2010). Applied missing data analysis. Guilford Press.

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). https://doi.org/10.18637/jss.v048.i02 (``missing = "ml"``;
``R/lav_mvnorm_missing.R``, ``R/lav_mvnorm_missing_h1.R``, ``R/lav_fit_measures.R``).

Savalei, V. (2010). Expected versus observed information in SEM with incomplete normal and
nonnormal data. Psychological Methods, 15(4), 352-367.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.linalg import block_diag

from surveysem.errors import InputError
from surveysem.sem.errors import UnsupportedModelError
from surveysem.sem.estimators.robust import YuanBentlerTest, yuan_bentler_test
from surveysem.sem.estimators.weights import normalized_weights
from surveysem.sem.measures.indices import (
    MLR_NAMES,
    chisq_tests,
    corrected_robust_measures,
    gfi_measures,
    group_residual_indices,
    hoelter_cn,
    incremental_indices,
    information_criteria,
    rmsea_measures,
    scaled_measures,
)
from surveysem.sem.model.partable import ParRow, ParTable, build_partable, require_no_covariates
from surveysem.sem.model.ram import Ram
from surveysem.sem.model.start import start_values
from surveysem.sem.model.syntax import parse_syntax
from surveysem.sem.optimizer import minimize
from surveysem.sem.results.estimates import _row_values, estimates_table, standardize_rows

#: Estimators FIML is implemented for (lavaan missing = "ml" with estimator ML or MLR).
ESTIMATORS = ("ML", "MLR")
LOG2PI = float(np.log(2 * np.pi))
# Largest |dlogL/dtheta| / N accepted as converged (regular fits reach ~1e-13).
GRAD_TOL = 1e-6
EM_TOL = 1e-10
EM_MAX_ITER = 10000
# Smallest eigenvalue ratio of the EM covariance matrix accepted as non-singular.
SINGULAR_TOL = 1e-9


# --------------------------------------------------------------------------------------------
# Missing-data patterns and the casewise likelihood of (mu, Sigma)
# --------------------------------------------------------------------------------------------
@dataclass
class _Patterns:
    """Sufficient statistics per missing-data pattern, padded to full p x p arrays."""

    obs: np.ndarray  # (G, p) bool: observed variables of each pattern
    mask2: np.ndarray  # (G, p, p) bool: observed x observed
    n: np.ndarray  # (G,) cases (their summed weights)
    ybar: np.ndarray  # (G, p) means of the observed part, 0 elsewhere
    s: np.ndarray  # (G, p, p) N-divisor covariances of the observed part, 0 elsewhere
    p_obs: np.ndarray  # (G,) number of observed variables
    case_pattern: np.ndarray  # (N,) pattern of each case

    @classmethod
    def from_values(cls, values: np.ndarray, weights: np.ndarray | None = None) -> _Patterns:
        """Per pattern: the (weighted) number of cases, mean and N-divisor covariance matrix
        of its observed part; sampling weights (normalized to sum to N) weight every case's
        log-likelihood, as lavaan ``sampling.weights`` with ``missing = "ml"``."""
        obs_all = ~np.isnan(values)
        pats, inverse = np.unique(obs_all, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        g, p = pats.shape
        w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=float)
        n = np.bincount(inverse, weights=w, minlength=g)
        ybar = np.zeros((g, p))
        s = np.zeros((g, p, p))
        filled = np.where(obs_all, values, 0.0)
        for k in range(g):
            rows, wk = filled[inverse == k], w[inverse == k]
            mean = (wk @ rows) / n[k] * pats[k]
            dev = (rows - mean) * pats[k]
            ybar[k] = mean
            s[k] = (dev * wk[:, None]).T @ dev / n[k]
        mask2 = pats[:, :, None] & pats[:, None, :]
        return cls(pats, mask2, n, ybar, s, pats.sum(axis=1).astype(float), inverse)

    @property
    def n_total(self) -> float:
        return float(self.n.sum())


def _pattern_inverses(pat: _Patterns, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """ln|Sigma_g| and Sigma_g^-1 (padded with zeros) for every pattern; LinAlgError if not PD."""
    p = sigma.shape[0]
    padded = np.where(pat.mask2, sigma, np.eye(p))
    chol = np.linalg.cholesky(padded)
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    winv = np.linalg.inv(padded) * pat.mask2
    return logdet, winv


def _loglik_moments(pat: _Patterns, mu: np.ndarray, sigma: np.ndarray, grad: bool = False):
    """Casewise log-likelihood of (mu, Sigma); with ``grad`` also dlogL/dSigma, dlogL/dmu.

    dlogL/dSigma is the matrix G with dlogL = tr(G dSigma) for symmetric dSigma:
    ``G = -1/2 sum_g n_g (W_g - W_g M_g W_g)``, ``W_g = Sigma_g^-1``, ``M_g = S_g + d_g d_g'``;
    dlogL/dmu = ``sum_g n_g W_g d_g``. Returns ``-inf`` when Sigma is not positive definite.
    """
    try:
        logdet, winv = _pattern_inverses(pat, sigma)
    except np.linalg.LinAlgError:
        return (-np.inf, None, None, None) if grad else -np.inf
    d = (pat.ybar - mu) * pat.obs
    m = pat.s + d[:, :, None] * d[:, None, :]
    tr = np.einsum("gij,gij->g", winv, m)
    ll = float(-0.5 * np.sum(pat.n * (pat.p_obs * LOG2PI + logdet + tr)))
    if not grad:
        return ll
    wmw = winv @ m @ winv
    g_sigma = -0.5 * np.einsum("g,gij->ij", pat.n, winv - wmw)
    g_mu = np.einsum("g,gij,gj->i", pat.n, winv, d)
    return ll, g_sigma, g_mu, winv


def _em_moments(
    pat: _Patterns, max_iter: int | None = None, tol: float = EM_TOL, mu0=None, sigma0=None
):
    """EM estimates of the unrestricted mean vector and covariance matrix under MAR.

    E-step per pattern with ``R_g = Sigma W_g`` (the regression of every variable on the observed
    ones, padded): ``E(y - mu | y_o) = R_g (y - mu)`` and ``Var(y | y_o) = Sigma - R_g Sigma``.
    M-step: mean and N-divisor covariance of the completed sufficient statistics. Starts, as
    lavaan, from available-case means and a diagonal covariance matrix (or from mu0, sigma0).
    Stops when no mean or covariance changes by ``tol`` or more; returns mean, covariance,
    iterations and whether it converged.
    """
    n_tot = pat.n_total
    max_iter = EM_MAX_ITER if max_iter is None else max_iter
    cnt = pat.n @ pat.obs
    mu = (pat.n @ pat.ybar) / cnt
    dev = (pat.ybar - mu) * pat.obs
    var = (np.einsum("g,gii->i", pat.n, pat.s) + pat.n @ dev**2) / cnt
    sigma = np.diag(var)
    if mu0 is not None:
        mu, sigma = mu0, sigma0
    it, converged = 0, False
    while it < max_iter:
        it += 1
        _, winv = _pattern_inverses(pat, sigma)
        r = sigma @ winv
        d = (pat.ybar - mu) * pat.obs
        rd = np.einsum("gij,gj->gi", r, d)
        shift = pat.n @ rd / n_tot
        m = pat.s + d[:, :, None] * d[:, None, :]
        t2 = np.einsum("g,gij->ij", pat.n, r @ m @ r.transpose(0, 2, 1) + sigma - r @ sigma)
        new_sigma = t2 / n_tot - np.outer(shift, shift)
        new_sigma = (new_sigma + new_sigma.T) / 2
        delta = max(np.max(np.abs(shift)), np.max(np.abs(new_sigma - sigma)))
        mu, sigma = mu + shift, new_sigma
        if delta < tol:
            converged = True
            break
        if it % 25 == 0:  # stop early when Sigma is heading to singularity (collinear items)
            eig = np.linalg.eigvalsh(sigma)
            if eig[0] <= SINGULAR_TOL * eig[-1]:
                break
    return mu, sigma, it, converged


def _moment_hessian(pat, winv, d, m, x, d_mu, observed: bool = True) -> np.ndarray:
    """Second derivatives of logL along moment directions (rows of x = dSigma, d_mu = dmu).

    For pattern g (W = Sigma_g^-1, M = S_g + d d', V = W M W) and directions (dmu_1, dS_1),
    (dmu_2, dS_2) the second derivative of logL_g is
    ``n_g [1/2 tr(W dS1 W dS2) - 1/2 tr(dS1 W dS2 V) - 1/2 tr(dS2 W dS1 V)
    - d'W dS1 W dmu2 - d'W dS2 W dmu1 - dmu1' W dmu2]``; its expectation (minus the expected
    information) is ``-n_g [1/2 tr(W dS1 W dS2) + dmu1' W dmu2]``. ``x`` holds the directions
    dS as flattened p x p matrices (k, p*p), ``d_mu`` the mean directions (k, p).
    """
    g, p = len(pat.n), winv.shape[1]
    w, nw = winv.reshape(g, p * p), winv * pat.n[:, None, None]
    kron = (nw.reshape(g, p * p).T @ w).reshape(p, p, p, p)
    kron = kron.transpose(0, 2, 1, 3).reshape(p * p, p * p)  # [(i,k),(j,l)] = W_ij W_kl
    w_sum = nw.sum(axis=0)
    if not observed:
        return -(0.5 * x @ kron @ x.T + d_mu @ w_sum @ d_mu.T)
    # tr(W A W B W M) = tr(A W B V) = sum A_jk W_kl B_lm V_mj: kernel [(j,k),(l,m)]
    v = (winv @ m @ winv).reshape(g, p * p)  # symmetric: V[j,m]
    q = (v * pat.n[:, None]).T @ w  # [(j,m),(k,l)] = V_jm W_kl
    q = q.reshape(p, p, p, p).transpose(0, 2, 3, 1).reshape(p * p, p * p)
    xq = x @ q @ x.T
    # d'W A W b = sum (Wd)_i A_ij W_jl b_l: kernel [(i,j), l]
    wd = np.einsum("gij,gj->gi", winv, d) * pat.n[:, None]
    r = np.einsum("gi,gjl->ijl", wd, winv).reshape(p * p, p)
    cross = x @ r @ d_mu.T
    return 0.5 * x @ kron @ x.T - 0.5 * (xq + xq.T) - (cross + cross.T) - d_mu @ w_sum @ d_mu.T


def _casewise_scores(values, pat: _Patterns, mu, sigma, d_sig, d_mu) -> np.ndarray:
    """dlogL_i/dtheta of every case (N, k) along the moment directions d_sig (k, p, p) and
    d_mu (k, p): with W_i the inverse of the observed part of Sigma (padded), e_i = y_io -
    mu_o and u_i = W_i e_i, ``dlogL_i = tr(G_i dSigma) + u_i' dmu``,
    ``G_i = -1/2 (W_i - u_i u_i')``."""
    _, winv = _pattern_inverses(pat, sigma)
    w = winv[pat.case_pattern]
    u = np.einsum("nij,nj->ni", w, np.where(np.isnan(values), 0.0, values - mu))
    quad = np.einsum("kpq,np,nq->nk", d_sig, u, u) - np.einsum("kpq,npq->nk", d_sig, w)
    return 0.5 * quad + u @ d_mu.T


def _saturated_directions(p: int) -> tuple[np.ndarray, np.ndarray]:
    """d Sigma and d mu of the saturated model's parameters (mu, vech Sigma)."""
    a, b = np.tril_indices(p)
    d_sig = np.zeros((p + len(a), p, p))
    d_mu = np.zeros((p + len(a), p))
    d_mu[np.arange(p), np.arange(p)] = 1.0
    d_sig[p + np.arange(len(a)), a, b] = 1.0
    d_sig[p + np.arange(len(a)), b, a] = 1.0
    return d_sig, d_mu


def _saturated_scores(values, pat: _Patterns, h1_mean, h1_cov, weights) -> np.ndarray:
    """Case-wise scores of the saturated model's (mu, vech Sigma) at the EM moments, each
    times its sampling weight."""
    w = np.ones(len(values)) if weights is None else weights
    d_sig1, d_mu1 = _saturated_directions(len(h1_mean))
    return _casewise_scores(values, pat, h1_mean, h1_cov, d_sig1, d_mu1) * w[:, None]


def _robust(obj, x, info, groups, scores1):
    """lavaan MLR with ``missing = "ml"``, for G >= 1 groups: the sandwich covariance
    ``H^-1 B H^-1`` (H the observed information of the model, summed over groups; B the
    outer product of the case-wise scores of every case of every group at the estimates,
    each times its sampling weight w_i) and the Yuan-Bentler test. Its traces add over
    groups (lavaan ``lav_test_yuan_bentler_mplus_trace``, where each group's unit
    information and first-order matrix carry the same factor N_g/N, which cancels): the
    saturated trace ``sum_g tr(A1_g^-1 B1_g)`` takes each group's observed information and
    case-wise scores of (mu, vech Sigma) at its EM moments (``scores1``, weighted, from
    :func:`_saturated_scores`), and the baseline trace (free mean and variance of each
    variable j in each group, z standardized by them over the group's observed cases) is
    ``sum_g sum_j [sum_i w_i^2 z_ij^2 + sum_i w_i^2 (z_ij^2 - 1)^2 / 2] / sum_i w_i``, i.e.
    ``sum_g sum_j [1 + (mean z_j^4 - 1) / 2]`` without weights. ``scaling.factor.h0``
    divides by the free parameters before equality constraints, as lavaan."""
    p, k, n_groups = obj.ram.p, len(x), len(groups)
    scores, tr_h1, tr_b = [], 0.0, 0.0
    d_sig1, d_mu1 = _saturated_directions(p)
    for ram, grp, s1 in zip(obj.rams, groups, scores1, strict=True):
        w = np.ones(len(grp.values)) if grp.weights is None else grp.weights
        mu, sigma = ram.moments(x)
        case = _casewise_scores(grp.values, grp.pat, mu, sigma, *ram.jacobian(x))
        scores.append(case * w[:, None])
        a1 = _h1_information(grp.pat, grp.h1_mean, grp.h1_cov, d_sig1, d_mu1)
        tr_h1 += float(np.sum((s1.T @ s1) * np.linalg.inv(a1).T))
        z2 = ((grp.values - grp.avail_mean) / np.sqrt(grp.avail_var)) ** 2
        w2 = (w**2)[:, None]
        counted = np.nansum(np.where(np.isnan(z2), 0.0, w[:, None]), axis=0)
        per_var = np.nansum(w2 * z2, axis=0) + np.nansum(w2 * (z2 - 1) ** 2, axis=0) / 2
        tr_b += float(np.sum(per_var / counted))
    scores = np.vstack(scores)
    meat = scores.T @ scores
    bread = np.linalg.inv(info)
    ndat = n_groups * (p * (p + 1) // 2 + p)
    copies = sum(int(np.sum(part[2] >= 0)) for ram in obj.rams for part in (ram.a, ram.s, ram.m))
    test = yuan_bentler_test(
        tr_h1, float(np.sum(meat * bread.T)), tr_b, ndat, k, ndat - 2 * p * n_groups, copies
    )
    vcov = bread @ meat @ bread
    return (vcov + vcov.T) / 2, test


@dataclass(frozen=True)
class CorrectedTest:
    """lavaan's FIML-corrected statistics behind the robust CFI, TLI and RMSEA under missing
    data (``lav_fit_fiml_corrected``; Zhang & Savalei 2023): the model's and the baseline's
    complete-data ML statistics at the EM moments (``xx3``, ``xx3_null``) and their scaling
    corrections (``c3``, ``c3_null``)."""

    xx3: float
    xx3_null: float
    c3: float
    c3_null: float


def _h1_information(pat, mean, cov, d_sig, d_mu) -> np.ndarray:
    """Observed information of the saturated model (directions d_sig, d_mu) at (mean, cov)."""
    _, winv = _pattern_inverses(pat, cov)
    d = (pat.ybar - mean) * pat.obs
    m = pat.s + d[:, :, None] * d[:, None, :]
    p = cov.shape[0]
    return -_moment_hessian(pat, winv, d, m, d_sig.reshape(len(d_sig), p * p), d_mu)


def _complete_discrepancy(mean, cov, h1_mean, h1_cov) -> float:
    """ML discrepancy with means of the moments (mean, cov) from complete data (h1_mean,
    h1_cov): ``ln|Sigma| + tr(S Sigma^-1) - ln|S| - p + (m - mu)' Sigma^-1 (m - mu)``."""
    inv = np.linalg.inv(cov)
    d = h1_mean - mean
    logdet = np.linalg.slogdet(cov)[1] - np.linalg.slogdet(h1_cov)[1]
    return float(logdet + np.trace(h1_cov @ inv) - len(d) + d @ inv @ d)


def _corrected_test(rams, x, groups, scores1, scaled):
    """:class:`CorrectedTest` of a FIML fit of G >= 1 groups (lavaan ``lav_fit_fiml_corrected``).

    Per group g (N_g cases of N, ``f_g = N_g/N``), with the saturated model's (mu, vech
    Sigma) observed information per case Wm_g (missing data, EM moments) and Wc_g (the same
    moments as complete data) and its first-order information Jm_g (``scores1``), lavaan
    stacks the block-diagonal matrices ``Wm = diag(f_g Wm_g)``, ``Wc = diag(f_g Wc_g)``,
    ``Wm^-1`` and ``Gamma = diag(Wm_g^-1 Jm_g Wm_g^-1 / f_g)`` and the models' Jacobians
    Delta (rows of all groups), and with
    ``U = Wm - Wm Delta (Delta' Wm Delta)^-1 Delta' Wm`` takes the correction
    ``k = tr(U Wm^-1 Wc Wm^-1 U Gamma)`` for a scaled test (lavaan's "V3", MLR), else
    ``k = tr(Wc Wm^-1 U Wm^-1)`` ("V6", ML); ``c3 = k / df``. ``xx3 = sum_g [N_g] F_g`` is
    the complete-data ML statistic of the estimates against the EM moments, with lavaan's
    integer part ``[N_g]`` of N_g (a sum of sampling weights need not be whole). The baseline
    (free means and variances in every group, fitted by FIML) gives the same with its own
    Delta. One group is the case ``f_1 = 1``.
    """
    n = float(sum(grp.pat.n_total for grp in groups))
    p, k, n_groups = len(groups[0].h1_mean), len(x), len(groups)
    d_sig1, d_mu1 = _saturated_directions(p)
    a, b = np.tril_indices(p)
    ndat = p + len(a)
    one = np.ones((1, p), bool)
    wm, wc, wmi, gamma, delta, delta_b = [], [], [], [], [], []
    xx3 = xx3_null = 0.0
    base_sig, base_mu = np.zeros((2 * p, p, p)), np.zeros((2 * p, p))
    base_mu[np.arange(p), np.arange(p)] = 1.0
    base_sig[p + np.arange(p), np.arange(p), np.arange(p)] = 1.0
    for ram, grp, s1 in zip(rams, groups, scores1, strict=True):
        n_g = grp.pat.n_total
        f_g = n_g / n
        wm_g = _h1_information(grp.pat, grp.h1_mean, grp.h1_cov, d_sig1, d_mu1) / n_g
        complete = _Patterns(  # the EM moments as one complete pattern of n_g cases
            one, one[:, :, None] & one[:, None, :], np.array([n_g]), grp.h1_mean[None],
            grp.h1_cov[None], np.array([float(p)]), np.zeros(1, int),
        )  # fmt: skip
        wc_g = _h1_information(complete, grp.h1_mean, grp.h1_cov, d_sig1, d_mu1) / n_g
        wmi_g = np.linalg.inv(wm_g)
        wm.append(f_g * wm_g)
        wc.append(f_g * wc_g)
        wmi.append(wmi_g / f_g)
        gamma.append(wmi_g @ (s1.T @ s1 / n_g) @ wmi_g / f_g)
        d_sig, d_mu = ram.jacobian(x)
        delta.append(np.vstack([d_mu.T, d_sig[:, a, b].T]))  # (mu, vech Sigma) by parameter
        delta_b.append(np.vstack([base_mu.T, base_sig[:, a, b].T]))
        mu, sigma = ram.moments(x)
        # lavaan refits on the EM moments with sample.nobs = N_g, which it truncates to an
        # integer (as.integer in lav_samplestats_from_moments): with sampling weights N_g is
        # the group's sum of weights, so its whole part weighs the statistics (the tolerance
        # keeps a sum that is whole up to rounding, e.g. one group's N, whole)
        n_int = float(np.floor(n_g * (1 + 1e-12)))
        xx3 += n_int * _complete_discrepancy(mu, sigma, grp.h1_mean, grp.h1_cov)
        # the baseline's FIML estimates: the available-case means and variances
        base = _complete_discrepancy(
            grp.avail_mean, np.diag(grp.avail_var), grp.h1_mean, grp.h1_cov
        )
        xx3_null += n_int * base
    wm, wc, wmi, gamma = (block_diag(*mats) for mats in (wm, wc, wmi, gamma))

    def correction(delta: np.ndarray, df: float) -> float:
        # lavaan's "h1" observed information of the model, Delta' Wm Delta
        u = wm - wm @ delta @ np.linalg.solve(delta.T @ wm @ delta, delta.T) @ wm
        if scaled:
            corr = np.trace(u @ wmi @ wc @ wmi @ u @ gamma)
        else:
            corr = np.trace(wc @ wmi @ u @ wmi)
        return float(corr / df) if df > 0 else np.nan

    return CorrectedTest(
        xx3=xx3,
        xx3_null=xx3_null,
        c3=correction(np.vstack(delta), n_groups * ndat - k),
        c3_null=correction(block_diag(*delta_b), n_groups * (ndat - 2 * p)),
    )


def _saturated_newton(pat: _Patterns, mu: np.ndarray, sigma: np.ndarray, max_iter: int = 50):
    """Polish EM moments by Newton steps on (mu, vech Sigma) with the observed Hessian.

    Returns (mu, Sigma, iterations), or None when a step fails (Hessian not negative definite,
    no increase); the caller then continues with EM.
    """
    p = len(mu)
    low = np.tril_indices(p)
    nsig = len(low[0])
    x = np.zeros((p + nsig, p * p))  # directions: p means, then vech(Sigma)
    x[p + np.arange(nsig), low[0] * p + low[1]] = 1.0
    x[p + np.arange(nsig), low[1] * p + low[0]] = 1.0
    d_mu = np.zeros((p + nsig, p))
    d_mu[:p] = np.eye(p)
    n = pat.n_total
    for it in range(1, max_iter + 1):
        ll, g_sig, g_mu, winv = _loglik_moments(pat, mu, sigma, grad=True)
        grad = x @ g_sig.ravel() + d_mu @ g_mu
        if np.max(np.abs(grad)) / n < 1e-12:
            return mu, sigma, it
        d = (pat.ybar - mu) * pat.obs
        m = pat.s + d[:, :, None] * d[:, None, :]
        neg_h = -_moment_hessian(pat, winv, d, m, x, d_mu)
        if not _is_pd(neg_h):
            return None
        step = np.linalg.solve(neg_h, grad)
        t = 1.0
        while t > 1e-4:
            s_new = sigma.copy()
            s_new[low] += t * step[p:]
            s_new[low[1], low[0]] = s_new[low]
            ll_new = _loglik_moments(pat, mu + t * step[:p], s_new)
            if ll_new >= ll - 1e-12 * abs(ll):
                break
            t /= 2
        else:
            return None
        if t * np.max(np.abs(step)) < 1e-13 * (1 + np.max(np.abs(sigma))):
            return mu + t * step[:p], s_new, it
        mu, sigma = mu + t * step[:p], s_new
    return None


def _h1_moments(pat: _Patterns):
    """Unrestricted ML moments: EM (at most 40 iterations), then Newton steps if EM is slow
    (much missing information); if Newton fails, EM to full precision.

    Returns mean, covariance, a description and whether the estimates converged.
    """
    mu, sigma, em_it, done = _em_moments(pat, max_iter=40)
    if done:
        return mu, sigma, f"EM {em_it} iterations", True
    eig = np.linalg.eigvalsh(sigma)
    if eig[0] > SINGULAR_TOL * eig[-1]:
        polished = _saturated_newton(pat, mu, sigma)
        if polished is not None:
            return polished[0], polished[1], f"EM {em_it} + Newton {polished[2]} iterations", True
    mu, sigma, more, done = _em_moments(pat, mu0=mu, sigma0=sigma)
    return mu, sigma, f"EM {em_it + more} iterations", done


@dataclass
class _GroupState:
    """One group's casewise log-likelihood at one theta and what its derivatives need."""

    ll: float
    g_sigma: np.ndarray  # dlogL/dSigma (p, p)
    g_mu: np.ndarray  # dlogL/dmu (p,)
    winv: np.ndarray  # (patterns, p, p) padded Sigma_pattern^-1
    d: np.ndarray  # (patterns, p) ybar_pattern - mu, 0 where missing
    m: np.ndarray  # (patterns, p, p) S_pattern + d d'


@dataclass
class _State:
    """The log-likelihood summed over groups at one theta, its gradient and the groups'
    states."""

    ll: float
    grad: np.ndarray  # dlogL/dtheta (k,)
    groups: list[_GroupState]


class _Objective:
    """Casewise log-likelihood of the structured model, its gradient and Hessians, summed
    over G >= 1 groups: group g has its own model ``rams[g]`` (all indexing the one vector
    theta, so that parameters shared by groups are equality constraints) and its own
    missing-data patterns ``pats[g]``; ``logL = sum_g logL_g``."""

    def __init__(self, rams: list[Ram], pats: list[_Patterns]):
        self.rams, self.pats = list(rams), list(pats)
        self.ram = self.rams[0]  # p and k are the same in every group
        self.n_total = float(sum(pat.n_total for pat in self.pats))

    def loglik(self, theta: np.ndarray) -> float:
        total = 0.0
        for ram, pat in zip(self.rams, self.pats, strict=True):
            try:
                mu, sigma = ram.moments(theta)
            except np.linalg.LinAlgError:
                return -np.inf
            total += _loglik_moments(pat, mu, sigma)
        return total

    def state(self, theta: np.ndarray) -> _State | None:
        """Everything at theta; None if some Sigma_g(theta) is not positive definite."""
        parts, ll, grad = [], 0.0, np.zeros(self.ram.k)
        for ram, pat in zip(self.rams, self.pats, strict=True):
            try:
                mu, sigma = ram.moments(theta)
            except np.linalg.LinAlgError:
                return None
            ll_g, g_sig, g_mu, winv = _loglik_moments(pat, mu, sigma, grad=True)
            if not np.isfinite(ll_g):
                return None
            d = (pat.ybar - mu) * pat.obs
            m = pat.s + d[:, :, None] * d[:, None, :]
            parts.append(_GroupState(ll_g, g_sig, g_mu, winv, d, m))
            ll += ll_g
            grad += _chain(ram, theta, g_sig, g_mu)
        return _State(ll, grad, parts)

    def hessian(self, theta: np.ndarray, st: _State, observed: bool = True) -> np.ndarray:
        """Observed Hessian of logL (or minus the expected information) at theta, the sum
        over groups.

        A group's moment part is :func:`_moment_hessian` pulled back with the Jacobian of its
        (mu, Sigma); the observed Hessian adds ``sum_m (dlogL/dmoment_m) d2 moment_m/dtheta2``
        (:func:`_second_order`, analytic).
        """
        p, k = self.ram.p, self.ram.k
        out = np.zeros((k, k))
        for ram, pat, part in zip(self.rams, self.pats, st.groups, strict=True):
            d_sig, d_mu = ram.jacobian(theta)
            x = d_sig.reshape(k, p * p)
            out += _moment_hessian(pat, part.winv, part.d, part.m, x, d_mu, observed)
            if observed:
                out += _second_order(ram, theta, part)
        return out

    def numeric_hessian(self, theta: np.ndarray, h: float = 1e-5) -> np.ndarray:
        """Hessian of logL by five-point differences of the gradient (a check of hessian())."""
        k = len(theta)
        out = np.empty((k, k))
        for j in range(k):
            g = []
            for t in (-2, -1, 1, 2):
                x = theta.copy()
                x[j] += t * h
                g.append(self.state(x).grad)
            out[:, j] = (g[0] - 8 * g[1] + 8 * g[2] - g[3]) / (12 * h)
        return (out + out.T) / 2


def _chain(ram: Ram, theta: np.ndarray, g_sigma: np.ndarray, g_mu: np.ndarray) -> np.ndarray:
    """Gradient of f(theta) = tr(G Sigma(theta)) + g' mu(theta) for fixed G, g (one group).

    With C = B S B' (all variables) and G, g padded to all variables:
    df/dS_ij = (B'GB)_ij (doubled off the diagonal), df/dA_ij = 2 (B'GC)_ij +
    (B'g)_i (Bm)_j, df/dm_i = (B'g)_i. At G, g = dlogL/dSigma, dlogL/dmu this is dlogL/dtheta.
    """
    b, cov, mean = ram.implied(theta)
    p, nv = ram.p, ram.nv
    g_full = np.zeros((nv, nv))
    g_full[:p, :p] = g_sigma
    btg = b.T @ g_full
    bg = b[:p].T @ g_mu
    out = np.zeros(ram.k)
    ai, aj, af, _ = ram.a
    sel = af >= 0
    grad_a = 2 * btg @ cov + np.outer(bg, mean)
    np.add.at(out, af[sel], grad_a[ai[sel], aj[sel]])
    si, sj, sf, _ = ram.s
    sel = sf >= 0
    grad_s = btg @ b
    np.add.at(out, sf[sel], grad_s[si[sel], sj[sel]] * np.where(si[sel] == sj[sel], 1, 2))
    mi, _, mf, _ = ram.m
    sel = mf >= 0
    np.add.at(out, mf[sel], bg[mi[sel]])
    return out


def _second_order(ram: Ram, theta: np.ndarray, st: _GroupState) -> np.ndarray:
    """Hessian of f(theta) = tr(G Sigma(theta)) + g' mu(theta) at fixed G, g (see _chain).

    Only the directed paths A make Sigma and mu nonlinear. With P = B'GB, R = B'GC,
    b = B'g, mu = Bm (G, g padded to all variables), for A_ij, A_kl, S_kl, m_k:
    d2f/dA_ij dA_kl = 2 B_li R_kj + 2 P_ik C_lj + 2 R_il B_jk + B_li b_k mu_j + b_i B_jk mu_l;
    d2f/dA_ij dS_kl = 2 P_ik B_jl (+ 2 P_il B_jk if k != l); d2f/dA_ij dm_k = b_i B_jk.
    """
    b, cov, mean = ram.implied(theta)
    p, nv = ram.p, ram.nv
    g_full = np.zeros((nv, nv))
    g_full[:p, :p] = st.g_sigma
    btg = b.T @ g_full
    pm, rm, bg = btg @ b, btg @ cov, b[:p].T @ st.g_mu
    out = np.zeros((ram.k, ram.k))
    ai, aj, af, _ = ram.a
    sel = af >= 0
    i, j, fa = ai[sel], aj[sel], af[sel]
    if not len(fa):
        return out
    ic, jc = i[:, None], j[:, None]
    k, l_ = i[None, :], j[None, :]
    aa = (
        2 * b[l_, ic] * rm[k, jc]
        + 2 * pm[ic, k] * cov[l_, jc]
        + 2 * rm[ic, l_] * b[jc, k]
        + b[l_, ic] * bg[k] * mean[jc]
        + bg[ic] * b[jc, k] * mean[l_]
    )
    np.add.at(out, (fa[:, None], fa[None, :]), aa)
    si, sj, sf, _ = ram.s
    sel = sf >= 0
    k, l_, fs = si[sel][None, :], sj[sel][None, :], sf[sel]
    a_s = 2 * pm[ic, k] * b[jc, l_] + np.where(k != l_, 2 * pm[ic, l_] * b[jc, k], 0.0)
    np.add.at(out, (fa[:, None], fs[None, :]), a_s)
    np.add.at(out, (fs[:, None], fa[None, :]), a_s.T)
    mi, _, mf, _ = ram.m
    sel = mf >= 0
    k, fm = mi[sel][None, :], mf[sel]
    a_m = bg[ic] * b[jc, k]
    np.add.at(out, (fa[:, None], fm[None, :]), a_m)
    np.add.at(out, (fm[:, None], fa[None, :]), a_m.T)
    return out


def _is_pd(mat: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(mat)
    except np.linalg.LinAlgError:
        return False
    return True


def _trust_region(obj: _Objective, theta: np.ndarray, max_iter: int = 1000) -> np.ndarray:
    """Minimize -logL/N with scipy's exact trust-region method (Hessian may be indefinite)."""
    n = obj.n_total
    cache: dict[bytes, _State | None] = {}

    def get(x: np.ndarray) -> _State | None:
        key = x.tobytes()
        if key not in cache:
            cache.clear()
            cache[key] = obj.state(x)
        return cache[key]

    def fun(x):
        st = get(x)
        return np.inf if st is None else -st.ll / n

    def jac(x):
        st = get(x)
        return np.zeros_like(x) if st is None else -st.grad / n

    def hess(x):
        st = get(x)
        return np.eye(len(x)) if st is None else -obj.hessian(x, st) / n

    with np.errstate(all="ignore"):
        res = optimize.minimize(
            fun,
            theta,
            jac=jac,
            hess=hess,
            method="trust-exact",
            options={"gtol": 1e-9, "maxiter": max_iter},
        )
    return res.x if np.isfinite(res.fun) else theta


class _NegativeLoglik:
    """-logL/N of an :class:`_Objective` for :func:`surveysem.sem.optimizer.minimize`
    (curvature: the expected information; Hessian: the observed one)."""

    def __init__(self, obj: _Objective):
        self.obj, self.n = obj, obj.n_total
        self._at: tuple | None = None

    def state(self, x: np.ndarray) -> _State | None:
        if self._at is None or not np.array_equal(self._at[0], x):
            self._at = (x.copy(), self.obj.state(x))
        return self._at[1]

    def value(self, x: np.ndarray) -> float:
        st = self.state(x)
        return np.inf if st is None else -st.ll / self.n

    def first(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        st = self.state(x)
        return -st.grad / self.n, -self.obj.hessian(x, st, observed=False) / self.n

    def hessian(self, x: np.ndarray) -> np.ndarray:
        return -self.obj.hessian(x, self.state(x), observed=True) / self.n


def _maximize(obj: _Objective, theta: np.ndarray, max_iter: int = 200):
    """Maximize logL: Fisher scoring far from the optimum, Newton (observed Hessian) once
    ``max |dlogL/dtheta| / N < 1e-3``. Returns theta, its state, max|grad|/N and the number
    of iterations."""
    neg = _NegativeLoglik(obj)
    if neg.state(theta) is None:
        raise InputError("the starting values give a non-positive-definite implied covariance")
    x, max_grad, _, it = minimize(neg, theta, newton_below=1e-3, max_iter=max_iter)
    return x, neg.state(x), max_grad, it


# --------------------------------------------------------------------------------------------
# Estimation in G >= 1 groups
# --------------------------------------------------------------------------------------------
@dataclass
class _Group:
    """One group's incomplete data and what is estimated from it before the model: the
    patterns, the saturated (EM) moments, the independence model and lavaan's sample
    statistics of incomplete data (available-case means, pairwise covariances)."""

    values: np.ndarray  # (N_g, p), NaN = missing
    weights: np.ndarray | None  # normalized sampling weights, or None
    pat: _Patterns
    h1_mean: np.ndarray
    h1_cov: np.ndarray
    h1_note: str
    h1_ok: bool
    h1_logl: float
    avail_mean: np.ndarray  # FIML estimates of the baseline: available-case means
    avail_var: np.ndarray  # and N-divisor variances
    base_logl: float


def _prepare_group(values: np.ndarray, weights: np.ndarray | None, where: str = "") -> _Group:
    """Patterns, EM moments and baseline of one group; InputError if the EM covariance
    matrix is singular (``where`` names the group in the message)."""
    pat = _Patterns.from_values(values, weights)
    try:
        h1_mean, h1_cov, h1_note, h1_ok = _h1_moments(pat)
        eig = np.linalg.eigvalsh(h1_cov)
    except np.linalg.LinAlgError:
        eig = np.zeros(1)
    if eig.min() <= SINGULAR_TOL * eig.max():
        obs = pat.obs.T.astype(float) * pat.n @ pat.obs
        raise InputError(
            f"{where}the saturated (EM) covariance matrix of the model variables is singular: "
            "items are constant or collinear, or too few cases observe some pairs of items "
            f"(smallest pairwise coverage: {int(obs.min())} of {len(values)} cases), so the "
            "unrestricted model has no ML estimate; remove or recode the offending items"
        )
    cnt = pat.n @ pat.obs
    avail_mean = (pat.n @ pat.ybar) / cnt
    dev = (pat.ybar - avail_mean) * pat.obs
    avail_var = (np.einsum("g,gii->i", pat.n, pat.s) + pat.n @ dev**2) / cnt
    base_logl = float(-0.5 * np.sum(cnt * (LOG2PI + np.log(avail_var) + 1.0)))
    h1_logl = _loglik_moments(pat, h1_mean, h1_cov)
    return _Group(
        values, weights, pat, h1_mean, h1_cov, h1_note, h1_ok, h1_logl, avail_mean, avail_var,
        base_logl,
    )  # fmt: skip


def _pairwise_moments(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """lavaan's sample statistics of incomplete data (``WLS.obs`` with ``missing = "ml"``):
    available-case means and the pairwise covariances of R's ``cov(use = "pairwise")``
    (each pair's complete cases, their own means, divisor ``n_ij - 1``) times ``(N - 1)/N``.
    """
    obs = ~np.isnan(values)
    filled = np.where(obs, values, 0.0)
    n_ij = obs.T.astype(float) @ obs
    sums = filled.T @ obs  # [i, j]: sum of y_i over the cases that observe i and j
    cov = (filled.T @ filled - sums * sums.T / n_ij) / (n_ij - 1)
    n = len(values)
    return filled.sum(axis=0) / obs.sum(axis=0), cov * (n - 1) / n


def _gfi(rams: list[Ram], x: np.ndarray, groups: list[_Group]) -> float:
    """lavaan's GFI under ``missing = "ml"`` (``lav_fit_gfi``): per group
    ``1 - (s - sigma)' V (s - sigma) / s' V s`` with s lavaan's sample statistics
    (``WLS.obs``: means and vech of the covariances), sigma the model's and V the expected
    information of (mu, vech Sigma) under the group's missing-data patterns at the
    model-implied moments (patterns counted by their summed weights); averaged over groups
    with weights N_g (with sampling weights the sums of the group's normalized weights,
    lavaan's ``nobs``). s are the pairwise moments (:func:`_pairwise_moments`) without
    weights and, with sampling weights, the group's EM moments (``lav_samplestats_from_data``
    takes ``missing.h1`` as the sample moments of weighted incomplete data)."""
    p = rams[0].p
    d_sig, d_mu = _saturated_directions(p)
    a, b = np.tril_indices(p)
    values, sizes = [], []
    for ram, grp in zip(rams, groups, strict=True):
        mu, sigma = ram.moments(x)
        _, winv = _pattern_inverses(grp.pat, sigma)
        v = -_moment_hessian(grp.pat, winv, None, None, d_sig.reshape(-1, p * p), d_mu, False)
        if grp.weights is None:
            mean, cov = _pairwise_moments(grp.values)
        else:
            mean, cov = grp.h1_mean, grp.h1_cov
        s = np.concatenate([mean, cov[a, b]])
        diff = s - np.concatenate([mu, sigma[a, b]])
        values.append(1 - (diff @ v @ diff) / (s @ v @ s))
        sizes.append(grp.pat.n_total)
    return float(np.average(values, weights=sizes))


@dataclass(frozen=True)
class FimlLikelihoods:
    """What the fit measures of a FIML fit of G >= 1 groups need besides its moments: the
    log-likelihoods of the model (``logl``), of the saturated model (``unrestricted_logl``)
    and of the independence model (``baseline_logl``), each summed over groups, lavaan's
    GFI (:func:`_gfi`), the FIML-corrected statistics (:class:`CorrectedTest`, None without
    an information matrix) and the number of missing-data patterns per group."""

    logl: float
    unrestricted_logl: float
    baseline_logl: float
    gfi: float
    corrected: CorrectedTest | None
    n_patterns: tuple[int, ...]


@dataclass
class FimlEstimate:
    """FIML estimates of G >= 1 groups (:func:`estimate_fiml`): free parameters ``x``, their
    covariance matrix ``vcov`` (observed information, or the sandwich under MLR; NaN when
    the information is singular), convergence, the Yuan-Bentler test (MLR), the groups'
    EM moments and sizes (N_g, the sums of their weights) and :class:`FimlLikelihoods`."""

    x: np.ndarray
    vcov: np.ndarray
    converged: bool
    message: str
    robust_test: YuanBentlerTest | None
    h1_means: list[np.ndarray]
    h1_covs: list[np.ndarray]
    sizes: list[float]
    likelihoods: FimlLikelihoods


def estimate_fiml(
    rams: list[Ram],
    rows: list,
    ov_names: list[str],
    values: list[np.ndarray],
    weights: list[np.ndarray | None],
    estimator: str = "ML",
    labels: list | None = None,
) -> FimlEstimate:
    """Maximize the casewise log-likelihood summed over G >= 1 groups (module docstring).

    Group g has its own model ``rams[g]`` (every group's model indexes the one parameter
    vector, so shared entries are equality constraints) and its own incomplete data
    ``values[g]`` (rows with at least one observed variable) and sampling ``weights[g]``.
    Per group the missing-data patterns, the EM moments (H1) and the independence model;
    ``logL = sum_g logL_g`` is maximized by Fisher scoring/Newton
    (:func:`surveysem.sem.optimizer.minimize`) from the moment-based starting values of
    ``rows``, restarted by the trust-region method if that stalls. Standard errors from the
    observed information (the sum of the groups' Hessians); MLR: :func:`_robust`.
    ``labels`` name the groups in messages (None: one group).
    """
    where = [""] if labels is None else [f"group {lab!r}: " for lab in labels]
    groups = [
        _prepare_group(v, w, at) for v, w, at in zip(values, weights, where, strict=True)
    ]  # fmt: skip
    k = rams[0].k
    obj = _Objective(rams, [grp.pat for grp in groups])
    covs, means = [grp.h1_cov for grp in groups], [grp.h1_mean for grp in groups]
    x0 = start_values(rows, ov_names, k, covs, means)
    x, st, max_grad, it = _maximize(obj, x0)
    how = "Fisher scoring/Newton"
    if max_grad >= GRAD_TOL:  # stalled (e.g. on a ridge): trust region from the start, polish
        x2, st2, grad2, it2 = _maximize(obj, _trust_region(obj, x0))
        if grad2 < max_grad and st2.ll >= st.ll - 1e-8 * abs(st.ll):
            x, st, max_grad, it = x2, st2, grad2, it2
            how = "trust region (Fisher scoring/Newton stalled), Newton"
    info = -obj.hessian(x, st, observed=True)
    vcov = np.full((k, k), np.nan)
    info_ok = _is_pd(info) and np.linalg.cond(info) < 1e12
    robust_test = corrected = None
    scores1 = [
        _saturated_scores(grp.values, grp.pat, grp.h1_mean, grp.h1_cov, grp.weights)
        for grp in groups
    ]
    if info_ok and estimator == "MLR":
        vcov, robust_test = _robust(obj, x, info, groups, scores1)
    elif info_ok:
        vcov = np.linalg.inv(info)
        vcov = (vcov + vcov.T) / 2
    if info_ok:
        corrected = _corrected_test(rams, x, groups, scores1, scaled=estimator == "MLR")
    h1_ok = all(grp.h1_ok for grp in groups)
    notes = [f"{at}{grp.h1_note}" for at, grp in zip(where, groups, strict=True)]
    message = (
        f"{how}: {it} iterations, max |dlogL/dtheta| / N = {max_grad:.2e}; "
        f"H1 moments: {'; '.join(notes)}; observed information "
        f"{'positive definite' if info_ok else 'singular or indefinite: no standard errors'}"
    )
    likelihoods = FimlLikelihoods(
        logl=float(st.ll),
        unrestricted_logl=float(sum(grp.h1_logl for grp in groups)),
        baseline_logl=float(sum(grp.base_logl for grp in groups)),
        gfi=_gfi(rams, x, groups),
        corrected=corrected,
        n_patterns=tuple(len(grp.pat.n) for grp in groups),
    )
    return FimlEstimate(
        x=x,
        vcov=vcov,
        converged=bool(max_grad < GRAD_TOL and h1_ok and info_ok),
        message=message,
        robust_test=robust_test,
        h1_means=means,
        h1_covs=covs,
        sizes=[grp.pat.n_total for grp in groups],
        likelihoods=likelihoods,
    )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------
@dataclass
class FimlFit:
    """A model fitted by FIML. Pass it to :func:`fiml_estimates` and :func:`fiml_fit_measures`.

    Attributes
    ----------
    syntax : the lavaan syntax as given.
    partable : parameter table including the ``~1`` rows (free intercepts of the observed
        variables, factor means fixed at 0), in lavaan's row order.
    observed : observed variable names (order of the moment vectors below).
    n : cases used (rows with at least one observed model variable; lavaan's ``ntotal``).
    n_empty : rows dropped because every model variable was missing (lavaan drops them too).
    n_patterns : number of distinct missing-data patterns.
    x : estimates of the free parameters (index ``free - 1`` of the parameter table).
    vcov : their covariance matrix: inverse observed information (ML) or the sandwich
        (MLR); NaN if the information is singular.
    logl : casewise log-likelihood at the estimates (H0).
    unrestricted_logl : log-likelihood of the saturated model (H1).
    baseline_logl : log-likelihood of the independence model (free means and variances).
    h1_mean, h1_cov : ML (EM) estimates of the unrestricted means and covariances.
    converged : the optimizer converged (``max |dlogL/dtheta| / N < GRAD_TOL``), so did the H1
        estimates, and the observed information is positive definite.
    message : convergence details.
    estimator : "ML" or "MLR".
    robust_test : for MLR, the Yuan-Bentler scaled test (:mod:`surveysem.sem.estimators.robust`).
    sampling_weights : the design-weight column, or None (every case's log-likelihood and
        score is weighted, the weights normalized to sum to n; lavaan ``sampling.weights``).
    corrected : the FIML-corrected statistics of the robust indices
        (:class:`CorrectedTest`); None without an information matrix.
    """

    syntax: str
    partable: ParTable
    observed: list[str]
    n: int
    n_empty: int
    n_patterns: int
    x: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    logl: float
    unrestricted_logl: float
    baseline_logl: float
    h1_mean: np.ndarray = field(repr=False)
    h1_cov: np.ndarray = field(repr=False)
    converged: bool
    message: str
    estimator: str = "ML"
    robust_test: YuanBentlerTest | None = field(default=None, repr=False)
    sampling_weights: str | None = None
    corrected: CorrectedTest | None = field(default=None, repr=False)
    gfi: float = np.nan

    @property
    def likelihoods(self) -> FimlLikelihoods:
        """What :func:`fiml_measures` needs of the fit besides its moments."""
        return FimlLikelihoods(
            self.logl, self.unrestricted_logl, self.baseline_logl, self.gfi, self.corrected,
            (self.n_patterns,),
        )  # fmt: skip

    @property
    def _ram(self) -> Ram:
        return Ram.from_partable(self.partable)

    def implied_mean(self) -> pd.Series:
        """Model-implied means of the observed variables."""
        return pd.Series(self._ram.moments(self.x)[0], index=self.observed)

    def implied_cov(self) -> pd.DataFrame:
        """Model-implied covariance matrix of the observed variables."""
        sig = self._ram.moments(self.x)[1]
        return pd.DataFrame(sig, index=self.observed, columns=self.observed)


def _with_mean_structure(pt: ParTable) -> ParTable:
    """Append lavaan's ``~1`` rows: free intercepts of observed variables, factor means 0."""
    rows = [ParRow(**r.__dict__) for r in pt.rows]
    k = pt.n_free
    for v in pt.ov_names:
        k += 1
        rows.append(ParRow(v, "~1", "", False, k, np.nan, "", 0))
    for v in pt.lv_names:
        rows.append(ParRow(v, "~1", "", False, 0, 0.0, "", 0))
    return ParTable(rows, pt.definitions, list(pt.lv_names), list(pt.ov_names), k)


def incomplete_numeric(data: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, int]:
    """Model columns as floats (NaN = missing), without rows missing on every variable."""
    sub = data[names]
    bad = [c for c in names if not pd.api.types.is_numeric_dtype(sub[c])]
    if bad:
        raise InputError(f"columns {bad} are not numeric; recode them to numbers before fitting")
    values = sub.to_numpy(dtype=float)
    if not np.all(np.isfinite(values[~np.isnan(values)])):
        raise InputError("data contain infinite values; recode them to missing (NaN)")
    empty = np.isnan(values).all(axis=1)
    values = values[~empty]
    obs = ~np.isnan(values)
    cover = obs.T.astype(float) @ obs
    if (np.diag(cover) < 2).any():
        few = [names[i] for i in np.flatnonzero(np.diag(cover) < 2)]
        raise InputError(f"variables {few} have fewer than 2 observed values; drop them")
    zero = np.argwhere(np.triu(cover == 0, 1))
    if len(zero):
        a, b = names[zero[0][0]], names[zero[0][1]]
        raise InputError(
            f"no case observes both '{a}' and '{b}' (zero covariance coverage), so their "
            "covariance is not identified under FIML; drop one of them or collect more data"
        )
    return values, int(empty.sum())


def fit_fiml(
    syntax: str, data: pd.DataFrame, estimator: str = "ML", sampling_weights: str | None = None
) -> FimlFit:
    """Fit a lavaan-syntax SEM/CFA to incomplete data by FIML, as lavaan ``missing = "ml"``.

    Cases with missing values contribute the likelihood of their observed part (see the module
    docstring), which is consistent under MAR. The parameter table is lavaan's ``sem()`` table
    (:mod:`surveysem.sem.model.partable`) plus a mean structure: free intercepts for the observed
    variables and factor means fixed at 0. Casewise log-likelihood, with ``o_i`` the observed
    variables of case i:

    ``logL = sum_i -1/2 [p_i ln(2 pi) + ln|Sigma_oo| + (y_io - mu_o)' Sigma_oo^-1 (y_io - mu_o)]``.

    Standard errors: inverse observed information (Hessian of ``-logL``), lavaan's default for
    ``missing = "ml"``. The unrestricted model for the chi-square test is estimated by EM.
    The fit does not check admissibility (negative variances are allowed, as in lavaan): inspect
    the estimates.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``=~``, ``~``, ``~~``, labels, fixed values, ``:=``); intercepts
        (``~ 1``) are added automatically and cannot be written.
    data : pandas.DataFrame
        Raw data with the observed variables of the model; missing values as NaN. Rows missing
        on every model variable are dropped (as lavaan does).
    estimator : {"ML", "MLR"}
        MLR (lavaan ``estimator = "MLR", missing = "ml"``): the same estimates with sandwich
        standard errors and the Yuan-Bentler scaled test (see :func:`_robust`).
    sampling_weights : str or None
        A design-weight column (lavaan ``sampling.weights``): the weights, normalized to sum
        to the number of cases used, multiply every case's log-likelihood and score; the
        estimator becomes MLR, as in lavaan.

    Returns
    -------
    FimlFit

    Raises
    ------
    ModelSpecError, UnsupportedModelError
        As :func:`surveysem.sem.fit_model`.
    surveysem.errors.InputError (a ValueError)
        Non-numeric columns, a variable with fewer than 2 values, a pair of variables never
        observed together, or a singular EM covariance matrix.

    References
    ----------
    Arbuckle (1996), Full information estimation in the presence of incomplete data;
    Enders (2010), Applied Missing Data Analysis, ch. 4; Rosseel (2012), lavaan, JSS 48(2).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.estimators.fiml import fit_fiml
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> data = data.mask(np.random.default_rng(1).random(data.shape) < 0.1)
    >>> fit = fit_fiml(TWO_FACTOR_MODEL, data)
    >>> fit.converged, fit.n, fit.partable.n_free, fit.n_patterns
    (True, 300, 19, 27)
    >>> round(fit.logl, 3), round(fit.unrestricted_logl, 3)
    (-2139.157, -2134.762)
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    if estimator not in ESTIMATORS:
        raise UnsupportedModelError(
            f"estimator {estimator} with missing = fiml is not implemented; FIML takes ML or MLR"
        )
    base = build_partable(parse_syntax(syntax), [str(c) for c in data.columns])
    require_no_covariates(base, "FIML")
    pt = _with_mean_structure(base)
    values, n_empty = incomplete_numeric(data, pt.ov_names)
    wts = None
    if sampling_weights is not None:  # normalized over the cases used; ML becomes MLR
        used = data.loc[~data[pt.ov_names].isna().all(axis=1)]
        wts = normalized_weights(used, sampling_weights, pt.ov_names)
        estimator = "MLR"
    est = estimate_fiml([Ram.from_partable(pt)], pt.rows, pt.ov_names, [values], [wts], estimator)
    lik = est.likelihoods
    return FimlFit(
        syntax=syntax,
        partable=pt,
        observed=list(pt.ov_names),
        n=len(values),
        n_empty=n_empty,
        n_patterns=lik.n_patterns[0],
        x=est.x,
        vcov=est.vcov,
        logl=lik.logl,
        unrestricted_logl=lik.unrestricted_logl,
        baseline_logl=lik.baseline_logl,
        h1_mean=est.h1_means[0],
        h1_cov=est.h1_covs[0],
        converged=est.converged,
        message=est.message,
        estimator=estimator,
        robust_test=est.robust_test,
        sampling_weights=sampling_weights,
        corrected=lik.corrected,
        gfi=lik.gfi,
    )


# --------------------------------------------------------------------------------------------
# Estimates
# --------------------------------------------------------------------------------------------
def _standardize(fit: FimlFit, est: np.ndarray, level: str) -> np.ndarray:
    """std.lv / std.all as lavaan (cov.std = TRUE; intercepts divided by the total SD)."""
    pt = fit.partable
    _, cov, _ = fit._ram.implied(fit.x)
    names = list(pt.ov_names) + list(pt.lv_names)
    with np.errstate(invalid="ignore"):
        sd = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
    return standardize_rows(pt.rows, est, dict(zip(names, sd, strict=True)), pt.lv_names, level)


def fiml_estimates(fit: FimlFit, level: float = 0.95) -> pd.DataFrame:
    """Estimates of a FIML fit, as lavaan ``parameterEstimates(fit, standardized = TRUE)``.

    Rows in lavaan's order: model rows, then the ``~1`` rows (observed intercepts, then factor
    means fixed at 0), then ``:=`` rows (delta-method SEs). ``z = est / se``, two-sided normal
    p-value, Wald interval ``est +/- z_(1 - (1 - level)/2) se``; fixed rows have ``se = 0`` and
    NaN ``z``/``pvalue``. SEs are from the observed information. Standardization as
    :func:`surveysem.sem.parameter_estimates` (residual covariances as residual correlations);
    an intercept is divided by the model-implied SD of its variable (std.lv: factors only).

    Parameters
    ----------
    fit : FimlFit
        Result of :func:`fit_fiml`.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, label, est, se, z, pvalue, ci.lower, ci.upper, std.lv,
        std.all``.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.estimators.fiml import fiml_estimates, fit_fiml
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> data = data.mask(np.random.default_rng(1).random(data.shape) < 0.1)
    >>> pe = fiml_estimates(fit_fiml(TWO_FACTOR_MODEL, data))
    >>> pe.loc[[1, 2, 15, 16], ["lhs", "op", "rhs", "est", "se", "std.all"]].round(3)
       lhs  op rhs    est     se  std.all
    1    A  =~  a2  0.835  0.081    0.752
    2    A  =~  a3  0.697  0.071    0.678
    15  a1  ~1      0.001  0.067    0.001
    16  a2  ~1     -0.129  0.061   -0.126
    """
    est = _row_values(fit)
    return estimates_table(
        fit, est, _standardize(fit, est, "lv"), _standardize(fit, est, "all"), level
    )


# --------------------------------------------------------------------------------------------
# Fit measures
# --------------------------------------------------------------------------------------------
def fiml_fit_measures(fit: FimlFit) -> dict[str, float]:
    """lavaan ``fitMeasures()`` of a FIML fit (``missing = "ml"``): :func:`fiml_measures` of
    its one group.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.estimators.fiml import fiml_fit_measures, fit_fiml
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> data = data.mask(np.random.default_rng(1).random(data.shape) < 0.1)
    >>> fm = fiml_fit_measures(fit_fiml(TWO_FACTOR_MODEL, data))
    >>> round(fm["chisq"], 3), fm["df"], round(fm["cfi"], 3), round(fm["srmr"], 3)
    (8.791, 8.0, 0.998, 0.022)
    """
    mu, sigma = fit._ram.moments(fit.x)
    return fiml_measures(
        fit.likelihoods, fit.partable.n_free, [fit.n], [(fit.h1_cov, fit.h1_mean)],
        [(sigma, mu)], fit.robust_test,
    )  # fmt: skip


def fiml_measures(
    likelihoods: FimlLikelihoods,
    k: int,
    sizes: list[float],
    h1: list[tuple[np.ndarray, np.ndarray]],
    implied: list[tuple[np.ndarray, np.ndarray]],
    robust_test: YuanBentlerTest | None = None,
) -> dict[str, float]:
    """lavaan ``fitMeasures()`` of a FIML fit of G >= 1 groups (``missing = "ml"``).

    With N = sum N_g the cases used, p observed variables, ``p* = G (p(p+1)/2 + p)``
    moments (covariances and means of every group) and k free parameters (intercepts
    included); ``h1`` and ``implied`` hold each group's EM and model-implied
    (covariance matrix, mean vector):

    * chisq = 2 (logL_H1 - logL_H0), the likelihood ratio against the EM-estimated saturated
      model; df = p* - k; fmin = chisq / (2N).
    * baseline: independence model (free means and variances in every group),
      chisq_b = 2 (logL_H1 - logL_B), df_b = p* - 2pG; CFI, TLI/NNFI, NFI, RFI, IFI, RNI, PNFI
      from (chisq, df, chisq_b, df_b) as for complete data.
    * logl = logL_H0, unrestricted.logl = logL_H1; AIC = -2 logl + 2k, BIC = -2 logl + k ln N,
      BIC2 (SABIC) = -2 logl + k ln((N + 2)/24).
    * RMSEA = sqrt(G) sqrt(max(chisq/(N df) - 1/N, 0)), 90% CI and close/not-close p-values
      from the noncentral chi-square (noncentrality divided by G; lavaan's multi-group rule).
    * SRMR (lavaan's srmr = srmr_bentler with the mean residuals): per group, residuals of
      the EM moments (means m, covariances S) against the model's,
      ``(s_ij - sigma_ij)/sqrt(s_ii s_jj)`` for i <= j and ``(m_i - mu_i)/sqrt(s_ii)``, root
      mean square over the p(p+1)/2 + p elements, averaged over groups with weights N_g/N;
      ``*_nomean`` without the means; RMR unstandardized; CRMR correlation residuals (no
      diagonal); SRMR (Mplus) correlation and standardized variance residuals.
    * GFI (:func:`_gfi`) with AGFI and PGFI on p* moments; MFI = exp(-(chisq - df)/(2N)),
      ECVI = chisq/N + 2k/N, Hoelter CN.

    * MLR: the scaled measures (``*.scaled``, scaling factors) of
      :func:`~surveysem.sem.measures.indices.scaled_measures` from the Yuan-Bentler test.
    * ML and MLR: lavaan's robust CFI, TLI, NNFI, RNI and RMSEA under missing data
      (``*.robust``, :func:`~surveysem.sem.measures.indices.corrected_robust_measures` of the
      FIML-corrected statistics, :func:`_corrected_test`; Zhang & Savalei 2023).
    """
    n, n_groups = float(sum(sizes)), len(sizes)
    p = len(h1[0][1])
    pstar = n_groups * (p * (p + 1) // 2 + p)
    lik = likelihoods
    chisq = max(2 * (lik.unrestricted_logl - lik.logl), 0.0)
    df = pstar - k
    chisq_b = 2 * (lik.unrestricted_logl - lik.baseline_logl)
    df_b = pstar - 2 * p * n_groups
    out = {
        "npar": float(k),
        "fmin": chisq / (2 * n),
        **chisq_tests(chisq, df, chisq_b, df_b),
        **incremental_indices(chisq, df, chisq_b, df_b),
        **information_criteria(lik.logl, lik.unrestricted_logl, k, n),
        **rmsea_measures(chisq, df, n, n_groups),
        **group_residual_indices(h1, implied, sizes),
        **hoelter_cn(chisq, df, n),
        **(gfi_measures(lik.gfi, df, pstar) if np.isfinite(lik.gfi) else {}),
        "mfi": float(np.exp(-0.5 * (chisq - df) / n)),
        "ecvi": chisq / n + 2 * k / n,
    }
    if lik.corrected is not None:  # lavaan's robust indices under missing data
        c = lik.corrected
        out |= corrected_robust_measures(c.xx3, c.c3, c.xx3_null, c.c3_null, df, df_b, n, n_groups)
    if robust_test is not None:  # MLR: lavaan's order, the scaled names added
        scaled = scaled_measures(out, robust_test, n, n_groups)
        out |= {key: value for key, value in scaled.items() if not key.endswith(".robust")}
        return {key: float(out[key]) for key in MLR_NAMES if key in out}
    return {key: float(val) for key, val in out.items()}
