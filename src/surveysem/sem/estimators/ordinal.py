"""CFA/SEM of ordered items by DWLS (lavaan's WLSMV) or ULS on polychoric correlations, in
one or several groups.

:func:`fit_ordinal` reproduces lavaan ``cfa()/sem(..., ordered = <all items>)``, with ``group =``
and ``group.equal =`` when given, with its defaults (``estimator = "WLSMV"``: DWLS point
estimates, ``se = "robust.sem"``, ``test = "scaled.shifted"``, ``parameterization =
"delta"``), or with ``estimator = "ULS"`` (unit weights, ``se = "standard"``, ``test =
"standard"``). One group is the case G = 1 of the same model, objective and formulas:

* **Sample statistics** (:mod:`.polychoric`), per group: thresholds from the margins, two-step
  polychoric correlations (Olsson 1979), ``s_g = (tau, r)`` and ``Gamma_g``, N_g times the
  asymptotic covariance matrix of ``s_g`` (Muthén 1984; lavaan ``muthen1984``); with
  sampling weights all three weighted and N_g a group's sum of weights, as lavaan.
* **Model** (:mod:`.ordinal_model`): delta parameterization, implied thresholds and
  correlations ``sigma_g(theta)`` with an analytic Jacobian ``Delta_g``; residual variances of
  the latent responses derived, not estimated; scales and factor means of later groups free
  when the thresholds are equal.
* **Estimator**: DWLS, ``F = sum_g (N_g - 1)/N (s_g - sigma_g)' W_g (s_g - sigma_g)`` with
  ``W_g = diag(Gamma_g)^-1`` (ULS: ``W_g = I``) (lavaan: ``fmin = F/2``, ``chisq = N F``),
  minimized by
  Gauss-Newton with step halving (:func:`surveysem.sem.optimizer.minimize`, curvature
  ``2 sum_g (N_g - 1)/N Delta_g' W_g Delta_g``) from the moment-based starting values of
  :mod:`.start`; converged when ``max |dF/dtheta| < 1e-6``.
* **Standard errors** (robust.sem): the sandwich ``H^-1 J H^-1`` with ``H = sum_g (N_g - 1)
  Delta_g' W_g Delta_g`` and ``J = sum_g (N_g - 1) Delta_g' W_g Gamma_g W_g Delta_g``
  (Muthén, du Toit & Spisic 1997; lavaan's N_g - 1 for non-ML estimators); for one group
  ``E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)``, ``E = Delta' W Delta``. ULS: lavaan's
  ``se = "standard"``, ``(sum_g N_g/N Delta_g' Delta_g)^-1 / (N - G)``
  (:func:`~surveysem.sem.estimators.least_squares.group_vcov`).
* **Fit measures**: :mod:`.ordinal_measures`.

**What is matched** (``tests/test_ordinal.py`` and ``tests/test_option_combinations.py``,
against lavaan 0.6.14 on the HolzingerSwineford items cut into 4 categories, in one group and
in two schools, configural and with thresholds and loadings equal): polychorics, thresholds,
all estimates, robust SEs, standardized values and the fit measures. In one group: polychorics
3e-8 (lavaan's ``nlminb`` tolerance), estimates 3e-7, robust SEs 1e-7, chi-squares 2e-8
relative, fit indices 1e-8.

**What differs from lavaan / is not supported**: only ordinal indicators (no continuous
items, no observed covariates or observed outcomes in ``~``: lavaan's polyserial and
``conditional.x`` paths); complete data only (lavaan drops incomplete rows,
``missing = "listwise"``; here they raise an error so that N is explicit); no
``parameterization = "theta"``; no single-indicator factors; no user-written residual
variances of ordinal items (they are not parameters under delta); ``group.equal`` among
:data:`~surveysem.sem.model.ordinal_model.EQUAL_TYPES`; no ``:=`` parameters in several groups.

References
----------
Olsson (1979), Psychometrika 44(4); Muthén (1984), Psychometrika 49(1); Muthén, du Toit &
Spisic (1997), Robust inference using weighted least squares and quadratic estimating
equations in latent variable modeling with categorical and continuous outcomes (unpublished
technical report); Millsap & Yun-Tein (2004), Multivariate Behavioral Research 39(3);
Rosseel (2012), lavaan, JSS 48(2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd

from surveysem.errors import InputError
from surveysem.sem.errors import ModelSpecError, UnsupportedModelError
from surveysem.sem.estimators.least_squares import GroupsLs, group_vcov, robust_sem_vcov
from surveysem.sem.estimators.multigroup import (
    group_estimates_table,
    refuse_definitions,
)
from surveysem.sem.estimators.polychoric import OrdinalMoments, ordinal_moments
from surveysem.sem.estimators.weights import normalized_weights
from surveysem.sem.model.groups import normalize_names
from surveysem.sem.model.ordinal_model import (
    EQUAL_TYPES,
    OrdinalModel,
    model_rows,
    ordinal_model_problems,
)
from surveysem.sem.model.partable import build_partable, require_no_covariates
from surveysem.sem.model.start import start_values
from surveysem.sem.model.syntax import parse_syntax
from surveysem.sem.optimizer import minimize
from surveysem.sem.results.estimates import estimates_table, standardize_rows

# Largest |dF/dtheta| accepted as converged (F = chisq / N).
GRAD_TOL = 1e-6


@dataclass
class OrdinalFit:
    """A DWLS (WLSMV) or ULS fit of ordered items in one or several groups. Pass it to
    :func:`ordinal_estimates` and
    :func:`~surveysem.sem.estimators.ordinal_measures.ordinal_fit_measures`.

    Attributes
    ----------
    syntax : the lavaan syntax as given.
    group : the grouping column; None for one group.
    groups : the group values in lavaan's order (first appearance); [] for one group.
    equal : the ``group.equal`` types applied.
    estimator : "WLSMV" (DWLS, robust SEs, scaled-and-shifted test) or "ULS" (standard).
    model : parameter table and model matrices (:class:`~.ordinal_model.OrdinalModel`).
    moments : thresholds, polychoric correlations and Gamma of every group
        (:class:`~surveysem.sem.estimators.polychoric.OrdinalMoments`).
    x : free parameter estimates (index ``free - 1`` of the table).
    vcov : covariance matrix of ``x`` (WLSMV: robust sandwich); NaN if singular.
    converged : a vanishing gradient (``max |dF/dtheta| < GRAD_TOL``).
    message : optimizer details.
    jacobians : ``Delta_g`` at ``x``, per group.
    """

    syntax: str
    group: str | None
    groups: list
    equal: tuple[str, ...]
    estimator: str
    model: OrdinalModel = field(repr=False)
    moments: list[OrdinalMoments] = field(repr=False)
    x: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool
    message: str
    jacobians: list[np.ndarray] = field(repr=False)

    @property
    def rows(self):
        return self.model.rows

    @property
    def n_free(self) -> int:
        return self.model.n_free

    @property
    def nobs(self) -> list[float]:
        """lavaan's N_g: each group's rows, with sampling weights its sum of weights."""
        return [m.n for m in self.moments]

    @property
    def n(self) -> float:
        """lavaan's N: the sum of :attr:`nobs` (the complete rows, or their weights)."""
        return float(sum(self.nobs))

    def weights(self, g: int = 0) -> np.ndarray:
        """Diagonal of the weight matrix W_g of group ``g`` (:func:`_weights`)."""
        return _weights(self.estimator, self.moments[g].gamma)

    def implied(self, g: int = 0) -> np.ndarray:
        """Model-implied (thresholds, correlations) of group ``g`` in lavaan's order."""
        return self.model.implied(g, self.x)

    def implied_cor(self, g: int = 0) -> pd.DataFrame:
        """Model-implied correlation matrix of the latent responses y* (unit diagonal)."""
        names = self.model.ov_names
        cor = np.eye(len(names))
        model = self.model
        cor[model.ii, model.jj] = cor[model.jj, model.ii] = self.implied(g)[model.n_th :]
        return pd.DataFrame(cor, index=names, columns=names)

    def polychoric(self) -> pd.DataFrame | None:
        """The polychoric correlations of a single-group fit (its H1 moments); None for
        several groups."""
        if len(self.moments) > 1:
            return None
        names = self.model.ov_names
        return pd.DataFrame(self.moments[0].cor, index=names, columns=names)


