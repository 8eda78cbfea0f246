"""From the raw survey to the analysis dataset, every decision counted and explained.

The order of the rules matters and is fixed: missing codes and out-of-range values first
(they define what "answered" means), then duplicate submissions, straight-lining and item
non-response, then reverse-keying and finally removal of personal data.
"""

import numpy as np
import pandas as pd

from surveysem.codebook import Codebook


def _as_numbers(raw: pd.DataFrame, codebook: Codebook) -> tuple[pd.DataFrame, dict]:
    """Declared missing codes -> NaN; numbers parsed; item values out of range -> NaN."""
    data = raw.copy()
    recoded = {"missing_code": {}, "out_of_range": {}}
    for field in codebook.fields.itertuples():
        if field.type not in ("integer", "number"):
            continue
        text = data[field.name].str.strip()
        is_code = text.isin(field.missing_values) & (text != "")
        values = pd.to_numeric(text.where(~text.isin(field.missing_values)), errors="raise")
        out_of_range = pd.Series(False, index=values.index)
        if pd.notna(field.minimum):
            out_of_range |= values < field.minimum
        if pd.notna(field.maximum):
            out_of_range |= values > field.maximum
        data[field.name] = values.where(~out_of_range)
        if field.construct:
            recoded["missing_code"][field.name] = int(is_code.sum())
            recoded["out_of_range"][field.name] = int(out_of_range.sum())
    return data, recoded


def _most_complete_per_firm(data: pd.DataFrame, items: list[str]) -> pd.Series:
    """Mask of the submissions that lose to another submission of the same firm."""
    order = data.assign(_missing=data[items].isna().sum(axis=1)).sort_values(
        ["firm_id", "_missing", "submitted_on", "resp_id"], kind="stable"
    )
    return data.index.isin(order.index[order.duplicated("firm_id", keep="first")])


def _excluded(ids: pd.Series, mask, reason: str) -> dict:
    return {"reason": reason, "n": int(np.sum(mask)), "ids": ids[mask].tolist()}


def clean_survey(raw: pd.DataFrame, codebook: Codebook, options: dict) -> tuple[pd.DataFrame, dict]:
    """Apply the cleaning rules of `options` (the config's `cleaning` block) to `raw`.

    `raw` holds the file as text (validation.read_raw). Returns the analysis dataset and an
    audit dict: rows in and out, every exclusion with the respondent ids and the reason,
    per-item counts of recoded values and item missingness before and after.
    """
    items = codebook.items()
    data, recoded = _as_numbers(raw, codebook)
    ids = data["resp_id"]
    missing_before = data[items].isna().mean().round(6).to_dict()
    exclusions = {}

    duplicate = _most_complete_per_firm(data, items)
    exclusions["duplicate_submission"] = _excluded(
        ids, duplicate, "a later or less complete submission of a firm that answered twice"
    )
    keep = ~duplicate
    if options["exclude_straightliners"]:
        answered = data[items].notna().all(axis=1)
        flat = answered & (data[items].nunique(axis=1) == 1) & keep
        exclusions["straightliner"] = _excluded(
            ids, flat, "the same answer to every item (no variance across items)"
        )
        keep &= ~flat
    share_missing = data[items].isna().mean(axis=1)
    sparse = (share_missing > options["max_missing_share"]) & keep
    exclusions["too_many_missing"] = _excluded(
        ids, sparse, f"more than {options['max_missing_share']:.0%} of the items unanswered"
    )
    keep &= ~sparse

    clean = data[keep].copy()
    reverse = codebook.fields.loc[codebook.fields["reverse_keyed"], ["name", "minimum", "maximum"]]
    for name, low, high in reverse.itertuples(index=False):
        clean[name] = low + high - clean[name]
    clean = clean.drop(columns=codebook.pii_columns()).reset_index(drop=True)

    audit = {
        "rows_in": len(data),
        "rows_out": len(clean),
        "exclusions": exclusions,
        "recoded_to_missing": recoded,
        "reverse_keyed": reverse["name"].tolist(),
        "pii_dropped": codebook.pii_columns(),
        "item_missing_share_before": missing_before,
        "item_missing_share_after": clean[items].isna().mean().round(6).to_dict(),
        "complete_cases": int(clean[items].notna().all(axis=1).sum()),
    }
    return clean, audit


def analysis_rows(clean: pd.DataFrame, items: list[str], how: str = "listwise") -> pd.DataFrame:
    """The rows a model is fitted to; `how` is the config's cleaning.missing_data."""
    if how != "listwise":
        raise ValueError(f"unsupported missing-data treatment {how!r}")
    return clean.dropna(subset=items).reset_index(drop=True)
