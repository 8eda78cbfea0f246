"""Deterministic writers: the same values always give the same bytes.

Results files are compared byte for byte between runs and hashed into the audit trail, so
floats are written with a fixed format, JSON keys are sorted and line endings are always LF.
"""

import json
import math
from pathlib import Path

import pandas as pd

FLOAT_FORMAT = "%.10g"


def write_csv(df: pd.DataFrame, path: str | Path) -> None:
    """Write a DataFrame as UTF-8 CSV without its index, floats to 10 significant digits."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, float_format=FLOAT_FORMAT, lineterminator="\n")


def _plain(value):
    """Turn numpy scalars and non-finite floats into JSON-safe Python values (NaN -> null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(FLOAT_FORMAT % value)
    return value


def write_json(data: dict, path: str | Path) -> None:
    """Write a dict as sorted, indented JSON; floats rounded like write_csv, NaN as null."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(_plain(data), indent=2, sort_keys=True, ensure_ascii=False)
    Path(path).write_text(text + "\n", encoding="utf-8", newline="\n")


def read_json(path: str | Path) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))
