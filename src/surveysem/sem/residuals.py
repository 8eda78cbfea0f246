"""Standardized residual correlations of a fitted model (local misfit), as lavaan.

lavaan ``residuals(fit, type = "cor.bentler")``: the sample and the model-implied covariance
matrices are both rescaled by the *observed* standard deviations,

    r_ij = (s_ij - sigma_ij) / sqrt(s_ii s_jj),

so the off-diagonal elements are differences between observed and implied correlations (up to
the implied variances) and the diagonal holds (s_ii - sigma_ii)/s_ii. Bentler's SRMR is the
root mean square of the p(p+1)/2 elements on and below the diagonal:
``SRMR = sqrt(mean_{i <= j} r_ij^2)`` (lavaan ``lav_fit_srmr.R``; Bentler 1995).

References
----------
Bentler, P. M. (1995). EQS Structural Equations Program Manual. Multivariate Software.
Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance structure
analysis. Structural Equation Modeling, 6(1), 1-55.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import matrices
from .fitting import SemFit


def residual_correlations(fit: SemFit) -> pd.DataFrame:
    """Residual correlation matrix ``(S - Sigma_hat) / sqrt(diag(S) diag(S)')`` (cor.bentler).

    Rows and columns follow lavaan's order of the observed variables
    (``fit.partable.ov_names``). ``sqrt(mean(r[np.tril_indices(p)] ** 2))`` is
    ``fit_measures(fit)["srmr"]``.

    References
    ----------
    lavaan ``residuals(fit, type = "cor.bentler")``; Bentler (1995).

    Examples
    --------
    >>> from surveysem.sem import fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> res = residual_correlations(fit_model(TWO_FACTOR_MODEL, two_factor_data()))
    >>> res.loc["a1"].round(3)
    a1    0.000
    a2   -0.004
    a3    0.005
    b1    0.026
    b2    0.008
    b3   -0.067
    Name: a1, dtype: float64
    """
    s = fit.sample_cov
    sigma = matrices.implied_cov(fit.model)
    sd = np.sqrt(np.diag(s))
    resid = (s - sigma) / np.outer(sd, sd)
    frame = pd.DataFrame(resid, index=fit.observed, columns=fit.observed)
    order = list(fit.partable.ov_names)
    return frame.loc[order, order]


def largest_residuals(
    table: pd.DataFrame, k: int = 10, *, include_diagonal: bool = False
) -> pd.DataFrame:
    """The ``k`` largest residual correlations in absolute value.

    Parameters
    ----------
    table : pandas.DataFrame
        Square residual matrix, e.g. from :func:`residual_correlations`.
    k : int
        Number of pairs to return (all if fewer).
    include_diagonal : bool
        Also rank the variance residuals (diagonal; zero in most CFA/SEM fits).

    Returns
    -------
    pandas.DataFrame
        Columns ``var1, var2, residual`` (each pair once, ``var1`` earlier in the table),
        sorted by ``|residual|``, largest first (ties: table order).

    Examples
    --------
    >>> from surveysem.sem import fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> res = residual_correlations(fit_model(TWO_FACTOR_MODEL, two_factor_data()))
    >>> largest_residuals(res, k=3).round(3)
      var1 var2  residual
    0   a1   b3    -0.067
    1   a3   b1    -0.046
    2   a1   b1     0.026
    """
    if table.shape[0] != table.shape[1] or list(table.index) != list(table.columns):
        raise ValueError("table must be a square matrix with the same row and column labels")
    names = list(table.index)
    values = table.to_numpy(dtype=float)
    i, j = np.triu_indices(len(names), 0 if include_diagonal else 1)
    out = pd.DataFrame(
        {
            "var1": [names[a] for a in i],
            "var2": [names[b] for b in j],
            "residual": values[i, j],
        }
    )
    order = np.argsort(-np.abs(out["residual"].to_numpy()), kind="stable")
    return out.iloc[order[: max(int(k), 0)]].reset_index(drop=True)
