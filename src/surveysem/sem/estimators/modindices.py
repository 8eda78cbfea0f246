"""Modification indices (univariate score tests) of a fitted model, as lavaan ``modindices()``.

Candidate parameters are those of lavaan 0.6.14 (``modindices`` with ``lav_partable_full`` and
``lav_object_extended(all.free = TRUE)``), for one group, no mean structure and no observed
exogenous covariates (see the last paragraph for covariates):

* every parameter the model fixes (marker loadings, fixed variances, user-fixed values);
* ``f =~ y`` for every factor f and every observed variable y that is not in a regression;
* ``a ~~ b`` for every pair of observed *indicators* (observed outcomes of ``~`` get none);
* ``f ~~ g`` for every pair of factors, variances included (for endogenous factors these are
  covariances of their residuals);
* ``a ~ b`` for every ordered pair a != b of variables that appear in regressions (either side),
  except ``indicator ~ factor``;

minus the parameters the model already frees. Candidates that would not be identified when
freed (``V < eps^(1/3)`` below, e.g. a marker loading, or ``f1 ~~ f2`` next to ``f2 ~ f1``)
get no index and are dropped, as lavaan does with ``na.remove = TRUE``.

With observed covariates (lavaan ``fixed.x``), the candidates that would free their fixed
(co)variances or regress a covariate on something are left out: lavaan 0.6.14 lists them
too, with values this module does not reproduce; the indices of all other candidates match
lavaan's (``tests/test_shapes.py``).
"""

from __future__ import annotations

import warnings
from typing import NamedTuple

import numpy as np
import pandas as pd

from surveysem.sem.estimators.fitting import SemFit
from surveysem.sem.model.partable import ParTable
from surveysem.sem.model.ram import Ram

COLUMNS = ["lhs", "op", "rhs", "mi", "epc", "sepc.lv", "sepc.all"]


class _Row(NamedTuple):
    """A candidate parameter as a parameter-table row (what :class:`Ram` reads)."""

    lhs: str
    op: str
    rhs: str
    free: int
    value: float


#: Estimators whose modification indices are the ML score tests computed here (lavaan's
#: modindices for MLR are the same standard ones); complete data only.
ESTIMATORS = ("ML", "MLR")

# lavaan 0.6-14: diag(V) below .Machine$double.eps^(1/3) means "not identified if freed".
_V_TOL = np.finfo(float).eps ** (1 / 3)
# lavaan: (co)variance values this small are not used to standardize.
_SMALL = np.sqrt(np.finfo(float).eps)


def _key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
    if op == "~~":
        lhs, rhs = sorted((lhs, rhs))
    return lhs, op, rhs


def _candidates(pt: ParTable) -> list[tuple[str, str, str, float]]:
    """(lhs, op, rhs, value) of every fixed or added parameter, in lavaan's order, without
    those that would free a covariate's fixed moments or make it an outcome."""
    out = [(r.lhs, r.op, r.rhs, float(r.value)) for r in pt.rows if not (r.free or r.exo)]
    seen = {_key(r.lhs, r.op, r.rhs) for r in pt.rows}
    covariates = set(pt.ov_x)

    lv = list(pt.lv_names)
    ov = list(pt.ov_names)
    ov_ind = {r.rhs for r in pt.rows if r.op == "=~" and r.rhs not in set(lv)}
    eqs = list(
        dict.fromkeys(
            [r.lhs for r in pt.rows if r.op == "~"] + [r.rhs for r in pt.rows if r.op == "~"]
        )
    )
    full = [(f, "=~", y) for f in lv for y in ov if y not in eqs]
    ov_pairs = [o for o in ov if o in ov_ind]  # lavaan drops pairs with a non-indicator
    full += [(a, "~~", b) for i, a in enumerate(ov_pairs) for b in ov_pairs[i:]]
    full += [(a, "~~", b) for i, a in enumerate(lv) for b in lv[i:]]
    full += [
        (a, "~", b)
        for a in eqs
        for b in eqs
        if a != b and not (a in ov_ind and b in set(lv)) and a not in covariates
    ]
    for lhs, op, rhs in full:
        if _key(lhs, op, rhs) not in seen:
            seen.add(_key(lhs, op, rhs))
            out.append((lhs, op, rhs, 0.0))
    return out