def _weights(estimator: str, gamma: np.ndarray) -> np.ndarray:
    """Diagonal of lavaan's ``WLS.V``: DWLS (WLSMV) ``1 / diag(Gamma)``, ULS ones."""
    return 1.0 / np.diag(gamma) if estimator == "WLSMV" else np.ones(len(gamma))


def _group_parts(data: pd.DataFrame, group: str | None):
    """The group values (lavaan's order: first appearance) and each group's row positions."""
    if group is None:
        return [], [np.arange(len(data))]
    if group not in data.columns:
        raise ModelSpecError(f"group column '{group}' is not in the data. Fix the name.")
    labels = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(data[group])]
    if len(labels) < 2:
        raise InputError(f"group column '{group}' has {len(labels)} group(s); need at least 2")
    return labels, [np.flatnonzero(data[group].to_numpy() == label) for label in labels]


def _check_moments(moments: list[OrdinalMoments], labels: list) -> None:
    """Every group has the same categories and finite DWLS weights."""
    if len({tuple(len(t) for t in m.thresholds) for m in moments}) > 1:
        raise InputError(
            "the items do not have the same categories in every group (a category is empty "
            "in one group); merge sparse categories before comparing groups"
        )
    for label, m in zip(labels or [None], moments, strict=True):
        r = m.wls_obs[m.n_thresholds :]
        pairs = zip(m.pairs, r, strict=True)
        bad = [(m.names[i], m.names[j]) for (i, j), rho in pairs if abs(rho) >= 0.999]
        if bad or not np.all(np.isfinite(m.gamma)):
            where = "" if label is None else f" in group {label!r}"
            raise InputError(
                f"polychoric correlations of {bad}{where} are (nearly) +-1 (e.g. two empty "
                "cells of a 2 x 2 table), so their sampling variance and the DWLS weights "
                "cannot be computed; merge sparse categories or drop one of the items"
            )


