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

from . import matrices
from .estimates import parameter_estimates
from .fitting import SemFit

BOUND_TOL = 1e-6


def _not_pd(mat: np.ndarray) -> float | None:
    """Smallest eigenvalue if the symmetric matrix is not positive definite, else None."""
    if mat.size == 0:
        return None
    low = float(np.linalg.eigvalsh((mat + mat.T) / 2).min())
    return low if low <= 0 else None


def solution_problems(fit: SemFit) -> list[str]:
    """Human-readable problems of a fitted model; an empty list means an admissible solution.

    Checks: convergence; identification (invertible information matrix); negative (residual)
    variances (Heywood cases); free variances on the zero bound; positive definiteness of the
    model-implied covariance matrix Sigma, of the factor covariance matrix Var(eta) = C Psi C'
    and of the residual covariance matrix Theta; standardized covariances with |r| > 1.

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
    pe = parameter_estimates(fit)
    lvs = set(fit.partable.lv_names)
    free = {(r.lhs, r.op, r.rhs): bool(r.free) for r in fit.partable.rows}
    cov_rows = pe[pe["op"] == "~~"]
    for lhs, rhs, est, std in zip(
        cov_rows["lhs"], cov_rows["rhs"], cov_rows["est"], cov_rows["std.all"], strict=True
    ):
        if lhs == rhs:
            kind = "variance of factor" if lhs in lvs else "residual variance of"
            what = f"{kind} {lhs} ({lhs} ~~ {rhs})"
            if not free[(lhs, "~~", rhs)]:
                continue
            if est < -BOUND_TOL:
                out.append(f"negative variance (Heywood case): {what} = {est:.4g}")
            elif abs(est) <= BOUND_TOL:
                out.append(
                    f"variance on the boundary 0: {what} = {est:.3g}"
                    + (
                        " (bounded estimation; unbounded it would probably be negative)"
                        if fit.nonnegative_variances
                        else ""
                    )
                )
        elif np.isfinite(std) and abs(std) > 1 + 1e-8:
            out.append(f"standardized covariance {lhs} ~~ {rhs} = {std:.3f} is outside [-1, 1]")
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
    theta_names = [v for v in fit.model.names_theta[0] if v in fit.model.vars["_output"]]
    low = _not_pd(matrices.theta(fit.model).loc[theta_names, theta_names].to_numpy())
    if low is not None:
        out.append(
            "residual covariance matrix of the observed variables (theta) is not positive "
            f"definite (min eig {low:.3g})"
        )
    return out


def solution_report(fit: SemFit) -> dict:
    """Convergence and admissibility of a fit, for the results folder and the log.

    Returns ``{"converged": bool, "message": str, "admissible": bool, "problems": [...]}``;
    a solution is admissible when it converged and :func:`solution_problems` finds nothing.
    """
    problems = solution_problems(fit)
    return {
        "converged": bool(fit.converged),
        "message": fit.message,
        "admissible": bool(fit.converged) and not problems,
        "problems": problems,
    }
