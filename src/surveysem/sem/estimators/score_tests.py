"""Score (Lagrange multiplier) tests for releasing equality constraints across groups, as
lavaan ``lavTestScore()`` 0.6.14.

lavaan keeps every group's parameters apart and imposes ``group.equal`` (and shared labels)
as linear constraints ``R theta = 0``, one row ``theta_a - theta_b`` per constrained pair
(the group-1 parameter against each later group's). At the constrained estimates, with
``g`` the gradient of lavaan's objective ``fmin = F/2`` and ``I`` the unit expected
information (``H/2``, H the expected Hessian of F) in that unconstrained parameterization:

* the test of releasing constraint r alone (``X2``, 1 df) is
  ``N g' [Z_r^+]_11 g`` with ``Z_r = [[I, R_r'], [R_r, 0]]``, R_r the constraints other
  than r and ``[.]_11`` the block of the parameters in the Moore-Penrose inverse;
* the test of releasing all of them (df = number of constraints) is ``N g' I^+ g``.

They approximate the chi-square drop of freeing the constraint (Sörbom 1989), which is how
partial invariance is explored: release the largest significant one, refit, repeat.

References
----------
Rosseel (2012), lavaan, JSS 48(2), and ``R/lav_test_score.R``; Sörbom, D. (1989). Model
modification. Psychometrika, 54(3), 371-384; Bentler, P. M. (1990). Fit indexes, Lagrange
multipliers, constraint changes and incomplete data in structural models. Multivariate
Behavioral Research, 25(2), 163-172.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.sem.errors import UnsupportedModelError
from surveysem.sem.estimators.multigroup import MultiGroupFit, _Engine

COLUMNS = ["lhs", "op", "rhs", "X2", "df", "p.value", "lhs_param", "rhs_param"]


def _unconstrained(fit: MultiGroupFit):
    """Every free row its own parameter; the constraints R (rows = pairs a, b) tying them."""
    rows = [dataclasses.replace(r) for r in fit.rows]
    first: dict[int, int] = {}
    pairs, values = [], []
    for r in rows:
        if not r.free:
            continue
        values.append(fit.x[r.free - 1])
        own = len(values)
        if r.free in first:
            pairs.append((first[r.free], own))
        else:
            first[r.free] = own
        r.free = own
    origin = {r.free: r for r in rows if r.free}
    restrictions = np.zeros((len(pairs), len(values)))
    for i, (a, b) in enumerate(pairs):
        restrictions[i, a - 1], restrictions[i, b - 1] = 1.0, -1.0
    return rows, np.array(values), restrictions, [(origin[a], origin[b]) for a, b in pairs]


def _statistic(n: float, grad: np.ndarray, info: np.ndarray, restrictions: np.ndarray) -> float:
    k, m = info.shape[0], restrictions.shape[0]
    bordered = np.block([[info, restrictions.T], [restrictions, np.zeros((m, m))]])
    inverse = np.linalg.pinv(bordered)[:k, :k]
    return float(n * grad @ inverse @ grad)


def score_tests(fit: MultiGroupFit) -> tuple[pd.DataFrame, dict]:
    """Score tests for releasing each equality constraint of a multi-group fit, and all.

    Parameters
    ----------
    fit : MultiGroupFit
        A converged fit with equality constraints (``group.equal``, ``equal_params`` or
        labels shared across groups).

    Returns
    -------
    univariate : pandas.DataFrame
        One row per constraint, as lavaan's ``lavTestScore(fit)$uni`` (``lhs``, ``op``,
        ``rhs`` are the ``.pK.`` labels of the two parameters, ``X2``, ``df`` = 1,
        ``p.value``) plus ``lhs_param``/``rhs_param`` naming them ("visual =~ x2 group 1").
    total : dict
        ``{"X2", "df", "p.value"}`` of releasing every constraint (``$test``).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.multigroup import fit_multigroup
    >>> data = two_factor_data().assign(g=np.tile(["a", "b"], 150))
    >>> uni, total = score_tests(fit_multigroup(TWO_FACTOR_MODEL, data, "g", ("loadings",)))
    >>> uni[["lhs", "rhs", "df", "lhs_param"]].head(2)
        lhs    rhs  df        lhs_param
    0  .p2.  .p25.   1  A =~ a2 group 1
    1  .p3.  .p26.   1  A =~ a3 group 1
    >>> total["df"]
    4
    """
    if fit.missing != "listwise":  # the tests use the complete-data discrepancy F
        raise UnsupportedModelError(
            "score tests of a multi-group FIML fit (lavTestScore with missing = 'ml'): lavaan "
            "accepts this, surveysem does not implement it yet; compare refits instead"
        )
    if fit.estimator == "WLSMV":  # the tests use the ML discrepancy F
        raise UnsupportedModelError(
            "score tests of a multi-group WLSMV fit on continuous items (lavTestScore of DWLS): "
            "lavaan accepts this, surveysem does not implement it yet; compare refits instead"
        )
    rows, x, restrictions, pairs = _unconstrained(fit)
    if not len(pairs):
        raise ValueError("the fit has no equality constraints to release")
    engine = _Engine(
        rows, fit.ov_names, fit.lv_names, len(x), fit.sample_cov, fit.sample_mean, fit.group_sizes
    )
    grad_f, hessian_f = engine.first(x)
    grad, info = grad_f / 2, hessian_f / 2  # lavaan's fmin = F/2 and its unit information
    n = float(sum(fit.group_sizes))
    records = []
    for i, (a, b) in enumerate(pairs):
        x2 = _statistic(n, grad, info, np.delete(restrictions, i, axis=0))
        records.append(
            {
                "lhs": f".p{a.id}.",
                "op": "==",
                "rhs": f".p{b.id}.",
                "X2": x2,
                "df": 1,
                "p.value": float(stats.chi2.sf(x2, 1)),
                "lhs_param": f"{a.lhs} {a.op} {a.rhs} group {a.group}",
                "rhs_param": f"{b.lhs} {b.op} {b.rhs} group {b.group}",
            }
        )
    total = float(n * grad @ np.linalg.pinv(info) @ grad)
    df = len(pairs)
    return pd.DataFrame(records, columns=COLUMNS), {
        "X2": total,
        "df": df,
        "p.value": float(stats.chi2.sf(total, df)),
    }
