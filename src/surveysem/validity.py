"""Construct validity and common-method checks; nested-model comparison; threshold verdicts.

* :func:`fornell_larcker` / :func:`fornell_larcker_verdicts` - discriminant validity by the
  Fornell & Larcker (1981) criterion, sqrt(AVE_i) > |corr(F_i, F_j)|;
* :func:`harman_single_factor` - Harman's single-factor test for common method variance, in
  both variants in use (first unrotated principal component; one-factor CFA), with the 50 %
  flag of Podsakoff et al. (2003);
* :func:`compare_fits` - fit measures of several models side by side with the chi-square
  difference test against the first (most restricted) model;
* :func:`check_thresholds` - generic pass/fail table for a machine-readable summary.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .errors import InputError
from .sem import fit, implied_latent_correlations
from .sem.measures.difference import DIFFERENCE_KEYS, chisq_difference

#: Podsakoff, MacKenzie, Lee & Podsakoff (2003): a single factor explaining more than half of
#: the variance signals a common-method problem.
HARMAN_THRESHOLD = 0.50
FIT_COLUMNS = ["npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"]
COMPARE_COLUMNS = ["model", *FIT_COLUMNS, *DIFFERENCE_KEYS]
VERDICT_COLUMNS = ["pair", "correlation", "sqrt_ave_min", "holds", "applicable", "note"]
CHECK_COLUMNS = ["check", "statistic", "value", "threshold", "direction", "pass", "reference"]


def fornell_larcker(estimates: pd.DataFrame, reliability: pd.DataFrame) -> pd.DataFrame:
    """Fornell-Larcker matrix: sqrt(AVE) on the diagonal, latent correlations off it.

    For factors i != j of a fitted CFA::

        table[i, i] = sqrt(AVE_i),  AVE_i = sum_I lambda^2 phi_i / sum_I s_ii
        table[i, j] = corr(F_i, F_j)   (model-implied, lavaan ``lavInspect(fit, "cor.lv")``)

    AVE is the ``ave`` column of :func:`surveysem.reliability.reliability_table` (semTools
    ``AVE``; NaN for factors with a cross-loading item or fewer than two items) and the
    correlations come from :func:`surveysem.sem.implied_latent_correlations` of the same
    fit's estimates. Discriminant validity holds for a pair when both square roots exceed the
    absolute correlation (:func:`fornell_larcker_verdicts`).

    Parameters
    ----------
    estimates : pandas.DataFrame
        Estimates table of the fitted measurement model (factors with ``=~``).
    reliability : pandas.DataFrame
        Its reliability table (columns ``construct`` and ``ave``).

    Returns
    -------
    pandas.DataFrame
        Square symmetric matrix, construct x construct, in the order of the model's factors.

    References
    ----------
    Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation models with
    unobservable variables and measurement error. Journal of Marketing Research, 18(1), 39-50.

    Examples
    --------
    >>> from surveysem.reliability import reliability_table
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> cfa = fit(TWO_FACTOR_MODEL, data)
    >>> reliability = reliability_table(cfa.estimates, cfa.sample_cov, data)
    >>> fornell_larcker(cfa.estimates, reliability).round(3)
           A      B
    A  0.761  0.551
    B  0.551  0.747
    """
    table = implied_latent_correlations(estimates)
    ave = reliability["ave"].set_axis(reliability["construct"])
    for f in table.index:
        table.loc[f, f] = np.sqrt(ave[f]) if ave[f] >= 0 else np.nan
    return table


def fornell_larcker_verdicts(
    table: pd.DataFrame, notes: Mapping[str, str] | None = None
) -> pd.DataFrame:
    """One row per pair of constructs: does the Fornell-Larcker criterion hold?

    ``holds`` is ``min(sqrt(AVE_i), sqrt(AVE_j)) > |corr(F_i, F_j)|`` (strict, as Fornell &
    Larcker 1981); a NaN AVE or correlation gives ``holds = False`` (not established). When
    the AVE of a construct is undefined for a stated reason (``notes``, e.g. the ``note``
    column of :func:`surveysem.reliability.reliability_table` for a single-item construct),
    the criterion does not apply to its pairs: ``applicable`` is False and ``note`` says why.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`fornell_larcker`.
    notes : mapping, optional
        Construct -> why its AVE is not applicable ("" or missing: it is).

    Returns
    -------
    pandas.DataFrame
        Columns ``pair`` (``"A-B"``, upper-triangle order), ``correlation``, ``sqrt_ave_min``,
        ``holds``, ``applicable``, ``note``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame([[0.8, 0.6], [0.6, 0.7]], index=["A", "B"], columns=["A", "B"])
    >>> fornell_larcker_verdicts(table)[["pair", "correlation", "sqrt_ave_min", "holds"]]
      pair  correlation  sqrt_ave_min  holds
    0  A-B          0.6           0.7   True
    """
    notes = {k: v for k, v in ({} if notes is None else dict(notes)).items() if v}
    names = list(table.index)
    rows = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            r = float(table.loc[a, b])
            smin = float(np.min([table.loc[a, a], table.loc[b, b]]))  # NaN if either is
            holds = bool(smin > abs(r)) if not (math.isnan(r) or math.isnan(smin)) else False
            note = (notes.get(a) or notes.get(b) or "") if math.isnan(smin) else ""
            rows.append(
                {
                    "pair": f"{a}-{b}",
                    "correlation": r,
                    "sqrt_ave_min": smin,
                    "holds": holds,
                    "applicable": not note,
                    "note": note,
                }
            )
    return pd.DataFrame(rows, columns=VERDICT_COLUMNS)


def harman_single_factor(
    data: pd.DataFrame, items: list[str], factor_name: str = "common", **estimation
) -> dict:
    """Harman's single-factor test for common method variance, both variants.

    Rows with any item missing are dropped (listwise) for the principal components; the
    one-factor CFA is fitted with ``estimation`` (keywords of :func:`surveysem.sem.fit`, as
    the measurement model; default ML, listwise). p = number of items.

    (a) ``"pca"``: share of the total variance taken by the first *unrotated principal
        component* of the item correlation matrix R, ``lambda_1(R) / p`` - the classic test
        as usually run in SPSS (Factor, extraction = principal components, no rotation,
        "% of Variance" of component 1).
    (b) ``"cfa"``: a one-factor CFA (``common =~ all items``, :func:`surveysem.sem.fit`)
        and the mean squared standardized loading ``sum(lambda_std^2) / p``, i.e. the share of
        item variance the single factor explains (DMAR ``common_method_single_factor``); its
        fit measures show how badly one factor fits (compare with the measurement model via
        :func:`compare_fits`).

    Each variant is flagged when its share exceeds 50 % (Podsakoff et al. 2003). Passing the
    test (no flag) does not rule out common method bias; Podsakoff et al. call it insensitive.

    Parameters
    ----------
    data : pandas.DataFrame
        Item data.
    items : list of str
        All substantive items (at least three).
    factor_name : str
        Name of the single factor in the CFA syntax (must not be an item name).

    Returns
    -------
    dict
        ``n``, ``n_items``, ``threshold`` (0.50), ``reference``, and two labelled sub-dicts:
        ``pca`` (``variant``, ``eigenvalue``, ``variance_share``, ``exceeds_threshold``) and
        ``cfa`` (``variant``, ``syntax``, ``converged``, ``mean_sq_std_loading``,
        ``exceeds_threshold``, ``fit``: its lavaan fit measures).

    References
    ----------
    Podsakoff, P. M., MacKenzie, S. B., Lee, J.-Y., & Podsakoff, N. P. (2003). Common method
    biases in behavioral research. Journal of Applied Psychology, 88(5), 879-903.
    Harman, H. H. (1976). Modern Factor Analysis (3rd ed.). University of Chicago Press.

    Examples
    --------
    >>> from surveysem.sem.examples import two_factor_data
    >>> items = ["a1", "a2", "a3", "b1", "b2", "b3"]
    >>> res = harman_single_factor(two_factor_data(), items)
    >>> round(res["pca"]["variance_share"], 3), res["pca"]["exceeds_threshold"]
    (0.498, False)
    >>> round(res["cfa"]["mean_sq_std_loading"], 3), res["cfa"]["fit"]["df"]
    (0.398, 9.0)
    """
    items = list(dict.fromkeys(items))
    if len(items) < 3:
        raise InputError("Harman's single-factor test needs at least three items")
    if factor_name in items:
        raise InputError(f"factor_name {factor_name!r} is also an item name; choose another")
    absent = [c for c in items if c not in data.columns]
    if absent:
        raise InputError(f"item columns {absent} are not in the data")
    x = data[items].dropna()
    p = len(items)
    cfa = fit(f"{factor_name} =~ " + " + ".join(items), data[items], **estimation)

    eigenvalues = np.linalg.eigvalsh(x.corr().to_numpy())
    first = float(eigenvalues[-1])
    pca_share = first / p

    pe = cfa.estimates
    std = pe.loc[(pe["op"] == "=~") & (pe["lhs"] == factor_name), "std.all"].to_numpy()
    cfa_share = float(np.mean(std**2))
    fm = cfa.measures
    return {
        "n": int(len(x)),
        "n_items": p,
        "threshold": HARMAN_THRESHOLD,
        "reference": "Podsakoff et al. (2003), J Appl Psychol 88(5): single factor > 50%",
        "pca": {
            "variant": "first unrotated principal component of the item correlation matrix "
            "(classic Harman test, SPSS PCA): eigenvalue_1 / p",
            "eigenvalue": first,
            "variance_share": pca_share,
            "exceeds_threshold": bool(pca_share > HARMAN_THRESHOLD),
        },
        "cfa": {
            "variant": f"one-factor {cfa.estimation.estimator} CFA: mean squared standardized "
            "loading",
            "syntax": cfa.syntax,
            "n": cfa.n,
            "converged": cfa.converged,
            "mean_sq_std_loading": cfa_share,
            "exceeds_threshold": bool(cfa_share > HARMAN_THRESHOLD),
            "fit": fm,
        },
    }


def compare_fits(fits: dict[str, dict], estimator: str = "ML") -> pd.DataFrame:
    """Fit measures of several models, with chi-square difference tests against the first.

    ``fits`` maps a model name to its fit measures (lavaan names; missing measures become
    NaN), all fitted to the same data with ``estimator``. The first model is the reference
    and must be the most restricted one (largest df), e.g. the one-factor model of Harman's
    test. Every other model m is tested against it with
    :func:`surveysem.sem.measures.difference.chisq_difference` (lavaan ``anova()``: the standard
    likelihood-ratio test, the Satorra-Bentler 2001 scaled test for MLR, none for WLSMV).
    The test is valid only when the first model is nested in m; when the restriction puts a
    parameter on the boundary (e.g. factor correlations fixed to 1 in the one-factor model)
    the reference chi-square distribution is approximate and the test conservative (Stoel et
    al. 2006). The first row has NaN delta columns.

    Parameters
    ----------
    fits : dict
        Model name -> dict with at least ``chisq`` and ``df`` (and ideally ``npar, cfi, tli,
        rmsea, srmr, aic, bic``; ``chisq.scaling.factor`` for MLR).
    estimator : str
        The estimator of all the fits.

    Returns
    -------
    pandas.DataFrame
        Columns ``model, npar, chisq, df, cfi, tli, rmsea, srmr, aic, bic, delta_chisq,
        delta_df, delta_pvalue, delta_method, delta_note``, one row per model in the given
        order.

    References
    ----------
    Bollen, K. A. (1989). Structural Equations with Latent Variables, pp. 289-296.
    Stoel, R. D., Garre, F. G., Dolan, C., & van den Wittenboer, G. (2006). On the likelihood
    ratio test in structural equation modeling when parameters are subject to boundary
    constraints. Psychological Methods, 11(4), 439-455.

    Examples
    --------
    >>> fits = {"one-factor": {"chisq": 40.0, "df": 9}, "two-factor": {"chisq": 8.0, "df": 8}}
    >>> compare_fits(fits)[["model", "chisq", "df", "delta_chisq", "delta_df"]]
            model  chisq  df  delta_chisq  delta_df
    0  one-factor   40.0   9          NaN       NaN
    1  two-factor    8.0   8         32.0       1.0
    """
    if not fits:
        raise ValueError("compare_fits needs at least one model")
    for name, fm in fits.items():
        if "chisq" not in fm or "df" not in fm:
            raise ValueError(f"fit measures of model {name!r} need 'chisq' and 'df'")
    (first, reference), *others = fits.items()
    late = [name for name, fm in others if fm["df"] >= reference["df"]]
    if late:
        raise ValueError(
            f"models {late} do not have fewer df than the first model {first!r}; "
            "put the most restricted (largest-df) model first"
        )
    none = dict.fromkeys(DIFFERENCE_KEYS[:3], np.nan) | {"delta_method": "", "delta_note": ""}
    rows = [
        {"model": name, **{c: float(fm.get(c, np.nan)) for c in FIT_COLUMNS}}
        | (none if name == first else chisq_difference(reference, fm, estimator))
        for name, fm in fits.items()
    ]
    table = pd.DataFrame(rows, columns=COMPARE_COLUMNS)
    table["df"] = table["df"].astype(int)
    return table


def check_thresholds(values: dict, thresholds: dict) -> pd.DataFrame:
    """Compare statistics with rule-of-thumb thresholds: one pass/fail row per check.

    Each threshold is ``{check_name: {"value": 0.70, "direction": "min" | "max",
    "reference": "...", "statistic": "..."}}``. ``statistic`` (optional, default the check
    name) is the key of ``values`` to test, so one statistic can have several checks.
    ``direction = "min"`` passes when ``value >= threshold``, ``"max"`` when
    ``value <= threshold``; a NaN value fails.

    Parameters
    ----------
    values : dict
        Statistic name -> value.
    thresholds : dict
        Check name -> threshold spec (see above).

    Returns
    -------
    pandas.DataFrame
        Columns ``check, statistic, value, threshold, direction, pass, reference``.

    Examples
    --------
    >>> checks = {
    ...     "cfi": {"value": 0.90, "direction": "min", "reference": "Hu & Bentler (1999)"},
    ...     "rmsea <= .08": {"statistic": "rmsea", "value": 0.08, "direction": "max"},
    ... }
    >>> check_thresholds({"cfi": 0.95, "rmsea": 0.09}, checks)[["check", "value", "pass"]]
              check  value   pass
    0           cfi   0.95   True
    1  rmsea <= .08   0.09  False
    """
    rows = []
    for check, spec in thresholds.items():
        statistic = spec.get("statistic", check)
        if statistic not in values:
            raise KeyError(f"check {check!r}: no value for statistic {statistic!r}")
        direction = spec.get("direction")
        if direction not in ("min", "max"):
            raise ValueError(
                f"check {check!r}: direction must be 'min' or 'max', not {direction!r}"
            )
        value = float(values[statistic])
        limit = float(spec["value"])
        ok = value >= limit if direction == "min" else value <= limit
        rows.append(
            {
                "check": check,
                "statistic": statistic,
                "value": value,
                "threshold": limit,
                "direction": direction,
                "pass": bool(ok) and not math.isnan(value),
                "reference": spec.get("reference", ""),
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS)
