"""Sample profile and non-response bias: the descriptive tables of a survey paper.

* :func:`size_band` - firm size classes by number of employees (NBS 2003 industrial classes);
* :func:`sample_profile` - n, unweighted and design-weighted percentages per category of each
  categorical variable (region, ownership, industry, respondent role, size band, ...);
* :func:`construct_scores` - mean item score per construct with a minimum-answered rule;
* :func:`nonresponse_bias` - Armstrong & Overton (1977) comparison of early and late
  respondents: Welch t-test, Cohen's d, Hedges' g, JZS Bayes factor and Mann-Whitney U.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import numpy as np
import pandas as pd
import pingouin as pg
from scipy import stats

from .codebook import Codebook

__all__ = [
    "PROFILE_COLUMNS",
    "NONRESPONSE_COLUMNS",
    "SIZE_BANDS",
    "SIZE_BREAKS",
    "construct_scores",
    "nonresponse_bias",
    "sample_profile",
    "size_band",
]

#: Labels of the firm size classes, smallest first (see :func:`size_band`).
SIZE_BANDS: tuple[str, ...] = ("small (<300)", "medium (300-1999)", "large (2000+)")
#: Lower employee bounds of the medium and large classes (NBS 2003, industry).
SIZE_BREAKS: tuple[int, int] = (300, 2000)

#: Columns of :func:`sample_profile`.
PROFILE_COLUMNS: tuple[str, ...] = (
    "variable",
    "category",
    "label",
    "n",
    "percent",
    "weighted_percent",
)
#: Label of the row that counts a profiled variable's missing values.
MISSING_LABEL = "not answered"
#: Columns of :func:`nonresponse_bias`.
NONRESPONSE_COLUMNS: tuple[str, ...] = (
    "variable",
    "n_early",
    "mean_early",
    "sd_early",
    "n_late",
    "mean_late",
    "sd_late",
    "t",
    "dof",
    "pvalue",
    "cohen_d",
    "hedges_g",
    "bf10",
    "pvalue_mwu",
)


# ------------------------------------------------------------------------------ firm size
def size_band(employees) -> pd.Series:
    """Firm size class from the number of employees (NBS 2003 classes for industry).

    The employment criterion of the National Bureau of Statistics of China's 2003 interim
    classification of industrial enterprises, in force when the survey was fielded (2006)::

        small   employees <  300               "small (<300)"
        medium  300 <= employees < 2000        "medium (300-1999)"
        large   employees >= 2000              "large (2000+)"

    The official classification also has sales-revenue (30 and 300 million RMB) and total-asset
    (40 and 400 million RMB) thresholds that a firm must meet *as well* to be medium or large;
    total assets are not in the survey, so only the employment criterion is applied here. (The
    2011 revision, NBS/MIIT 2011, lowered the large threshold to 1,000 employees and added a
    micro class below 20; it postdates the fieldwork.)

    Parameters
    ----------
    employees : pandas.Series or array_like
        Number of employees per firm (non-negative; NaN allowed).

    Returns
    -------
    pandas.Series
        Ordered categorical named ``size_band`` with categories :data:`SIZE_BANDS` (smallest
        first), index of ``employees`` if it is a Series; NaN where ``employees`` is missing.
        :func:`sample_profile` uses the category order.

    Raises
    ------
    ValueError
        If an employee count is negative.

    References
    ----------
    National Bureau of Statistics of China (2003). Tongji shang da zhong xiao xing qiye huafen
    banfa (zanxing) [Interim measures for the statistical classification of large, medium and
    small enterprises], Guotongzi [2003] No. 17.

    Examples
    --------
    >>> import pandas as pd
    >>> size_band(pd.Series([12, 299, 300, 1999, 2000, None])).tolist()
    ['small (<300)', 'small (<300)', 'medium (300-1999)', 'medium (300-1999)', 'large (2000+)', nan]
    """
    emp = pd.to_numeric(pd.Series(employees), errors="raise").astype(float)
    if (emp < 0).any():
        raise ValueError("size_band: employee counts must be >= 0")
    bands = pd.cut(
        emp,
        bins=[0.0, float(SIZE_BREAKS[0]), float(SIZE_BREAKS[1]), np.inf],
        right=False,
        labels=list(SIZE_BANDS),
    )
    return bands.rename("size_band")


# ------------------------------------------------------------------------------ sample profile
def _declared_order(
    var: str,
    col: pd.Series,
    order: Mapping[str, Sequence] | None,
    codebook: Codebook | None,
) -> list[str] | None:
    """The declared category order of ``var``: ``order``, else categorical dtype, else enum."""
    if order is not None and var in order:
        return [str(c) for c in order[var]]
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    if codebook is not None:
        info = codebook.fields.loc[codebook.fields["name"] == var, "enum"]
        if not info.empty and info.iloc[0] is not None:
            return [str(c) for c in info.iloc[0]]
    return None


def _category_labels(values: pd.Series) -> pd.Series:
    """Category labels as text; whole numbers read as floats (a column with a missing cell,
    e.g. grade 7.0) are labelled as the integers the codebook declares (7).

    >>> _category_labels(pd.Series([7.0, 8.0])).tolist()
    ['7', '8']
    >>> _category_labels(pd.Series([1.5, 2.0])).tolist()
    ['1.5', '2.0']
    """
    if pd.api.types.is_float_dtype(values) and (values % 1 == 0).all():
        values = values.astype("int64")
    return values.astype(str)


def _by_descending_n(counts: pd.Series) -> list[str]:
    """Categories by descending count, ties broken by the category label (deterministic)."""
    return sorted(counts.index, key=lambda c: (-int(counts[c]), c))


def sample_profile(
    clean: pd.DataFrame,
    variables: Sequence[str],
    weight: str | None = "design_weight",
    *,
    order: Mapping[str, Sequence] | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Sample-profile table: count, percentage and design-weighted percentage per category.

    For each variable v and category c, over the m_v rows where v is not missing (rows with a
    missing v are left out of that variable's shares; a last row, category "" labelled
    "not answered", counts them, with NaN percentages)::

        n_c              = #{i : v_i = c}
        percent_c        = 100 * n_c / m_v
        weighted_percent = 100 * sum_{i: v_i = c} w_i / sum_{i: v_i not missing} w_i

    The weighted share is the ratio (Hajek) estimator of the population share with the design
    weights w_i = 1 / pi_i (Kish 1965, ch. 11; Kish 1992). With the PPS-by-revenue design of
    the survey, large firms have small weights, so the weighted shares estimate the make-up of
    the *population of firms* and the unweighted ones describe the *sample*.

    Category order: ``order[v]`` if given, else the categories of a pandas categorical column
    (e.g. :func:`size_band`), else the codebook's ``enum`` for v, else descending n (ties by
    label). Declared categories that do not occur get a row with n = 0; observed categories
    that are not declared follow the declared ones in descending-n order.

    Parameters
    ----------
    clean : pandas.DataFrame
        The cleaned survey (``surveysem.cleaning.clean_survey``), plus any derived column such
        as ``size_band``.
    variables : sequence of str
        The categorical columns to profile, in table order.
    weight : str or None
        Column of design weights (finite, >= 0, no missing values). None gives a NaN
        ``weighted_percent`` column.
    order : dict, optional
        Variable -> list of categories in table order.
    codebook : surveysem.codebook.Codebook, optional
        Source of ``enum`` orders and of value labels (``categories``).

    Returns
    -------
    pandas.DataFrame
        Columns ``variable, category, label, n, percent, weighted_percent``; one row per
        category, variables in the order given. ``category`` is the code as text, ``label``
        its value label from the codebook (the code itself when there is none). ``percent``
        and ``weighted_percent`` of the categories each sum to 100 within a variable; the
        "not answered" row has none (NaN). Unrounded.

    References
    ----------
    Kish, L. (1965). Survey Sampling. New York: Wiley.
    Kish, L. (1992). Weighting for unequal Pi. Journal of Official Statistics, 8(2), 183-200.

    Examples
    --------
    Five firms; the two private firms carry weights 1 and 3, the state-owned ones 2 and 4, and
    the fifth did not say:

    >>> import pandas as pd
    >>> firms = pd.DataFrame({
    ...     "ownership": ["private", "state-owned", "private", "state-owned", None],
    ...     "w": [1.0, 2.0, 3.0, 4.0, 5.0],
    ... })
    >>> sample_profile(firms, ["ownership"], weight="w",
    ...                order={"ownership": ["state-owned", "private", "collective"]})
        variable     category         label  n  percent  weighted_percent
    0  ownership  state-owned   state-owned  2     50.0              60.0
    1  ownership      private       private  2     50.0              40.0
    2  ownership   collective    collective  0      0.0               0.0
    3  ownership               not answered  1      NaN               NaN
    """
    missing = [v for v in variables if v not in clean.columns]
    if missing:
        raise KeyError(f"sample_profile: no column(s) {missing} in the data")
    if weight is not None:
        if weight not in clean.columns:
            raise KeyError(f"sample_profile: no weight column {weight!r} in the data")
        w_all = pd.to_numeric(clean[weight], errors="raise").astype(float).to_numpy()
        if not np.isfinite(w_all).all() or (w_all < 0).any():
            raise ValueError(f"sample_profile: weights {weight!r} must be finite and >= 0")
    frames = []
    for var in variables:
        col = clean[var]
        valid = col.notna().to_numpy()
        if not valid.any():
            raise ValueError(f"sample_profile: {var!r} has no non-missing values")
        labels = pd.Series(_category_labels(col[valid]).to_numpy(), dtype=object)
        counts = labels.value_counts(sort=False)
        declared = _declared_order(var, col, order, codebook)
        if declared is None:
            cats = _by_descending_n(counts)
        else:
            extra = counts[~counts.index.isin(declared)]
            cats = list(dict.fromkeys(declared)) + _by_descending_n(extra)
        n = counts.reindex(cats, fill_value=0).to_numpy(dtype=np.int64)
        percent = 100.0 * n / valid.sum()
        if weight is None:
            wpct = np.full(len(cats), np.nan)
        else:
            w = pd.Series(w_all[valid])
            total = w.sum()
            if total <= 0:
                raise ValueError(f"sample_profile: weights of {var!r} sum to zero")
            wsum = w.groupby(labels.to_numpy()).sum().reindex(cats, fill_value=0.0)
            wpct = 100.0 * wsum.to_numpy(dtype=float) / total
        names = codebook.value_labels(var) if codebook is not None else {}
        labels_out = [names.get(c, c) for c in cats]
        n_missing = int((~valid).sum())
        if n_missing:  # stated, but left out of the shares
            cats, labels_out = [*cats, ""], [*labels_out, MISSING_LABEL]
            n = np.append(n, n_missing)
            percent, wpct = np.append(percent, np.nan), np.append(wpct, np.nan)
        frames.append(
            pd.DataFrame(
                {
                    "variable": [var] * len(cats),
                    "category": cats,
                    "label": labels_out,
                    "n": n,
                    "percent": percent,
                    "weighted_percent": wpct,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                "variable": pd.Series(dtype=str),
                "category": pd.Series(dtype=str),
                "label": pd.Series(dtype=str),
                "n": pd.Series(dtype=np.int64),
                "percent": pd.Series(dtype=float),
                "weighted_percent": pd.Series(dtype=float),
            }
        )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------ construct scores
def construct_scores(
    data: pd.DataFrame, constructs: Mapping[str, Sequence[str]], min_share: float = 0.5
) -> pd.DataFrame:
    """Mean item score per construct, over the answered items, if enough items are answered.

    For construct j with k_j items and respondent i with a_ij answered items::

        score_ij = mean of the answered items     if a_ij >= max(1, ceil(min_share * k_j))
                 = NaN                             otherwise

    With the default ``min_share = 0.5`` at least half of the items must be answered (3 of 5,
    2 of 4, 2 of 3) - the usual "half rule" for prorated scale scores. Items are expected to be
    keyed in the construct's direction already (``clean_survey`` recodes reverse-keyed items).

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses.
    constructs : dict
        Construct -> its item columns (e.g. ``Codebook.constructs()``).
    min_share : float
        Minimum share of a construct's items that must be answered, in [0, 1].

    Returns
    -------
    pandas.DataFrame
        One float column per construct (in the order of ``constructs``), index of ``data``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"a1": [1, 2, None], "a2": [3, None, None], "a3": [5, 6, 7]})
    >>> construct_scores(d, {"A": ["a1", "a2", "a3"]})
         A
    0  3.0
    1  4.0
    2  NaN
    """
    if not 0 <= min_share <= 1:
        raise ValueError("construct_scores: min_share must be in [0, 1]")
    out = {}
    for name, items in constructs.items():
        items = list(items)
        if not items:
            raise ValueError(f"construct_scores: construct {name!r} has no items")
        x = data[items].apply(pd.to_numeric, errors="raise").astype(float)
        need = max(1, math.ceil(min_share * len(items)))
        answered = x.notna().sum(axis=1)
        out[name] = x.mean(axis=1).where(answered >= need)
    return pd.DataFrame(out, index=data.index)


# ------------------------------------------------------------------------------ non-response
@contextmanager
def _unrounded() -> Iterator[None]:
    """Switch off pingouin's output rounding/formatting (``pingouin.options``) temporarily."""
    saved = dict(pg.options)
    for key in [k for k in pg.options if k.startswith("round.")]:
        del pg.options[key]
    pg.options["round"] = None
    try:
        yield
    finally:
        pg.options.clear()
        pg.options.update(saved)


def _stat(table: pd.DataFrame, *names: str) -> float:
    """First of ``names`` that is a column of a one-row pingouin result, as float."""
    for name in names:
        if name in table.columns:
            return float(table[name].iloc[0])
    raise KeyError(f"pingouin result has none of the columns {names}")


def nonresponse_bias(
    clean: pd.DataFrame,
    constructs: Mapping[str, Sequence[str]],
    wave: str = "wave",
    early: str = "early",
    late: str = "late",
    extra: Sequence[str] = ("employees", "revenue_mrmb"),
    *,
    min_share: float = 0.5,
    log_extra: bool = True,
) -> pd.DataFrame:
    """Armstrong & Overton (1977) test of non-response bias: early versus late respondents.

    Late respondents (here: after the reminder) are taken as proxies for non-respondents. For
    each construct score (:func:`construct_scores`, at least ``min_share`` of the items
    answered) and each ``extra`` firm variable, the early group (x, n_x) is compared with the
    late group (y, n_y), unweighted, rows with a missing value left out:

    * Welch t-test (``pingouin.ttest(x, y, correction=True)``)::

          t   = (mean_x - mean_y) / sqrt(s_x^2 / n_x + s_y^2 / n_y)
          dof = (s_x^2/n_x + s_y^2/n_y)^2 / ((s_x^2/n_x)^2/(n_x-1) + (s_y^2/n_y)^2/(n_y-1))

    * Cohen's d with the pooled SD and Hedges' g (``pingouin.compute_effsize``)::

          d = (mean_x - mean_y) / sqrt(((n_x-1) s_x^2 + (n_y-1) s_y^2) / (n_x + n_y - 2))
          g = d * (1 - 3 / (4 (n_x + n_y) - 9))

    * ``bf10``: JZS Bayes factor (``pingouin.bayesfactor_ttest``, unrounded; Rouder et al.
      2009, eq. 1, Cauchy prior r = 0.707, n = n_x n_y / (n_x + n_y), df = n_x + n_y - 2)
      evaluated at the Welch t, as ``pingouin.ttest`` does - an approximation when the
      variances differ; BF10 < 1/3 is moderate evidence *for* equal means.
    * ``pvalue_mwu``: two-sided Mann-Whitney U p-value (``scipy.stats.mannwhitneyu``, as
      ``pingouin.mwu`` computes it: the exact test for small samples without ties, else the
      normal approximation with tie and continuity corrections), a robustness check that
      does not assume interval scores. Called directly because ``pingouin.mwu`` also computes
      an effect size from all n_early x n_late pairwise differences, which at 100,000
      respondents needs some 30 GB.

    Signs are early minus late. Firm size variables are compared on the natural log scale
    (``log_extra=True``, rows labelled ``log(employees)``, ...): employee counts and revenue are
    strongly right-skewed (lognormal-like), so raw means are dominated by a few very large firms
    and the t-test assumes roughly symmetric data; the log also makes the difference a ratio.

    Interpretation: a non-significant difference (with a small d) means that late respondents
    look like early ones, so - *if* late respondents resemble non-respondents (Armstrong &
    Overton's "continuum of resistance") - non-response is unlikely to bias the estimates. The
    weakness is that assumption: late respondents did respond, and non-respondents may differ
    in ways that response timing does not capture; moreover, a non-significant test is not
    evidence of no difference (look at d, g and bf10), and several tests are run at once.

    Parameters
    ----------
    clean : pandas.DataFrame
        Cleaned survey with the item columns, ``wave`` and the ``extra`` columns.
    constructs : dict
        Construct -> its item columns (e.g. ``Codebook.constructs()``).
    wave : str
        Column holding the response wave; rows that are neither ``early`` nor ``late`` (or
        missing) are not used.
    early, late : str
        The two values of ``wave`` to compare.
    extra : sequence of str
        Further numeric variables to compare (default: firm size).
    min_share : float
        Minimum share of answered items for a construct score (default 0.5).
    log_extra : bool
        Compare ``log`` of the extra variables (they must be > 0).

    Returns
    -------
    pandas.DataFrame
        One row per construct then per extra variable, columns ``variable, n_early,
        mean_early, sd_early, n_late, mean_late, sd_late, t, dof, pvalue, cohen_d, hedges_g,
        bf10, pvalue_mwu`` (SDs with the n - 1 divisor; unrounded).

    References
    ----------
    Armstrong, J. S., & Overton, T. S. (1977). Estimating nonresponse bias in mail surveys.
    Journal of Marketing Research, 14(3), 396-402.
    Welch, B. L. (1947). The generalization of "Student's" problem when several different
    population variances are involved. Biometrika, 34(1-2), 28-35.
    Hedges, L. V., & Olkin, I. (1985). Statistical Methods for Meta-Analysis. Academic Press.
    Rouder, J. N., Speckman, P. L., Sun, D., Morey, R. D., & Iverson, G. (2009). Bayesian t
    tests for accepting and rejecting the null hypothesis. Psychonomic Bulletin & Review,
    16(2), 225-237.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({
    ...     "wave": ["early"] * 5 + ["late"] * 4,
    ...     "a1": [5, 6, 4, 7, 5, 4, 5, 3, 4],
    ...     "a2": [6, 6, 5, 7, None, 4, 4, 3, 5],
    ...     "employees": [100, 250, 40, 3000, 800, 120, 60, 900, 300],
    ... })
    >>> res = nonresponse_bias(d, {"A": ["a1", "a2"]}, extra=["employees"])
    >>> res[["variable", "n_early", "mean_early", "n_late", "mean_late", "t", "dof"]].round(3)
             variable  n_early  mean_early  n_late  mean_late      t    dof
    0               A        5       5.600       4      4.000  2.874  6.982
    1  log(employees)        5       5.701       4      5.347  0.369  6.913
    """
    for col in [wave, *extra]:
        if col not in clean.columns:
            raise KeyError(f"nonresponse_bias: no column {col!r} in the data")
    is_early = (clean[wave] == early).fillna(False).to_numpy(dtype=bool)
    is_late = (clean[wave] == late).fillna(False).to_numpy(dtype=bool)

    variables: dict[str, pd.Series] = dict(construct_scores(clean, constructs, min_share).items())
    for name in extra:
        x = pd.to_numeric(clean[name], errors="raise").astype(float)
        if log_extra:
            if (x <= 0).any():
                raise ValueError(f"nonresponse_bias: {name!r} must be > 0 to take logs")
            variables[f"log({name})"] = np.log(x)
        else:
            variables[name] = x

    rows = []
    for label, values in variables.items():
        v = values.to_numpy(dtype=float)
        x = v[is_early & ~np.isnan(v)]
        y = v[is_late & ~np.isnan(v)]
        if len(x) < 2 or len(y) < 2:
            raise ValueError(
                f"nonresponse_bias: {label!r} needs at least 2 {early!r} and 2 {late!r} values "
                f"(has {len(x)} and {len(y)})"
            )
        with _unrounded():
            tt = pg.ttest(x, y, paired=False, correction=True)
        tval = _stat(tt, "T")
        rows.append(
            {
                "variable": label,
                "n_early": len(x),
                "mean_early": float(x.mean()),
                "sd_early": float(x.std(ddof=1)),
                "n_late": len(y),
                "mean_late": float(y.mean()),
                "sd_late": float(y.std(ddof=1)),
                "t": tval,
                "dof": _stat(tt, "dof"),
                "pvalue": _stat(tt, "p_val", "p-val"),
                "cohen_d": float(pg.compute_effsize(x, y, paired=False, eftype="cohen")),
                "hedges_g": float(pg.compute_effsize(x, y, paired=False, eftype="hedges")),
                "bf10": float(pg.bayesfactor_ttest(tval, len(x), len(y), paired=False)),
                "pvalue_mwu": float(stats.mannwhitneyu(x, y, alternative="two-sided").pvalue),
            }
        )
    out = pd.DataFrame(rows, columns=list(NONRESPONSE_COLUMNS))
    return out.astype({"n_early": np.int64, "n_late": np.int64})
