"""Item analysis: item descriptives, Mardia's multivariate normality test, item-total statistics.

* :func:`item_descriptives` - n, mean, SD, range, skewness and excess kurtosis of every item
  (bias-adjusted G1/G2 by default, as SPSS, SAS, Excel and pandas; moment g1/g2 on request);
* :func:`mardia` - Mardia's (1970) multivariate skewness b1,p and kurtosis b2,p with their
  tests, as R ``MVN`` (``mvn(mvnTest = "mardia")``, N-divisor covariance);
* :func:`item_total` - corrected item-total correlation and alpha if item deleted per construct
  (SPSS RELIABILITY ``/SUMMARY = TOTAL``; ``psych::alpha`` ``r.drop`` and ``alpha.drop``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .errors import InputError
from .reliability import cronbach_alpha, single_item_note

DESCRIPTIVE_COLUMNS = ["item", "n", "mean", "sd", "min", "max", "skew", "kurtosis", "missing_pct"]
ITEM_TOTAL_COLUMNS = [
    "construct", "item", "corrected_item_total", "alpha_if_deleted", "note",
]  # fmt: skip


def item_descriptives(
    data: pd.DataFrame, items: list[str], bias_adjusted: bool = True
) -> pd.DataFrame:
    """Univariate descriptives of the items, each on its available (non-missing) values.

    With n non-missing values x, mean m, central moments m_r = sum((x - m)^r) / n::

        sd = sqrt(sum((x - m)^2) / (n - 1))
        g1 = m_3 / m_2^(3/2)                     g2 = m_4 / m_2^2 - 3     (moment estimators)
        G1 = g1 * sqrt(n (n - 1)) / (n - 2)      G2 = ((n + 1) g2 + 6) (n - 1) / ((n - 2)(n - 3))

    ``bias_adjusted=True`` (default) reports G1 and G2: the skewness and excess kurtosis of
    SPSS, SAS, Excel (``SKEW``/``KURT``), pandas (``.skew()``/``.kurt()``), ``scipy.stats``
    with ``bias=False`` and ``psych::describe(type = 2)`` (Joanes & Gill 1998, type 2).
    ``bias_adjusted=False`` reports g1 and g2 (Joanes & Gill type 1):
    ``psych::describe(type = 1)``, ``e1071::skewness(type = 1)`` and the scipy default.
    Kurtosis is *excess* kurtosis (0 for a normal distribution). G1 needs n >= 3, G2 n >= 4
    and g1/g2 n >= 2 (else NaN); a constant item has NaN skewness and kurtosis.

    Parameters
    ----------
    data : pandas.DataFrame
        Item data, one row per respondent.
    items : list of str
        Columns to describe (numeric).
    bias_adjusted : bool
        G1/G2 (True, default) or g1/g2 (False).

    Returns
    -------
    pandas.DataFrame
        One row per item with columns ``item, n, mean, sd, min, max, skew, kurtosis,
        missing_pct`` (``missing_pct``: percentage of rows with the item missing, 0-100).

    References
    ----------
    Joanes, D. N., & Gill, C. A. (1998). Comparing measures of sample skewness and kurtosis.
    Journal of the Royal Statistical Society D, 47(1), 183-189.

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> likert = two_factor_data().add(4).round().clip(1, 7)  # 7-point items
    >>> likert.iloc[0, 0] = float("nan")
    >>> item_descriptives(likert, ["a1", "b1"]).round(3)
      item    n   mean     sd  min  max   skew  kurtosis  missing_pct
    0   a1  299  4.040  1.167  1.0  7.0 -0.091    -0.122        0.333
    1   b1  300  3.777  1.208  1.0  7.0  0.207    -0.051        0.000
    """
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise InputError(f"item columns {missing} are not in the data")
    rows = []
    for item in items:
        col = data[item]
        x = col.dropna().to_numpy(dtype=float)
        n = x.size
        row = {"item": item, "n": n, "missing_pct": 100.0 * float(col.isna().mean())}
        if n == 0:
            row.update(dict.fromkeys(["mean", "sd", "min", "max", "skew", "kurtosis"], np.nan))
            rows.append(row)
            continue
        varies = np.ptp(x) > 0
        skew = kurt = np.nan
        if varies and n >= (3 if bias_adjusted else 2):
            skew = float(stats.skew(x, bias=not bias_adjusted))
        if varies and n >= (4 if bias_adjusted else 2):
            kurt = float(stats.kurtosis(x, fisher=True, bias=not bias_adjusted))
        row.update(
            {
                "mean": float(x.mean()),
                "sd": float(x.std(ddof=1)) if n > 1 else np.nan,
                "min": float(x.min()),
                "max": float(x.max()),
                "skew": skew,
                "kurtosis": kurt,
            }
        )
        rows.append(row)
    return pd.DataFrame(rows, columns=DESCRIPTIVE_COLUMNS)


def mardia(data: pd.DataFrame) -> dict:
    """Mardia's multivariate skewness and kurtosis with their normality tests.

    Rows with any missing value are dropped. With n complete rows, p variables, centred rows
    d_i = x_i - mean(x) and the N-divisor covariance matrix S = sum(d_i d_i') / n::

        m_ij = d_i' S^-1 d_j
        b1,p = sum_i sum_j m_ij^3 / n^2            (multivariate skewness; 0 under normality)
        b2,p = sum_i m_ii^2 / n                    (multivariate kurtosis; p(p + 2) under normality)
        skew_chisq       = n b1,p / 6             ~ chi2 with p(p + 1)(p + 2) / 6 df
        skew_chisq_small = n k b1,p / 6,  k = (p + 1)(n + 1)(n + 3) / (n ((n + 1)(p + 1) - 6))
        kurt_z           = (b2,p - p(p + 2)) / sqrt(8 p (p + 2) / n)      ~ N(0, 1), two-sided

    This is Mardia (1970; small-sample factor k from Mardia 1974) as computed by R ``MVN``
    (``mardiaTest(cov = TRUE)`` / ``mvn(mvnTest = "mardia")``), whose S has the N divisor, as
    Mardia's. ``kurt_z`` is also the "critical ratio" of multivariate kurtosis printed by AMOS
    and EQS's normalized estimate (Bentler 2006); ``kurt_excess`` = b2,p - p(p + 2) is AMOS's
    multivariate kurtosis. (``psych::mardia`` uses the n - 1 divisor and gives slightly
    smaller b1,p and b2,p.)

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric variables (all columns are used).

    Returns
    -------
    dict
        ``n, p, b1p, b2p, skew_chisq, skew_df, skew_pvalue, skew_chisq_small,
        skew_pvalue_small, kurt_expected, kurt_excess, kurt_z, kurt_pvalue``.

    References
    ----------
    Mardia, K. V. (1970). Measures of multivariate skewness and kurtosis with applications.
    Biometrika, 57(3), 519-530.
    Mardia, K. V. (1974). Applications of some measures of multivariate skewness and kurtosis
    in testing normality and robustness studies. Sankhya B, 36(2), 115-128.
    Korkmaz, S., Goksuluk, D., & Zararsiz, G. (2014). MVN: An R package for assessing
    multivariate normality. The R Journal, 6(2), 151-162.

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> res = mardia(two_factor_data())
    >>> res["n"], res["p"], res["skew_df"], res["kurt_expected"]
    (300, 6, 56, 48)
    >>> round(res["b1p"], 3), round(res["b2p"], 3), round(res["kurt_z"], 3)
    (0.941, 47.948, -0.046)
    """
    x = data.dropna().to_numpy(dtype=float)
    n, p = x.shape
    if p < 1:
        raise InputError("Mardia's test needs at least one variable")
    if n <= p:
        raise InputError(f"Mardia's test needs more complete rows ({n}) than variables ({p})")
    d = x - x.mean(axis=0)
    s = d.T @ d / n
    try:
        w = np.linalg.solve(s, d.T).T  # rows S^-1 d_i, so m_ij = d_i' w_j
    except np.linalg.LinAlgError as err:
        raise InputError("the covariance matrix is singular (constant or collinear items)") from err
    # The n x n matrix m is never formed (58,000 complete rows: 25 GiB, twice for m**3):
    # sum_ij m_ij^3 = sum_abc D_abc W_abc, D_abc = sum_i d_ia d_ib d_ic, W_abc likewise of w.
    b1 = float(np.sum(_third_moments(d) * _third_moments(w)) / n**2)
    b2 = float(np.sum(np.einsum("ij,ij->i", d, w) ** 2) / n)
    df = p * (p + 1) * (p + 2) // 6
    k = (p + 1) * (n + 1) * (n + 3) / (n * ((n + 1) * (p + 1) - 6))
    skew_chisq = n * b1 / 6
    skew_small = n * k * b1 / 6
    expected = p * (p + 2)
    kurt_z = (b2 - expected) / np.sqrt(8 * p * (p + 2) / n)
    return {
        "n": int(n),
        "p": int(p),
        "b1p": b1,
        "b2p": b2,
        "skew_chisq": float(skew_chisq),
        "skew_df": int(df),
        "skew_pvalue": float(stats.chi2.sf(skew_chisq, df)),
        "skew_chisq_small": float(skew_small),
        "skew_pvalue_small": float(stats.chi2.sf(skew_small, df)),
        "kurt_expected": int(expected),
        "kurt_excess": float(b2 - expected),
        "kurt_z": float(kurt_z),
        "kurt_pvalue": float(2 * stats.norm.sf(abs(kurt_z))),
    }


def _third_moments(x: np.ndarray) -> np.ndarray:
    """``T_abc = sum_i x_ia x_ib x_ic`` (p x p x p) by p matrix products, O(n p^3) time."""
    return np.stack([(x * x[:, [a]]).T @ x for a in range(x.shape[1])])


def item_total(data: pd.DataFrame, constructs: dict[str, list[str]]) -> pd.DataFrame:
    """Corrected item-total correlation and Cronbach's alpha if item deleted, per construct.

    Within each construct, rows with any of its items missing are dropped (listwise per
    construct). For item i of a construct with items I::

        corrected_item_total_i = corr(x_i, sum_{j in I, j != i} x_j)       (Pearson)
        alpha_if_deleted_i     = alpha(I without i)        (Cronbach's alpha, listwise)

    Alpha is :func:`surveysem.reliability.cronbach_alpha` of the remaining items. The
    correlation is "corrected" because the item is left out of the total (SPSS "Corrected
    Item-Total Correlation", ``psych::alpha`` ``r.drop``). A construct with two items has NaN
    alpha if deleted (alpha needs two items); a single-item construct has NaN for both. Such
    NaN values are not applicable, not failures, and ``note`` says so.

    Parameters
    ----------
    data : pandas.DataFrame
        Item data.
    constructs : dict
        Construct name -> list of its item columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``construct, item, corrected_item_total, alpha_if_deleted, note``, in the order
        of ``constructs`` (``note``: empty, or why a NaN value is not applicable).

    References
    ----------
    Nunnally, J. C., & Bernstein, I. H. (1994). Psychometric Theory (3rd ed.), ch. 8.
    Cronbach, L. J. (1951). Psychometrika, 16(3), 297-334.

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> item_total(two_factor_data(), {"A": ["a1", "a2", "a3"]}).drop(columns="note").round(3)
      construct item  corrected_item_total  alpha_if_deleted
    0         A   a1                 0.680             0.671
    1         A   a2                 0.638             0.715
    2         A   a3                 0.596             0.760
    >>> item_total(two_factor_data(), {"B": ["b1"]}).loc[0, "note"].startswith("not applicable")
    True
    """
    rows = []
    for construct, items in constructs.items():
        missing = [c for c in items if c not in data.columns]
        if missing:
            raise InputError(f"items {missing} of construct {construct!r} are not in the data")
        block = data[list(items)].dropna().astype(float)
        for item in items:
            others = [c for c in items if c != item]
            r = np.nan
            if others and len(block) > 2:
                rest = block[others].sum(axis=1).to_numpy()
                own = block[item].to_numpy()
                if np.ptp(rest) > 0 and np.ptp(own) > 0:
                    r = float(np.corrcoef(own, rest)[0, 1])
            enough = len(others) >= 2 and len(block) >= 2
            a = cronbach_alpha(block[others])["alpha"] if enough else np.nan
            if not others:
                note = single_item_note(construct, "each item-total statistic")
            elif len(others) < 2:
                note = "not applicable: alpha if deleted needs two items besides the deleted one"
            else:
                note = ""
            rows.append(
                {
                    "construct": construct,
                    "item": item,
                    "corrected_item_total": r,
                    "alpha_if_deleted": a,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=ITEM_TOTAL_COLUMNS)
