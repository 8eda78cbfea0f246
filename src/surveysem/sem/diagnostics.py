"""Admissibility checks of a fitted model, after lavaan's post-estimation checks.

lavaan (``lav_object_post_check``) warns about negative (residual) variances of observed or
latent variables and about non-positive-definite latent (``cov.lv``) and residual (``theta``)
covariance matrices. Here the same conditions, plus non-convergence, a singular information
matrix, variances on the zero bound (``nonnegative_variances=True``), a non-positive-definite
model-implied Sigma and standardized covariances beyond +/-1, are returned as messages.

Reference: Kolenikov & Bollen (2012). Testing negative error variances: Is a Heywood case a
symptom of misspecification? Sociological Methods & Research, 41(1), 124-167.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import matrices
from .estimates import parameter_estimates
from .fitting import SemFit
from .partable import ParTable

BOUND_TOL = 1e-6
#: lavaan warns when the largest observed variance exceeds the smallest by this factor.
VARIANCE_RATIO = 1000


def _not_pd(mat: np.ndarray) -> float | None:
    """Smallest eigenvalue if the symmetric matrix is not positive definite, else None."""
    if mat.size == 0:
        return None
    low = float(np.linalg.eigvalsh((mat + mat.T) / 2).min())
    return low if low <= 0 else None


def checked_residuals(model, pt: ParTable) -> list[str]:
    """The observed variables whose residual covariance matrix (Theta) is checked.

    semopy's Theta block, without variables whose residual variance is *fixed* at 0 (such as
    the indicator of a single-indicator factor, lavaan's ``auto.fix.single``): as lavaan's
    post-check, a fixed zero is the user's (or lavaan's) choice, not a Heywood case.
    """
    zero = {r.lhs for r in pt.rows if r.op == "~~" and r.lhs == r.rhs and r.value == 0}
    return [v for v in model.names_theta[0] if v in model.vars["_output"] and v not in zero]


def estimate_problems(estimates: pd.DataFrame, bounded: bool = False) -> list[str]:
    """Problems readable from an estimates table in lavaan's columns, whatever the estimator:
    negative (Heywood) and zero-bound free variances and standardized covariances beyond
    +/-1. Fixed rows (``se`` 0 and no ``z``, e.g. a single indicator's residual variance or a
    covariate's variance) are never judged. ``bounded``: the fit kept variances >= 0.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"lhs": ["F", "x1", "x2"], "op": ["=~", "~~", "~~"],
    ...     "rhs": ["x1", "x1", "x2"], "est": [1.0, -0.2, 0.0], "se": [0.0, 0.1, 0.0],
    ...     "z": [float("nan"), -2.0, float("nan")], "std.all": [0.9, -0.3, 0.0]})
    >>> estimate_problems(table)
    ['negative variance (Heywood case): residual variance of x1 (x1 ~~ x1) = -0.2']
    """
    lvs = set(estimates.loc[estimates["op"] == "=~", "lhs"])
    fixed = (estimates["se"] == 0) & estimates["z"].isna()
    rows = estimates[(estimates["op"] == "~~") & ~fixed]
    out = []
    for lhs, rhs, est, std in zip(
        rows["lhs"], rows["rhs"], rows["est"], rows["std.all"], strict=True
    ):
        if lhs == rhs:
            kind = "variance of factor" if lhs in lvs else "residual variance of"
            what = f"{kind} {lhs} ({lhs} ~~ {rhs})"
            if est < -BOUND_TOL:
                out.append(f"negative variance (Heywood case): {what} = {est:.4g}")
            elif abs(est) <= BOUND_TOL:
                note = " (bounded estimation; unbounded it would probably be negative)"
                out.append(
                    f"variance on the boundary 0: {what} = {est:.3g}" + (note if bounded else "")
                )
        elif np.isfinite(std) and abs(std) > 1 + 1e-8:
            out.append(f"standardized covariance {lhs} ~~ {rhs} = {std:.3f} is outside [-1, 1]")
    return out


def estimates_report(converged: bool, message: str, estimates: pd.DataFrame) -> dict:
    """:func:`solution_report` of a fit known only by its convergence and estimates table
    (FIML, WLSMV): the problems of :func:`estimate_problems`, no cautions."""
    problems = estimate_problems(estimates)
    return {
        "converged": bool(converged),
        "message": message,
        "admissible": bool(converged) and not problems,
        "problems": problems,
        "cautions": [],
    }


def solution_problems(fit: SemFit) -> list[str]:
    """Human-readable problems of a fitted model; an empty list means an admissible solution.

    Checks: convergence; identification (invertible information matrix); negative (residual)
    variances (Heywood cases); free variances on the zero bound; positive definiteness of the
    model-implied covariance matrix Sigma, of the factor covariance matrix Var(eta) = C Psi C'
    and of the residual covariance matrix Theta; standardized covariances with |r| > 1.
    Only free parameters are judged: a variance or covariance fixed by the model (a single
    indicator's residual variance of 0, a covariate's variance fixed at its sample value) is
    never a problem, and Theta is checked without the variables of
    :func:`checked_residuals`.

    Examples
    --------
    >>> from surveysem.sem import fit_model, solution_problems
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> solution_problems(fit_model(TWO_FACTOR_MODEL, two_factor_data()))
    []
    >>> heywood = two_factor_data().assign(a2=lambda d: d["a1"] + d["a2"] * 0.05)
    >>> solution_problems(fit_model(TWO_FACTOR_MODEL, heywood))[0]  # doctest: +ELLIPSIS
    'negative variance (Heywood case): ...'
    """
    out: list[str] = []
    if not fit.converged:
        out.append(f"model did not converge: {fit.message}")
    if fit.partable.n_free and np.isnan(fit.vcov).all():
        out.append(
            "standard errors unavailable: the information matrix is singular "
            "(the model may not be identified)"
        )
    out += estimate_problems(parameter_estimates(fit), fit.nonnegative_variances)
    low = _not_pd(matrices.implied_cov(fit.model))
    if low is not None:
        out.append(f"model-implied covariance matrix is not positive definite (min eig {low:.3g})")
    lv = fit.partable.lv_names
    low = _not_pd(matrices.inner_cov(fit.model).loc[lv, lv].to_numpy())
    if low is not None:
        out.append(
            "covariance matrix of the latent variables is not positive definite "
            f"(min eig {low:.3g})"
        )
    theta_names = checked_residuals(fit.model, fit.partable)
    low = _not_pd(matrices.theta(fit.model).loc[theta_names, theta_names].to_numpy())
    if low is not None:
        out.append(
            "residual covariance matrix of the observed variables (theta) is not positive "
            f"definite (min eig {low:.3g})"
        )
    return out


def scale_cautions(fit: SemFit) -> list[str]:
    """A caution when the observed variances differ by more than :data:`VARIANCE_RATIO`.

    lavaan warns about this (for the variables other than covariates) because estimation
    then becomes numerically fragile: e.g. a covariate in raw units (employees) next to
    Likert items can make lavaan fail to converge, or an information matrix look singular.

    Examples
    --------
    >>> from surveysem.sem import fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> scale_cautions(fit_model(TWO_FACTOR_MODEL, two_factor_data()))
    []
    >>> data = two_factor_data().assign(a1=lambda d: 100 * d["a1"])
    >>> scale_cautions(fit_model(TWO_FACTOR_MODEL, data))[0].split(" (")[0]
    'observed variances differ by a factor of 1.5e+04'
    """
    var = np.diag(fit.sample_cov)
    hi, lo = int(np.argmax(var)), int(np.argmin(var))
    if not var[hi] > VARIANCE_RATIO * var[lo]:
        return []
    return [
        f"observed variances differ by a factor of {var[hi] / var[lo]:.2g} ({fit.observed[hi]}: "
        f"{var[hi]:.2g}, {fit.observed[lo]}: {var[lo]:.2g}), more than the {VARIANCE_RATIO} "
        "lavaan warns about; estimation is then numerically fragile, so rescale the variables "
        "with large variances (e.g. their logarithm, or thousands instead of units)"
    ]


def solution_report(fit: SemFit) -> dict:
    """Convergence and admissibility of a fit, for the results folder and the log.

    Returns ``{"converged": bool, "message": str, "admissible": bool, "problems": [...],
    "cautions": [...]}``; a solution is admissible when it converged and
    :func:`solution_problems` finds nothing. ``cautions`` (:func:`scale_cautions`) do not
    make it inadmissible.
    """
    problems = solution_problems(fit)
    return {
        "converged": bool(fit.converged),
        "message": fit.message,
        "admissible": bool(fit.converged) and not problems,
        "problems": problems,
        "cautions": scale_cautions(fit),
    }


def solution_warnings(report: dict, model: str) -> list[str]:
    """Sentences for a reader about a :func:`solution_report`, naming the ``model``.

    Examples
    --------
    >>> solution_warnings({"converged": True, "problems": []}, "The CFA")
    []
    >>> report = {"converged": True, "problems": ["negative variance (Heywood case): x = -0.1"]}
    >>> solution_warnings(report, "The CFA")
    ['The CFA is not admissible: negative variance (Heywood case): x = -0.1.']
    """
    cautions = [f"{model}: {caution}." for caution in report.get("cautions", [])]
    if not report["converged"]:
        return [
            f"{model} did not converge, so its estimates, fit measures and everything computed "
            f"from them are not interpretable ({report['message']})."
        ] + cautions
    return [f"{model} is not admissible: {problem}." for problem in report["problems"]] + cautions
