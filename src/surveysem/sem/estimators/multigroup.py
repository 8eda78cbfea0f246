"""Multi-group ML SEM with mean structures and lavaan ``group.equal`` constraints.

Metric and scalar invariance need one objective over all groups. This module estimates it: a
RAM-type model per group (Jöreskog 1971; McArdle & McDonald 1984) with all variables
``v = (observed, latent)``, directed paths ``A`` (loadings and regressions), (residual)
(co)variances ``S`` and intercepts/means ``m``:

    B = (I - A)^-1,  G = B[observed, :],  Sigma_g = G S G',  mu_g = G m.

Estimation reproduces lavaan ``cfa()/sem(..., group = , group.equal = )`` (ML,
``likelihood = "normal"``, ``meanstructure = TRUE``, expected information):

* groups in order of first appearance in the data (lavaan's default ``group.label``);
* sample moments per group with divisor N_g;
* discrepancy ``F = sum_g (N_g/N) F_g`` with
  ``F_g = ln|Sigma_g| + tr(S_g Sigma_g^-1) - ln|S_g| - p + (ybar_g - mu_g)' Sigma_g^-1
  (ybar_g - mu_g)``, so ``chisq = N F`` (lavaan's ``fmin`` is ``F/2``);
* identification as lavaan: the first loading of every factor is 1 in every group; latent
  means are 0 in every group, except that they are free in groups 2, 3, ... when
  ``"intercepts"`` (and not ``"means"``) is in ``equal``;
* ``equal`` follows lavaan ``group.equal`` (``lav_partable_labels``): a constrained parameter
  of group g > 1 is the same free parameter as its group-1 counterpart and is labelled
  ``.pK.`` with K the parameter-table id of the group-1 row. User labels (``a*x``) apply to
  every group, so a labelled parameter is equal across groups, as in lavaan;
* Fisher scoring (:mod:`~surveysem.sem.optimizer`) from the moment-based starting values
  of :mod:`~surveysem.sem.model.start` (intercepts = group means);
* standard errors from the expected information ``(N/2 H)^-1``, with
  ``H = sum_g (N_g/N) [tr(Sigma^-1 dSigma_i Sigma^-1 dSigma_j) + 2 dmu_i' Sigma^-1 dmu_j]``.
* ``estimator="MLR"``: sandwich SEs and the Yuan-Bentler test (:func:`_robust`);
* ``estimator="WLSMV"`` on continuous items (lavaan DWLS), ``"GLS"`` and ``"ULS"``: the
  statistics of group g are its means and vech(S_g) (divisor N_g - 1), ``F = sum_g (N_g -
  1)/N r_g' W_g r_g`` with lavaan's ``W_g``: DWLS ``diag(Gamma_g)^-1`` (Gamma_g the
  distribution-free covariance matrix of the means and covariances, divisor N_g), GLS
  ``blockdiag(S_g^-1, 1/2 D'(S_g^-1 x S_g^-1) D)``, ULS the identity, minimized by
  Gauss-Newton (:class:`~surveysem.sem.estimators.least_squares.GroupsLs`); WLSMV:
  ``robust.sem`` SEs and the scaled-and-shifted test over groups; GLS, ULS:
  expected-information SEs ``(sum_g N_g/N Delta_g' W_g Delta_g)^-1 / (N - G)``; fit measures
  of :func:`_ls_fit_measures`;
* sampling weights (lavaan ``sampling.weights``): normalized over all rows to sum to N, each
  group's moments weighted and N_g its sum of weights; ML becomes MLR with weighted scores,
  as in lavaan (:mod:`~surveysem.sem.estimators.weights`); under FIML normalized over the
  rows used (at least one observed variable), every case's log-likelihood and score
  weighted. GLS, ULS and WLSMV fit each group's weighted means and covariances (divisor N_g,
  not rescaled) with N_g in place of the group's rows everywhere, while the WLSMV Gamma_g is
  the ADF matrix of the group's unweighted rows (lavaan 0.6.14 does not weight Gamma).

References
----------
Jöreskog, K. G. (1971). Simultaneous factor analysis in several populations.
Psychometrika, 36(4), 409-426.
Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
Psychometrika, 58(4), 525-543.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). https://doi.org/10.18637/jss.v048.i02
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.linalg import block_diag

from surveysem.errors import InputError
from surveysem.sem.errors import ModelSpecError, UnsupportedModelError
from surveysem.sem.estimators.fiml import (
    FimlLikelihoods,
    estimate_fiml,
    fiml_measures,
    incomplete_numeric,
)
from surveysem.sem.estimators.fit_measures import LS_NAMES, WLSMV_NAMES
from surveysem.sem.estimators.fitting import GRAD_TOL, complete_numeric
from surveysem.sem.estimators.least_squares import (
    LS_ESTIMATORS,
    GroupsLs,
    adf_gamma,
    group_vcov,
    group_weight,
    robust_sem_vcov,
    u_gamma,
    unbiased_cov,
)
from surveysem.sem.estimators.robust import YuanBentlerTest, yuan_bentler_test
from surveysem.sem.estimators.weights import normalized_weights, weighted_moments
from surveysem.sem.measures.indices import (
    chisq_tests,
    gfi_measures,
    group_residual_indices,
    hoelter_cn,
    incremental_indices,
    information_criteria,
    rmsea_measures,
    scaled_measures,
    scaled_shifted_measures,
)
from surveysem.sem.model.groups import (
    MGRow,
    build_multigroup_rows,
    check_equal,
    normalize_names,
)
from surveysem.sem.model.partable import build_partable, require_no_covariates
from surveysem.sem.model.ram import Ram, group_rams
from surveysem.sem.model.start import start_values
from surveysem.sem.model.syntax import parse_syntax
from surveysem.sem.optimizer import minimize
from surveysem.sem.results.estimates import (
    COLUMNS,
    add_wald_columns,
    standard_errors,
    standardize_rows,
)

#: lavaan's parameterEstimates columns of a multi-group fit (block and group after rhs).
ESTIMATE_COLUMNS = [*COLUMNS[:3], "block", "group", *COLUMNS[3:]]


@dataclass
class MultiGroupFit:
    """A fitted multi-group model; pass it to :func:`multigroup_estimates` and
    :func:`multigroup_fit_measures`.

    Attributes
    ----------
    syntax : the lavaan syntax as given.
    group : name of the grouping column.
    groups : group values, in lavaan's order (first appearance in the data).
    equal : the ``group.equal`` types applied.
    rows : the parameter table (:class:`MGRow`), lavaan's order: group 1 rows, then group 2...
    ov_names, lv_names : observed and latent variables (lavaan order).
    n_free : number of free parameters (lavaan ``npar``).
    nobs : complete cases per group.
    sample_cov, sample_mean : per-group sample moments (covariance with divisor N_g).
    x : estimates of the free parameters (index ``free - 1``).
    vcov : their covariance matrix (NaN when the information matrix is singular).
    converged : vanishing gradient at the solution (``max |dF/dtheta| < 1e-4``).
    message : optimizer details.
    estimator : "ML", "MLR" (sandwich SEs and the Yuan-Bentler scaled test, :func:`_robust`),
        "GLS", "ULS" or "WLSMV" (DWLS on continuous items) (least squares, module docstring).
    robust_test : for MLR, the :class:`~surveysem.sem.estimators.robust.YuanBentlerTest`; else None.
    sampling_weights : name of the design-weight column, or None.
    weights : per group, the weights of its rows normalized over all rows to sum to the total
        N (lavaan ``sampling.weights.normalization = "total"``; FIML: the rows used); None
        when unweighted. Then ``sample_cov`` and ``sample_mean`` are the weighted (FIML: the
        weighted EM) moments of each group.
    likelihoods : FIML only (lavaan ``missing = "ml"``): the log-likelihoods of the model, of
        the saturated and of the independence model and the FIML-corrected statistics
        (:class:`~surveysem.sem.estimators.fiml.FimlLikelihoods`); then ``nobs`` are the cases
        with at least one observed variable and ``sample_cov``/``sample_mean`` each group's
        EM (saturated ML) moments. None for complete data.
    gamma : WLSMV only: per group N_g times the distribution-free covariance matrix of its
        statistics, the means then vech(S)
        (:func:`~surveysem.sem.estimators.least_squares.adf_gamma`); None otherwise.
    """

    syntax: str
    group: str
    groups: list
    equal: tuple[str, ...]
    rows: list[MGRow] = field(repr=False)
    ov_names: list[str]
    lv_names: list[str]
    n_free: int
    nobs: list[int]
    sample_cov: list[np.ndarray] = field(repr=False)
    sample_mean: list[np.ndarray] = field(repr=False)
    x: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool
    message: str
    partial: tuple[str, ...] = ()
    equal_params: tuple[str, ...] = ()
    estimator: str = "ML"
    robust_test: YuanBentlerTest | None = field(default=None, repr=False)
    sampling_weights: str | None = None
    weights: list[np.ndarray] | None = field(default=None, repr=False)
    likelihoods: FimlLikelihoods | None = field(default=None, repr=False)
    gamma: list[np.ndarray] | None = field(default=None, repr=False)

    @property
    def missing(self) -> str:
        """``"fiml"`` for a FIML fit (lavaan ``missing = "ml"``), else ``"listwise"``."""
        return "listwise" if self.likelihoods is None else "fiml"

    @property
    def ntotal(self) -> int:
        """Total number of complete cases."""
        return int(sum(self.nobs))

    @property
    def group_sizes(self) -> list[float]:
        """The sizes N_g that weigh each group's discrepancy: the complete cases, or with
        sampling weights the sum of the group's normalized weights (as lavaan)."""
        return self.nobs if self.weights is None else [float(w.sum()) for w in self.weights]

    @property
    def fmin(self) -> float:
        """lavaan's ``fmin`` = F/2 at the estimates (FIML: (logL_H1 - logL) / N; WLSMV: the
        GLS, ULS: the least-squares F of :func:`_ls_objective`)."""
        if self.estimator in LS_ESTIMATORS:
            return _ls_objective(self).value(self.x) / 2
        if self.likelihoods is not None:
            lik = self.likelihoods
            return (lik.unrestricted_logl - lik.logl) / self.ntotal
        return _engine(self).value(self.x) / 2

    def implied(self) -> list[tuple[pd.DataFrame, pd.Series]]:
        """Model-implied covariance matrix and mean vector of every group."""
        out = []
        for mats in _engine(self).moments(self.x):
            sig, mu = mats["sigma"], mats["mu"]
            out.append(
                (
                    pd.DataFrame(sig, index=self.ov_names, columns=self.ov_names),
                    pd.Series(mu, index=self.ov_names),
                )
            )
        return out


