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

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # the fit types live in the layers above; only their fields are read
    from surveysem.sem.entry import ModelFit



def residual_correlations(fit: ModelFit) -> pd.DataFrame:
    """Residual correlation matrix ``(S - Sigma_hat) / sqrt(diag(S) diag(S)')`` (cor.bentler).

    ``S`` is the fit's unrestricted (H1) covariance matrix (:attr:`ModelFit.sample_cov`: the
    sample covariances, their EM estimates under FIML, the polychoric correlations of ordered
    items) and ``Sigma_hat`` the model-implied one. Rows and columns follow ``S``. For a
    complete-data ML fit, ``sqrt(mean(r[np.tril_indices(p)] ** 2))`` is its ``srmr``.

    References
    ----------
    lavaan ``residuals(fit, type = "cor.bentler")``; Bentler (1995).

    Examples
    --------
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> res = residual_correlations(fit(TWO_FACTOR_MODEL, two_factor_data()))
    >>> bool(abs(res.loc["a1", "a1"]) < 1e-9)  # a free residual variance fits its variance
    True
    >>> res.loc["a1"].drop("a1").round(3)
    a2   -0.004
    a3    0.005
    b1    0.026
    b2    0.008
    b3   -0.067
    Name: a1, dtype: float64
    """
    if fit.sample_cov is None:
        raise ValueError("residual correlations are computed for single-group fits")
    s = fit.sample_cov.to_numpy()
    sigma = fit.implied_cov().to_numpy()
    sd = np.sqrt(np.diag(s))
    names = fit.sample_cov.index
    return pd.DataFrame((s - sigma) / np.outer(sd, sd), index=names, columns=names)


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
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> res = residual_correlations(fit(TWO_FACTOR_MODEL, two_factor_data()))
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
