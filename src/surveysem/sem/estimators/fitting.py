"""Fit a lavaan-syntax SEM to complete data, reproducing lavaan (ML, MLR, GLS, ULS, WLSMV).

Estimation (lavaan ``sem()`` defaults: ML, ``likelihood = "normal"``, expected information):
the parameter table (:mod:`~surveysem.sem.model.partable`) becomes a RAM model
(:mod:`~surveysem.sem.model.ram`), whose ML discrepancy F (:mod:`~surveysem.sem.estimators.ml`)
is minimized by Fisher scoring from moment-based starting values (:mod:`~surveysem.sem.model.start`,
:mod:`~surveysem.sem.optimizer`) until the gradient vanishes (typically
``max|dF/dtheta| ~ 1e-12``; "converged" means ``< GRAD_TOL = 1e-4``). Like lavaan,
(residual) variances may go negative (Heywood cases), which :func:`solution_problems` then
reports; with ``nonnegative_variances=True`` the scoring is projected onto variances >= 0
instead, and variances that end at 0 are reported as boundary hits.

Standard errors: ``vcov = (N/2 * H)^-1`` with ``H`` the expected Hessian of F at the estimates
(lavaan ``information = "expected"``, N divisor).

Other estimators (``estimator=``), each as lavaan 0.6.14 with its defaults:

* ``"MLR"``: the ML estimates with Huber-White sandwich SEs (observed-information bread,
  case-wise score meat) and the Yuan-Bentler (Mplus variant) scaled test, see
  :mod:`surveysem.sem.estimators.robust`;
* ``"GLS"`` and ``"ULS"``: Gauss-Newton on lavaan's GLS/ULS discrepancy from the ML estimates,
  with lavaan's "standard" SEs, see :mod:`surveysem.sem.estimators.least_squares`;
* ``"WLSMV"`` on continuous items: DWLS with the distribution-free weights
  ``diag(Gamma)^-1``, robust SEs and the scaled-and-shifted test (same module).

Design weights (``sampling_weights=``, lavaan ``sampling.weights``): ML on the weighted sample
moments with MLR sandwich SEs and scaled test from weighted case-wise scores, see
:mod:`surveysem.sem.estimators.weights`; GLS, ULS and WLSMV (DWLS) on the weighted
covariance matrix (divisor N), WLSMV with the unweighted Gamma, as lavaan.

Reference: Rosseel, Y. (2012). lavaan: An R package for structural equation modeling.
Journal of Statistical Software, 48(2). https://doi.org/10.18637/jss.v048.i02
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import InputError
from surveysem.sem.estimators import least_squares, robust, weights
from surveysem.sem.estimators.ml import MLObjective, f_ml
from surveysem.sem.model.partable import ParTable, build_partable, with_exogenous_moments
from surveysem.sem.model.ram import Ram
from surveysem.sem.model.start import start_values
from surveysem.sem.model.syntax import parse_syntax
from surveysem.sem.optimizer import minimize

# Largest |dF/dtheta| accepted as converged. lavaan warns when a gradient element of its
# objective (fmin = F/2) exceeds 1e-3 (optim.dx.tol); regular models reach ~1e-12 here.
GRAD_TOL = 1e-4

#: Estimators accepted by :func:`fit_model` (lavaan names).
ESTIMATORS = ("ML", "MLR", "GLS", "ULS", "WLSMV")


@dataclass
class SemFit:
    """A fitted model. Pass it to the other :mod:`surveysem.sem` functions.

    Attributes
    ----------
    syntax : the lavaan syntax as given.
    partable : lavaan-style parameter table (:class:`~surveysem.sem.model.partable.ParTable`).
    ram : the model in RAM form (:class:`~surveysem.sem.model.ram.Ram`); ``ram.implied(x)`` gives
        the model-implied moments of all variables.
    n : number of rows used (complete data).
    observed : observed variable names (lavaan's order), the order of ``sample_cov``.
    sample_cov : sample covariance matrix with divisor N (as lavaan for ML/MLR; GLS and ULS
        are fitted to ``sample_cov * N / (N - 1)``, as lavaan).
    x : estimates of the free parameters (index ``free - 1`` of the parameter table).
    vcov : their covariance matrix (NaN when the information matrix is singular).
    converged : the gradient vanishes at the solution.
    message : convergence details.
    nonnegative_variances : whether variances were bounded at zero.
    estimator : "ML", "MLR", "GLS", "ULS" or "WLSMV" (lavaan's name of the estimator).
    data : the complete rows used, columns in the order of ``observed`` (needed by MLR).
    robust_test : for MLR, the Yuan-Bentler scaled test
        (:class:`~surveysem.sem.estimators.robust.YuanBentlerTest`); None otherwise.
    sampling_weights : name of the design-weight column, or None (unweighted).
    weights : the sampling weights of the rows of ``data``, normalized to sum to ``n``; None
        when unweighted. With weights, ``sample_cov`` is the weighted covariance matrix
        (divisor N) and ``data`` the unweighted rows (see :mod:`surveysem.sem.estimators.weights`).
    gamma : for WLSMV, N times the distribution-free covariance matrix of vech(S)
        (:func:`~surveysem.sem.estimators.least_squares.adf_gamma`) of the unweighted rows,
        also with sampling weights (as lavaan); None otherwise.
    """

    syntax: str
    partable: ParTable
    ram: Ram = field(repr=False)
    n: int
    observed: list[str]
    sample_cov: np.ndarray = field(repr=False)
    x: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool
    message: str
    nonnegative_variances: bool = False
    estimator: str = "ML"
    data: np.ndarray | None = field(default=None, repr=False)
    robust_test: robust.YuanBentlerTest | None = field(default=None, repr=False)
    sampling_weights: str | None = None
    weights: np.ndarray | None = field(default=None, repr=False)
    gamma: np.ndarray | None = field(default=None, repr=False)

    @property
    def fmin(self) -> float:
        """lavaan's fmin at the estimates: F_ML/2 (ML, MLR); (N - 1)/(2N) F (GLS, ULS)."""
        sigma = self.ram.moments(self.x)[1]
        if self.estimator in least_squares.LS_ESTIMATORS:
            disc = least_squares.Discrepancy(self.estimator, self.ls_cov, self.gamma)
            return 0.5 * (self.n - 1) / self.n * disc.value(sigma)
        return f_ml(sigma, self.sample_cov) / 2

    @property
    def ls_cov(self) -> np.ndarray:
        """The covariance matrix GLS, ULS and WLSMV are fitted to (lavaan's sample statistics):
        the unbiased S (divisor N - 1) unweighted; with sampling weights the weighted
        ``S_w`` (divisor ``sum w = N``, ``cov.wt(method = "ML")``, not rescaled)."""
        if self.weights is not None:
            return self.sample_cov
        return least_squares.unbiased_cov(self.sample_cov, self.n)

    def implied_cov(self) -> pd.DataFrame:
        """Model-implied covariance matrix of the observed variables."""
        sig = self.ram.moments(self.x)[1]
        return pd.DataFrame(sig, index=self.observed, columns=self.observed)

    def total_cov(self) -> pd.DataFrame:
        """Model-implied covariance matrix of all variables, observed then latent."""
        names = [*self.observed, *self.partable.lv_names]
        return pd.DataFrame(self.ram.implied(self.x)[1], index=names, columns=names)


def complete_numeric(data: pd.DataFrame, names: list[str]) -> np.ndarray:
    """The model variables as a float array; InputError for text columns or missing values."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per observed variable")
    sub = data[names]
    bad = [c for c in names if not pd.api.types.is_numeric_dtype(sub[c])]
    if bad:
        raise InputError(f"columns {bad} are not numeric; recode them to numbers before fitting")
    nan_counts = sub.isna().sum()
    nan_counts = nan_counts[nan_counts > 0]
    if len(nan_counts):
        detail = ", ".join(f"{k} ({v})" for k, v in nan_counts.items())
        raise InputError(
            f"data has missing values in {detail}; the model is fitted to complete cases only, "
            "so drop or impute incomplete rows first (e.g. data.dropna(subset=items))"
        )
    return sub.to_numpy(dtype=float)


def variance_mask(pt: ParTable) -> np.ndarray:
    """Which free parameters are variances (bounded at 0 with ``nonnegative_variances``)."""
    mask = np.zeros(pt.n_free, dtype=bool)
    for r in pt.rows:
        if r.free and r.op == "~~" and r.lhs == r.rhs:
            mask[r.free - 1] = True
    return mask


def _check_estimator(estimator: str) -> str:
    name = str(estimator).upper() if isinstance(estimator, str) else ""
    if name not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}; got {estimator!r}")
    return name


def fit_model(
    syntax: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    nonnegative_variances: bool = False,
    sampling_weights: str | None = None,
) -> SemFit:
    """Fit a lavaan-syntax SEM/CFA (ML, MLR, GLS, ULS or WLSMV on continuous items),
    reproducing lavaan ``sem()``.

    The model is estimated from the N-divisor sample covariance matrix of the complete rows
    (lavaan ``likelihood = "normal"``) with lavaan's defaults: first loading fixed to 1 (and
    the residual variance of a single indicator to 0), free (residual) variances, free
    covariances among exogenous factors and among pure outcomes, and the (co)variances of
    observed exogenous covariates fixed at their sample values for ML and MLR (lavaan
    ``fixed.x = TRUE``; free for GLS and ULS, as lavaan), see :mod:`surveysem.sem.model.partable`.
    Minimized discrepancy:

    ``F = ln|Sigma(theta)| + tr(S Sigma(theta)^-1) - ln|S| - p``,  chi-square = N F.

    Other estimators, as lavaan ``sem(..., estimator = )`` 0.6.14 with its defaults:

    * ``"MLR"``: ML estimates; ``vcov = A^-1 B A^-1 / N`` with A the observed information
      (Hessian of F/2) and B the mean outer product of the case-wise scores; Yuan-Bentler
      scaled chi-square ``chisq / c``, ``c = (tr_h1 - tr_h0)/df`` (Mplus variant). Details in
      :mod:`surveysem.sem.estimators.robust`.
    * ``"GLS"``: ``F = 1/2 tr{[S^-1 (S - Sigma)]^2}``; ``"ULS"``:
      ``F = sum_(i <= j) (s_ij - sigma_ij)^2``; both on the N - 1 divisor S, chi-square
      ``(N - 1) F``, ``vcov = (Delta' W Delta)^-1 / (N - 1)``. Details in
      :mod:`surveysem.sem.estimators.least_squares`.

    With ``sampling_weights`` (lavaan ``sampling.weights``, 0.6.14 defaults) the weights are
    rescaled to sum to N, S above becomes the weighted covariance matrix
    ``S_w = sum_i w_i (x_i - xbar_w)(x_i - xbar_w)' / N`` (so the estimates maximize the weighted
    log-likelihood), and the estimator is MLR with weighted case-wise scores ``w_i s_i`` in the
    sandwich and in the Yuan-Bentler test. Details in :mod:`surveysem.sem.estimators.weights`.
    With ``estimator="GLS"``, ``"ULS"`` or ``"WLSMV"`` the weights enter only the statistics:
    least squares fits ``S_w`` itself (not rescaled to N - 1), while the WLSMV Gamma (the DWLS
    weights, the robust SEs and the scaled-and-shifted test) is the ADF matrix of the
    unweighted rows, as lavaan 0.6.14.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``=~``, ``~``, ``~~``, labels, fixed values, ``:=``).
    data : pandas.DataFrame
        Raw data containing at least the observed variables of the model; must be complete.
    estimator : {"ML", "MLR", "GLS", "ULS", "WLSMV"}, keyword-only
        lavaan's estimator name (case-insensitive). Default "ML".
    nonnegative_variances : bool, keyword-only
        False (default, as lavaan): variances may become negative (Heywood cases are reported
        by :func:`solution_problems`). True: variances are bounded at 0;
        solutions on the bound are reported as boundary hits.
    sampling_weights : str or None, keyword-only
        Name of a column of ``data`` with positive, finite design weights (not a model
        variable). As in lavaan, ``estimator="ML"`` then becomes ``"MLR"``; ``"WLSMV"`` stays
        DWLS (see above), ``"GLS"`` and ``"ULS"`` least squares on ``S_w`` (standard SEs and
        test, as lavaan). Default None (unweighted).

    Returns
    -------
    SemFit

    Raises
    ------
    ModelSpecError
        Invalid syntax or a model variable missing from ``data`` (message names line and fix).
    UnsupportedModelError
        Valid lavaan syntax that is not supported (e.g. intercepts ``~ 1``).
    surveysem.errors.InputError (a ValueError)
        Missing values, non-numeric columns or a singular covariance matrix of the model
        variables; a missing, non-numeric, non-finite or non-positive weight column, or one
        that is a model variable.
    ValueError
        An unknown ``estimator``.

    References
    ----------
    Rosseel (2012), lavaan, JSS 48(2); Bollen (1989), Structural Equations with Latent
    Variables, ch. 4; Yuan & Bentler (2000), Sociological Methodology 30 (MLR); Browne (1984),
    BJMSP 37 (GLS/ADF); Skinner, Holt & Smith (1989), Analysis of Complex Surveys, and
    Asparouhov (2005), SEM 12(3) (sampling weights).

    Examples
    --------
    >>> from surveysem.sem import fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> print(TWO_FACTOR_MODEL)
    A =~ a1 + a2 + a3
    B =~ b1 + b2 + b3
    >>> fit = fit_model(TWO_FACTOR_MODEL, two_factor_data())
    >>> fit.converged, fit.n, fit.partable.n_free
    (True, 300, 13)
    >>> fit_model(TWO_FACTOR_MODEL, two_factor_data(), estimator="ULS").estimator
    'ULS'
    >>> data = two_factor_data().assign(w=lambda d: 1.0 + (d.index % 3))
    >>> wfit = fit_model(TWO_FACTOR_MODEL, data, sampling_weights="w")
    >>> wfit.estimator, wfit.sampling_weights, round(float(wfit.weights.sum()), 6)
    ('MLR', 'w', 300.0)
    """
    estimator = _check_estimator(estimator)
    parsed = parse_syntax(syntax)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    # lavaan fixes the covariates' (co)variances at the sample values for ML and MLR only
    fixed_x = estimator not in least_squares.LS_ESTIMATORS
    pt = build_partable(parsed, [str(c) for c in data.columns], fixed_x=fixed_x)
    values = complete_numeric(data, pt.ov_names)
    n, p = values.shape
    if n <= p:
        raise InputError(f"need more complete rows ({n}) than observed variables ({p})")
    wts = None
    if sampling_weights is not None:
        if estimator == "ML":
            estimator = "MLR"  # lavaan: "default"/"ML" become MLR with sampling.weights
        wts = weights.normalized_weights(data, sampling_weights, pt.ov_names)

    if wts is None:
        center = values.mean(axis=0)
        cov = np.cov(values, rowvar=False, bias=True)
    else:
        center, cov = weights.weighted_moments(values, wts)
    eig = np.linalg.eigvalsh(cov)
    if eig.min() <= 1e-12 * eig.max():
        raise InputError(
            "the sample covariance matrix of the model variables is singular (constant or "
            "collinear items); remove or recode the offending items"
        )
    pt = with_exogenous_moments(pt, cov)
    ram = Ram.from_partable(pt)
    mask = variance_mask(pt)
    x0 = start_values(pt.rows, pt.ov_names, pt.n_free, [cov])
    ml = MLObjective(ram, cov)
    x, max_grad, _, _ = minimize(ml, x0, variance_mask=mask, nonnegative=nonnegative_variances)
    if not np.isfinite(max_grad):
        raise InputError(
            "the starting values give a non-positive-definite implied covariance matrix; "
            "check the model (e.g. fixed values) and the data"
        )
    converged = bool(max_grad < GRAD_TOL)
    message = f"Fisher scoring: max |gradient of F| = {max_grad:.2e}"

    robust_test = gamma = None
    if estimator in least_squares.LS_ESTIMATORS:
        # lavaan's Gamma ignores sampling weights: the unweighted ADF matrix of the rows
        gamma = least_squares.adf_gamma(values) if estimator == "WLSMV" else None
        s = cov if wts is not None else least_squares.unbiased_cov(cov, n)
        disc = least_squares.Discrepancy(estimator, s, gamma)
        x, max_grad, info, _ = minimize(
            least_squares.Objective(ram, disc), x, variance_mask=mask,
            nonnegative=nonnegative_variances,
        )  # fmt: skip
        converged = bool(np.isfinite(max_grad) and max_grad < GRAD_TOL)
        message += f"; {estimator} Gauss-Newton: max |gradient of F_{estimator}| = {max_grad:.2e}"
        if gamma is None:
            vcov = least_squares.vcov(info, n)
        else:
            i, j = np.tril_indices(len(cov))
            delta = ram.jacobian(x)[0][:, i, j].T
            vcov = least_squares.robust_sem_vcov([delta], [gamma], [n])
    elif estimator == "MLR":
        sigma, d_sig = ram.moments(x)[1], ram.jacobian(x)[0]
        covariates = [pt.ov_names.index(v) for v in pt.ov_x]
        copies = sum(1 for r in pt.rows if r.free)  # lavaan's npar before equality constraints
        vcov, robust_test = robust.sandwich_and_test(
            ml.hessian(x) / 2, sigma, d_sig, cov, values - center, wts, covariates, copies
        )
    else:
        vcov = _vcov(ml.first(x)[1], n)

    return SemFit(
        syntax=syntax,
        partable=pt,
        ram=ram,
        n=n,
        observed=list(pt.ov_names),
        sample_cov=cov,
        x=x,
        vcov=vcov,
        converged=converged,
        message=message,
        nonnegative_variances=nonnegative_variances,
        estimator=estimator,
        data=values,
        robust_test=robust_test,
        sampling_weights=sampling_weights,
        weights=wts,
        gamma=gamma,
    )


def _vcov(info: np.ndarray, n: int) -> np.ndarray:
    """(N/2 H)^-1; NaN if H is (numerically) singular."""
    k = info.shape[0]
    if k == 0:
        return np.full((0, 0), np.nan)
    eig = np.linalg.eigvalsh(info)
    if eig.min() <= 1e-10 * eig.max():
        return np.full((k, k), np.nan)
    return np.linalg.inv(info) * 2.0 / n
