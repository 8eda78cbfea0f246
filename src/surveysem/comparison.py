"""Compare fitted models: fit indices side by side and chi-square difference tests.

For two ML fits of nested models to the same data, the likelihood-ratio (chi-square
difference) test of the restrictions of the more restricted model R against the more general
model G is

    delta_chisq = chisq_R - chisq_G,   delta_df = df_R - df_G,
    p = P(chi2_(delta_df) > delta_chisq),

as lavaan's ``anova()`` / ``lavTestLRT()`` for the standard ML test (Bollen 1989, ch. 7;
Steiger, Shapiro & Browne 1985). Assumptions: ML estimation with the normal-theory test
(no scaled/robust test), the same rows of the same data, R nested in G (R's parameter space
is G's with constraints added), both at their optimum, and the restrictions not on the boundary
of the parameter space (e.g. fixing a variance to 0 or a factor correlation to 1 makes the
reference distribution a mixture and the p-value conservative; Stoel et al. 2006).

Nesting is decided by :func:`is_nested` (a parameter-table heuristic) unless it is stated.

References
----------
Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley, ch. 7.
Steiger, J. H., Shapiro, A., & Browne, M. W. (1985). On the multivariate asymptotic
distribution of sequential chi-square statistics. Psychometrika, 50(3), 253-263.
Stoel, R. D., Garre, F. G., Dolan, C., & van den Wittenboer, G. (2006). On the likelihood
ratio test in structural equation modeling when parameters are subject to boundary
constraints. Psychological Methods, 11(4), 439-455.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from .sem.fit_measures import fit_measures
from .sem.fitting import SemFit

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
    "relation",
    "delta_chisq",
    "delta_df",
    "delta_pvalue",
]


def _key(lhs: str, op: str, rhs: str) -> tuple[str, str, str]:
    return (min(lhs, rhs), op, max(lhs, rhs)) if op == "~~" else (lhs, op, rhs)


def _states(fit: SemFit) -> dict[tuple[str, str, str], tuple[str, float]]:
    """(lhs, op, rhs) -> ("free", free index) or ("fixed", value)."""
    out = {}
    for r in fit.partable.rows:
        out[_key(r.lhs, r.op, r.rhs)] = ("free", r.free) if r.free else ("fixed", r.value)
    return out


def _same_data(a: SemFit, b: SemFit) -> bool:
    if set(a.observed) != set(b.observed) or a.n != b.n:
        return False
    pos = [b.observed.index(v) for v in a.observed]
    return bool(np.allclose(a.sample_cov, b.sample_cov[np.ix_(pos, pos)], rtol=1e-10, atol=0))


def is_nested(restricted: SemFit, general: SemFit) -> bool:
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
    >>> from surveysem.sem import fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> base = fit_model(TWO_FACTOR_MODEL, data)
    >>> freer = fit_model(TWO_FACTOR_MODEL + "\\na1 ~~ b1", data)
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
    groups: dict[int, list[tuple[str, str, str]]] = {}
    for key, (kind, val) in g_states.items():
        if kind == "free":
            groups.setdefault(int(val), []).append(key)
    for keys in groups.values():
        if len(keys) > 1 and len({r_states.get(k, ("fixed", 0.0)) for k in keys}) > 1:
            return False
    return True


def compare_models(
    fits: Mapping[str, SemFit], baseline: str, *, nested: Mapping[str, bool] | None = None
) -> pd.DataFrame:
    """Fit indices of several models and chi-square difference tests against a baseline.

    For every model the lavaan fit measures ``npar, chisq, df, pvalue, cfi, tli, rmsea, srmr,
    aic, bic`` (:func:`surveysem.sem.fit_measures`). For every model nested in the baseline or
    containing it, the chi-square difference test (module docstring): the model with more
    degrees of freedom is the restricted one, ``delta_chisq = chisq_restricted -
    chisq_general`` (non-negative for nested models at their optima; a negative value, kept
    as is with p = 1 as in lavaan, signals that the models are not nested or a fit is not at
    its optimum), ``delta_df = df_restricted - df_general`` and ``delta_pvalue``. Equal df
    gives NaN test columns.

    Parameters
    ----------
    fits : mapping of str to SemFit
        Named fits, all ML fits of the same data; rows keep this order.
    baseline : str
        Name of the reference model in ``fits``.
    nested : mapping of str to bool, optional
        Overrides :func:`is_nested` for the named models (True: nested with the baseline in
        the direction given by the df; False: not nested).

    Returns
    -------
    pandas.DataFrame
        Columns ``model, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic, bic, relation,
        delta_chisq, delta_df, delta_pvalue``; ``relation`` is ``baseline``, ``restricted``
        (nested in the baseline), ``general`` (contains the baseline) or ``not nested``.

    References
    ----------
    Bollen (1989), Structural Equations with Latent Variables, ch. 7; lavaan ``anova()``.

    Examples
    --------
    >>> from surveysem.sem import fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> fits = {"two": fit_model(TWO_FACTOR_MODEL, data),
    ...         "two+cov": fit_model(TWO_FACTOR_MODEL + "\\na1 ~~ b1", data)}
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
    measures = {name: fit_measures(fit) for name, fit in fits.items()}
    base = measures[baseline]
    rows = []
    for name, fit in fits.items():
        fm = measures[name]
        row = {"model": name, **{c: fm[c] for c in COLUMNS[1:11]}}
        row.update({"delta_chisq": np.nan, "delta_df": np.nan, "delta_pvalue": np.nan})
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
            ddf = restricted["df"] - general["df"]
            if ddf > 0:
                dchi = restricted["chisq"] - general["chisq"]
                row["delta_chisq"], row["delta_df"] = dchi, ddf
                row["delta_pvalue"] = float(stats.chi2.sf(dchi, ddf)) if dchi > 0 else 1.0
        rows.append(row)
    return pd.DataFrame(rows, columns=COLUMNS)
