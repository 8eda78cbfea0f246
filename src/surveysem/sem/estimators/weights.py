"""Design (sampling) weights for SEM, as lavaan ``sampling.weights`` (pseudo-maximum likelihood).

``fit_model(syntax, data, sampling_weights="w")`` reproduces lavaan 0.6.14
``sem(model, data, sampling.weights = "w")``. With N complete cases ``x_i`` and raw weights
``v_i > 0``:

1. **Normalization** (lavaan ``sampling.weights.normalization = "total"``, the default):
   ``w_i = N v_i / sum_j v_j``, so ``sum_i w_i = N``. Only relative weights matter.
2. **Weighted sample moments** (``stats::cov.wt(method = "ML")``, divisor ``sum w = N``):

   ``xbar_w = (1/N) sum_i w_i x_i``,
   ``S_w = (1/N) sum_i w_i (x_i - xbar_w)(x_i - xbar_w)'``.

3. **Estimates** maximize the weighted (pseudo) log-likelihood
   ``l_w(theta) = sum_i w_i log phi(x_i; xbar_w, Sigma(theta))
   = -N/2 [p ln(2 pi) + ln|Sigma| + tr(S_w Sigma^-1)]``,
   i.e. ordinary ML on ``S_w``: ``F = ln|Sigma| + tr(S_w Sigma^-1) - ln|S_w| - p`` and
   ``chisq = N F`` (Skinner, Holt & Smith 1989; Asparouhov 2005). ``logl``,
   ``unrestricted.logl``, AIC/BIC, RMSEA, SRMR, GFI etc. are the usual formulas on ``S_w``.
4. **Standard errors**: as lavaan, the default estimator becomes ``"MLR"``: the sandwich
   ``vcov = A^-1 B A^-1 / N`` with A the observed information (Hessian of F/2 at ``S_w``) and
   ``B = (1/N) sum_i (w_i s_i)(w_i s_i)'``, the outer product of the *weighted* case-wise
   scores ``s_i`` at the model-implied Sigma ("structured"), ``d_i = x_i - xbar_w``.
5. **Test**: the Yuan-Bentler (Mplus variant) scaled statistic ``chisq / c`` with
   ``c = (tr_h1 - tr_h0)/df`` built from the same weighted scores
   (:mod:`surveysem.sem.estimators.robust`): ``tr_h1 = 1/(2N) sum_i w_i^2 (m_i^2 - 2 m_i + p)``,
   ``m_i = d_i' S_w^-1 d_i``; ``tr_h0 = tr(B A^-1)``; for the baseline
   ``tr_h0,b = 1/(2N) sum_j sum_i w_i^2 (z_ij^2 - 1)^2``, ``z_ij = d_ij / sqrt(s_w,jj)``.
   This is a weighted analogue of the design-based tests of Oberski (2014), without strata
   or clusters.

The other estimators keep their own SEs and test on the weighted moments of step 2, as lavaan:
``"GLS"`` and ``"ULS"`` (standard SEs and test) and ``"WLSMV"`` on continuous items (with
lavaan's unweighted distribution-free Gamma), :mod:`~surveysem.sem.estimators.least_squares`;
``"WLSMV"`` on ordered items weighs the margins, two-way tables and Gamma
(:func:`~surveysem.sem.estimators.polychoric.ordinal_moments`). Each runs in one group or
several (:mod:`~surveysem.sem.estimators.multigroup`, :mod:`~surveysem.sem.estimators.ordinal`),
ML and MLR also with FIML.

Differences from lavaan: zero weights are rejected here (lavaan only rejects negative ones)
and weights must be finite.
Clustering and stratification (``cluster =``, ``lavaan.survey``) are not modelled: SEs treat
the cases as independent draws with unequal selection probabilities.

References
----------
Skinner, C. J., Holt, D., & Smith, T. M. F. (Eds.) (1989). Analysis of complex surveys.
Wiley.

Asparouhov, T. (2005). Sampling weights in latent variable modeling. Structural Equation
Modeling, 12(3), 411-434. https://doi.org/10.1207/s15328007sem1203_4

Oberski, D. (2014). lavaan.survey: An R package for complex survey analysis of structural
equation models. Journal of Statistical Software, 57(1). https://doi.org/10.18637/jss.v057.i01

Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). ``R/lav_data.R`` (normalization), ``R/lav_samplestats.R``
(``cov.wt``), ``R/lav_mvnorm.R`` (weighted scores).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.errors import InputError


def normalized_weights(data: pd.DataFrame, column: str, model_variables: list[str]) -> np.ndarray:
    """Validate a sampling-weight column and rescale it to sum to the number of rows.

    ``w_i = N v_i / sum_j v_j`` (lavaan ``sampling.weights.normalization = "total"``).

    Parameters
    ----------
    data : pandas.DataFrame
        The data passed to :func:`surveysem.sem.fit_model` (complete rows only).
    column : str
        Name of the weight column; it must not be a model variable.
    model_variables : list of str
        Observed variables of the model.

    Returns
    -------
    numpy.ndarray
        The normalized weights, one per row of ``data``.

    Raises
    ------
    surveysem.errors.InputError
        The column is missing, is a model variable, is not numeric, or has missing,
        non-finite, zero or negative values.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1.0, 2.0, 3.0, 4.0], "w": [1, 1, 2, 4]})
    >>> normalized_weights(df, "w", ["y"])
    array([0.5, 0.5, 1. , 2. ])
    >>> normalized_weights(df.assign(w=[1, 0, 2, 4]), "w", ["y"])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    surveysem.errors.InputError: sampling weight column 'w' has 1 value(s) <= 0 (first at row 1)...
    """
    if not isinstance(column, str):
        raise InputError(
            f"sampling_weights must be the name of a data column (a string); got {column!r}"
        )
    if column not in data.columns:
        raise InputError(
            f"sampling weight column {column!r} is not a column of the data; "
            f"available columns: {', '.join(map(str, data.columns))}"
        )
    if column in model_variables:
        raise InputError(
            f"sampling weight column {column!r} is also a variable of the model; "
            "use a separate weight column that the model does not mention"
        )
    col = data[column]
    if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        raise InputError(
            f"sampling weight column {column!r} is not numeric (dtype {col.dtype}); "
            "recode it to positive numbers"
        )
    values = col.to_numpy(dtype=float, na_value=np.nan)
    bad = ~np.isfinite(values)
    if bad.any():
        raise InputError(
            f"sampling weight column {column!r} has {int(bad.sum())} missing or non-finite "
            f"value(s) (first at row {_first_label(data, bad)}); drop these rows or fix the "
            "weights"
        )
    bad = values <= 0
    if bad.any():
        raise InputError(
            f"sampling weight column {column!r} has {int(bad.sum())} value(s) <= 0 "
            f"(first at row {_first_label(data, bad)}); weights must be positive: drop these "
            "rows or fix the weights"
        )
    return values * (len(values) / values.sum())


def _first_label(data: pd.DataFrame, mask: np.ndarray):
    return data.index[int(np.flatnonzero(mask)[0])]


def weighted_moments(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and covariance matrix with divisor ``sum(w)`` (``cov.wt(method="ML")``).

    ``xbar_w = sum_i w_i x_i / sum_i w_i``;
    ``S_w = sum_i w_i (x_i - xbar_w)(x_i - xbar_w)' / sum_i w_i``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[0.0], [1.0], [2.0]])
    >>> mean, cov = weighted_moments(x, np.array([1.0, 1.0, 2.0]))
    >>> float(mean[0]), float(cov[0, 0])
    (1.25, 0.6875)
    """
    w = np.asarray(weights, dtype=float)
    mean = w @ values / w.sum()
    centered = values - mean
    cov = (centered * w[:, None]).T @ centered / w.sum()
    return mean, (cov + cov.T) / 2