def fit_ordinal(
    syntax: str,
    data: pd.DataFrame,
    group: str | None = None,
    equal: tuple[str, ...] = (),
    sampling_weights: str | None = None,
    estimator: str = "WLSMV",
) -> OrdinalFit:
    """Fit a lavaan-syntax CFA/SEM to ordered items as lavaan's WLSMV (DWLS, delta), in one
    group or, with ``group``, in several.

    Equivalent to lavaan ``cfa(syntax, data, ordered = <all model items>, group = group,
    group.equal = equal)`` (or ``sem()``): DWLS on thresholds and polychoric correlations with
    the diagonal of their asymptotic covariance matrix as weights, robust (sandwich) standard
    errors and the scaled-shifted test. See the module docstring for the formulas and for
    what is (not) supported.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``=~``, ``~`` between factors, ``~~``, labels, fixed values,
        ``:=`` in one group). A label applies to every group.
    data : pandas.DataFrame
        The model's items as ordinal codes (numbers or ordered categoricals), complete rows,
        and the ``group`` column when given.
    group : str or None
        Grouping column; groups in order of first appearance, as lavaan.
    equal : sequence of str
        lavaan ``group.equal`` among :data:`~surveysem.sem.model.ordinal_model.EQUAL_TYPES`.
    sampling_weights : str or None
        A column of design weights (lavaan ``sampling.weights``), normalized over all rows to
        sum to N; thresholds, polychorics and Gamma are weighted
        (:func:`~surveysem.sem.estimators.polychoric.ordinal_moments`) and N_g is a group's
        sum of weights, as in lavaan.
    estimator : {"WLSMV", "ULS"}
        lavaan's estimator: WLSMV (default; DWLS) or ULS (module docstring).

    Returns
    -------
    OrdinalFit

    Raises
    ------
    ModelSpecError
        Invalid syntax, unknown variables, a model with more parameters than statistics.
    UnsupportedModelError
        Model features the ordinal fit does not estimate (module docstring).
    surveysem.errors.InputError
        Missing values, single-category items, non-numeric unordered columns, categories that
        differ between groups, unknown ``equal`` types.

    References
    ----------
    Muthén (1984); Muthén, du Toit & Spisic (1997); Rosseel (2012), lavaan, JSS 48(2).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.ordinal import fit_ordinal, ordinal_estimates
    >>> data = two_factor_data().apply(lambda c: np.digitize(c, [-1.0, 0.0, 1.0]))
    >>> fit = fit_ordinal(TWO_FACTOR_MODEL, data)
    >>> fit.converged, fit.n, fit.n_free
    (True, 300.0, 25)
    >>> est = ordinal_estimates(fit)
    >>> est.loc[est.op == "=~", ["lhs", "rhs", "est", "se", "std.all"]].round(3)
      lhs rhs    est     se  std.all
    0   A  a1  1.000  0.000    0.827
    1   A  a2  0.904  0.077    0.748
    2   A  a3  0.821  0.073    0.679
    3   B  b1  1.000  0.000    0.758
    4   B  b2  1.110  0.101    0.842
    5   B  b3  0.754  0.084    0.571
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    if estimator not in ("WLSMV", "ULS"):
        raise ValueError(f"estimator must be WLSMV or ULS for ordered items, not {estimator!r}")
    equal = normalize_names(equal)
    if unknown := [e for e in equal if e not in EQUAL_TYPES]:
        raise InputError(
            f"group_equal {unknown} is not one of {', '.join(EQUAL_TYPES)} for ordinal items"
        )
    parsed = parse_syntax(syntax)
    if group is not None:
        refuse_definitions(parsed)
    items = [str(c) for c in data.columns if c not in (group, sampling_weights)]
    pt = build_partable(parsed, items)
    require_no_covariates(pt, "ordinal (WLSMV)")
    if problems := ordinal_model_problems(pt):
        raise UnsupportedModelError("; ".join(problems))
    wts = None
    if sampling_weights is not None:
        wts = normalized_weights(data, sampling_weights, pt.ov_names)
    labels, parts = _group_parts(data, group)
    moments = [
        ordinal_moments(data.iloc[rows], pt.ov_names, None if wts is None else wts[rows])
        for rows in parts
    ]
    _check_moments(moments, labels)
    n_thresholds = [len(t) for t in moments[0].thresholds]
    rows, n_free = model_rows(pt, n_thresholds, len(moments), equal)
    n_stats = sum(len(m.wls_obs) for m in moments)
    if n_free > n_stats:
        raise ModelSpecError(
            f"the model has {n_free} free parameters but only {n_stats} thresholds and "
            "polychoric correlations; it is not identified"
        )
    model = OrdinalModel(rows, n_free, pt.ov_names, pt.lv_names, moments[0].pairs, pt.definitions)
    thresholds = [dict(zip(m.labels, m.wls_obs, strict=True)) for m in moments]
    x0 = start_values(rows, pt.ov_names, n_free, [m.cor for m in moments], None, thresholds)
    gammas, ns = [m.gamma for m in moments], [m.n for m in moments]
    weights = [_weights(estimator, gamma) for gamma in gammas]
    with np.errstate(all="ignore"):
        x, max_grad, _, n_iter = minimize(
            GroupsLs(model, [m.wls_obs for m in moments], weights, ns), x0
        )
    converged = bool(np.isfinite(max_grad) and max_grad < GRAD_TOL)
    message = f"Gauss-Newton: {n_iter} iterations, max |gradient of F| = {max_grad:.2e}"
    jacobians = [model.jacobian(g, x) for g in range(len(moments))]
    if estimator == "WLSMV":  # se = "robust.sem"
        vcov = robust_sem_vcov(jacobians, gammas, ns)
    else:  # se = "standard"
        vcov = group_vcov(jacobians, weights, ns)
    return OrdinalFit(
        syntax, group, labels, equal, estimator, model, moments, x, vcov, converged, message,
        jacobians,
    )  # fmt: skip


def ordinal_estimates(fit: OrdinalFit, level: float = 0.95) -> pd.DataFrame:
    """Estimates of an ordinal fit, as lavaan ``parameterEstimates(fit, standardized = TRUE)``.

    Rows in lavaan's order, group by group: user rows, thresholds (``x|t1``), residual
    variances of the items (derived, ``Delta^-2 - [Lambda Phi Lambda']_jj``, se 0), factor
    (co)variances, the scales ``x ~*~ x`` and the intercepts and factor means ``~1``.
    ``se`` is the robust (sandwich) SE; ``z = est/se``, ``pvalue = 2 (1 - Phi(|z|))``, Wald
    intervals; fixed and derived rows have se 0 and NaN ``z``/``pvalue``. ``std.lv`` scales by
    the factor SDs (``sqrt(diag(C Psi C'))``), ``std.all`` also by the SDs of the latent
    responses (``1 / Delta``; 1 in one group): thresholds become ``tau Delta`` and the scales
    1; covariances become (residual) correlations, as lavaan's ``cov.std = TRUE``.

    Parameters
    ----------
    fit : OrdinalFit
        Result of :func:`fit_ordinal`.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, label, est, se, z, pvalue, ci.lower, ci.upper, std.lv,
        std.all`` (then the ``:=`` rows) for one group; with ``block`` and ``group`` (1-based
        group number, see ``fit.groups``) after ``rhs`` for several
        (:func:`~surveysem.sem.estimators.multigroup.group_estimates_table`).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.ordinal import fit_ordinal, ordinal_estimates
    >>> data = two_factor_data().apply(lambda c: np.digitize(c, [-1.0, 0.0, 1.0]))
    >>> est = ordinal_estimates(fit_ordinal(TWO_FACTOR_MODEL, data))
    >>> est.loc[est.op == "|", ["lhs", "rhs", "est", "se"]].head(3).round(3)
      lhs rhs    est     se
    6  a1  t1 -0.981  0.087
    7  a1  t2  0.067  0.073
    8  a1  t3  0.878  0.084
    """
    model = fit.model
    rows = model.rows
    est = np.array([fit.x[r.free - 1] if r.free else r.value for r in rows], dtype=float)
    std_lv, std_all = np.empty(len(est)), np.empty(len(est))
    ov = {v: i for i, v in enumerate(model.ov_names)}
    for g in range(model.n_groups):
        idx = [i for i, r in enumerate(rows) if r.group == g + 1]
        q = model.parts(g, fit.x)
        for i in idx:
            r = rows[i]
            if r.op == "~~" and r.lhs == r.rhs and r.lhs in ov:
                j = ov[r.lhs]
                est[i] = 1.0 / q.scale[j] ** 2 - q.v[j, j]
        sd = {v: 1.0 / q.scale[j] for v, j in ov.items()}
        var = np.diag(q.phi)
        with np.errstate(invalid="ignore"):
            sd |= dict(zip(model.lv_names, np.where(var >= 0, np.sqrt(var), np.nan), strict=True))
        group_rows = [rows[i] for i in idx]
        std_lv[idx] = standardize_rows(group_rows, est[idx], sd, model.lv_names, "lv")
        std_all[idx] = standardize_rows(group_rows, est[idx], sd, model.lv_names, "all")
        for i, r in zip(idx, group_rows, strict=True):  # thresholds and scales of y* (lavaan)
            if r.op == "~*~":
                std_all[i] = 1.0
            elif r.op == "|":
                std_all[i] = est[i] * q.scale[ov[r.lhs]]
    if model.n_groups > 1:
        return group_estimates_table(rows, est, fit.vcov, std_lv, std_all, level)
    table = SimpleNamespace(partable=model.partable, x=fit.x, vcov=fit.vcov)
    return estimates_table(table, est, std_lv, std_all, level)
