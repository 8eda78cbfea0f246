"""From the raw survey to the analysis dataset, every decision counted and explained.

The rules run in a fixed order, because each one depends on what the earlier ones decided:

1. ``missing_code``  - declared missing codes (the codebook's ``missingValues``, e.g. -99)
   become missing; blank cells are missing already and are only counted;
2. ``out_of_range``  - numbers outside the codebook's ``minimum``/``maximum`` become missing
   (or stop the run, ``out_of_range: error``). Steps 1-2 define what "answered" means for
   every later rule;
3. ``duplicate_submission`` - of a unit (the config's ``columns.unit``, e.g. a firm) that
   answered more than once one submission is kept; without a unit column it is not checked;
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
A rule that blanks more than ``warn_item_share`` of an item's answers or removes more than
``warn_row_share`` of the rows is named in the audit's ``warnings`` (and stops the run with
``strict: true``), so that no large loss of data passes in silence.

The columns with a role (the config's ``columns`` block: ``id``, ``unit``, ``submitted``) are
all optional: without an id column respondents are identified by their data row number
(column ``row`` of the cleaned data, 1 = first data line of the raw file).
"""

import math

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.codebook import Codebook
from surveysem.errors import InputError
from surveysem.validation import rows_text

#: The id column added when the config names none: the 1-based data row of the raw file.
ROW = "row"

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
    "warn_item_share": 0.05,
    "warn_row_share": 0.1,
    "strict": False,
}
_CHOICES = {
    "out_of_range": ("missing", "error"),
    "duplicates": ("keep_most_complete", "keep_first"),
    "outliers": ("flag", "exclude"),
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


def _recode_cells(
    raw: pd.DataFrame, codebook: Codebook, id_column: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Numbers parsed; declared missing codes and out-of-range values -> NaN.

    Returns the data and a cell log (row: 1-based data row, the id, column, kind, value as
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
    cells.insert(1, "id", data[id_column].to_numpy()[cells["row"].to_numpy() - 1])
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
            f"(id {', '.join(str(i) for i in found['id'].head(MAX_ROWS_SHOWN))}); "
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
    chosen = cells.loc[cells["kind"] == kind, ["id", "row", "column", "value"]]
    return chosen.to_dict("records")


# ------------------------------------------------------------ steps 3-5: row exclusions
def _losing_submissions(data: pd.DataFrame, items: list[str], rule: str, roles: dict) -> np.ndarray:
    """Mask of the submissions that lose to another submission of the same unit.

    ``keep_most_complete``: fewest missing items wins; ``keep_first``: earliest wins. Ties go
    to the earliest submission time, then the lowest id (so the order of the file never
    matters); without a submission-time column, to the lowest id.
    """
    keys = [roles["submitted"], roles["id"]] if roles["submitted"] else [roles["id"]]
    if rule == "keep_most_complete":
        data = data.assign(_missing=data[items].isna().sum(axis=1))
        keys = ["_missing", *keys]
    unit = roles["unit"]
    order = data.sort_values([unit, *keys], kind="stable")
    return data.index.isin(order.index[order.duplicated(unit, keep="first")])


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


def _excluded(ids: pd.Series, mask, rule: str, reason: str, applied: bool = True) -> dict:
    """The audit record of one exclusion rule; `ids` are the ids of the rows it judged."""
    return {
        "step": _step(rule),
        "applied": applied,
        "n": int(np.sum(mask)),
        "ids": ids[mask].tolist(),
        "reason": reason,
    }


def _duplicates(data: pd.DataFrame, items: list[str], rule: str, roles: dict) -> tuple:
    """Step 3: the mask of losing submissions and the reason, or none without a unit column."""
    if not roles["unit"]:
        reason = "not checked: no unit column (config columns.unit) says who should answer once"
        return pd.Series(False, index=data.index), reason, False
    order = f"the earliest {roles['submitted']}, then " if roles["submitted"] else ""
    tie_break = f"ties to {order}the lowest {roles['id']}"
    loses_by = {
        "keep_most_complete": f"more missing items than another submission ({tie_break})",
        "keep_first": f"a later submission ({tie_break})",
    }[rule]
    losing = _losing_submissions(data, items, rule, roles)
    return losing, f"the same {roles['unit']} answered more than once; {loses_by}", True


def _exclude_rows(
    data: pd.DataFrame, items: list[str], options: dict, roles: dict
) -> tuple[pd.DataFrame, dict]:
    """Steps 3-5, each applied to the rows the earlier ones kept."""
    exclusions = {}
    losing, reason, applied = _duplicates(data, items, options["duplicates"], roles)
    exclusions["duplicate_submission"] = _excluded(
        data[roles["id"]], losing, "duplicate_submission", reason, applied
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
        data[roles["id"]], flat, "straightliner", reason, options["exclude_straightliners"]
    )
    data = data[~flat]

    sparse = _too_many_missing(data, items, options["max_missing_share"])
    exclusions["too_many_missing"] = _excluded(
        data[roles["id"]],
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


def _flag_outliers(data: pd.DataFrame, items: list[str], alpha: float, id_column: str) -> tuple:
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
    record.update(n=int(flagged.sum()), ids=data.loc[flagged, id_column].tolist())
    return d2, flagged, record


def _outlier_step(data: pd.DataFrame, items: list[str], options: dict, id_column: str) -> tuple:
    """Step 7: add mahalanobis_d2 and mv_outlier; drop the flagged rows if asked to."""
    d2, flagged, record = _flag_outliers(data, items, options["outlier_alpha"], id_column)
    data = data.assign(mahalanobis_d2=d2, mv_outlier=flagged)
    record["action"] = options["outliers"]
    exclude = options["outliers"] == "exclude"
    if exclude:
        reason = f"multivariate outlier: p(D2) < {options['outlier_alpha']:g} (chi-square)"
    else:
        reason = "not applied (outliers: flag): outliers are flagged in mv_outlier and kept"
    dropped = flagged & exclude
    exclusion = _excluded(data[id_column], dropped, "multivariate_outlier", reason, exclude)
    return data[~dropped], record, exclusion


# ------------------------------------------------------------------------------ the whole
def clean_survey(
    raw: pd.DataFrame,
    codebook: Codebook,
    options: dict,
    columns: dict | None = None,
    missing: str = "listwise",
) -> tuple[pd.DataFrame, dict]:
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
    columns : dict, optional
        The config's ``columns`` block: the ``id``, ``unit`` and ``submitted`` columns, each
        optional (None). Without an id the data row number is the id (column ``row``);
        without a unit duplicate submissions are not checked; without a submission time
        ties between a unit's submissions go to the lowest id.
    missing : {"listwise", "fiml"}
        The study's estimation.missing: with listwise deletion the rows with a missing item
        are a loss of the models, warned about like the cleaning rules' losses.

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
        ``item_missing_share_before``/``_after``, ``rows_out``, ``complete_cases`` and
        ``warnings`` (sentences naming every rule that lost more than the warning shares).
        :func:`audit_table` renders it as a table.

    Raises
    ------
    surveysem.errors.InputError
        With ``strict: true`` when a warning share is passed; with ``out_of_range: error``
        when a value is out of range; when the id column repeats.
    """
    options = _checked_options(options)
    roles = _roles(raw, codebook, columns or {})
    items = codebook.items()
    if roles["id"] == ROW:
        raw = raw.assign(**{ROW: np.arange(1, len(raw) + 1)})[[ROW, *raw.columns]]
    data, cells = _recode_cells(raw, codebook, roles["id"])
    if options["out_of_range"] == "error":
        _raise_out_of_range(cells, codebook)
    missing_before = data[items].isna().mean().round(6).to_dict()

    data, exclusions = _exclude_rows(data, items, options, roles)
    data = reverse_key(data, codebook)
    data, outliers, exclusions["multivariate_outlier"] = _outlier_step(
        data, items, options, roles["id"]
    )
    clean = data.drop(columns=codebook.pii_columns()).reset_index(drop=True)

    audit = {
        "options": options,
        "columns": roles,
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
    answered = (raw[items].ne("")).sum().to_dict()
    audit["warnings"] = losses(audit, answered, listwise=missing == "listwise")
    if options["strict"] and audit["warnings"]:
        listing = "\n  - ".join(audit["warnings"])
        raise InputError(
            f"data file {codebook.data_path}: cleaning lost more than the allowed share "
            f"(cleaning.strict is true):\n  - {listing}\nCorrect the data or the codebook "
            "(ranges, missing codes), or raise cleaning.warn_item_share / warn_row_share"
        )
    return clean, audit


def _roles(raw: pd.DataFrame, codebook: Codebook, columns: dict) -> dict:
    """The id, unit and submission-time columns (None when not configured), checked."""
    roles = {key: columns.get(key) for key in ("id", "unit", "submitted")}
    for key, name in roles.items():
        if name and name not in raw.columns:
            raise InputError(
                f"config columns.{key} names '{name}', which is not a column of "
                f"{codebook.data_path}; name an existing column or set it to null"
            )
    if roles["id"] is None:
        if ROW in raw.columns:
            raise InputError(
                f"data file {codebook.data_path} has a column '{ROW}' but the config names no "
                f"id column; set columns.id to the respondent id (e.g. columns: {{id: {ROW}}})"
            )
        roles["id"] = ROW
    elif raw[roles["id"]].duplicated().any():
        repeated = raw[roles["id"]].duplicated(keep=False)
        raise InputError(
            f"data file {codebook.data_path}: the id column {roles['id']} (config columns.id) "
            f"repeats in data row(s) {rows_text(repeated)}; give every row its own id, or set "
            "columns.id to null to identify rows by their row number"
        )
    return roles


def losses(audit: dict, answered: dict, listwise: bool = True) -> list[str]:
    """Sentences naming each cleaning rule that lost more than the warning shares.

    An item loses answers to ``out_of_range`` (`answered` holds each item's non-blank cells
    before cleaning, missing codes included, so a code is not counted as an answer only
    when it is declared); rows are lost to the exclusion rules and, for the models, to
    listwise deletion of the rows with a missing item (``listwise``; under FIML they stay).

    >>> audit = {"options": {"warn_item_share": 0.05, "warn_row_share": 0.1},
    ...          "recoded_to_missing": {"out_of_range": {"q1": 6, "q2": 1},
    ...                                 "missing_code": {"q1": 0, "q2": 0}},
    ...          "rows_in": 100, "rows_out": 100, "complete_cases": 85,
    ...          "exclusions": {"straightliner": {"n": 2}}}
    >>> for line in losses(audit, answered={"q1": 100, "q2": 100}): print(line)
    item q1: 6 of 100 answers (6.0%) were outside the codebook range and set to missing
    listwise deletion: 15 of 100 rows (15.0%) miss an item and are left out of the models
    """
    options, found = audit["options"], []
    codes = audit["recoded_to_missing"]["missing_code"]
    for item, n in audit["recoded_to_missing"]["out_of_range"].items():
        given = answered.get(item, 0) - codes.get(item, 0)
        if given and n / given > options["warn_item_share"]:
            found.append(
                f"item {item}: {n} of {given} answers ({n / given:.1%}) were outside the "
                "codebook range and set to missing"
            )
    for rule, record in audit["exclusions"].items():
        if record["n"] / audit["rows_in"] > options["warn_row_share"]:
            found.append(
                f"{rule.replace('_', ' ')}: {record['n']} of {audit['rows_in']} rows "
                f"({record['n'] / audit['rows_in']:.1%}) were excluded"
            )
    dropped = audit["rows_out"] - audit["complete_cases"]
    if listwise and audit["rows_out"] and dropped / audit["rows_out"] > options["warn_row_share"]:
        found.append(
            f"listwise deletion: {dropped} of {audit['rows_out']} rows "
            f"({dropped / audit['rows_out']:.1%}) miss an item and are left out of the models"
        )
    return found


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
    ``id:column`` for cells, names for items and columns) and ``reason``.
    """
    lines = [(0, "rows_in", "rows", audit["rows_in"], "", "rows of the raw file")]
    out_of_range = f"outside the codebook range (out_of_range: {audit['options']['out_of_range']})"
    for kind, reason in (
        ("missing_code", "declared missing code (codebook missingValues), recoded to missing"),
        ("out_of_range", out_of_range),
    ):
        found = audit["recoded_cells"][kind]
        cells = ", ".join(f"{c['id']}:{c['column']}" for c in found)
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


def analysis_rows(clean: pd.DataFrame, items: list[str], missing: str = "listwise") -> pd.DataFrame:
    """The rows a model is fitted to; ``missing`` is the config's estimation.missing.

    listwise: the rows with a value for every one of ``items`` (the model's observed
    variables); fiml: the rows with a value for at least one of them (lavaan ``missing =
    "ml"`` drops only rows missing on every model variable).

    >>> frame = pd.DataFrame({"a": [1.0, None, None], "b": [2.0, 3.0, None]})
    >>> len(analysis_rows(frame, ["a", "b"])), len(analysis_rows(frame, ["a", "b"], "fiml"))
    (1, 2)
    """
    if missing not in ("listwise", "fiml"):
        raise ValueError(f"unsupported missing-data treatment {missing!r}")
    how = "any" if missing == "listwise" else "all"
    return clean.dropna(subset=items, how=how).reset_index(drop=True)
