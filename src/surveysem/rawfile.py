"""Read a raw survey export, whatever its format, as a table of text.

The pipeline trusts one view of the raw data: every cell as the text a researcher would see,
one column per file column, missing cells as "". Declared missing codes (-99, "NA", an SPSS
user-missing 98) then survive to the codebook check and the cleaning audit, whatever program
wrote the file. Supported formats (the codebook resource's ``format``, else the extension):

* ``csv`` - delimited text (any extension but the ones below; delimiter from the codebook);
* ``tsv`` - tab-separated text (``.tsv``, ``.tab``);
* ``xlsx`` - an Excel workbook, first sheet, first row the header (pandas with openpyxl);
* ``sav`` - SPSS (pyreadstat); user-missing values arrive as their codes;
* ``dta`` - Stata (pyreadstat); extended missing values ``.a``-``.z`` arrive as ".a"-".z".

Numbers from Excel, SPSS and Stata are written in the shortest form that reads back as the
same number (3.0 -> "3", 2.5 -> "2.5", a Stata float 2.1 -> "2.1"); system-missing -> "".
"""

import codecs
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from surveysem.errors import InputError

#: Supported formats and how messages name them.
FORMATS = {
    "csv": "delimited text",
    "tsv": "tab-separated text",
    "xlsx": "an Excel workbook",
    "sav": "an SPSS data file",
    "dta": "a Stata data file",
}
TEXT_FORMATS = ("csv", "tsv")
#: File extensions that name a format; any other extension is read as delimited text.
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".tab": "tsv",
    ".xlsx": "xlsx",
    ".sav": "sav",
    ".dta": "dta",
}
MEDIA_TYPES = {
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}
# Survey platforms export UTF-8, UTF-8 with a byte-order mark, or (in China) GBK/GB18030;
# GB18030 is a superset of GBK, so it reads both.
DETECTED_ENCODINGS = ("utf-8", "gb18030")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
ROW_NAMES = (
    "the first column has no name; this is what R's write.csv writes for row names — "
    "re-export with write.csv(..., row.names = FALSE) or give the column a name in the file "
    "and the codebook"
)


@dataclass(frozen=True)
class RawFile:
    """How to read a raw file: its path, format and, for text, the encoding and delimiter."""

    path: Path
    format: str = "csv"
    encoding: str | None = None
    delimiter: str | None = None


@dataclass(frozen=True)
class Labels:
    """What an SPSS or Stata file says about its columns besides the values (see read_labels).

    ``variables``: column -> variable label; ``values``: column -> {code as text: label};
    ``missing``: column -> user-missing codes as text; ``missing_ranges``: column -> SPSS
    user-missing ranges (low, high) that are not a single code.
    """

    variables: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    missing_ranges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)


def file_format(path: str | Path, declared: str | None = None) -> str:
    """The format to read `path` in: the declared one, else the one its extension names.

    >>> file_format("survey.sav"), file_format("survey.txt"), file_format("x.csv", "tsv")
    ('sav', 'csv', 'tsv')
    """
    return declared or EXTENSIONS.get(Path(path).suffix.lower(), "csv")


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


def sniff_delimiter(header: str) -> str | None:
    """The delimiter of DELIMITERS that occurs most often in a header line (None if none does).

    >>> sniff_delimiter("id;a;b"), sniff_delimiter("id")
    (';', None)
    """
    counts = {d: header.count(d) for d in DELIMITERS}
    found = max(counts, key=counts.get)
    return found if counts[found] else None


