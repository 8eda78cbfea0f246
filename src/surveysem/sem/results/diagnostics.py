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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from surveysem.sem.results.estimates import parameter_estimates, table_moments

if TYPE_CHECKING:  # the fit types live in the layers above; only their fields are read
    from surveysem.sem.estimators.fitting import SemFit

BOUND_TOL = 1e-6
#: lavaan warns when the largest observed variance exceeds the smallest by this factor.
VARIANCE_RATIO = 1000


def _not_pd(mat: np.ndarray) -> float | None:
    """Smallest eigenvalue if the symmetric matrix is not positive definite, else None."""
    if mat.size == 0:
        return None
    low = float(np.linalg.eigvalsh((mat + mat.T) / 2).min())
    return low if low <= 0 else None


def estimate_problems(estimates: pd.DataFrame, bounded: bool = False) -> list[str]:
    """Problems readable from an estimates table in lavaan's columns, whatever the estimator:
    negative (Heywood) variances, free variances on the zero bound and standardized
    covariances beyond +/-1. A negative variance is a problem even in a fixed or derived row
    (e.g. the residual variance of an ordinal item, 1 minus its explained variance, as
    lavaan's post-check reads all of diag(Theta)); the zero bound and standardized values
    are judged for free rows only (``se`` 0 and no ``z`` mark a fixed row, e.g. a single
    indicator's residual variance of 0). Multi-group tables (a ``group`` column) name the
    group. ``bounded``: the fit kept variances >= 0.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"lhs": ["F", "x1", "x2"], "op": ["=~", "~~", "~~"],
    ...     "rhs": ["x1", "x1", "x2"], "est": [1.0, -0.2, 0.0], "se": [0.0, 0.1, 0.0],
    ...     "z": [float("nan"), -2.0, float("nan")], "std.all": [0.9, -0.3, 0.0]})
    >>> estimate_problems(table)
    ['negative variance (Heywood case): residual variance of x1 (x1 ~~ x1) = -0.2']
    >>> estimate_problems(table.assign(group=[1, 1, 1], se=0.0, z=float("nan")))
    ['negative variance (Heywood case): residual variance of x1 (x1 ~~ x1) = -0.2 in group 1']
    """
    lvs = set(estimates.loc[estimates["op"] == "=~", "lhs"])
    fixed = (estimates["se"] == 0) & estimates["z"].isna()
    rows = estimates[estimates["op"] == "~~"].assign(fixed=fixed)
    groups = rows["group"] if "group" in rows else pd.Series("", index=rows.index)
    out = []
    for (_, r), group in zip(rows.iterrows(), groups, strict=True):
        where = f" in group {group}" if "group" in rows else ""
        if r["lhs"] == r["rhs"]:
            kind = "variance of factor" if r["lhs"] in lvs else "residual variance of"
            what = f"{kind} {r['lhs']} ({r['lhs']} ~~ {r['rhs']})"
            if r["est"] < -BOUND_TOL:
                out.append(f"negative variance (Heywood case): {what} = {r['est']:.4g}{where}")
            elif abs(r["est"]) <= BOUND_TOL and not r["fixed"]:
                note = " (bounded estimation; unbounded it would probably be negative)"
                out.append(
                    f"variance on the boundary 0: {what} = {r['est']:.3g}{where}"
                    + (note if bounded else "")
                )
        elif not r["fixed"] and np.isfinite(r["std.all"]) and abs(r["std.all"]) > 1 + 1e-8:
            out.append(
                f"standardized covariance {r['lhs']} ~~ {r['rhs']} = {r['std.all']:.3f} is "
                f"outside [-1, 1]{where}"
            )
    return out


def _matrix_problems(estimates: pd.DataFrame, where: str = "") -> list[str]:
    """Non-positive-definite Sigma, latent covariance and Theta of one group's table. Theta
    leaves out residual variances fixed at 0 (a single indicator's) and observed covariates
    (their moments are the data's), as lavaan's post-check."""
    total, resid, lvs = table_moments(estimates)
    outcomes = set(estimates.loc[estimates["op"] == "~", "lhs"])
    indicators = set(estimates.loc[estimates["op"] == "=~", "rhs"])
    observed = [v for v in total.index if v not in lvs]
    theta = [v for v in observed if (v in outcomes or v in indicators) and resid.loc[v, v] != 0]
    out = []
    checks = (
        ("model-implied covariance matrix", total.loc[observed, observed]),
        ("covariance matrix of the latent variables", total.loc[lvs, lvs]),
        ("residual covariance matrix of the observed variables (theta)", resid.loc[theta, theta]),
    )
    for what, mat in checks:
        low = _not_pd(mat.to_numpy())
        if low is not None:
            out.append(f"{what} is not positive definite (min eig {low:.3g}){where}")
    return out


def estimates_report(
    converged: bool,
    message: str,
    estimates: pd.DataFrame,
    *,
    singular: bool = False,
    bounded: bool = False,
    cautions: list[str] | None = None,
) -> dict:
    """Convergence and admissibility of any fit from its estimates table: the one judgement
    used for every estimator (ML, MLR, GLS, ULS, FIML, WLSMV, multi-group).

    Problems: non-convergence; a singular information matrix (``singular``: no standard
    errors, the model may not be identified); the problems of :func:`estimate_problems`; a
    non-positive-definite model-implied covariance matrix, latent covariance matrix or
    residual covariance matrix Theta (per group). Returns ``{"converged", "message",
    "admissible", "problems", "cautions"}``; ``cautions`` (e.g. :func:`scale_cautions`) do not
    make a solution inadmissible.
    """
    problems = [f"model did not converge: {message}"] if not converged else []
    if singular:
        problems.append(
            "standard errors unavailable: the information matrix is singular "
            "(the model may not be identified)"
        )
    problems += estimate_problems(estimates, bounded)
    if "group" in estimates:
        for group, table in estimates.groupby("group", sort=False):
            problems += _matrix_problems(table, f" in group {group}")
    else:
        problems += _matrix_problems(estimates)
    return {
        "converged": bool(converged),
        "message": message,
        "admissible": bool(converged) and not problems,
        "problems": problems,
        "cautions": list(cautions or []),
    }


def solution_problems(fit: SemFit) -> list[str]:
    """Human-readable problems of a fitted model; an empty list means an admissible solution.

    The problems of :func:`estimates_report`: convergence; identification (invertible
    information matrix); negative (residual) variances (Heywood cases); free variances on the
    zero bound; positive definiteness of the model-implied covariance matrix Sigma, of the
    factor covariance matrix Var(eta) = C Psi C' and of the residual covariance matrix Theta;
    standardized covariances with |r| > 1.

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
    return solution_report(fit, cautions=False)["problems"]


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


def solution_report(fit: SemFit, cautions: bool = True) -> dict:
    """:func:`estimates_report` of a complete-data fit, with :func:`scale_cautions`."""
    return estimates_report(
        fit.converged,
        fit.message,
        parameter_estimates(fit),
        singular=bool(fit.partable.n_free and np.isnan(fit.vcov).all()),
        bounded=fit.nonnegative_variances,
        cautions=scale_cautions(fit) if cautions else None,
    )


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
