"""From the raw survey to the analysis dataset, every decision counted and explained.

The rules run in a fixed order, because each one depends on what the earlier ones decided:

1. ``missing_code``  - declared missing codes (the codebook's ``missingValues``, e.g. -99)
   become missing; blank cells are missing already and are only counted;
2. ``out_of_range``  - numbers outside the codebook's ``minimum``/``maximum`` become missing
   (or stop the run, ``out_of_range: error``). Steps 1-2 define what "answered" means for
   every later rule;
3. ``duplicate_submission`` - of a firm that answered more than once one submission is kept;
4. ``straightliner`` - one and the same answer to every answered item, judged only for
   respondents who answered at least ``straightliner_min_answered_share`` of the items (and at
   least two), and on the answers as given, i.e. before reverse-keying: a respondent ticking
   one column all the way down gives one value to the reverse-worded items too;
5. ``too_many_missing`` - more than ``max_missing_share`` of the items unanswered;
6. ``reverse_keyed`` - negatively worded items scored as minimum + maximum - x;
7. ``multivariate_outlier`` - squared Mahalanobis distance of each remaining respondent who
   answered every item from the centroid of those respondents (``mahalanobis_d2``); rows with
   a missing item are not assessed (NaN, never flagged). Flagged (default) or excluded;
8. ``pii`` - columns identifying a person are dropped before anything is returned.

Every decision is set by the config's ``cleaning`` block (``DEFAULT_OPTIONS`` mirrors the
defaults of workflow/schemas/config.schema.yaml) and recorded in the audit dict that
``clean_survey`` returns; ``audit_table`` turns that dict into one readable line per step.
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.codebook import Codebook
from surveysem.errors import InputError

# Columns with a fixed role in the survey export.
ID, FIRM, SUBMITTED = "resp_id", "firm_id", "submitted_on"

#: The config schema's defaults of the ``cleaning`` block (a test keeps the two identical);
#: they fill keys a caller leaves out, e.g. a test passing only a few options.
DEFAULT_OPTIONS = {
    "out_of_range": "missing",
    "duplicates": "keep_most_complete",
    "exclude_straightliners": True,
    "straightliner_min_answered_share": 0.8,
    "max_missing_share": 0.2,
    "outliers": "flag",
    "outlier_alpha": 0.001,
    "missing_data": "listwise",
}
_CHOICES = {
    "out_of_range": ("missing", "error"),
    "duplicates": ("keep_most_complete", "keep_first"),
    "outliers": ("flag", "exclude"),
    "missing_data": ("listwise",),
}

#: The rules in the order they are applied; the audit's step numbers follow it.
STEPS = (
    "missing_code",
    "out_of_range",
    "duplicate_submission",
    "straightliner",
    "too_many_missing",
    "reverse_keyed",
    "multivariate_outlier",
    "pii",
)
MAX_ROWS_SHOWN = 5


def _step(rule: str) -> int:
    return STEPS.index(rule) + 1


def _checked_options(options: dict) -> dict:
    """The options with defaults filled in; unknown keys or values raise InputError."""
    unknown = sorted(set(options) - set(DEFAULT_OPTIONS))
    if unknown:
        raise InputError(
            f"unknown cleaning option(s) {', '.join(unknown)}; allowed: "
            f"{', '.join(DEFAULT_OPTIONS)}. Fix the `cleaning` block of the config"
        )
    merged = {**DEFAULT_OPTIONS, **options}
    for key, allowed in _CHOICES.items():
        if merged[key] not in allowed:
            raise InputError(
                f"cleaning option {key} is {merged[key]!r}; expected one of "
                f"{', '.join(allowed)}. Fix the `cleaning` block of the config"
            )
    return merged


# ------------------------------------------------------------------ steps 1-2: cell recodes
def _field_cells(text: pd.Series, field) -> tuple[pd.Series, pd.DataFrame]:
    """One numeric column: its numbers (NaN = missing) and a log of its missing cells."""
    declared = text.isin(field.missing_values)
    values = pd.to_numeric(text.where(~declared), errors="raise")
    out_of_range = pd.Series(False, index=values.index)
    if pd.notna(field.minimum):
        out_of_range |= values < field.minimum
    if pd.notna(field.maximum):
        out_of_range |= values > field.maximum
    kind = pd.Series(None, index=text.index, dtype=object)
    kind[declared & (text == "")] = "blank"
    kind[declared & (text != "")] = "missing_code"
    kind[out_of_range] = "out_of_range"
    log = pd.DataFrame({"row": text.index + 1, "column": field.name, "kind": kind, "value": text})
    return values.where(~out_of_range), log[kind.notna()]


def _recode_cells(raw: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers parsed; declared missing codes and out-of-range values -> NaN.

    Returns the data and a cell log (row: 1-based data row, resp_id, column, kind, value as
    written) of every blank, missing-code and out-of-range cell of a numeric column.
    """
    data = raw.copy()
    logs = []
    for field in codebook.fields.itertuples():
        if field.type in ("integer", "number"):
            data[field.name], log = _field_cells(raw[field.name].str.strip(), field)
            logs.append(log)
    # in file order: row by row, columns as in the file
    cells = pd.concat(logs, ignore_index=True).sort_values("row", kind="stable")
    cells.insert(1, ID, data[ID].to_numpy()[cells["row"].to_numpy() - 1])
    return data, cells


