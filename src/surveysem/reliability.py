"""Reliability and discriminant validity: Cronbach's alpha, omega, AVE and HTMT.

Each function reproduces a reference implementation:

* :func:`cronbach_alpha` - alpha with the Feldt (1965) confidence interval, as
  ``pingouin.cronbach_alpha`` but with an unrounded interval;
* :func:`reliability_table` - per factor: alpha, composite reliability omega (semTools
  ``compRelSEM``, default ``obs.var = TRUE``) and average variance extracted (semTools ``AVE``);
* :func:`htmt` - heterotrait-monotrait ratio (semTools ``htmt``; Henseler, Ringle & Sarstedt
  2015; HTMT2 of Roemer, Schuberth & Henseler 2021); :func:`htmt_table` both variants by pair.

A construct measured by a single item (e.g. ``SIZE =~ size``) has no internal consistency and
no within-construct correlations: its alpha, omega, AVE and HTMT are NaN with a ``note`` that
they are not applicable (:func:`single_item_note`), which the measurement checks do not count
as failures.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .sem.results.estimates import table_moments

RELIABILITY_COLUMNS = [
    "construct", "n_items", "alpha", "alpha.ci.lower", "alpha.ci.upper", "omega", "ave", "note",
]  # fmt: skip


def cronbach_alpha(items: pd.DataFrame, level: float = 0.95) -> dict:
    """Cronbach's alpha of a set of items, with the Feldt confidence interval.

    Rows with any missing item are dropped (listwise). With C the item covariance matrix
    (n - 1 divisor; the divisor cancels), k items and n rows::

        alpha    = k / (k - 1) * (1 - tr(C) / sum(C))
        ci.lower = 1 - (1 - alpha) * F^-1(1 - a/2; n - 1, (n - 1)(k - 1))
        ci.upper = 1 - (1 - alpha) * F^-1(a/2;     n - 1, (n - 1)(k - 1)),   a = 1 - level.

    pingouin 0.7.0 computes the same interval but rounds it to 3 decimals, so it is computed
    here from the formula.

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item, one row per respondent.
    level : float
        Confidence level of the interval.

    Returns
    -------
    dict
        ``alpha``, ``ci.lower``, ``ci.upper``, ``n`` (rows used) and ``k`` (items).

    References
    ----------
    Cronbach, L. J. (1951). Psychometrika, 16(3), 297-334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson reliability
    coefficient twenty. Psychometrika, 30(3), 357-370.

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> res = cronbach_alpha(two_factor_data()[["a1", "a2", "a3"]])
    >>> {k: round(v, 3) for k, v in res.items()}
    {'alpha': 0.793, 'ci.lower': 0.749, 'ci.upper': 0.83, 'n': 300, 'k': 3}
    """
    x = items.dropna()
    n, k = x.shape
    if k < 2:
        raise ValueError("Cronbach's alpha needs at least two items")
    if n < 2:
        raise ValueError("Cronbach's alpha needs at least two complete rows")
    cov = np.cov(x.to_numpy(dtype=float), rowvar=False)
    alpha = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
    dfn, dfd = n - 1, (n - 1) * (k - 1)
    a = 1 - level
    return {
        "alpha": float(alpha),
        "ci.lower": float(1 - (1 - alpha) * stats.f.ppf(1 - a / 2, dfn, dfd)),
        "ci.upper": float(1 - (1 - alpha) * stats.f.ppf(a / 2, dfn, dfd)),
        "n": int(n),
        "k": int(k),
    }


def single_item_note(construct: str, statistics: str) -> str:
    """Why ``statistics`` are not applicable to a construct measured by one item.

    >>> single_item_note("SIZE", "HTMT")
    'not applicable to SIZE, a single-item construct (HTMT needs two or more items per construct)'
    """
    return (
        f"not applicable to {construct}, a single-item construct ({statistics} needs two or more "
        "items per construct)"
    )


def _loadings(estimates: pd.DataFrame, observed) -> pd.DataFrame:
    """Unstandardized loadings of observed indicators: rows = items, columns = factors."""
    load = estimates[(estimates["op"] == "=~") & estimates["rhs"].isin(list(observed))]
    factors = list(dict.fromkeys(estimates.loc[estimates["op"] == "=~", "lhs"]))
    wide = load.pivot_table(index="rhs", columns="lhs", values="est", aggfunc="first", sort=False)
    return wide.reindex(columns=factors).fillna(0.0)


def reliability_table(
    estimates: pd.DataFrame, sample_cov: pd.DataFrame, data: pd.DataFrame
) -> pd.DataFrame:
    """Alpha, omega and AVE for every factor of a fitted CFA/SEM.

    For factor f with observed indicators I_f (nonzero loadings), loadings lambda, model-implied
    factor variance phi_f (``lavInspect(fit, "cov.lv")``) and the fit's unrestricted
    covariance matrix S of the items::

        omega_f = (sum_I lambda_i)^2 phi_f / (1' S_II 1)        (semTools compRelSEM)
        AVE_f   = sum_I lambda_i^2 phi_f / sum_I s_ii           (semTools AVE)

    S is the N-divisor sample covariance matrix for complete-data fits (semTools' default
    ``obs.var = TRUE``), its EM estimate under FIML, and the polychoric correlation matrix for
    ordered items (omega and AVE of the latent responses; semTools ``ord.scale = FALSE``).
    Alpha is :func:`cronbach_alpha` of the raw items in ``data`` (listwise). As in semTools,
    factors with fewer than two observed indicators get NaN omega and AVE, and AVE is NaN for a
    factor with a cross-loading indicator; ``note`` then says why they are not applicable
    (a single-item construct has no internal consistency to estimate, which is no failure).
    With standardized loadings AVE is the mean squared standardized loading (Fornell &
    Larcker 1981).

    Parameters
    ----------
    estimates : pandas.DataFrame
        Estimates table of a fitted single-group model (:attr:`surveysem.sem.ModelFit.estimates`).
    sample_cov : pandas.DataFrame
        Its unrestricted covariance matrix of the observed variables
        (:attr:`surveysem.sem.ModelFit.sample_cov`).
    data : pandas.DataFrame
        Item data (for alpha).

    Returns
    -------
    pandas.DataFrame
        Columns ``construct, n_items, alpha, alpha.ci.lower, alpha.ci.upper, omega, ave,
        note`` (``note``: empty, or why the NaN values are not applicable).

    References
    ----------
    Jorgensen et al. semTools (``compRelSEM``, ``AVE``); Bentler (2009) Psychometrika 74(1);
    Fornell, C. & Larcker, D. F. (1981). Journal of Marketing Research, 18(1), 39-50.

    Examples
    --------
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> result = fit(TWO_FACTOR_MODEL, data)
    >>> table = reliability_table(result.estimates, result.sample_cov, data)
    >>> table.drop(columns="note").round(3)
      construct  n_items  alpha  alpha.ci.lower  alpha.ci.upper  omega    ave
    0         A        3  0.793           0.749           0.830  0.801  0.579
    1         B        3  0.769           0.719           0.811  0.783  0.558
    """
    s = sample_cov
    lam = _loadings(estimates, s.index)
    lvs = list(lam.columns)
    total, _, _ = table_moments(estimates)
    phi = total.loc[lvs, lvs]
    cross = (lam.round(5) != 0).sum(axis=1) > 1
    rows = []
    for f in lvs:
        items = list(lam.index[lam[f] != 0])
        row = {"construct": f, "n_items": len(items)}
        a = cronbach_alpha(data[items]) if len(items) >= 2 else {}
        row["alpha"] = a.get("alpha", np.nan)
        row["alpha.ci.lower"] = a.get("ci.lower", np.nan)
        row["alpha.ci.upper"] = a.get("ci.upper", np.nan)
        row["note"] = ""
        if len(items) >= 2:
            lf = lam.loc[items, f].to_numpy()
            row["omega"] = lf.sum() ** 2 * phi.loc[f, f] / s.loc[items, items].to_numpy().sum()
            ave = (lf**2).sum() * phi.loc[f, f] / np.diag(s.loc[items, items]).sum()
            row["ave"] = np.nan if cross[items].any() else ave
            if cross[items].any():
                row["note"] = f"not applicable: AVE of {f} is undefined with a cross-loading item"
        else:
            row["omega"] = row["ave"] = np.nan
            row["note"] = single_item_note(f, "each of alpha, omega and AVE")
        rows.append(row)
    return pd.DataFrame(rows, columns=RELIABILITY_COLUMNS)


def htmt(data: pd.DataFrame, constructs: dict[str, list[str]], htmt2: bool = True) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of correlations, as semTools ``htmt(absolute = TRUE)``.

    With R the Pearson correlations of the items (listwise complete rows), taken in absolute
    value, and M(.) the geometric mean (``htmt2=True``, semTools' default, HTMT2) or the
    arithmetic mean (``htmt2=False``, Henseler et al.'s HTMT)::

        HTMT_ij = M(|r_ab|: a in I_i, b in I_j) / sqrt(M_i M_j),
        M_i     = M(|r_ab|: a, b in I_i, a != b).

    Parameters
    ----------
    data : pandas.DataFrame
        Item data.
    constructs : dict
        Construct name -> list of its item columns (as the ``=~`` lines of a CFA).
    htmt2 : bool
        Geometric (True) or arithmetic (False) means.

    Returns
    -------
    pandas.DataFrame
        Square symmetric matrix (construct x construct) with ones on the diagonal, the layout
        of semTools' printed matrix. Single-item constructs give NaN.

    References
    ----------
    Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing
    discriminant validity in variance-based SEM. JAMS, 43(1), 115-135.
    Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 - an improved criterion for
    assessing discriminant validity in SEM. Industrial Management & Data Systems, 121(12).

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> htmt(two_factor_data(), {"A": ["a1", "a2", "a3"], "B": ["b1", "b2", "b3"]}).round(3)
           A      B
    A  1.000  0.531
    B  0.531  1.000
    """
    names = list(constructs)
    items = list(dict.fromkeys(i for its in constructs.values() for i in its))
    arr = data[items].dropna().corr().abs().to_numpy(copy=True)
    np.fill_diagonal(arr, np.nan)  # as semTools: diag(R) <- NA
    r = pd.DataFrame(arr, index=items, columns=items)

    def mean(block: pd.DataFrame) -> float:
        vals = block.to_numpy().ravel()
        vals = vals[~np.isnan(vals)]
        if vals.size == 0:
            return np.nan
        with np.errstate(divide="ignore"):
            return float(np.exp(np.mean(np.log(vals)))) if htmt2 else float(np.mean(vals))

    mono = {c: mean(r.loc[constructs[c], constructs[c]]) for c in names}
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        for b in names:
            hetero = mean(r.loc[constructs[a], constructs[b]])
            out.loc[a, b] = hetero / np.sqrt(mono[a] * mono[b])
    return out


def htmt_table(data: pd.DataFrame, constructs: dict[str, list[str]]) -> pd.DataFrame:
    """Both HTMT variants (:func:`htmt`) as one long table, one row per pair of constructs.

    HTMT compares the correlations between two constructs' items with those within each, so
    it needs two or more items per construct; a pair with a single-item construct gets NaN
    and a ``note`` saying it is not applicable.

    Returns
    -------
    pandas.DataFrame
        Columns ``construct_1, construct_2, htmt`` (arithmetic means, Henseler et al. 2015),
        ``htmt2`` (geometric means, Roemer et al. 2021), ``note``.

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> pairs = htmt_table(two_factor_data(), {"A": ["a1", "a2", "a3"], "B": ["b1"]})
    >>> pairs[["construct_1", "construct_2", "htmt", "htmt2"]]
      construct_1 construct_2  htmt  htmt2
    0           A           B   NaN    NaN
    >>> pairs.loc[0, "note"]
    'not applicable to B, a single-item construct (HTMT needs two or more items per construct)'
    """
    classic, geometric = htmt(data, constructs, htmt2=False), htmt(data, constructs)
    names = list(constructs)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            single = [c for c in (a, b) if len(constructs[c]) < 2]
            note = single_item_note(single[0], "HTMT") if single else ""
            rows.append(
                {
                    "construct_1": a,
                    "construct_2": b,
                    "htmt": classic.loc[a, b],
                    "htmt2": geometric.loc[a, b],
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=["construct_1", "construct_2", "htmt", "htmt2", "note"])