def _standardize(rows, values, epc, variances: dict, lv_names: list[str], level: str) -> np.ndarray:
    """lavaan's sign(epc) * lav_standardize_{lv,all}(abs(EPC)), cov.std = TRUE, with
    ``variances`` the model-implied variance of every variable."""
    lvs = set(lv_names)
    index = {v: k for k, v in enumerate(variances)}
    total = np.array(list(variances.values()))
    eta = {v: np.sqrt(total[index[v]]) if total[index[v]] >= 0 else np.nan for v in lvs}
    ov_var = {}
    for v, k in index.items():
        if v not in lvs:
            var = total[k]
            ov_var[v] = np.nan if abs(var) < np.finfo(float).eps else var
    ov_sd = {v: np.sqrt(x) if x >= 0 else np.nan for v, x in ov_var.items()}
    # Residual SDs from the (co)variance values of the variance rows; tiny ones are unusable.
    resid = {}
    for (lhs, op, rhs), val in zip(rows, values, strict=True):
        if op == "~~" and lhs == rhs:
            resid[lhs] = np.sqrt(abs(val)) if abs(val) >= _SMALL else np.nan

    out = np.empty(len(rows))
    with np.errstate(divide="ignore", invalid="ignore"):
        for k, ((lhs, op, rhs), e) in enumerate(zip(rows, epc, strict=True)):
            if op == "~~" and lhs == rhs:
                val = abs(values[k])
                if val < _SMALL:
                    out[k] = 0.0
                    continue
                if lhs in lvs:
                    val = val / eta[lhs] ** 2
                elif level == "all":
                    val = val / ov_var[lhs]
                out[k] = np.sign(e) * val
                continue
            val = abs(e)
            if op == "=~":
                val = val * eta[lhs]
                val = val / eta[rhs] if rhs in lvs else val
                if level == "all" and rhs not in lvs:
                    val = val / ov_sd[rhs]
            elif op == "~":
                for v, power in ((lhs, -1), (rhs, 1)):
                    if v in lvs:
                        val = val * eta[v] ** power
                    elif level == "all":
                        val = val * ov_sd[v] ** power
            else:  # covariance: divide by residual SDs (cov.std = TRUE)
                for v in (lhs, rhs):
                    if v in lvs or level == "all":
                        val = val / resid.get(v, np.nan)
            out[k] = np.sign(e) * val
    return out