def _range_text(field) -> str:
    if pd.notna(field.minimum) and pd.notna(field.maximum):
        return f"values from {field.minimum:g} to {field.maximum:g}"
    if pd.notna(field.minimum):
        return f"values of at least {field.minimum:g}"
    return f"values of at most {field.maximum:g}"


def _raise_out_of_range(cells: pd.DataFrame, codebook: Codebook) -> None:
    """InputError naming every column, row and value outside the codebook's range."""
    problems = []
    for column, found in cells[cells["kind"] == "out_of_range"].groupby("column", sort=False):
        field = codebook.field_info(column)
        rows = ", ".join(str(r) for r in found["row"].head(MAX_ROWS_SHOWN))
        more = len(found) - MAX_ROWS_SHOWN
        rows += f" and {more} more" if more > 0 else ""
        values = ", ".join(sorted(set(found["value"])))
        problems.append(
            f"column {column}: {len(found)} value(s) ({values}) in data row(s) {rows} "
            f"(resp_id {', '.join(str(i) for i in found[ID].head(MAX_ROWS_SHOWN))}); "
            f"expected {_range_text(field)}"
        )
    if problems:
        listing = "\n  - ".join(problems)
        raise InputError(
            f"data file {codebook.data_path}:\n  - {listing}\nCorrect the values in the raw "
            "file, declare them as missing codes or widen the range in the codebook, or set "
            "`cleaning: out_of_range: missing` to treat them as missing"
        )


def _per_column(cells: pd.DataFrame, kind: str, items: list[str]) -> dict:
    """Cells of `kind` per item (zeros included) and per other column that has any."""
    counts = cells.loc[cells["kind"] == kind, "column"].value_counts()
    columns = items + [c for c in counts.index if c not in items]
    return {c: int(counts.get(c, 0)) for c in columns}


def _cell_list(cells: pd.DataFrame, kind: str) -> list[dict]:
    chosen = cells.loc[cells["kind"] == kind, [ID, "row", "column", "value"]]
    return chosen.to_dict("records")


# ------------------------------------------------------------ steps 3-5: row exclusions
def _losing_submissions(data: pd.DataFrame, items: list[str], rule: str) -> np.ndarray:
    """Mask of the submissions that lose to another submission of the same firm.

    ``keep_most_complete``: fewest missing items wins; ``keep_first``: earliest wins. Ties go
    to the earliest submitted_on, then the lowest resp_id (so the order of the file never
    matters).
    """
    keys = [SUBMITTED, ID]
    if rule == "keep_most_complete":
        data = data.assign(_missing=data[items].isna().sum(axis=1))
        keys = ["_missing", *keys]
    order = data.sort_values([FIRM, *keys], kind="stable")
    return data.index.isin(order.index[order.duplicated(FIRM, keep="first")])


def _straightliners(data: pd.DataFrame, items: list[str], min_answered_share: float) -> pd.Series:
    """Mask of respondents who gave one and the same answer to every item they answered.

    Only respondents who answered at least `min_answered_share` of the items (and at least
    two) are judged: one value repeated over a handful of answers says little about the
    respondent, and such rows usually fall to the missing-items rule anyway.
    """
    # round() guards against 0.8 * 5 = 4.000000000000001 demanding five answers
    min_answered = max(2, math.ceil(round(min_answered_share * len(items), 9)))
    answered = data[items].notna().sum(axis=1)
    # one distinct answered value <=> max == min over the answered items (NaN skipped; a row
    # with none gives NaN == NaN, False): nunique(axis=1) == 1, vectorized (nunique works row
    # by row in Python, half of the 2.9 s of cleaning 100,000 rows).
    same = data[items].max(axis=1) == data[items].min(axis=1)
    return (answered >= min_answered) & same


