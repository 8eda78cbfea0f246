"""Measurement invariance across groups and group comparison of structural paths.

Two steps of a multi-group SEM analysis (Jöreskog 1971; Meredith 1993; Vandenberg & Lance
2000), estimated with :func:`surveysem.sem.estimators.multigroup.fit_multigroup` (lavaan parity):

1. :func:`invariance_sequence` fits the nested invariance models of the measurement model
   (configural: same form; metric/weak: equal loadings; scalar/strong: equal loadings and
   intercepts; strict: also equal residual variances) and compares each with the previous
   one by the chi-square difference test and by the change in CFI (Cheung & Rensvold 2002).
2. :func:`compare_structural_paths` fits the structural model with the invariance
   constraints of the level that holds and per-group structural paths, then tests every path
   for equality across groups with a likelihood-ratio (chi-square difference) test against
   the model with that one path constrained equal; a Wald test from the unconstrained fit is
   reported next to it (and decides under WLSMV).

References
----------
Cheung, G. W., & Rensvold, R. B. (2002). Evaluating goodness-of-fit indexes for testing
measurement invariance. Structural Equation Modeling, 9(2), 233-255.
Jöreskog, K. G. (1971). Simultaneous factor analysis in several populations.
Psychometrika, 36(4), 409-426.
Meredith, W. (1993). Measurement invariance, factor analysis and factorial invariance.
Psychometrika, 58(4), 525-543.
Vandenberg, R. J., & Lance, C. E. (2000). A review and synthesis of the measurement
invariance literature. Organizational Research Methods, 3(1), 4-70.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2) (``lavTestLRT``, ``group.equal``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.sem.entry import fit
from surveysem.sem.errors import ModelSpecError
from surveysem.sem.estimators.multigroup import (
    MultiGroupFit,
    fit_multigroup,
    multigroup_fit_measures,
)
from surveysem.sem.estimators.ordinal import OrdinalFit
from surveysem.sem.measures.difference import chisq_difference
from surveysem.sem.measures.indices import reported_fit
from surveysem.sem.model.syntax import measurement_syntax, parse_syntax

#: ``group.equal`` constraints of each invariance level (lavaan / semTools convention).
LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
    "strict": ("loadings", "intercepts", "residuals"),
}
#: The levels of ordered items (WLSMV): thresholds first, then also loadings (Wu &
#: Estabrook 2016; lavaan ``group.equal``, delta parameterization).
ORDINAL_LEVELS: dict[str, tuple[str, ...]] = {
    "configural": (),
    "thresholds": ("thresholds",),
    "thresholds_loadings": ("thresholds", "loadings"),
}
CRITERIA = ("cfi", "chisq", "both")

SEQUENCE_COLUMNS = [
    "level",
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
    "delta_chisq",
    "delta_df",
    "delta_pvalue",
    "delta_cfi",
    "delta_rmsea",
    "indices",
    "delta_method",
    "missing",
    "converged",
    "verdict",
    "holds",
]


def _check_level(level: str, estimator: str = "ML") -> tuple[str, ...]:
    known = ORDINAL_LEVELS if estimator == "WLSMV" else LEVELS
    if level not in known:
        raise ModelSpecError(f"invariance level '{level}' is unknown. Use one of {list(known)}.")
    return known[level]


def _has_regressions(syntax: str) -> bool:
    return any(s.op == "~" for s in parse_syntax(syntax).statements)


def invariance_sequence(
    syntax: str,
    data: pd.DataFrame,
    group: str,
    levels: tuple[str, ...] | None = None,
    *,
    delta_cfi_cutoff: float = -0.01,
    alpha: float = 0.05,
    criterion: str = "cfi",
    measurement_only: bool = True,
    estimator: str = "ML",
    missing: str = "listwise",
) -> pd.DataFrame:
    """Fit nested measurement-invariance models and compare each with the previous one.

    Each level adds lavaan ``group.equal`` constraints (:data:`LEVELS`): configural (none),
    metric (loadings), scalar (loadings and intercepts; latent means free in groups 2, ...)
    and strict (also residual variances). Level *j* is compared with level *j - 1* by

    * the chi-square difference test of the ``estimator`` (ML, MLR, GLS or ULS; lavaan
      ``lavTestLRT``, :func:`surveysem.sem.measures.difference.chisq_difference`): for ML
      ``delta_chisq = chisq_j - chisq_(j-1)`` on ``delta_df = df_j - df_(j-1)`` degrees of
      freedom, ``delta_pvalue = P(chi2(delta_df) > delta_chisq)``; for MLR the
      Satorra-Bentler (2001) scaled difference;
    * the change in CFI, ``delta_cfi = cfi_j - cfi_(j-1)``: invariance is retained when
      ``delta_cfi >= delta_cfi_cutoff`` (-0.01, Cheung & Rensvold 2002), an index that,
      unlike the chi-square difference, does not grow with the sample size;
    * ``delta_rmsea`` is reported for information (Chen 2007 suggests <= .015).

    With ``estimator="WLSMV"`` the items are ordered and the levels are those of
    :data:`ORDINAL_LEVELS` (configural, thresholds, thresholds and loadings; Wu & Estabrook
    2016); the fit columns are the scaled ones, and as the scaled-and-shifted difference test
    is not implemented, its columns are NaN and the verdict rests on ``delta_cfi``.

    Verdict rules (``criterion``): ``"cfi"`` (default) retains the level when
    ``delta_cfi >= delta_cfi_cutoff``; ``"chisq"`` when ``delta_pvalue >= alpha``;
    ``"both"`` requires both. The first level is the ``"reference"``. ``holds`` is
    cumulative: a level holds only if it and every earlier comparison were retained (and all
    models converged), so the highest level with ``holds == True`` is the invariance level
    reached; it is also stored in ``result.attrs["highest_level"]`` (None if even the
    reference did not converge).

    Parameters
    ----------
    syntax : str
        lavaan syntax. With ``measurement_only=True`` (default) a structural model (one with
        ``~`` regressions) is reduced to its measurement model
        (:func:`surveysem.sem.measurement_syntax`, all factor covariances free), since
        invariance concerns the measurement part; a CFA is used as written.
    data : pandas.DataFrame
        The items and the ``group`` column: complete rows, or under ``missing="fiml"`` every
        row with at least one answer (NaN for missing answers).
    group : str
        Grouping column (groups ordered by first appearance, as lavaan).
    levels : tuple of str or None
        Levels to fit, in order, from :data:`LEVELS` (default configural, metric, scalar) or,
        for WLSMV, :data:`ORDINAL_LEVELS` (default all three).
    delta_cfi_cutoff : float
        Smallest acceptable change in CFI (Cheung & Rensvold 2002: -0.01).
    alpha : float
        Significance level of the chi-square difference test.
    criterion : {"cfi", "chisq", "both"}
        Which test decides the verdict (see above).
    measurement_only : bool
        Reduce a structural model to its measurement model first.
    estimator : {"ML", "MLR", "GLS", "ULS", "WLSMV"}
        MLR: sandwich SEs, the scaled difference test, and the fit columns (and so
        ``delta_cfi``) in their robust versions
        (:func:`~surveysem.sem.measures.indices.reported_fit`);
        GLS, ULS: the least-squares chi-squares (lavaan's; ULS with no ``pvalue``) and their
        standard difference, with a p-value also for ULS, as lavaan's ``anova()``;
        WLSMV: ordered items (see above).
    missing : {"listwise", "fiml"}
        The missing-data treatment of every fit (:func:`surveysem.sem.fit`): ``"fiml"``
        (lavaan ``missing = "ml"``, ML or MLR) fits each level to all rows by the casewise
        likelihood of every group; the chi-squares are then likelihood ratios against each
        group's EM-estimated saturated model, so the difference tests are the same (standard
        under ML, Satorra-Bentler 2001 under MLR) as lavaan's ``anova()`` of the FIML fits.

    Returns
    -------
    pandas.DataFrame
        One row per level: ``level, npar, chisq, df, pvalue, cfi, tli, rmsea, srmr, aic,
        bic`` (lavaan ``fitMeasures``; scaled and robust under MLR), ``delta_chisq,
        delta_df, delta_pvalue, delta_cfi, delta_rmsea`` (NaN for the first level),
        ``indices`` (the version of the fit columns: standard, scaled or robust),
        ``delta_method`` (of the difference test, "" when there is none), ``missing``
        (listwise or fiml), ``converged``, ``verdict`` ("reference",
        "retained", "rejected" or "not converged") and ``holds``.

    References
    ----------
    Cheung & Rensvold (2002), SEM 9(2); Chen (2007), SEM 14(3); Meredith (1993),
    Psychometrika 58(4); Vandenberg & Lance (2000), ORM 3(1).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.invariance import invariance_sequence
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data().assign(g=np.tile(["a", "b"], 150))
    >>> seq = invariance_sequence(TWO_FACTOR_MODEL, data, "g")
    >>> seq[["level", "df", "delta_df", "verdict", "holds"]]
            level    df  delta_df    verdict  holds
    0  configural  16.0       NaN  reference   True
    1      metric  20.0       4.0   retained   True
    2      scalar  24.0       4.0   retained   True
    >>> seq.attrs["highest_level"]
    'scalar'
    """
    if criterion not in CRITERIA:
        raise ModelSpecError(f"criterion '{criterion}' is unknown. Use one of {list(CRITERIA)}.")
    if levels is None:
        levels = (
            tuple(ORDINAL_LEVELS) if estimator == "WLSMV" else ("configural", "metric", "scalar")
        )
    levels = (levels,) if isinstance(levels, str) else tuple(levels)
    if not levels:
        raise ModelSpecError("levels is empty. Give at least one invariance level.")
    equal_sets = [_check_level(lv, estimator) for lv in levels]
    if measurement_only and _has_regressions(syntax):
        syntax = measurement_syntax(syntax)

    records = []
    prev = None
    holds = True
    for level, equal in zip(levels, equal_sets, strict=True):
        result = fit(syntax, data, estimator=estimator, group=group, group_equal=equal,
                     ordered=estimator == "WLSMV", missing=missing)  # fmt: skip
        measures = result.measures
        # ordinal models with equal thresholds have no robust indices: scaled ones throughout
        version = "scaled" if estimator == "WLSMV" else None
        fm = reported_fit(measures, version) | {"npar": measures["npar"]}
        rec = {key: fm.get(key, np.nan) for key in SEQUENCE_COLUMNS[1:11]}
        rec["level"] = level
        rec["converged"] = result.converged
        rec["indices"] = fm["indices"]  # standard, scaled or robust, as the table says
        rec["missing"] = result.estimation.missing
        if prev is None:
            rec.update(
                delta_chisq=np.nan,
                delta_df=np.nan,
                delta_pvalue=np.nan,
                delta_cfi=np.nan,
                delta_rmsea=np.nan,
                delta_method="",
            )
            verdict = "reference" if result.converged else "not converged"
        else:
            test = chisq_difference(measures, prev["measures"], estimator)
            d_chisq, d_df, d_p = test["delta_chisq"], test["delta_df"], test["delta_pvalue"]
            d_cfi = fm["cfi"] - prev["cfi"]
            rec.update(
                delta_chisq=d_chisq,
                delta_df=d_df,
                delta_pvalue=d_p,
                delta_cfi=d_cfi,
                delta_rmsea=fm["rmsea"] - prev["rmsea"],
                delta_method=test["delta_method"],
            )
            cfi_ok = d_cfi >= delta_cfi_cutoff
            chisq_ok = bool(np.isnan(d_p) or d_p >= alpha)
            ok = {"cfi": cfi_ok, "chisq": chisq_ok, "both": cfi_ok and chisq_ok}[criterion]
            if not (result.converged and prev["converged"]):
                verdict = "not converged"
            else:
                verdict = "retained" if ok else "rejected"
        holds = holds and verdict in ("reference", "retained")
        rec["verdict"] = verdict
        rec["holds"] = holds
        records.append(rec)
        prev = {**fm, "converged": result.converged, "measures": measures}
    out = pd.DataFrame(records)[SEQUENCE_COLUMNS]
    reached = out.loc[out["holds"], "level"]
    out.attrs["highest_level"] = reached.iloc[-1] if len(reached) else None
    out.attrs["criterion"] = criterion
    out.attrs["delta_cfi_cutoff"] = delta_cfi_cutoff
    out.attrs["alpha"] = alpha
    return out


def _wald_equal(fit: MultiGroupFit | OrdinalFit, rows) -> tuple[float, int]:
    """Wald chi-square of H0: the path is equal in all groups (contrasts g1 - g_j)."""
    idx = [r.free - 1 for r in rows]
    b = fit.x[idx]
    v = fit.vcov[np.ix_(idx, idx)]
    c = np.zeros((len(idx) - 1, len(idx)))
    c[:, 0] = 1.0
    c[np.arange(len(idx) - 1), np.arange(1, len(idx))] = -1.0
    diff = c @ b
    cv = c @ v @ c.T
    try:
        stat = float(diff @ np.linalg.solve(cv, diff))
    except np.linalg.LinAlgError:
        stat = np.nan
    return stat, len(idx) - 1


def compare_structural_paths(
    syntax: str,
    data: pd.DataFrame,
    group: str,
    level: str = "scalar",
    *,
    alpha: float = 0.05,
    estimator: str = "ML",
    missing: str = "listwise",
) -> pd.DataFrame:
    """Test every structural path for equality across groups (multi-group moderation).

    Once measurement invariance holds at ``level`` (see :func:`invariance_sequence`; metric
    invariance suffices to compare unstandardized paths), the structural model is fitted
    with that level's constraints (:data:`LEVELS`) and free structural paths in every group
    (the *unconstrained* model). For each free regression ``lhs ~ rhs`` the model is refitted
    with only that path held equal across groups; the likelihood-ratio (chi-square
    difference) test

        ``delta_chisq = chisq(path equal) - chisq(unconstrained)``, ``delta_df = G - 1``

    decides (``differs = pvalue < alpha``; under ``estimator="MLR"`` the Satorra-Bentler
    2001 scaled difference and sandwich SEs; under GLS and ULS the difference of their
    chi-squares, as lavaan's ``anova()``). Under ``estimator="WLSMV"`` (ordered items, the
    levels of :data:`ORDINAL_LEVELS`) the Wald test from the unconstrained fit with its
    robust SEs decides, as lavaan's ``lavTestWald()``: the scaled-and-shifted difference
    test is not implemented, so the LR columns are NaN. Otherwise the LR test is the primary
    test because it is invariant to the parametrization; the Wald statistic of the same
    hypothesis from the unconstrained fit (``wald = (C b)' (C V C')^-1 (C b)`` with contrasts
    ``b_1 - b_g``) is reported as ``wald``/``wald_pvalue`` for comparison (asymptotically
    equivalent).
    Paths with a user label in the syntax are already equal across groups (lavaan
    semantics) and are reported with NaN tests.

    Parameters
    ----------
    syntax : str
        lavaan syntax of the structural model (``=~`` and ``~`` statements).
    data : pandas.DataFrame
        The items and the ``group`` column (complete rows, or incomplete ones under
        ``missing="fiml"``).
    group : str
        Grouping column.
    level : str
        Invariance level whose constraints are kept: ``"configural"``, ``"metric"``,
        ``"scalar"`` or ``"strict"``.
    alpha : float
        Significance level of the LR test.
    estimator : {"ML", "MLR", "GLS", "ULS", "WLSMV"}
        The estimator of every fit (WLSMV: the items ordered).
    missing : {"listwise", "fiml"}
        The missing-data treatment of every fit (as :func:`invariance_sequence`).

    Returns
    -------
    pandas.DataFrame
        One row per structural path: ``lhs, op, rhs``, then ``est.<group>`` and
        ``se.<group>`` for every group (unstandardized, from the unconstrained model),
        ``delta_chisq, delta_df, pvalue`` (LR test), ``wald, wald_pvalue`` and ``differs``.
        ``attrs``: ``level``, ``groups`` and the unconstrained model's ``chisq``/``df``.

    References
    ----------
    Jöreskog (1971), Psychometrika 36(4); Rosseel (2012), lavaan (``lavTestLRT``,
    ``lavTestWald``); Buse (1982), The American Statistician 36(3) (LR, Wald and score
    tests).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.invariance import compare_structural_paths
    >>> from surveysem.sem.examples import two_factor_data
    >>> data = two_factor_data().assign(g=np.tile(["a", "b"], 150))
    >>> res = compare_structural_paths(
    ...     "A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\nB ~ A", data, "g", "scalar"
    ... )
    >>> res[["lhs", "op", "rhs", "est.a", "est.b", "delta_df", "differs"]].round(3)
      lhs op rhs  est.a  est.b  delta_df  differs
    0   B  ~   A  0.601  0.505       1.0    False
    """
    equal = _check_level(level, estimator)
    if not _has_regressions(syntax):
        raise ModelSpecError(
            "the model has no structural path ('~'). Add the regressions to compare."
        )
    wald_decides = estimator == "WLSMV"
    if wald_decides:
        result = fit(syntax, data, estimator=estimator, missing=missing, group=group,
                     group_equal=equal, ordered=True)  # fmt: skip
        base, base_fm = result.backend, result.measures
    else:
        base = fit_multigroup(syntax, data, group, equal, estimator=estimator, missing=missing)
        base_fm = multigroup_fit_measures(base)
    paths = [r for r in base.rows if r.group == 1 and r.op == "~"]
    records = []
    for r in paths:
        rows = [q for q in base.rows if q.op == "~" and q.key == r.key]
        rec: dict = {"lhs": r.lhs, "op": r.op, "rhs": r.rhs}
        for lab, q in zip(base.groups, rows, strict=True):
            rec[f"est.{lab}"] = base.x[q.free - 1] if q.free else q.value
            rec[f"se.{lab}"] = np.sqrt(base.vcov[q.free - 1, q.free - 1]) if q.free else 0.0
        free_ids = {q.free for q in rows}
        if 0 in free_ids or len(free_ids) < len(rows):
            # fixed, or already equal across groups (user label)
            rec.update(
                delta_chisq=np.nan,
                delta_df=np.nan,
                pvalue=np.nan,
                wald=np.nan,
                wald_pvalue=np.nan,
                differs=False,
            )
        else:
            wald, wdf = _wald_equal(base, rows)
            wald_p = float(stats.chi2.sf(wald, wdf)) if np.isfinite(wald) else np.nan
            if wald_decides:
                lr = {"delta_chisq": np.nan, "delta_df": np.nan, "delta_pvalue": np.nan}
                differs = wald_p < alpha and base.converged
            else:
                constrained = fit_multigroup(
                    syntax, data, group, equal, equal_params=(r.key,), estimator=estimator,
                    missing=missing,
                )  # fmt: skip
                lr = chisq_difference(multigroup_fit_measures(constrained), base_fm, estimator)
                converged = constrained.converged and base.converged
                differs = lr["delta_pvalue"] < alpha and converged
            rec.update(
                delta_chisq=lr["delta_chisq"],
                delta_df=lr["delta_df"],
                pvalue=lr["delta_pvalue"],
                wald=wald,
                wald_pvalue=wald_p,
                differs=bool(differs),
            )
        records.append(rec)
    out = pd.DataFrame(records)
    out.attrs["level"] = level
    out.attrs["groups"] = list(base.groups)
    out.attrs["chisq"] = base_fm["chisq"]
    out.attrs["df"] = base_fm["df"]
    out.attrs["converged"] = base.converged
    return out