def modification_indices(
    fit: SemFit, sort: bool = True, minimum_value: float = 0.0
) -> pd.DataFrame:
    """Modification indices and expected parameter changes, as lavaan ``modindices(fit)``.

    For each fixed-to-zero (or otherwise fixed) candidate parameter j, the modification index is
    the score (Lagrange multiplier) test of freeing j alone, evaluated at the current estimates
    with the expected information (Sörbom 1989; Saris, Satorra & Sörbom 1987). With
    ``F = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p`` (N-divisor S), the augmented parameter vector
    (free parameters, index 2; candidates, index 1), the score ``g = 1/2 dF/dtheta`` and the unit
    expected information ``I_kl = 1/2 tr(Sigma^-1 dSigma_k Sigma^-1 dSigma_l)``:

    ``V_j = I_jj - I_j2 I_22^-1 I_2j``,   ``mi_j = N g_j^2 / V_j``,   ``epc_j = -g_j / V_j``.

    ``mi`` is approximately the chi-square drop (1 df) if j were freed; ``epc`` is the expected
    change of j when freed (its expected value if fixed at 0). ``sepc.lv`` rescales ``epc`` by
    the model-implied factor SDs, ``sepc.all`` also by the model-implied SDs of observed
    variables; for covariances both divide by the square roots of the *residual* variances
    (lavaan ``cov.std = TRUE``), so a residual covariance's ``sepc.all`` is a residual
    correlation. For fixed variances lavaan reports the
    standardized fixed value instead (0 if it is 0). Derivatives of Sigma are analytic
    (RAM form). Candidates are listed in the module docstring; those not identified when freed
    (``V_j < eps^(1/3)``) are dropped.

    Parameters
    ----------
    fit : SemFit
        Result of :func:`surveysem.sem.fit_model`.
    sort : bool
        Sort by ``mi``, largest first (lavaan ``sort. = TRUE``); otherwise fixed parameters of
        the model come first, then the added candidates.
    minimum_value : float
        If > 0, keep only rows with ``mi > minimum_value`` (lavaan ``minimum.value``).

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, mi, epc, sepc.lv, sepc.all``.

    References
    ----------
    Sörbom, D. (1989). Model modification. Psychometrika, 54(3), 371-384.
    Saris, W. E., Satorra, A., & Sörbom, D. (1987). The detection and correction of
    specification errors in structural equation models. Sociological Methodology, 17, 105-129.
    lavaan ``modindices`` (Rosseel 2012, JSS 48(2)), ``R/lav_modification.R``.

    Examples
    --------
    >>> from surveysem.sem import fit_model, modification_indices
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> fit = fit_model(TWO_FACTOR_MODEL, two_factor_data())
    >>> mi = modification_indices(fit)
    >>> len(mi), list(mi.columns)
    (21, ['lhs', 'op', 'rhs', 'mi', 'epc', 'sepc.lv', 'sepc.all'])
    >>> mi.head(3).round(3)
      lhs  op rhs     mi    epc  sepc.lv  sepc.all
    0  a1  ~~  b3  4.934 -0.080   -0.080    -0.176
    1  a3  ~~  b1  3.138 -0.071   -0.071    -0.132
    2  a1  ~~  b1  2.399  0.068    0.068     0.140
    """
    if not fit.converged:
        warnings.warn(
            "the model did not converge; modification indices are unreliable", stacklevel=2
        )
    pt = fit.partable
    cands = _candidates(pt)
    # The model with every candidate as one more free parameter, at its current value: the
    # Jacobian of Sigma gives the free parameters (rows sharing a label add up), then the
    # candidates.
    k = pt.n_free
    extra = [_Row(lhs, op, rhs, k + c + 1, val) for c, (lhs, op, rhs, val) in enumerate(cands)]
    ram = Ram([*pt.rows, *extra], fit.observed, pt.lv_names, k + len(cands))
    theta = np.concatenate([fit.x, [val for *_, val in cands]])
    deriv, _ = ram.jacobian(theta)
    _, total, _ = ram.implied(theta)
    sigma = total[: len(fit.observed), : len(fit.observed)]
    variances = dict(zip([*fit.observed, *pt.lv_names], np.diag(total), strict=True))

    sinv = np.linalg.inv(sigma)
    s = fit.sample_cov
    resid = sinv - sinv @ s @ sinv
    score = 0.5 * np.einsum("kij,ij->k", deriv, resid)  # 1/2 dF/dtheta = -(1/N) dlogL/dtheta
    # I_kl = 1/2 tr(Sigma^-1 D_k Sigma^-1 D_l) = 1/2 vec(Sigma^-1 D_k Sigma^-1) . vec(D_l), as
    # matrix products, and only the blocks used: the whole (k + candidates)^2 matrix took
    # 110 s for a CFA of 80 items (some 3,500 candidates), these blocks under a second.
    flat = deriv.reshape(len(deriv), -1)
    left = (sinv @ deriv @ sinv).reshape(len(deriv), -1)
    i22 = 0.5 * left[:k] @ flat[:k].T
    i12 = 0.5 * left[k:] @ flat[:k].T
    i11 = 0.5 * np.einsum("ij,ij->i", left[k:], flat[k:])
    try:
        proj = np.linalg.solve(i22, i12.T) if k else np.zeros((0, len(cands)))
    except np.linalg.LinAlgError as err:
        raise ValueError(
            "could not compute modification indices: the information matrix is singular"
        ) from err
    v = i11 - np.einsum("jk,kj->j", i12, proj)
    g = score[k:]
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(v < _V_TOL, np.nan, v)
        mi = fit.n * g**2 / v
        epc = -g / v

    rows = [(lhs, op, rhs) for lhs, op, rhs, _ in cands]
    values = np.array([val for *_, val in cands])
    # Variance rows of the model (for the residual SDs of cov.std) plus the candidates.
    var_rows = [(r.lhs, r.op, r.rhs) for r in pt.rows if r.free and r.op == "~~" and r.lhs == r.rhs]
    var_vals = [fit.x[r.free - 1] for r in pt.rows if r.free and r.op == "~~" and r.lhs == r.rhs]
    std_rows = var_rows + rows
    std_vals = np.concatenate([var_vals, values])
    std_epc = np.concatenate([np.ones(len(var_rows)), epc])
    n_var = len(var_rows)
    sepc_lv = _standardize(std_rows, std_vals, std_epc, variances, pt.lv_names, "lv")[n_var:]
    sepc_all = _standardize(std_rows, std_vals, std_epc, variances, pt.lv_names, "all")[n_var:]

    out = pd.DataFrame(
        {
            "lhs": [r[0] for r in rows],
            "op": [r[1] for r in rows],
            "rhs": [r[2] for r in rows],
            "mi": mi,
            "epc": epc,
            "sepc.lv": sepc_lv,
            "sepc.all": sepc_all,
        },
        columns=COLUMNS,
    )
    if sort:
        out = out.sort_values("mi", ascending=False, kind="stable", na_position="last")
    if minimum_value > 0:
        out = out[out["mi"] > minimum_value]
    return out.dropna(subset=["mi"]).reset_index(drop=True)