def _too_many_missing(data: pd.DataFrame, items: list[str], max_share: float) -> pd.Series:
    return data[items].isna().mean(axis=1) > max_share


def _excluded(data: pd.DataFrame, mask, rule: str, reason: str, applied: bool = True) -> dict:
    """The audit record of one exclusion rule."""
    return {
        "step": _step(rule),
        "applied": applied,
        "n": int(np.sum(mask)),
        "ids": data.loc[mask, ID].tolist(),
        "reason": reason,
    }


def _exclude_rows(data: pd.DataFrame, items: list[str], options: dict) -> tuple[pd.DataFrame, dict]:
    """Steps 3-5, each applied to the rows the earlier ones kept."""
    exclusions = {}
    losing = _losing_submissions(data, items, options["duplicates"])
    tie_break = "ties to the earliest submitted_on, then the lowest resp_id"
    loses_by = {
        "keep_most_complete": f"more missing items than another submission ({tie_break})",
        "keep_first": f"a later submission ({tie_break})",
    }[options["duplicates"]]
    exclusions["duplicate_submission"] = _excluded(
        data, losing, "duplicate_submission", f"the firm answered twice; {loses_by}"
    )
    data = data[~losing]

    share = options["straightliner_min_answered_share"]
    if options["exclude_straightliners"]:
        flat = _straightliners(data, items, share)
        reason = f"one answer to every answered item (at least {share:.0%} of the items answered)"
    else:
        flat = pd.Series(False, index=data.index)
        reason = "not applied (exclude_straightliners: false)"
    exclusions["straightliner"] = _excluded(
        data, flat, "straightliner", reason, options["exclude_straightliners"]
    )
    data = data[~flat]

    sparse = _too_many_missing(data, items, options["max_missing_share"])
    exclusions["too_many_missing"] = _excluded(
        data,
        sparse,
        "too_many_missing",
        f"more than {options['max_missing_share']:.0%} of the items unanswered",
    )
    return data[~sparse], exclusions