def open_file(
    path: str | Path, fmt: str, encoding: str | None = None, delimiter: str | None = None
) -> RawFile:
    """Check that a raw file exists and is not empty; for text, settle encoding and delimiter.

    Parameters
    ----------
    path : str or Path
        The raw export.
    fmt : str
        One of FORMATS (see :func:`file_format`).
    encoding : str, optional
        The config's ``encoding``; when None a text file is tried as UTF-8 (with or without
        byte-order mark), then GB18030.
    delimiter : str, optional
        The codebook's ``dialect.delimiter``: the header must use it (a header split by another
        delimiter is an InputError). When None it is taken from the header (comma by default,
        tab for tsv).

    Returns
    -------
    RawFile
        Encoding and delimiter are None for Excel, SPSS and Stata files.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"data file {path} does not exist; check its path (the `data` key of the config, "
            "or DATA= of make codebook)"
        )
    if path.stat().st_size == 0:
        raise InputError(f"data file {path} is empty; export the survey again")
    if fmt not in TEXT_FORMATS:
        return RawFile(path, fmt)
    used = detect_encoding(path, encoding)
    header = path.read_text(encoding=used).splitlines()[0]
    found = sniff_delimiter(header)
    if delimiter is None:
        delimiter = found or ("\t" if fmt == "tsv" else ",")
    elif delimiter not in header and found:
        raise InputError(
            f"data file {path}: the header is {DELIMITERS[found]}-separated ({header.count(found)}"
            f" '{found}'), but the codebook declares {DELIMITERS.get(delimiter, repr(delimiter))}"
            f" ('{delimiter}'); re-export the file with '{delimiter}' or set dialect.delimiter "
            f"to '{found}' in the codebook"
        )
    return RawFile(path, fmt, used, delimiter)


def cell_text(value, single_precision: bool = False) -> str:
    """One cell of an Excel, SPSS or Stata file as the text a CSV export would hold.

    Missing values become "", whole numbers lose their ".0", other numbers take the shortest
    form that reads back as the same number - of a 4-byte float when `single_precision`
    (Stata's default ``float`` storage), so 2.1 stays "2.1" rather than "2.0999999046325684".
    Dates are ISO 8601; Excel's TRUE and FALSE stay as Excel shows them.

    >>> cell_text(3.0), cell_text(2.5), cell_text(None), cell_text(dt.date(2020, 1, 31))
    ('3', '2.5', '', '2020-01-31')
    """
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if pd.isna(value):
        return ""
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = np.float32(value) if single_precision else np.float64(value)
        return np.format_float_positional(number, trim="-")
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


# Each reader returns the header's cells and the data rows as text, columns by position.
def _read_text(raw: RawFile) -> tuple[list[str], pd.DataFrame]:
    grid = pd.read_csv(
        raw.path,
        header=None,  # names exactly as written: no "Unnamed: 0", no "co2.1" for a repeat
        dtype=str,
        keep_default_na=False,
        encoding=raw.encoding,
        sep=raw.delimiter,
    )
    # Rows shorter than the header leave NaN in their last cells: those cells are empty.
    return grid.iloc[0].tolist(), grid.iloc[1:].fillna("")


def _read_xlsx(raw: RawFile) -> tuple[list[str], pd.DataFrame]:
    grid = pd.read_excel(raw.path, sheet_name=0, header=None, dtype=object, engine="openpyxl")
    if grid.empty:
        raise InputError(
            f"data file {raw.path}: the first sheet of the workbook is empty; put the survey "
            "on the first sheet, with the column names in its first row"
        )
    grid = grid.map(cell_text)
    return grid.iloc[0].tolist(), grid.iloc[1:]


def name_problems(header: list[str]) -> list[str]:
    """Columns of a header without a name or with another column's name (messages).

    >>> name_problems(["id", "", "a", "a"])[1]
    'column(s) a appear more than once in the header; rename or remove the copies'
    """
    problems = []
    unnamed = [str(i + 1) for i, name in enumerate(header) if name == ""]
    if unnamed:
        problems.append(
            f"column(s) number {', '.join(unnamed)} (counting from 1) have no name in the "
            "header; name them in the file and describe them in the codebook, or remove them"
        )
    named = [name for name in header if name != ""]
    repeated = sorted({name for name in named if named.count(name) > 1})
    if repeated:
        problems.append(
            f"column(s) {', '.join(repeated)} appear more than once in the header; rename or "
            "remove the copies"
        )
    return problems


def _code_text(code, stata: bool, single_precision: bool = False) -> str:
    # pyreadstat gives Stata's extended missing values .a-.z as bare letters among numbers.
    return "." + code if stata and isinstance(code, str) else cell_text(code, single_precision)


def _read_stats_file(raw: RawFile) -> tuple[list[str], pd.DataFrame]:
    stata = raw.format == "dta"
    read = pyreadstat.read_dta if stata else pyreadstat.read_sav
    data, meta = read(raw.path, user_missing=True)
    for name in data.columns:
        storage = meta.readstat_variable_types[name]
        if storage == "string":
            data[name] = data[name].map(cell_text)
        else:
            single = storage == "float"
            data[name] = data[name].map(lambda v, s=single: _code_text(v, stata, s))
    return list(data.columns), data


_READERS = {"csv": _read_text, "tsv": _read_text, "xlsx": _read_xlsx}
_READERS |= {"sav": _read_stats_file, "dta": _read_stats_file}


def _parse(raw: RawFile, read, *args, **kwargs):
    """``read(*args, **kwargs)``, with a parser's failure on `raw` as one InputError."""
    try:
        return read(*args, **kwargs)
    except InputError:
        raise
    except Exception as error:  # each parser has its own exceptions for a damaged file
        what = FORMATS[raw.format]
        if raw.format in TEXT_FORMATS:
            what += f" ({DELIMITERS.get(raw.delimiter, repr(raw.delimiter))}-separated)"
        raise InputError(
            f"data file {raw.path}: cannot be read as {what} ({error}); check that it is "
            "complete and that every row has as many fields as the header, re-export it, or "
            "correct the codebook resource's format"
        ) from error


def read_table(raw: RawFile) -> pd.DataFrame:
    """The raw file as text: one str column per file column, named as in its header.

    Every format goes through here, so that validation, cleaning and the codebook scaffold
    see the same cells. Column names keep duplicates (the codebook check reports them);
    surrounding blanks are stripped. An unnamed first column - R's row names - is an
    InputError saying so, as is a file that its format's parser cannot read.
    """
    header, table = _parse(raw, _READERS[raw.format], raw)
    names = [name.strip() for name in header]
    if names[0] == "":
        raise InputError(f"data file {raw.path}: {ROW_NAMES}")
    table = table.reset_index(drop=True).astype(str)  # the str dtype of read_csv, any format
    table.columns = names
    return table


def read_labels(raw: RawFile) -> Labels:
    """Variable labels, value labels and user-missing codes of an SPSS or Stata file.

    Codes are written as :func:`read_table` writes the cells (1.0 -> "1", Stata .a -> ".a"),
    so they can be matched against the data. Other formats carry no labels: empty Labels.
    """
    if raw.format not in ("sav", "dta"):
        return Labels()
    stata = raw.format == "dta"
    read = pyreadstat.read_dta if stata else pyreadstat.read_sav
    # Not metadataonly: pyreadstat lists Stata's extended missing values only once read.
    _, meta = _parse(raw, read, raw.path, user_missing=True)
    missing: dict[str, list[str]] = {}
    ranges: dict[str, list[tuple[float, float]]] = {}
    for name, spans in meta.missing_ranges.items():
        for span in spans:
            if span["lo"] == span["hi"]:
                missing.setdefault(name, []).append(cell_text(span["lo"]))
            else:
                ranges.setdefault(name, []).append((span["lo"], span["hi"]))
    for name, letters in meta.missing_user_values.items():
        missing.setdefault(name, []).extend(_code_text(letter, stata) for letter in letters)
    return Labels(
        variables={k: v for k, v in meta.column_names_to_labels.items() if v},
        values={
            name: {_code_text(code, stata): label for code, label in labels.items()}
            for name, labels in meta.variable_value_labels.items()
        },
        missing=missing,
        missing_ranges=ranges,
    )
