"""Check a raw survey file against its codebook before any analysis runs.

Every problem is collected first and reported in one InputError, so a researcher fixing a
new data file sees the whole list at once instead of one failure per run. Each line names
the file, the column and the first data rows concerned, what was expected and how to fix it.
"""

from pathlib import Path

import pandas as pd

from surveysem.audit import sha256_file
from surveysem.codebook import Codebook
from surveysem.errors import InputError
from surveysem.rawfile import (
    EXTENSIONS,
    FORMATS,
    TEXT_FORMATS,
    RawFile,
    name_problems,
    open_file,
    read_table,
)

MAX_SHOWN = 5


def open_raw(path: str | Path, codebook: Codebook, encoding: str | None = None) -> RawFile:
    """Check that the raw file exists, is not empty and is in the codebook's format.

    Text files must also decode and use the codebook's delimiter. `encoding` is the config's
    `encoding` key; when None a text file is tried as UTF-8 (with or without byte-order
    mark), then GB18030. A file whose extension names another format than the codebook
    declares (say survey.sav described as csv) is an InputError.
    """
    path = Path(path)
    named = EXTENSIONS.get(path.suffix.lower(), codebook.format)
    if named != codebook.format and not {named, codebook.format} <= set(TEXT_FORMATS):
        raise InputError(
            f"data file {path} is {FORMATS[named]} by its extension, but the codebook "
            f"{codebook.path} declares format {codebook.format!r} ({FORMATS[codebook.format]});"
            f' set the resource\'s "format" to "{named}" or point `data` at the right file'
        )
    return open_file(path, codebook.format, encoding, codebook.delimiter)


def read_raw(raw: RawFile | str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read the raw file as text, exactly as written, so that missing codes survive.

    Whatever the format (:mod:`surveysem.rawfile`): one str column per file column, named as
    in the file, missing cells as "".
    """
    if not isinstance(raw, RawFile):
        raw = open_raw(raw, codebook)
    return read_table(raw)


def rows_text(mask: pd.Series) -> str:
    """The first few 1-based data row numbers where `mask` holds (row 1 = first data line)."""
    rows = (mask[mask].index + 1).tolist()
    shown = ", ".join(str(r) for r in rows[:MAX_SHOWN])
    more = len(rows) - MAX_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _header_problems(header: list[str], codebook: Codebook) -> list[str]:
    problems = name_problems(header)
    header = [name for name in header if name != ""]
    absent = [name for name in codebook.columns if name not in header]
    if absent:
        problems.append(
            f"column(s) {', '.join(absent)} are described in the codebook but absent from the "
            "file; add them to the file or remove them from the codebook"
        )
    unknown = [name for name in dict.fromkeys(header) if name not in codebook.columns]
    if unknown:
        problems.append(
            f"column(s) {', '.join(unknown)} are not described in the codebook; describe them "
            "(type, range, missing codes) or remove them from the file"
        )
    return problems


def _numeric_problems(field, text: pd.Series, declared_missing: pd.Series) -> list[str]:
    numbers = pd.to_numeric(text.where(~declared_missing), errors="coerce")
    bad = ~declared_missing & numbers.isna()
    if field.type == "integer":
        bad |= ~declared_missing & numbers.notna() & (numbers % 1 != 0)
    problems = []
    if bad.any():
        examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
        codes = ", ".join(repr(c) for c in field.missing_values) or "none"
        problems.append(
            f"column {field.name}: {bad.sum()} value(s) are not {field.type}s (e.g. "
            f"{examples}) in data row(s) {rows_text(bad)}; expected a {field.type} or a "
            f"declared missing code ({codes}); correct the values or declare the code in the "
            "codebook's missingValues"
        )
    answered = numbers[~declared_missing & ~bad]
    if field.construct and answered.empty:
        problems.append(
            f"column {field.name}: every value is missing; the item carries no information; "
            "drop it from the model and the codebook, or check the export"
        )
    elif field.construct and answered.nunique() == 1:
        problems.append(
            f"column {field.name}: every answered row has the same value ({answered.iloc[0]:g}), "
            "so the item has zero variance and the covariance matrix is singular; drop it from "
            "the model or check the export"
        )
    return problems


def _category_problems(field, text: pd.Series, declared_missing: pd.Series) -> list[str]:
    bad = ~declared_missing & ~text.isin(field.enum)
    if not bad.any():
        return []
    examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
    return [
        f"column {field.name}: {bad.sum()} value(s) are not among the codebook's categories "
        f"(e.g. {examples}) in data row(s) {rows_text(bad)}; expected one of "
        f"{', '.join(field.enum)}; recode them or add the category to constraints.enum"
    ]


def _cell_problems(data: pd.DataFrame, codebook: Codebook) -> list[str]:
    problems = []
    for field in codebook.fields.itertuples():
        text = data[field.name].str.strip()
        declared_missing = text.isin(field.missing_values) | (text == "")
        if field.type in ("integer", "number"):
            problems += _numeric_problems(field, text, declared_missing)
        elif field.enum:
            problems += _category_problems(field, text, declared_missing)
    for key in codebook.primary_key:
        repeated = data[key].duplicated(keep=False)
        if repeated.any():
            problems.append(
                f"column {key} is the primary key but repeats in data row(s) "
                f"{rows_text(repeated)}; give every row its own {key}"
            )
    return problems


def validate_raw(path: str | Path, codebook: Codebook, encoding: str | None = None) -> dict:
    """Validate the raw file at `path` against `codebook`.

    Checks, in order: the file exists, is not empty, is in the codebook's format and, for
    text, decodes (declared or detected encoding) and uses the declared delimiter; its
    sha256 equals the one recorded in the codebook (raw data must never change unnoticed);
    it can be parsed, and its first column has a name; every described column is present
    exactly once, every column has a name and nothing undescribed is; there are data rows;
    numeric columns hold numbers or declared missing codes, categorical columns their
    declared categories, the primary key is unique, and no item is entirely missing or
    constant. Out-of-range item values are not errors here: cleaning recodes them to missing
    and counts them.

    Returns a summary dict (file, format, encoding and delimiter - None for Excel, SPSS and
    Stata -, sha256, rows, columns); raises InputError listing every problem found.
    """
    raw = open_raw(path, codebook, encoding)
    digest = sha256_file(raw.path)
    if codebook.sha256 is None:
        raise InputError(
            f"codebook {codebook.path} records no sha256 for {raw.path}; add "
            f'"hash": "sha256:{digest}" to its resource so that later changes are detected'
        )
    if digest != codebook.sha256:
        raise InputError(
            f"data file {raw.path} has sha256 {digest}, but the codebook {codebook.path} "
            f"records {codebook.sha256}: the raw data changed. Restore the original file or, "
            "if the change is intended, record the new hash in the codebook's resource `hash`"
        )
    data = read_raw(raw, codebook)
    problems = _header_problems(list(data.columns), codebook)
    if not problems:
        if data.empty:
            problems.append("the file has a header but no data rows")
        else:
            problems += _cell_problems(data, codebook)
    if problems:
        listing = "\n  - ".join(problems)
        raise InputError(f"data file {raw.path} does not match its codebook:\n  - {listing}")
    return {
        "file": str(path),
        "format": raw.format,
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "sha256": digest,
        "rows": len(data),
        "columns": data.shape[1],
    }