# --------------------------------------------------------------------- steps 6-7: items
def reverse_key(data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """Score the reverse-keyed items as minimum + maximum - x (8 - x on a 1..7 scale)."""
    data = data.copy()
    for name in codebook.reverse_keyed():
        field = codebook.field_info(name)
        data[name] = field.minimum + field.maximum - data[name]
    return data


def mahalanobis_d2(items: pd.DataFrame) -> pd.Series:
    """Squared Mahalanobis distance of each respondent from the centroid of the sample.

    Centroid and covariance matrix are estimated from the rows complete on every column;
    rows with a missing value get NaN (their distance would need an imputation or a
    per-pattern covariance matrix, a modelling choice this screening step does not make)::

        m   = (1 / N) sum_i x_i
        S   = (1 / (N - 1)) sum_i (x_i - m)(x_i - m)'
        D2_i = (x_i - m)' S^-1 (x_i - m)

    S has the unbiased N - 1 divisor, as in the SPSS REGRESSION procedure that Tabachnick
    and Fidell (2013) use to obtain the distances; with the N divisor every D2 would be
    larger by N / (N - 1). Under multivariate normality D2 follows approximately a
    chi-square distribution with k (number of columns) degrees of freedom.

    Parameters
    ----------
    items : pandas.DataFrame
        One row per respondent, one numeric column per item.

    Returns
    -------
    pandas.Series
        ``mahalanobis_d2``, indexed like `items`.

    Raises
    ------
    surveysem.errors.InputError
        If there are not more complete rows than columns, or the columns are linearly
        dependent (singular S), so that S cannot be inverted.

    References
    ----------
    Mahalanobis, P. C. (1936). On the generalized distance in statistics. Proceedings of the
    National Institute of Sciences of India, 2(1), 49-55.
    Tabachnick, B. G., & Fidell, L. S. (2013). Using multivariate statistics (6th ed.),
    section 4.1.4. Pearson.

    Examples
    --------
    >>> import pandas as pd
    >>> x = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2, 5, None], "b": [1, 3, 2, 4, 5, 2, 1, 3]})
    >>> mahalanobis_d2(x).round(2).tolist()  # (5, 1) breaks the a-b correlation: largest D2
    [2.08, 1.0, 0.15, 0.91, 2.84, 0.53, 4.49, nan]
    """
    complete = items.dropna()
    n, k = complete.shape
    if n <= k:
        raise InputError(
            f"Mahalanobis distances need more complete rows than items, found {n} complete "
            f"rows for the {k} items {', '.join(items.columns)}; pass more complete rows"
        )
    x = complete.to_numpy(dtype=float)
    centred = x - x.mean(axis=0)
    cov = np.cov(x, rowvar=False, ddof=1)
    if np.linalg.matrix_rank(cov) < k:
        raise InputError(
            f"the items {', '.join(items.columns)} are linearly dependent in the {n} complete "
            "rows (singular covariance matrix), so Mahalanobis distances are undefined; "
            "remove a redundant item from the codebook's constructs"
        )
    d2 = np.einsum("ij,ij->i", centred, np.linalg.solve(cov, centred.T).T)
    return pd.Series(d2, index=complete.index, name="mahalanobis_d2").reindex(items.index)


def _flag_outliers(data: pd.DataFrame, items: list[str], alpha: float) -> tuple:
    """D2 of every row (NaN if incomplete or too few complete rows), the flags, the record.

    A row is flagged when p = P(chi2_k > D2) < alpha (Tabachnick & Fidell 2013: alpha .001).
    One pass only: distances are not recomputed after removing flagged rows, since repeated
    screening keeps finding new "outliers" in an ever smaller, ever tighter sample.
    """
    k = len(items)
    critical = float(stats.chi2.isf(alpha, k))
    n_complete = int(data[items].notna().all(axis=1).sum())
    record = {
        "method": "squared Mahalanobis distance from the centroid of the complete cases, "
        "covariance with divisor N - 1; flagged if p < alpha under chi-square with k df "
        "(Tabachnick & Fidell 2013)",
        "alpha": alpha,
        "df": k,
        "critical_d2": round(critical, 6),
        "rows_assessed": n_complete,
        "rows_not_assessed": len(data) - n_complete,
    }
    if n_complete <= k:
        record["note"] = f"not computed: {n_complete} complete rows for {k} items"
        d2 = pd.Series(np.nan, index=data.index, name="mahalanobis_d2")
    else:
        d2 = mahalanobis_d2(data[items])
    flagged = pd.Series(stats.chi2.sf(d2, k) < alpha, index=data.index)  # NaN p -> False
    record.update(n=int(flagged.sum()), ids=data.loc[flagged, ID].tolist())
    return d2, flagged, record


def _outlier_step(data: pd.DataFrame, items: list[str], options: dict) -> tuple:
    """Step 7: add mahalanobis_d2 and mv_outlier; drop the flagged rows if asked to."""
    d2, flagged, record = _flag_outliers(data, items, options["outlier_alpha"])
    data = data.assign(mahalanobis_d2=d2, mv_outlier=flagged)
    record["action"] = options["outliers"]
    exclude = options["outliers"] == "exclude"
    if exclude:
        reason = f"multivariate outlier: p(D2) < {options['outlier_alpha']:g} (chi-square)"
    else:
        reason = "not applied (outliers: flag): outliers are flagged in mv_outlier and kept"
    dropped = flagged & exclude
    exclusion = _excluded(data, dropped, "multivariate_outlier", reason, exclude)
    return data[~dropped], record, exclusion


# ------------------------------------------------------------------------------ the whole
def clean_survey(raw: pd.DataFrame, codebook: Codebook, options: dict) -> tuple[pd.DataFrame, dict]:
    """Apply the cleaning rules of `options` (the config's `cleaning` block) to `raw`.

    See the module docstring for the rules and their order.

    Parameters
    ----------
    raw : pandas.DataFrame
        The survey file as text (:func:`surveysem.validation.read_raw`).
    codebook : surveysem.codebook.Codebook
        Types, ranges, missing codes, items, reverse keys and PII flags of the columns.
    options : dict
        The validated ``cleaning`` block; keys left out take ``DEFAULT_OPTIONS``.

    Returns
    -------
    clean : pandas.DataFrame
        The analysis dataset: excluded rows and PII columns removed, missing codes and
        out-of-range values as NaN, reverse-keyed items recoded, plus the columns
        ``mahalanobis_d2`` (NaN for rows with a missing item) and ``mv_outlier`` (bool).
    audit : dict
        JSON-ready record of every decision: ``options``, ``rows_in``, ``blank_cells``,
        ``recoded_to_missing`` and ``recoded_cells`` (missing codes and out-of-range values
        per item, and cell by cell), ``exclusions`` (per rule, in the order applied: step,
        applied, n, ids, reason), ``reverse_keyed``, ``outliers``, ``pii_dropped``,
        ``item_missing_share_before``/``_after``, ``rows_out`` and ``complete_cases``.
        :func:`audit_table` renders it as a table.
    """
    options = _checked_options(options)
    items = codebook.items()
    data, cells = _recode_cells(raw, codebook)
    if options["out_of_range"] == "error":
        _raise_out_of_range(cells, codebook)
    missing_before = data[items].isna().mean().round(6).to_dict()

    data, exclusions = _exclude_rows(data, items, options)
    data = reverse_key(data, codebook)
    data, outliers, exclusions["multivariate_outlier"] = _outlier_step(data, items, options)
    clean = data.drop(columns=codebook.pii_columns()).reset_index(drop=True)

    audit = {
        "options": options,
        "rows_in": len(raw),
        "blank_cells": _per_column(cells, "blank", items),
        "recoded_to_missing": {
            kind: _per_column(cells, kind, items) for kind in ("missing_code", "out_of_range")
        },
        "recoded_cells": {
            kind: _cell_list(cells, kind) for kind in ("missing_code", "out_of_range")
        },
        "exclusions": exclusions,
        "reverse_keyed": codebook.reverse_keyed(),
        "outliers": outliers,
        "pii_dropped": codebook.pii_columns(),
        "item_missing_share_before": missing_before,
        "item_missing_share_after": clean[items].isna().mean().round(6).to_dict(),
        "rows_out": len(clean),
        "complete_cases": int(clean[items].notna().all(axis=1).sum()),
    }
    return clean, audit


def _compact(ids: list) -> str:
    """Ids as short text: runs of consecutive integers collapse to first-last.

    >>> _compact([1004, 1005, 1006, 1010, 1012, 1013])
    '1004-1006, 1010, 1012-1013'
    >>> _compact(["co4", "crp5"])
    'co4, crp5'
    """
    if not all(isinstance(i, int | np.integer) for i in ids):
        return ", ".join(str(i) for i in ids)
    runs: list[list[int]] = []
    for i in sorted(int(i) for i in ids):
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in runs)