# --------------------------------------------------------------------------------------
# model engine: implied moments, objective, gradient, expected information
# --------------------------------------------------------------------------------------


class _Engine:
    """The stacked ML discrepancy of all groups, each group's model in RAM form
    (:class:`~surveysem.sem.model.ram.Ram`), with its gradient and expected information."""

    def __init__(self, rows, ov_names, lv_names, n_free, covs, means, nobs):
        self.ov, self.lv = list(ov_names), list(lv_names)
        self.p = len(self.ov)
        self.k = n_free
        self.covs, self.means = covs, means
        self.nobs = np.asarray(nobs, dtype=float)
        self.w = self.nobs / self.nobs.sum()
        self.logdet_s = [np.linalg.slogdet(s)[1] for s in covs]
        self.rams = group_rams(rows, self.ov, self.lv, n_free)

    def moments(self, x: np.ndarray) -> list[dict]:
        """Per group: the covariance matrix of all variables (``total``) and the implied
        ``sigma`` and ``mu`` of the observed ones."""
        out = []
        for ram in self.rams:
            _, total, mean = ram.implied(x)
            sigma = total[: self.p, : self.p]
            out.append({"total": total, "sigma": (sigma + sigma.T) / 2, "mu": mean[: self.p]})
        return out

    # -- objective ---------------------------------------------------------------------
    def value(self, x: np.ndarray) -> float:
        total = 0.0
        for g, mats in enumerate(self.moments(x)):
            sigma = mats["sigma"]
            try:
                chol = np.linalg.cholesky(sigma)
            except np.linalg.LinAlgError:
                return np.inf
            logdet = 2 * np.sum(np.log(np.diag(chol)))
            d = self.means[g] - mats["mu"]
            sinv_s = np.linalg.solve(sigma, self.covs[g])
            quad = float(d @ np.linalg.solve(sigma, d))
            f_g = logdet + np.trace(sinv_s) - self.logdet_s[g] - self.p + quad
            total += self.w[g] * f_g
        return float(total)

    def first(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Gradient of F and its expected Hessian H (lavaan expected information = N/2 H)."""
        grad = np.zeros(self.k)
        info = np.zeros((self.k, self.k))
        for g, (mats, ram) in enumerate(zip(self.moments(x), self.rams, strict=True)):
            d_sig, d_mu = ram.jacobian(x)
            active = np.flatnonzero(np.any(d_sig != 0, axis=(1, 2)) | np.any(d_mu != 0, axis=1))
            d_sig, d_mu = d_sig[active], d_mu[active]
            n_act = len(active)
            sinv = np.linalg.inv(mats["sigma"])
            sinv = (sinv + sinv.T) / 2
            d = self.means[g] - mats["mu"]
            sd = sinv @ d
            wmat = sinv - sinv @ (self.covs[g] + np.outer(d, d)) @ sinv
            g_loc = d_sig.reshape(n_act, -1) @ wmat.ravel() - 2 * d_mu @ sd
            # tr(Sigma^-1 dS_i Sigma^-1 dS_j) = <L' dS_i L, L' dS_j L> with Sigma^-1 = L L'
            low = np.linalg.cholesky(sinv)
            t = (low.T @ d_sig @ low).reshape(n_act, -1)
            h_loc = t @ t.T + 2 * d_mu @ sinv @ d_mu.T
            grad[active] += self.w[g] * g_loc
            info[np.ix_(active, active)] += self.w[g] * h_loc
        return grad, info


def _engine(fit: MultiGroupFit) -> _Engine:
    return _Engine(
        fit.rows,
        fit.ov_names,
        fit.lv_names,
        fit.n_free,
        fit.sample_cov,
        fit.sample_mean,
        fit.group_sizes,
    )


class _Statistics:
    """The least-squares statistics of each group's RAM model: ``sigma_g = (mu_g, vech(Sigma_g))``
    (lavaan's order with a mean structure; vech in ``np.tril_indices`` order) and their
    Jacobian ``Delta_g`` (statistics by parameters), as
    :class:`~surveysem.sem.estimators.least_squares.GroupsLs` reads them."""

    def __init__(self, rams: list[Ram]):
        self.rams = rams
        self.low = np.tril_indices(rams[0].p)

    def implied(self, g: int, x: np.ndarray) -> np.ndarray:
        mu, sigma = self.rams[g].moments(x)
        return np.concatenate([mu, sigma[self.low]])

    def jacobian(self, g: int, x: np.ndarray) -> np.ndarray:
        d_sig, d_mu = self.rams[g].jacobian(x)
        return np.hstack([d_mu, d_sig[:, self.low[0], self.low[1]]]).T


def _ls_samples(covs, means, nobs, weighted: bool) -> list[tuple[np.ndarray, np.ndarray]]:
    """Each group's covariance matrix and means as lavaan fits least squares to them: the
    covariance matrix with divisor N_g - 1 (the unbiased S); with sampling weights the
    weighted moments as they are (divisor the group's sum of weights, lavaan's
    ``cov.wt(method = "ML")``, not rescaled)."""
    return [
        (s if weighted else unbiased_cov(s, n), m)
        for s, m, n in zip(covs, means, nobs, strict=True)
    ]


def _ls_stats(samples) -> list[np.ndarray]:
    """Each group's sample statistics for least squares: its means, then vech of its covariance
    matrix (``samples`` of :func:`_ls_samples`)."""
    low = np.tril_indices(len(samples[0][1]))
    return [np.concatenate([m, s[low]]) for s, m in samples]


def _ls_weights(estimator, samples, gammas) -> list[np.ndarray]:
    """Each group's lavaan ``WLS.V``
    (:func:`~surveysem.sem.estimators.least_squares.group_weight`): GLS from its S_g of
    :func:`_ls_samples`, ULS the identity, WLSMV ``diag(Gamma_g)^-1``."""
    return [
        group_weight(estimator, s, None if gammas is None else gammas[g])
        for g, (s, _) in enumerate(samples)
    ]


def _ls_objective(fit: MultiGroupFit) -> GroupsLs:
    """The least-squares discrepancy of a GLS, ULS or WLSMV fit (:class:`_Statistics` of its
    groups)."""
    samples = _ls_samples(fit.sample_cov, fit.sample_mean, fit.nobs, fit.weights is not None)
    return GroupsLs(
        _Statistics(_engine(fit).rams),
        _ls_stats(samples),
        _ls_weights(fit.estimator, samples, fit.gamma),
        fit.group_sizes,
    )


# --------------------------------------------------------------------------------------
# robust standard errors and test
# --------------------------------------------------------------------------------------


# --------------------------------------------------------------------------------------
# data
# --------------------------------------------------------------------------------------


def _group_labels(data: pd.DataFrame, group: str, names: list[str]) -> list:
    """The groups in lavaan's order (first appearance), after checking the group column."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per observed variable")
    if group not in data.columns:
        raise ModelSpecError(f"group column '{group}' is not in the data. Fix the name.")
    if group in names:
        raise ModelSpecError(f"group column '{group}' is also a model variable. Use another.")
    gcol = data[group]
    if gcol.isna().any():
        raise InputError(
            f"group column '{group}' has {int(gcol.isna().sum())} missing values; drop those "
            "rows or give them a group"
        )
    labels = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(gcol)]
    if len(labels) < 2:
        raise InputError(f"group column '{group}' has {len(labels)} group(s); need at least 2")
    return labels


def _incomplete_groups(data: pd.DataFrame, group: str, names: list[str]):
    """Per group (lavaan's order) its rows of the model variables with NaN for missing values,
    without rows missing on every variable, checked as single-group FIML checks its data
    (:func:`~surveysem.sem.estimators.fiml.incomplete_numeric`, the message naming the group)."""
    labels = _group_labels(data, group, names)
    values = []
    for lab in labels:
        try:
            vals, _ = incomplete_numeric(data.loc[data[group] == lab], names)
        except InputError as error:
            raise InputError(f"group {lab!r}: {error}") from None
        values.append(vals)
    return labels, values


def _group_data(data: pd.DataFrame, group: str, names: list[str], weights=None):
    """Per group (lavaan's order): sample covariance matrix and mean (weighted by the
    normalized ``weights`` of the rows when given), complete cases, rows and weights."""
    labels = _group_labels(data, group, names)
    complete_numeric(data, names)  # same checks and messages as single-group fits
    sub = data[names]
    gcol = data[group]
    covs, means, nobs, values, group_weights = [], [], [], [], []
    p = len(names)
    for lab in labels:
        rows = (gcol == lab).to_numpy()
        vals = sub[rows].to_numpy(dtype=float)
        n = vals.shape[0]
        if n <= p:
            raise InputError(
                f"group {lab!r} has {n} complete rows, not more than the {p} observed "
                "variables; merge small groups or simplify the model"
            )
        if weights is None:
            mean, cov = vals.mean(axis=0), np.cov(vals, rowvar=False, bias=True)
        else:
            group_weights.append(weights[rows])
            mean, cov = weighted_moments(vals, weights[rows])
        eig = np.linalg.eigvalsh(cov)
        if eig.min() <= 1e-12 * eig.max():
            raise InputError(
                f"the sample covariance matrix of group {lab!r} is singular (constant or "
                "collinear items in that group); remove or recode the offending items"
            )
        covs.append(cov)
        means.append(mean)
        nobs.append(n)
        values.append(vals)
    return labels, covs, means, nobs, values, group_weights or None


def refuse_definitions(parsed) -> None:
    """UnsupportedModelError naming the first ``:=`` line of a multi-group model (lavaan
    accepts them; the multi-group estimates tables here have no defined parameters)."""
    if parsed.definitions:
        d = parsed.definitions[0]
        raise UnsupportedModelError(
            f"line {d.line} ('{d.text}'): defined parameters (':=') are not supported in "
            "multi-group models. Remove the ':=' lines (or fit each group on its own)."
        )


# --------------------------------------------------------------------------------------
# public API
# --------------------------------------------------------------------------------------


def _observed_information(engine: _Engine, x: np.ndarray) -> np.ndarray:
    """Observed information of logL = -N/2 F: N/2 times the Hessian of F, by central
    differences of the analytic gradient (as lavaan's ``lav_model_hessian``)."""
    k, n = len(x), engine.nobs.sum()
    hessian = np.empty((k, k))
    for j in range(k):
        step = 1e-5 * max(1.0, abs(x[j]))
        up, down = x.copy(), x.copy()
        up[j] += step
        down[j] -= step
        hessian[:, j] = (engine.first(up)[0] - engine.first(down)[0]) / (2 * step)
    return n / 2 * (hessian + hessian.T) / 2


def _robust(engine: _Engine, x: np.ndarray, values: list[np.ndarray], weights=None):
    """lavaan MLR for several groups: ``vcov = I^-1 B I^-1`` (I the observed information, B
    the outer product of every case's score, ``w_i s_i`` with sampling weights) and the
    Yuan-Bentler test. With mean structures the saturated model of a group (means and
    covariances) has the trace ``[sum_i w_i^2 m_i + 1/2 sum_i w_i^2 (m_i^2 - 2 m_i + p)] / N_g``,
    ``m_i = d_i' S^-1 d_i`` (``p + (mean_i m_i^2 - p)/2`` unweighted), and the baseline (free
    means and variances) ``sum_j [sum_i w_i^2 z_ij^2 + 1/2 sum_i w_i^2 (z_ij^2 - 1)^2] / N_g``;
    the traces add over groups."""
    k, p, n_groups = len(x), engine.p, len(values)
    scores = []
    tr_h1 = tr_b = 0.0
    for g, (mats, ram) in enumerate(zip(engine.moments(x), engine.rams, strict=True)):
        w = np.ones(len(values[g])) if weights is None else weights[g]
        w2, n_g = w**2, w.sum()
        d_sig, d_mu = ram.jacobian(x)
        sinv = np.linalg.inv(mats["sigma"])
        u = (values[g] - mats["mu"]) @ sinv
        quad = np.einsum("kpq,np,nq->nk", d_sig, u, u) - np.einsum("kpq,pq->k", d_sig, sinv)
        scores.append((0.5 * quad + u @ d_mu.T) * w[:, None])
        centered = values[g] - engine.means[g]
        mahal = np.einsum("ni,ij,nj->n", centered, np.linalg.inv(engine.covs[g]), centered)
        tr_h1 += float(w2 @ mahal + 0.5 * w2 @ (mahal**2 - 2 * mahal + p)) / n_g
        z2 = centered**2 / np.diag(engine.covs[g])
        tr_b += float(np.sum(w2 @ z2 + 0.5 * w2 @ (z2 - 1) ** 2)) / n_g
    scores = np.vstack(scores)
    meat = scores.T @ scores
    info = _observed_information(engine, x)
    vcov, tr_h0 = np.full((k, k), np.nan), np.nan
    eig = np.linalg.eigvalsh(info)
    if eig.min() > 1e-10 * abs(eig).max():
        bread = np.linalg.inv(info)
        vcov = bread @ meat @ bread
        vcov, tr_h0 = (vcov + vcov.T) / 2, float(np.sum(meat * bread.T))
    ndat = n_groups * (p * (p + 1) // 2 + p)
    copies = sum(int(np.sum(part[2] >= 0)) for ram in engine.rams for part in (ram.a, ram.s, ram.m))
    test = yuan_bentler_test(tr_h1, tr_h0, tr_b, ndat, k, ndat - 2 * p * n_groups, copies)
    return vcov, test


def fit_multigroup(
    syntax: str,
    data: pd.DataFrame,
    group: str,
    equal: tuple[str, ...] = (),
    *,
    partial: tuple[str, ...] = (),
    equal_params: tuple[str, ...] = (),
    estimator: str = "ML",
    sampling_weights: str | None = None,
    missing: str = "listwise",
) -> MultiGroupFit:
    """Fit a lavaan-syntax CFA/SEM to several groups at once by ML, as lavaan
    ``sem(syntax, data, group = group, group.equal = equal)``; ``estimator="MLR"`` adds
    sandwich standard errors and the Yuan-Bentler scaled test (:func:`_robust`).

    Every group has its own mean structure (free intercepts of the observed variables) and
    the same model form (configural model). Equality constraints across groups follow
    lavaan's ``group.equal``; identification follows lavaan (marker loading 1 in every
    group, latent means 0 unless the intercepts are equal). Estimation details: module
    docstring.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``=~``, ``~``, ``~~``, labels, fixed values); ``:=`` is not
        supported in multi-group models. A label (``a*x``) applies to every group, so the
        labelled parameter is equal across groups (lavaan semantics).
    data : pandas.DataFrame
        Complete raw data with the model variables and the ``group`` column.
    group : str
        Grouping column; groups are ordered by first appearance (lavaan's default).
    equal : tuple of str
        lavaan ``group.equal``: any of ``"loadings"``, ``"intercepts"``, ``"regressions"``,
        ``"means"``, ``"residuals"``, ``"residual.covariances"``, ``"lv.variances"``,
        ``"lv.covariances"``. ``()`` = configural, ``("loadings",)`` = metric (weak),
        ``("loadings", "intercepts")`` = scalar (strong) invariance (Meredith 1993).
    partial : tuple of str, keyword-only
        lavaan ``group.partial``: parameters exempted from ``equal``, e.g. ``("x3~1",)``.
    equal_params : tuple of str, keyword-only
        Additional single parameters held equal across groups, e.g. ``("CRP~CO",)``.
    estimator : {"ML", "MLR", "GLS", "ULS", "WLSMV"}, keyword-only
        lavaan's estimator; MLR adds sandwich SEs and the Yuan-Bentler scaled test; GLS, ULS
        and WLSMV (DWLS on continuous items) are least squares on each group's means and
        covariances (module docstring; listwise; also with sampling weights).
    sampling_weights : str or None, keyword-only
        A column of design weights (lavaan ``sampling.weights``): normalized over all rows to
        sum to N, each group's moments are weighted, the groups' discrepancies are weighed by
        their sums of weights, and, as in lavaan, ML becomes MLR with weighted case-wise
        scores (:mod:`surveysem.sem.estimators.weights`); GLS, ULS and WLSMV stay as they are
        (module docstring).
    missing : {"listwise", "fiml"}, keyword-only
        ``"fiml"`` (lavaan ``missing = "ml"``): incomplete rows enter the casewise
        likelihood of their group, summed over groups and maximized by the FIML engine
        (:func:`~surveysem.sem.estimators.fiml.estimate_fiml`): per group its missing-data
        patterns and EM moments, observed-information SEs (MLR: sandwich, Yuan-Bentler
        test), fit measures of :func:`~surveysem.sem.estimators.fiml.fiml_measures`; with
        sampling weights every case's log-likelihood and score is weighted (the weights
        normalized over the rows used) and ML becomes MLR.

    Returns
    -------
    MultiGroupFit

    Raises
    ------
    ModelSpecError
        Invalid syntax, unknown variables or ``equal`` types.
    UnsupportedModelError
        ``:=`` definitions or syntax that :mod:`surveysem.sem` does not estimate.
    surveysem.errors.InputError
        Missing values, fewer than two groups, a group with no more rows than variables, or
        a singular covariance matrix in a group.

    References
    ----------
    Jöreskog (1971), Psychometrika 36(4); Meredith (1993), Psychometrika 58(4);
    Rosseel (2012), lavaan, JSS 48(2).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.multigroup import fit_multigroup, multigroup_fit_measures
    >>> data = two_factor_data().assign(g=np.tile(["a", "b"], 150))
    >>> fit = fit_multigroup(TWO_FACTOR_MODEL, data, "g", equal=("loadings",))
    >>> fit.converged, fit.groups, fit.nobs, fit.n_free
    (True, ['a', 'b'], [150, 150], 34)
    >>> fm = multigroup_fit_measures(fit)
    >>> round(fm["chisq"], 3), fm["df"]
    (14.842, 20.0)
    """
    parsed = parse_syntax(syntax)
    refuse_definitions(parsed)
    equal = check_equal(equal)
    partial = normalize_names(partial)
    equal_params = normalize_names(equal_params)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    pt = build_partable(parsed, [str(c) for c in data.columns])
    require_no_covariates(pt, "multi-group")
    if estimator not in ("ML", "MLR", *LS_ESTIMATORS):
        raise ValueError(
            "estimator must be ML, MLR, GLS, ULS or WLSMV for multi-group models, not "
            f"{estimator!r}"
        )
    if estimator == "WLSMV" and missing != "listwise":
        raise UnsupportedModelError(
            "estimator WLSMV on continuous items in several groups takes listwise deletion "
            "(lavaan refuses missing fiml with WLSMV); use estimator MLR"
        )
    if estimator in ("GLS", "ULS") and missing != "listwise":
        raise UnsupportedModelError(
            f"estimator {estimator} in several groups takes listwise deletion (lavaan refuses "
            "missing fiml with it); use estimator ML or MLR"
        )
    if missing not in ("listwise", "fiml"):
        raise ValueError(f"missing must be listwise or fiml, not {missing!r}")
    if sampling_weights is not None and estimator == "ML":
        estimator = "MLR"  # lavaan: ML becomes MLR with sampling.weights
    # the fields every multi-group result shares, whatever the estimator
    common = dict(
        syntax=syntax, group=group, equal=equal, ov_names=list(pt.ov_names),
        lv_names=list(pt.lv_names), partial=partial, equal_params=equal_params,
        estimator=estimator, sampling_weights=sampling_weights,
    )  # fmt: skip
    if missing == "fiml":
        return _fit_fiml_groups(data, pt, common)
    wts = None
    if sampling_weights is not None:
        wts = normalized_weights(data, sampling_weights, [*pt.ov_names, group])
    labels, covs, means, nobs, values, group_wts = _group_data(data, group, pt.ov_names, wts)
    rows, n_free = build_multigroup_rows(pt, len(labels), equal, partial, equal_params)
    sizes = nobs if group_wts is None else [float(w.sum()) for w in group_wts]
    engine = _Engine(rows, pt.ov_names, pt.lv_names, n_free, covs, means, sizes)
    x0 = start_values(rows, pt.ov_names, n_free, covs, means)
    if not np.isfinite(engine.value(x0)):
        raise InputError(
            "the starting values give a non-positive-definite implied covariance matrix; "
            "check the model (e.g. fixed values) and the data"
        )
    gammas = None
    if estimator == "WLSMV":
        # lavaan's Gamma_g ignores sampling weights: the unweighted ADF matrix of the rows
        gammas = [adf_gamma(v, meanstructure=True) for v in values]
    if estimator in LS_ESTIMATORS:
        samples = _ls_samples(covs, means, nobs, group_wts is not None)
        weights = _ls_weights(estimator, samples, gammas)
        objective = GroupsLs(_Statistics(engine.rams), _ls_stats(samples), weights, sizes)
    else:
        objective = engine
    with np.errstate(all="ignore"):
        x, max_grad, info, n_iter = minimize(objective, x0)
    converged = bool(np.isfinite(max_grad) and max_grad < GRAD_TOL)
    message = f"Fisher scoring: {n_iter} iterations, max |gradient of F| = {max_grad:.2e}"
    ntotal = float(sum(sizes))
    vcov = np.full((n_free, n_free), np.nan)
    eig = np.linalg.eigvalsh(info) if n_free else np.array([1.0])
    if n_free and eig.min() > 1e-10 * eig.max():
        vcov = np.linalg.inv(info) * 2.0 / ntotal
        vcov = (vcov + vcov.T) / 2
    robust_test = None
    if estimator == "MLR":
        vcov, robust_test = _robust(engine, x, values, group_wts)
    if estimator in LS_ESTIMATORS:
        message = message.replace("Fisher scoring", "Gauss-Newton")
        jacobians = [objective.model.jacobian(g, x) for g in range(len(labels))]
        if estimator == "WLSMV":  # lavaan se = "robust.sem"
            vcov = robust_sem_vcov(jacobians, gammas, sizes)
        else:  # se = "standard", expected information
            vcov = group_vcov(jacobians, weights, sizes)
    return MultiGroupFit(
        **common,
        groups=labels,
        rows=rows,
        n_free=n_free,
        nobs=nobs,
        sample_cov=covs,
        sample_mean=means,
        x=x,
        vcov=vcov,
        converged=converged,
        message=message,
        robust_test=robust_test,
        weights=group_wts,
        gamma=gammas,
    )


def _fit_fiml_groups(data: pd.DataFrame, pt, common: dict) -> MultiGroupFit:
    """:func:`fit_multigroup` with ``missing="fiml"``: the same parameter table and group
    models, estimated by :func:`~surveysem.sem.estimators.fiml.estimate_fiml`; ``common``:
    the result fields shared with the complete-data fit. Sampling weights are normalized over
    the rows used in all groups (at least one observed variable) to sum to their number, as
    lavaan ``lav_data_full`` (``sampling.weights.normalization = "total"`` after dropping
    empty cases)."""
    group, weights = common["group"], common["sampling_weights"]
    equal, partial = common["equal"], common["partial"]
    labels, values = _incomplete_groups(data, group, pt.ov_names)
    group_wts = [None] * len(labels)
    if weights is not None:
        used = data.loc[~data[pt.ov_names].isna().all(axis=1)]
        wts = normalized_weights(used, weights, [*pt.ov_names, group])
        gcol = used[group].to_numpy()
        group_wts = [wts[gcol == lab] for lab in labels]
    rows, n_free = build_multigroup_rows(pt, len(labels), equal, partial, common["equal_params"])
    rams = group_rams(rows, pt.ov_names, pt.lv_names, n_free)
    est = estimate_fiml(rams, rows, pt.ov_names, values, group_wts, common["estimator"], labels)
    return MultiGroupFit(
        **common,
        groups=labels,
        rows=rows,
        n_free=n_free,
        nobs=[len(v) for v in values],
        sample_cov=est.h1_covs,
        sample_mean=est.h1_means,
        x=est.x,
        vcov=est.vcov,
        converged=est.converged,
        message=est.message,
        robust_test=est.robust_test,
        weights=None if weights is None else group_wts,
        likelihoods=est.likelihoods,
    )


def _standardized(fit: MultiGroupFit, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """std.lv and std.all per row (lavaan ``cov.std = TRUE``), group by group.

    SDs are model-implied: diag(B S B') of each group (so diag(Sigma) for observed
    variables); covariances are divided by residual SDs (residual correlations).
    """
    std_lv = np.full(len(fit.rows), np.nan)
    std_all = np.full(len(fit.rows), np.nan)
    names = fit.ov_names + fit.lv_names
    for g, mats in enumerate(_engine(fit).moments(fit.x), start=1):
        var = np.diag(mats["total"])
        with np.errstate(invalid="ignore"):
            sd_all = np.where(var > np.finfo(float).eps, np.sqrt(var), np.nan)
        sd = dict(zip(names, sd_all, strict=True))
        idx = [i for i, r in enumerate(fit.rows) if r.group == g]
        rows = [fit.rows[i] for i in idx]
        std_lv[idx] = standardize_rows(rows, est[idx], sd, fit.lv_names, "lv")
        std_all[idx] = standardize_rows(rows, est[idx], sd, fit.lv_names, "all")
    return std_lv, std_all


def multigroup_estimates(fit: MultiGroupFit, level: float = 0.95) -> pd.DataFrame:
    """Estimates of every group, as lavaan ``parameterEstimates(fit, standardized = TRUE)``.

    Rows in lavaan's order (group 1: loadings/regressions/user rows, (residual) variances and
    covariances, intercepts, latent means; then group 2, ...). ``z = est/se``, two-sided
    normal p-values and Wald intervals; fixed rows have ``se = 0`` and NaN ``z``/``pvalue``.
    ``label`` holds user labels and lavaan's ``.pK.`` labels of ``group.equal`` constraints.
    ``std.lv``/``std.all`` use each group's model-implied SDs (residual correlations for
    covariances, as lavaan's ``cov.std = TRUE``).

    Parameters
    ----------
    fit : MultiGroupFit
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, block, group, label, est, se, z, pvalue, ci.lower, ci.upper,
        std.lv, std.all`` (``group``/``block``: 1-based group number, see ``fit.groups``).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.multigroup import fit_multigroup, multigroup_estimates
    >>> data = two_factor_data().assign(g=np.tile(["a", "b"], 150))
    >>> fit = fit_multigroup(TWO_FACTOR_MODEL, data, "g", equal=("loadings",))
    >>> pe = multigroup_estimates(fit)
    >>> pe.loc[pe["rhs"] == "a2", ["lhs", "op", "rhs", "group", "label", "est", "se"]].round(3)
       lhs  op rhs  group label    est     se
    1    A  =~  a2      1  .p2.  0.829  0.072
    7   a2  ~~  a2      1        0.481  0.074
    24   A  =~  a2      2  .p2.  0.829  0.072
    30  a2  ~~  a2      2        0.464  0.077
    """
    est = np.array([fit.x[r.free - 1] if r.free else r.value for r in fit.rows])
    return group_estimates_table(fit.rows, est, fit.vcov, *_standardized(fit, est), level)


def group_estimates_table(rows, est, vcov, std_lv, std_all, level: float) -> pd.DataFrame:
    """lavaan's ``parameterEstimates`` table of a multi-group fit from its row values (the
    Wald columns by :func:`~surveysem.sem.results.estimates.add_wald_columns`)."""
    frame = pd.DataFrame(
        {
            "lhs": [r.lhs for r in rows],
            "op": [r.op for r in rows],
            "rhs": [r.rhs for r in rows],
            "block": [r.group for r in rows],
            "group": [r.group for r in rows],
            "label": [r.label for r in rows],
            "est": est,
            "se": standard_errors(rows, vcov),
            "std.lv": std_lv,
            "std.all": std_all,
        }
    )
    add_wald_columns(frame, level)
    return frame[ESTIMATE_COLUMNS]


# --------------------------------------------------------------------------------------
# fit measures
# --------------------------------------------------------------------------------------


def _residual_indices(fit: MultiGroupFit) -> dict[str, float]:
    """lavaan's residual summaries per group, weighted by N_g/N (:func:`group_residual_indices`
    of the sample, or under FIML the EM, moments)."""
    samples = list(zip(fit.sample_cov, fit.sample_mean, strict=True))
    implied = [(sig.to_numpy(), mu.to_numpy()) for sig, mu in fit.implied()]
    return group_residual_indices(samples, implied, fit.group_sizes)


def multigroup_fit_measures(fit: MultiGroupFit) -> dict[str, float]:
    """lavaan ``fitMeasures()`` of a multi-group ML fit (lavaan names); a FIML fit
    (``missing="fiml"``) gets :func:`~surveysem.sem.estimators.fiml.fiml_measures`, a GLS,
    ULS or WLSMV fit :func:`_ls_fit_measures`.

    With G groups, N = sum N_g, p variables, p* = p(p+1)/2 and k free parameters:

    * ``chisq = N F`` (= sum_g N_g F_g), ``df = G (p* + p) - k``;
    * baseline: independence model with free means and variances in every group,
      ``chisq_b = sum_g N_g (sum_i ln s_ii - ln|S_g|)``, ``df_b = G (p* - p)``;
      CFI, TLI, NFI, RFI, IFI, RNI, PNFI as in the single-group case;
    * ``rmsea = sqrt(max(chisq/(N df) - 1/N, 0)) * sqrt(G)`` (Steiger 1998; lavaan), its
      90% interval times sqrt(G) and the close-fit p-value with non-centrality
      ``N df 0.05^2 / G``;
    * ``srmr`` = lavaan's Bentler SRMR with means, computed per group (covariance residuals
      over sqrt(s_ii s_jj), mean residuals over sqrt(s_ii); root mean square over the
      p* + p elements) and averaged with weights N_g/N; ``rmr``, ``crmr``, ``srmr_mplus``
      and the ``_nomean`` variants likewise;
    * ``logl`` = sum of the group normal log-likelihoods with means, AIC/BIC/BIC2 with N;
    * ``gfi`` (LISREL form on means and covariances with the model-implied normal-theory
      weight, averaged with weights N_g), ``agfi``/``pgfi`` with ``G (p* + p)`` moments.

    Returns
    -------
    dict
        npar, fmin, chisq, df, pvalue, baseline.chisq/df/pvalue, cfi, tli, nnfi, rfi, nfi,
        pnfi, ifi, rni, logl, unrestricted.logl, aic, bic, ntotal, bic2, rmsea,
        rmsea.ci.lower/upper/level, rmsea.pvalue, rmsea.close.h0, rmsea.notclose.pvalue,
        rmsea.notclose.h0, rmr, rmr_nomean, srmr, srmr_bentler, srmr_bentler_nomean, crmr,
        crmr_nomean, srmr_mplus, srmr_mplus_nomean, cn_05, cn_01, gfi, agfi, pgfi, mfi, ecvi.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.multigroup import fit_multigroup, multigroup_fit_measures
    >>> data = two_factor_data().assign(g=np.tile(["a", "b"], 150))
    >>> fm = multigroup_fit_measures(fit_multigroup(TWO_FACTOR_MODEL, data, "g"))
    >>> fm["npar"], fm["df"], round(fm["cfi"], 3), round(fm["rmsea"], 3)
    (38.0, 16.0, 1.0, 0.0)
    """
    if fit.estimator in LS_ESTIMATORS:
        return _ls_fit_measures(fit)
    if fit.likelihoods is not None:  # FIML: the likelihood-ratio measures of every group
        samples = list(zip(fit.sample_cov, fit.sample_mean, strict=True))
        implied = [(sig.to_numpy(), mu.to_numpy()) for sig, mu in fit.implied()]
        return fiml_measures(
            fit.likelihoods, fit.n_free, fit.group_sizes, samples, implied, fit.robust_test
        )
    n = float(fit.ntotal)
    n_groups = len(fit.groups)
    p = len(fit.ov_names)
    pstar = p * (p + 1) // 2
    k = fit.n_free
    f = _engine(fit).value(fit.x)
    chisq = n * f
    df = float(n_groups * (pstar + p) - k)
    chisq_b = 0.0
    logl = logl_h1 = 0.0
    gfi_num = 0.0
    implied = fit.implied()
    for g in range(n_groups):
        s, ybar, ng = fit.sample_cov[g], fit.sample_mean[g], fit.group_sizes[g]
        sig, mu = implied[g][0].to_numpy(), implied[g][1].to_numpy()
        _, logdet_s = np.linalg.slogdet(s)
        chisq_b += ng * (np.sum(np.log(np.diag(s))) - logdet_s)
        _, logdet_sig = np.linalg.slogdet(sig)
        d = ybar - mu
        sinv = np.linalg.inv(sig)
        const = p * np.log(2 * np.pi)
        logl += -ng / 2 * (const + logdet_sig + np.trace(sinv @ s) + d @ sinv @ d)
        logl_h1 += -ng / 2 * (const + logdet_s + p)
        # LISREL GFI on (means, vech S) with the normal-theory weight at Sigma-hat
        a = sinv @ s
        r = a - np.eye(p)
        t1 = d @ sinv @ d + 0.5 * np.trace(r @ r)
        t2 = ybar @ sinv @ ybar + 0.5 * np.trace(a @ a)
        gfi_num += ng * (1 - t1 / t2)
    df_b = float(n_groups * (pstar - p))
    out = {
        "npar": float(k),
        "fmin": f / 2,
        **chisq_tests(chisq, df, chisq_b, df_b),
        **incremental_indices(chisq, df, chisq_b, df_b),
        **information_criteria(logl, logl_h1, k, n),
        **rmsea_measures(chisq, df, n, n_groups),
        **_residual_indices(fit),
        **hoelter_cn(chisq, df, n),
        **gfi_measures(gfi_num / n, df, n_groups * (pstar + p)),
        "mfi": float(np.exp(-0.5 * (chisq - df) / n)),
        "ecvi": chisq / n + 2 * k / n,
    }
    if fit.robust_test is not None:
        out |= scaled_measures(out, fit.robust_test, n, n_groups)
    return {key: float(val) for key, val in out.items()}


def _ls_fit_measures(fit: MultiGroupFit) -> dict[str, float]:
    """lavaan ``fitMeasures()`` of GLS, ULS or WLSMV (DWLS) on continuous items in G groups
    (N = sum N_g, statistics ``s_g = (ybar_g, vech S_g)`` with the N_g - 1 divisor S_g,
    lavaan's weights W_g of :func:`_ls_weights`):

    * ``chisq = sum_g (N_g - 1) r_g' W_g r_g`` (``fmin = chisq / (2N)``), ``df = G (p* + p)
      - k``; the baseline (free means and variances in every group) fitted with the same
      weights: ``chisq_b = sum_g (N_g - 1) min_t (s_g - B t)' W_g (s_g - B t)``, B selecting
      the means and variances (for diagonal W_g the covariances are the residuals: ``sum_(i <
      j) w_ij s_ij^2``), ``df_b = G (p* - p)``; ULS: no p-values (lavaan: NA);
    * WLSMV: the scaled-and-shifted tests and the scaled and robust indices of
      :func:`~surveysem.sem.measures.indices.scaled_shifted_measures` from ``U Omega`` over
      the groups (:func:`~surveysem.sem.estimators.least_squares.u_gamma`);
    * RMSEA (times sqrt(G)), CN, MFI and ECVI with lavaan's N - G for non-ML estimators;
    * residual summaries per group against (ybar_g, S_g), weighted by N_g / N; GFI ``1 - r_g'
      W_g r_g / s_g' W_g s_g`` per group, weighted by N_g / N, AGFI and PGFI over the ``G (p*
      + p)`` statistics.
    """
    est = fit.estimator
    n, n_groups, k = float(fit.ntotal), len(fit.groups), fit.n_free
    n1 = n - n_groups  # lavaan's N of RMSEA, CN, MFI and ECVI for non-ML estimators
    p = len(fit.ov_names)
    objective = _ls_objective(fit)
    x2 = n * objective.value(fit.x)
    n_stats = n_groups * (p * (p + 1) // 2 + p)
    df, dfb = float(n_stats - k), float(n_groups * (p * (p - 1) // 2))
    # the baseline's free parameters: each group's means and variances
    low = np.tril_indices(p)
    fixed_b = np.concatenate([np.ones(p, bool), low[0] == low[1]])
    x2b = gfi = 0.0
    jacobians, base = [], []
    for g, (s, ng) in enumerate(zip(objective.stats, fit.group_sizes, strict=True)):
        w = objective.w[g] if objective.w[g].ndim == 2 else np.diag(objective.w[g])
        r = s - objective.model.implied(g, fit.x)
        b = np.eye(len(s))[:, fixed_b]
        wb = w @ b
        x2b += (ng - 1) * float(s @ w @ s - s @ wb @ np.linalg.solve(b.T @ wb, wb.T @ s))
        gfi += ng / n * (1 - float(r @ w @ r) / float(s @ w @ s))
        jacobians.append(objective.model.jacobian(g, fit.x))
        base.append(b)
    samples = _ls_samples(fit.sample_cov, fit.sample_mean, fit.nobs, fit.weights is not None)
    implied = [(sig.to_numpy(), mu.to_numpy()) for sig, mu in fit.implied()]
    out = {
        "npar": float(k),
        "fmin": x2 / (2 * n),
        **chisq_tests(x2, df, x2b, dfb),
        **incremental_indices(x2, df, x2b, dfb),
        **rmsea_measures(x2, df, n1, n_groups),
        **group_residual_indices(samples, implied, fit.group_sizes),
        **hoelter_cn(x2, df, n1),
        **gfi_measures(gfi, df, n_stats),
        "mfi": float(np.exp(-0.5 * (x2 - df) / n1)),
        "ecvi": x2 / n1 + 2 * k / n1,
    }
    if est == "ULS":  # lavaan: the ULS statistic has no reference distribution
        out["pvalue"] = out["baseline.pvalue"] = np.nan
    if est != "WLSMV":
        return {key: float(out[key]) for key in LS_NAMES}
    ug = u_gamma(np.vstack(jacobians), fit.gamma, fit.group_sizes)
    ugb = u_gamma(block_diag(*base), fit.gamma, fit.group_sizes)
    out |= scaled_shifted_measures(x2, df, x2b, dfb, ug, ugb, n1, n_groups)
    return {key: float(out[key]) for key in WLSMV_NAMES}
