"""The optimizer every estimator's discrepancy is minimized with.

Fisher scoring (Gauss-Newton for least squares) or Newton-Raphson with step halving, as
lavaan's ``optim.method = "nlminb"`` is replaced here by the second-order methods that the
exact derivatives of :mod:`surveysem.sem.estimators.ml`,
:mod:`surveysem.sem.estimators.least_squares` and :mod:`surveysem.sem.model.ordinal_model`
make cheap. An objective provides

* ``value(x)``: the discrepancy (``inf`` where the model is not defined, e.g. Sigma not
  positive definite);
* ``first(x)``: its gradient and a positive (semi)definite curvature matrix, the expected
  Hessian (ML: the expected information ``H``; least squares, DWLS included:
  ``2 Delta' W Delta``);
* ``hessian(x)`` (only for Newton steps): the exact Hessian.

A step solves ``curvature step = -gradient``; Newton steps (``newton=True``, or once
``max |gradient| < newton_below``) use the exact Hessian where it is positive definite and
the curvature elsewhere. A step that does not lower the objective is halved (up to 50 times);
the iterations stop when ``max |gradient| < tol``, when a step no longer moves x, when no step
lowers the objective, or when the objective has stalled (20 iterations without a relative
decrease of 1e-9, or 5 steps in a row shortened below 1e-3); the caller judges convergence from
the returned gradient (and may restart a stalled search another way). With ``nonnegative``,
variances (``variance_mask``) are projected onto ``[0, inf)`` and those held at 0 by a gradient
pushing them below 0 leave the active set.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import lapack


class Minimum(NamedTuple):
    x: np.ndarray
    max_grad: float  # max |gradient| over the parameters not held at a bound
    curvature: np.ndarray | None  # the curvature matrix at x
    iterations: int


def _solve_pd(mat: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    factor, bad = lapack.dpotrf(mat, lower=1)
    if bad:
        return None
    return lapack.dpotrs(factor, rhs, lower=1)[0]


def _scoring_step(curv: np.ndarray, grad: np.ndarray) -> np.ndarray:
    step = _solve_pd(curv, -grad)
    if step is None:
        step = -np.linalg.lstsq(curv, grad, rcond=None)[0]
    if not np.all(np.isfinite(step)) or step @ grad >= 0:  # singular curvature: damp it
        damp = 1e-6 * max(1.0, np.max(np.abs(np.diag(curv)), initial=0.0))
        step = -np.linalg.solve(curv + damp * np.eye(len(grad)), grad)
    return step


def minimize(
    objective,
    x0: np.ndarray,
    *,
    newton: bool = False,
    newton_below: float = 0.0,
    first_hessian: np.ndarray | None = None,
    variance_mask: np.ndarray | None = None,
    nonnegative: bool = False,
    tol: float = 1e-12,
    max_iter: int = 500,
) -> Minimum:
    """Minimize ``objective`` from ``x0`` (module docstring).

    ``first_hessian``: the Hessian for the first Newton step (a refit reuses the full-sample
    Hessian, which predicts the resampled optimum better than the one at the start).
    """
    x = np.array(x0, dtype=float)
    mask = np.zeros(len(x), bool) if variance_mask is None else np.asarray(variance_mask)
    bounded = nonnegative and mask.any()
    if bounded:
        x[mask] = np.maximum(x[mask], 0.0)
    f = objective.value(x)
    if not np.isfinite(f):
        return Minimum(x, np.inf, None, 0)
    grad, curv = objective.first(x)
    hess = first_hessian
    active = slice(None)  # a boolean mask when variances are bounded
    history, short_steps, iterations = [f], 0, 0
    for iterations in range(1, max_iter + 1):
        if bounded:
            active = ~(mask & (x <= 0) & (grad > 0))
        max_grad = np.max(np.abs(grad[active]), initial=0.0)
        if max_grad < tol:
            break
        if short_steps >= 5 or (iterations > 40 and history[-21] - f < 1e-9 * abs(f)):
            break
        sub = np.ix_(active, active) if bounded else slice(None)
        new = None
        if newton or max_grad < newton_below:
            h = objective.hessian(x) if hess is None else hess
            hess = None
            new = _solve_pd(h[sub], -grad[active])
        if bounded:
            step = np.zeros_like(x)
            step[active] = _scoring_step(curv[sub], grad[active]) if new is None else new
        else:
            step = _scoring_step(curv, grad) if new is None else new
        t, accepted = 1.0, False
        for _ in range(50):
            x_new = x + t * step
            if bounded:
                x_new[mask] = np.maximum(x_new[mask], 0.0)
            f_new = objective.value(x_new)
            if f_new <= f + 1e-14 * max(1.0, abs(f)):
                accepted = True
                break
            t /= 2
        if not accepted:
            break
        moved = np.max(np.abs(x_new - x), initial=0.0)
        short_steps = short_steps + 1 if t < 1e-3 else 0
        x, f = x_new, f_new
        history.append(f)
        grad, curv = objective.first(x)
        if moved < 1e-13 * (1 + np.max(np.abs(x), initial=0.0)):
            break
    if bounded:
        active = ~(mask & (x <= 0) & (grad > 0))
    return Minimum(x, float(np.max(np.abs(grad[active]), initial=0.0)), curv, iterations)