def _outlier_reason(outliers: dict) -> str:
    if "note" in outliers:
        return outliers["note"]
    action = "excluded" if outliers["action"] == "exclude" else "flagged in mv_outlier, kept"
    return (
        f"D2 > {outliers['critical_d2']:.2f} (p < {outliers['alpha']:g}, chi-square with "
        f"{outliers['df']} df) among {outliers['rows_assessed']} complete cases; {action}"
    )


def audit_table(audit: dict) -> pd.DataFrame:
    """The audit of :func:`clean_survey` as a long table, one line per step, in order.

    Columns: ``step`` (0 = input, 9 = output), ``rule``, ``unit`` (what ``n`` counts: rows,
    cells, items or columns), ``n``, ``ids`` (respondent ids with consecutive ones as ranges,
    ``resp_id:column`` for cells, names for items and columns) and ``reason``.
    """
    lines = [(0, "rows_in", "rows", audit["rows_in"], "", "rows of the raw file")]
    out_of_range = f"outside the codebook range (out_of_range: {audit['options']['out_of_range']})"
    for kind, reason in (
        ("missing_code", "declared missing code (codebook missingValues), recoded to missing"),
        ("out_of_range", out_of_range),
    ):
        found = audit["recoded_cells"][kind]
        cells = ", ".join(f"{c[ID]}:{c['column']}" for c in found)
        lines.append((_step(kind), kind, "cells", len(found), cells, reason))
    for rule in ("duplicate_submission", "straightliner", "too_many_missing"):
        e = audit["exclusions"][rule]
        lines.append((e["step"], rule, "rows", e["n"], _compact(e["ids"]), e["reason"]))
    reverse, pii, outliers = audit["reverse_keyed"], audit["pii_dropped"], audit["outliers"]
    reason_out = f"rows of the analysis dataset, {audit['complete_cases']} complete on all items"
    lines += [
        (
            _step("reverse_keyed"),
            "reverse_keyed",
            "items",
            len(reverse),
            _compact(reverse),
            "scored as scale minimum + maximum - x",
        ),
        (
            _step("multivariate_outlier"),
            "multivariate_outlier",
            "rows",
            outliers["n"],
            _compact(outliers["ids"]),
            _outlier_reason(outliers),
        ),
        (_step("pii"), "pii", "columns", len(pii), _compact(pii), "personal data dropped"),
        (len(STEPS) + 1, "rows_out", "rows", audit["rows_out"], "", reason_out),
    ]
    return pd.DataFrame(lines, columns=["step", "rule", "unit", "n", "ids", "reason"])


def analysis_rows(clean: pd.DataFrame, items: list[str], how: str = "listwise") -> pd.DataFrame:
    """The rows a model is fitted to; `how` is the config's cleaning.missing_data."""
    if how != "listwise":
        raise ValueError(f"unsupported missing-data treatment {how!r}")
    return clean.dropna(subset=items).reset_index(drop=True)
