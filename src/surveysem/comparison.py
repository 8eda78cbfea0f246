"""Compare fitted models: fit indices side by side and chi-square difference tests.

For nested models fitted to the same data with the same estimator, the chi-square difference
test of the restrictions of the more restricted model R against the more general model G is
:func:`surveysem.sem.measures.difference.chisq_difference` (lavaan ``anova()`` /
``lavTestLRT()``: the standard likelihood-ratio test for ML, GLS, ULS and FIML; the
Satorra-Bentler (2001) scaled difference for MLR; none for WLSMV). Nesting is decided by
:func:`is_nested` (a parameter-table heuristic) unless it is stated.

References
----------
Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley, ch. 7.
Steiger, J. H., Shapiro, A., & Browne, M. W. (1985). On the multivariate asymptotic
distribution of sequential chi-square statistics. Psychometrika, 50(3), 253-263.
Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
moment structure analysis. Psychometrika, 66(4), 507-514.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .sem.entry import ModelFit
from .sem.measures.difference import DIFFERENCE_KEYS, chisq_difference
from .sem.measures.indices import reported_fit

COLUMNS = [
    "model",
    "npar",
    "chisq",
    "df",
    "pvalue",
    "cfi",
    "tli",
    "rmsea",
    "srmr",
    "aic",
    "bic",
    "indices",
    "relation",
    *DIFFERENCE_KEYS,
]
#: Rows of an estimates table that are parameters (not ``:=`` definitions).
_PARAMETER_OPS = ("=~", "~", "~~", "~1", "|")


def _key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
    return (min(lhs, rhs), op, max(lhs, rhs)) if op == "~~" else (lhs, op, rhs)


def _states(fit: ModelFit) -> dict[tuple[str, str, str], tuple[str, object]]:
    """(lhs, op, rhs) -> ("fixed", value) or ("free", its label, or the row when unlabelled:
    rows that share a label are one parameter, as in lavaan)."""
    pe = fit.estimates  # read back from a CSV file, empty text (a mean's rhs) is NaN
    pe = pe[pe["op"].isin(_PARAMETER_OPS)].fillna({"rhs": "", "label": ""})
    # residual variances of ordered items are derived (1 - R^2 under delta), not parameters
    ordered = set(pe.loc[pe["op"] == "|", "lhs"])
    pe = pe[~((pe["op"] == "~~") & (pe["lhs"] == pe["rhs"]) & pe["lhs"].isin(ordered))]
    fixed = (pe["se"] == 0) & pe["z"].isna()
    out = {}
    for i, (lhs, op, rhs, label, est, is_fixed) in enumerate(
        zip(pe["lhs"], pe["op"], pe["rhs"], pe["label"], pe["est"], fixed, strict=True)
    ):
        out[_key(lhs, op, rhs)] = ("fixed", est) if is_fixed else ("free", label or f"#{i}")
    return out


def _same_data(a: ModelFit, b: ModelFit) -> bool:
    sa, sb = a.sample_cov, b.sample_cov
    if sa is None or sb is None or set(sa.index) != set(sb.index) or a.n != b.n:
        return False
    names = list(sa.index)
    return bool(np.allclose(sa.to_numpy(), sb.loc[names, names].to_numpy(), rtol=1e-8, atol=0))


def is_nested(restricted: ModelFit, general: ModelFit) -> bool:
    """Whether ``restricted`` is ``general`` with constraints added (a parameter-table check).

    True when both models are fitted to the same data (same observed variables, N and sample
    covariance matrix) and, comparing parameter-table rows by ``(lhs, op, rhs)``
    (covariances unordered; a row missing from a model counts as fixed at 0):

    * every parameter fixed in ``general`` is fixed at the same value in ``restricted``;
    * parameters that ``general`` constrains to be equal (shared label) are equal or fixed
      at one value in ``restricted``.

    So ``restricted`` may fix or equate parameters that ``general`` leaves free, and drop
    paths or covariances. This is sufficient, not necessary: models nested only after a
    reparametrization (e.g. a one-factor CFA in a three-factor CFA, which fixes the factor
    correlations at 1, or models with different factor names or marker items) are not
    recognized; state their nesting in :func:`compare_models` (``nested=``).

    Examples
    --------
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> base = fit(TWO_FACTOR_MODEL, data)
    >>> freer = fit(TWO_FACTOR_MODEL + "\\na1 ~~ b1", data)
    >>> is_nested(base, freer), is_nested(freer, base)
    (True, False)
    """
    if not _same_data(restricted, general):
        return False
    r_states, g_states = _states(restricted), _states(general)
    for key in set(r_states) | set(g_states):
        g = g_states.get(key, ("fixed", 0.0))
        r = r_states.get(key, ("fixed", 0.0))
        if g[0] == "fixed" and (r[0] != "fixed" or not np.isclose(r[1], g[1])):
            return False
    groups: dict[object, list[tuple[str, str, str]]] = {}
    for key, (kind, val) in g_states.items():
        if kind == "free":
            groups.setdefault(val, []).append(key)
    for keys in groups.values():
        if len(keys) > 1 and len({r_states.get(k, ("fixed", 0.0)) for k in keys}) > 1:
            return False
    return True


def compare_models(
    fits: Mapping[str, ModelFit], baseline: str, *, nested: Mapping[str, bool] | None = None
) -> pd.DataFrame:
    """Fit indices of several models and chi-square difference tests against a baseline.

    For every model the lavaan fit measures ``npar, chisq, df, pvalue, cfi, tli, rmsea, srmr,
    aic, bic`` in the version a report shows (:func:`~surveysem.sem.measures.indices.reported_fit`:
    the scaled chi-square and robust indices for MLR and WLSMV; ``indices`` says which) and
    NaN where the estimator has none (e.g. AIC under WLSMV). For every model nested
    in the baseline or containing it, the chi-square difference test of
    :func:`~surveysem.sem.measures.difference.chisq_difference` with the models' estimator: the
    model with more degrees of freedom is the restricted one (a negative ``delta_chisq``, kept as is
    with p = 1 as in lavaan, signals that the models are not nested or a fit is not at its
    optimum). Equal df, or an estimator without a difference test, gives NaN test columns and
    ``delta_note`` says why.

    Parameters
    ----------
    fits : mapping of str to ModelFit
        Named fits (:func:`surveysem.sem.fit`) of the same data with the same estimation
        options; rows keep this order.
    baseline : str
        Name of the reference model in ``fits``.
    nested : mapping of str to bool, optional
        Overrides :func:`is_nested` for the named models (True: nested with the baseline in
        the direction given by the df; False: not nested).

    Returns
    -------
    pandas.DataFrame
        Columns ``model, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic, indices,
        relation, delta_chisq, delta_df, delta_pvalue, delta_method, delta_note`` (the
        difference test uses the standard statistics and scaling factors, as lavaan, whatever
        ``chisq`` shows); ``relation`` is
        ``baseline``, ``restricted`` (nested in the baseline), ``general`` (contains the
        baseline) or ``not nested``.

    References
    ----------
    Bollen (1989), Structural Equations with Latent Variables, ch. 7; lavaan ``anova()``.

    Examples
    --------
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> fits = {"two": fit(TWO_FACTOR_MODEL, data),
    ...         "two+cov": fit(TWO_FACTOR_MODEL + "\\na1 ~~ b1", data)}
    >>> tab = compare_models(fits, baseline="two")
    >>> tab[["model", "df", "chisq", "relation", "delta_chisq", "delta_df"]].round(3)
         model   df  chisq  relation  delta_chisq  delta_df
    0      two  8.0  8.295  baseline          NaN       NaN
    1  two+cov  7.0  5.955   general        2.339       1.0
    """
    if baseline not in fits:
        raise ValueError(f"baseline '{baseline}' is not one of the models {list(fits)}")
    nested = dict(nested or {})
    unknown = [name for name in nested if name not in fits]
    if unknown:
        raise ValueError(f"nested names unknown models {unknown}")
    estimations = {fit.estimation for fit in fits.values()}
    if len(estimations) > 1:
        raise ValueError("compare_models needs fits with the same estimation options")
    estimator = next(iter(estimations)).estimator
    base = fits[baseline].measures
    rows = []
    for name, fit in fits.items():
        fm = fit.measures
        shown = reported_fit(fm)  # e.g. the scaled chi-square and robust indices of MLR
        row = {"model": name, "npar": fm["npar"]}
        row |= {c: shown.get(c, np.nan) for c in COLUMNS[2:12]}
        row |= dict.fromkeys(DIFFERENCE_KEYS[:3], np.nan) | {"delta_method": "", "delta_note": ""}
        if name == baseline:
            row["relation"] = "baseline"
            rows.append(row)
            continue
        more_df = fm["df"] > base["df"]
        if name in nested:
            ok = bool(nested[name])
        elif fm["df"] == base["df"]:
            ok = is_nested(fit, fits[baseline]) and is_nested(fits[baseline], fit)
        else:
            ok = is_nested(fit, fits[baseline]) if more_df else is_nested(fits[baseline], fit)
        if not ok:
            row["relation"] = "not nested"
        else:
            row["relation"] = "restricted" if more_df else "general"
            restricted, general = (fm, base) if more_df else (base, fm)
            row |= chisq_difference(restricted, general, estimator)
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
