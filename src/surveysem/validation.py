"""Check a raw survey file against its codebook before any analysis runs.

Every problem is collected first and reported in one InputError, so a researcher fixing a
new data file sees the whole list at once instead of one failure per run. Each line names
the file, the column and the first data rows concerned, what was expected and how to fix it.
"""

import codecs
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from surveysem.audit import sha256_file
from surveysem.codebook import Codebook
from surveysem.errors import InputError

MAX_SHOWN = 5
# Survey platforms export UTF-8, UTF-8 with a byte-order mark, or (in China) GBK/GB18030;
# GB18030 is a superset of GBK, so it reads both.
DETECTED_ENCODINGS = ("utf-8", "gb18030")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


@dataclass(frozen=True)
class RawFile:
    """How to read a raw file: the path and the encoding and delimiter actually used."""

    path: Path
    encoding: str
    delimiter: str


def detect_encoding(path: Path, declared: str | None) -> str:
    """The encoding to read `path` with: the declared one, or the first that decodes it.

    A UTF-8 byte-order mark selects "utf-8-sig" so that the mark does not end up in the
    first column's name. Raises InputError when the file does not decode.
    """
    data = path.read_bytes()
    if data.startswith(codecs.BOM_UTF8) and (declared or "utf-8").lower() in ("utf-8", "utf8"):
        return "utf-8-sig"
    for encoding in [declared] if declared else DETECTED_ENCODINGS:
        try:
            data.decode(encoding)
            return encoding
        except UnicodeDecodeError as error:
            failure = f"byte {error.start} is not valid {encoding}"
    tried = declared or " or ".join(DETECTED_ENCODINGS)
    raise InputError(
        f"data file {path}: cannot be read as {tried} ({failure}); re-export it as UTF-8, or "
        "declare its encoding with the config key `encoding` (e.g. encoding: gb18030)"
    )


def _check_delimiter(path: Path, header: str, declared: str) -> None:
    if declared in header:
        return
    counts = {d: header.count(d) for d in DELIMITERS if d != declared}
    found = max(counts, key=counts.get)
    if counts[found]:
        raise InputError(
            f"data file {path}: the header is {DELIMITERS[found]}-separated ({counts[found]} "
            f"'{found}'), but the codebook declares {DELIMITERS.get(declared, repr(declared))}"
            f" ('{declared}'); re-export the file with '{declared}' or set dialect.delimiter "
            f"to '{found}' in the codebook"
        )


def open_raw(path: str | Path, codebook: Codebook, encoding: str | None = None) -> RawFile:
    """Check that the raw file exists, is not empty, decodes and uses the declared delimiter.

    `encoding` is the config's `encoding` key; when None the file is tried as UTF-8 (with or
    without byte-order mark), then GB18030.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file {path} does not exist; check the `data` key of the config")
    if path.stat().st_size == 0:
        raise InputError(f"data file {path} is empty; export the survey again")
    used = detect_encoding(path, encoding)
    header = path.read_text(encoding=used).splitlines()[0]
    _check_delimiter(path, header, codebook.delimiter)
    return RawFile(path, used, codebook.delimiter)


def read_raw(raw: RawFile | str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read the raw file as text, exactly as written, so that missing codes survive."""
    if not isinstance(raw, RawFile):
        raw = open_raw(raw, codebook)
    return pd.read_csv(
        raw.path, dtype=str, keep_default_na=False, encoding=raw.encoding, sep=raw.delimiter
    )


def rows_text(mask: pd.Series) -> str:
    """The first few 1-based data row numbers where `mask` holds (row 1 = first data line)."""
    rows = (mask[mask].index + 1).tolist()
    shown = ", ".join(str(r) for r in rows[:MAX_SHOWN])
    more = len(rows) - MAX_SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def _header_problems(raw: RawFile, codebook: Codebook) -> list[str]:
    header = raw.path.read_text(encoding=raw.encoding).splitlines()[0].split(raw.delimiter)
    header = [name.strip().strip('"') for name in header]
    problems = []
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(
            f"column(s) {', '.join(repeated)} appear more than once in the header; rename or "
            "remove the copies"
        )
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

    Checks, in order: the file exists, is not empty, decodes (declared or detected
    encoding) and uses the declared delimiter; its sha256 equals the one recorded in the
    codebook (raw data must never change unnoticed); every described column is present
    exactly once and nothing undescribed is; there are data rows; numeric columns hold
    numbers or declared missing codes, categorical columns their declared categories, the
    primary key is unique, and no item is entirely missing or constant. Out-of-range item
    values are not errors here: cleaning recodes them to missing and counts them.

    Returns a summary dict (file, encoding, delimiter, sha256, rows, columns); raises
    InputError listing every problem found.
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
    problems = _header_problems(raw, codebook)
    if not problems:
        data = read_raw(raw, codebook)
        if data.empty:
            problems.append("the file has a header but no data rows")
        else:
            problems += _cell_problems(data, codebook)
    if problems:
        listing = "\n  - ".join(problems)
        raise InputError(f"data file {raw.path} does not match its codebook:\n  - {listing}")
    return {
        "file": str(path),
        "encoding": raw.encoding,
        "delimiter": raw.delimiter,
        "sha256": digest,
        "rows": len(data),
        "columns": data.shape[1],
    }
