"""Check a raw survey file against its codebook before any analysis runs.

Every problem is collected first and reported in one InputError, so a researcher fixing a
new data file sees the whole list at once instead of one failure per run.
"""

from pathlib import Path

import pandas as pd

from surveysem.audit import sha256_file
from surveysem.codebook import Codebook
from surveysem.errors import InputError

MAX_ROWS_SHOWN = 5


def read_raw(path: str | Path, codebook: Codebook) -> pd.DataFrame:
    """Read the raw file as text, exactly as written, so that missing codes survive."""
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        encoding=codebook.encoding,
        sep=codebook.delimiter,
    )


def _rows(mask: pd.Series) -> str:
    """The first few 1-based data row numbers (line numbers minus the header) of a mask."""
    rows = (mask[mask].index + 1).tolist()
    shown = ", ".join(str(r) for r in rows[:MAX_ROWS_SHOWN])
    return shown + (f" and {len(rows) - MAX_ROWS_SHOWN} more" if len(rows) > MAX_ROWS_SHOWN else "")


def _header_problems(path: Path, codebook: Codebook) -> list[str]:
    header = pd.read_csv(
        path, nrows=0, encoding=codebook.encoding, sep=codebook.delimiter
    ).columns.tolist()
    problems = []
    # pandas renames a repeated column "x" to "x.1"; read the raw header to see repeats.
    raw_header = (
        path.read_text(encoding=codebook.encoding).splitlines()[0].split(codebook.delimiter)
    )
    repeated = sorted({c for c in raw_header if raw_header.count(c) > 1})
    if repeated:
        problems.append(f"column(s) {', '.join(repeated)} appear more than once in the header")
    described = set(codebook.fields["name"])
    missing = [c for c in codebook.fields["name"] if c not in header]
    if missing:
        problems.append(
            f"column(s) {', '.join(missing)} are described in the codebook but absent from the "
            "file; add them or remove them from the codebook"
        )
    unknown = [c for c in header if c not in described and c.split(".")[0] not in repeated]
    if unknown:
        problems.append(
            f"column(s) {', '.join(unknown)} are not described in the codebook; describe them "
            "(type, range, missing codes) or remove them from the file"
        )
    return problems


def _cell_problems(raw: pd.DataFrame, codebook: Codebook) -> list[str]:
    problems = []
    for field in codebook.fields.itertuples():
        if field.name not in raw or field.type not in ("integer", "number"):
            continue
        text = raw[field.name].str.strip()
        declared_missing = text.isin(field.missing_values)
        numeric = pd.to_numeric(text.where(~declared_missing), errors="coerce")
        bad = ~declared_missing & numeric.isna()
        if field.type == "integer":
            bad |= ~declared_missing & numeric.notna() & (numeric % 1 != 0)
        if bad.any():
            examples = ", ".join(repr(v) for v in text[bad].unique()[:3])
            codes = ", ".join(repr(c) for c in field.missing_values) or "none"
            problems.append(
                f"column {field.name}: {bad.sum()} value(s) are not {field.type}s "
                f"(e.g. {examples}) in data row(s) {_rows(bad)}; expected a {field.type} or a "
                f"declared missing code ({codes}); correct the values or declare the code in "
                "the codebook"
            )
    return problems


def validate_raw(path: str | Path, codebook: Codebook) -> dict:
    """Validate the raw file named by `path` against `codebook`.

    Checks that the file exists, that its sha256 equals the one recorded in the codebook
    (the raw data are never to change unnoticed), that every described column is present
    exactly once and nothing undescribed is, and that numeric columns hold numbers or
    declared missing codes. Out-of-range numbers are not errors here: cleaning recodes them
    to missing and counts them. Returns a summary dict; raises InputError listing every
    problem found.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"data file {path} does not exist; check the `data` key of the config")
    digest = sha256_file(path)
    if codebook.sha256 and digest != codebook.sha256:
        raise InputError(
            f"data file {path} has sha256 {digest}, but the codebook records "
            f"{codebook.sha256}: the raw data changed. Restore the original file, or, if the "
            "change is intended, record the new hash in the codebook's resource `hash`"
        )
    problems = _header_problems(path, codebook)
    if not problems:
        raw = read_raw(path, codebook)
        if raw.empty:
            problems.append("the file has a header but no data rows")
        problems += _cell_problems(raw, codebook)
    if problems:
        listing = "\n  - ".join(problems)
        raise InputError(f"data file {path} does not match its codebook:\n  - {listing}")
    return {"file": str(path), "sha256": digest, "rows": len(raw), "columns": raw.shape[1]}
