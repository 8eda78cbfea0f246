"""`make codebook DATA=path/to/export`: draft a study's codebook and config from its data file.

Writing a codebook by hand means a JSON entry for every column and a config from scratch;
this drafts both from the raw export alone (CSV/TSV, Excel, SPSS or Stata, read exactly as
the pipeline reads it, surveysem.rawfile), so that the researcher edits rather than writes:

* the Frictionless codebook (surveysem.codebook.write_codebook): per column its type
  (integer, number, string or date), the observed range as constraints, likely missing codes
  (numeric sentinels such as -99 or 999 outside the range of the other values; "NA", "N/A",
  "." and empty), SPSS/Stata value labels as ``categories`` and user-missing codes as
  ``missingValues``, a construct guessed from item names (IMAG1 ... IMAG5 -> IMAG), a likely
  respondent id as primaryKey, ``pii`` for names, e-mail addresses, phones and addresses,
  and the file's sha256 and size. Every description starts with "draft";
* a study config (workflow/schemas/config.schema.yaml) with a CFA of the guessed constructs
  and a placeholder hypothesis to replace.

The same file gives byte-identical drafts; existing files are never overwritten without
``--force``.
"""

import argparse
import json
import re
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import yaml

from surveysem.codebook import FieldSpec, write_codebook
from surveysem.errors import InputError
from surveysem.rawfile import (
    FORMATS,
    TEXT_FORMATS,
    Labels,
    cell_text,
    file_format,
    name_problems,
    open_file,
    read_labels,
    read_table,
)

#: Numbers that survey software and researchers use for "no answer"; a column's sentinel is
#: taken for a missing code only when it lies outside the range of the column's other values.
SENTINELS = (-9999, -999, -99, -98, -97, -9, -8, -7, -1, 99, 999, 9999)
#: Text that stands for a missing value in exports from R, SPSS, Stata and spreadsheets.
MISSING_TEXT = ("NA", "N/A", ".")
#: A text column with at most this many distinct values (some repeated) is categorical.
MAX_CATEGORIES = 12
STUDY_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")  # the config schema's `study`
# An item name: a prefix ending in a letter, an optional separator, a number (IMAG1, imag_1).
_ITEM = re.compile(r"^([A-Za-z](?:[A-Za-z0-9_]*[A-Za-z])?)[_.]?(\d+)$")
_ID = re.compile(
    r"^(?:(?:resp|respondent|response|participant|case|subject|record)_?)?id$|^respondent$",
    re.IGNORECASE,
)
_PII = re.compile(r"name|e-?_?mail|phone|mobile|address|street|postcode|zip_?code", re.I)
_NUMERIC = ("integer", "number")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")


def study_name(path: str | Path) -> str:
    """A study name for the config's `study` key from a data file's name.

    Characters the schema does not allow become "_", leading "_" and "-" are dropped.

    >>> study_name("data/raw/My survey (2024).sav")
    'My_survey_2024'
    """
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(path).stem).strip("_-")
    return name or "study"


def _numbers(text: pd.Series) -> pd.Series:
    return pd.to_numeric(text, errors="coerce")


def _sentinel_codes(text: pd.Series) -> list[str]:
    """The cells of a numeric column that look like missing codes, as written."""
    numbers = _numbers(text)
    flagged = numbers.isin(SENTINELS)
    others = numbers[~flagged]
    if others.empty:
        return []
    outside = flagged & ((numbers < others.min()) | (numbers > others.max()))
    return sorted(set(text[outside]), key=float)


def _declared_codes(name: str, text: pd.Series, labels: Labels) -> list[str]:
    """User-missing codes the SPSS or Stata file declares for a column, as written."""
    codes = list(labels.missing.get(name, []))
    numbers = _numbers(text)
    for low, high in labels.missing_ranges.get(name, []):
        codes += sorted(set(text[(numbers >= low) & (numbers <= high)]), key=float)
    return codes


def _column_type(values: pd.Series) -> str:
    """integer, number, date or string: the narrowest type all answered cells fit."""
    numbers = _numbers(values)
    if values.empty:
        return "string"
    if numbers.notna().all() and np.isfinite(numbers).all():
        return "integer" if (numbers % 1 == 0).all() else "number"
    if values.str.fullmatch(_DATE).all():
        return "date"
    return "string"


def _bound(number, ftype: str):
    """A JSON-ready bound: a Python int for integer columns, else a float."""
    return int(number) if ftype == "integer" else float(number)


def describe_column(name: str, text: pd.Series, labels: Labels | None = None) -> dict:
    """What one column's cells say about it: the facts a codebook field is drafted from.

    Parameters
    ----------
    name : str
        The column's name.
    text : pandas.Series
        Its cells as text (surveysem.rawfile.read_table).
    labels : surveysem.rawfile.Labels, optional
        Value labels and user-missing codes of an SPSS or Stata file.

    Returns
    -------
    dict
        ``type``; ``missing`` (missing codes as written, "" first: declared user-missing
        codes, then sentinels, then missing text); ``guessed_missing`` (the sentinels and
        missing text found, for the researcher to check); ``minimum``/``maximum`` of the
        other values of a numeric column (else None); ``enum`` (sorted categories of a text
        column with few distinct values, else None); ``categories`` (value labels as
        {value, label}); ``values`` (the answered cells).

    Examples
    --------
    >>> facts = describe_column("q1", pd.Series(["1", "10", "-99", "4", ""]))
    >>> facts["type"], facts["minimum"], facts["maximum"], facts["missing"]
    ('integer', 1, 10, ['', '-99'])
    """
    labels = labels or Labels()
    text = text.str.strip()
    declared = _declared_codes(name, text, labels)
    missing_text = [code for code in MISSING_TEXT if (text == code).any()]
    values = text[~text.isin(["", *declared, *missing_text])]
    ftype = _column_type(values)
    numeric = ftype in _NUMERIC
    sentinels = _sentinel_codes(values) if numeric else []
    values = values[~values.isin(sentinels)]
    facts = {
        "type": ftype,
        "missing": list(dict.fromkeys(["", *declared, *sentinels, *missing_text])),
        "guessed_missing": sentinels + missing_text,
        "minimum": None,
        "maximum": None,
        "enum": None,
        "categories": [],
        "values": values,
    }
    if numeric:
        numbers = _numbers(values)
        facts["minimum"] = _bound(numbers.min(), ftype)
        facts["maximum"] = _bound(numbers.max(), ftype)
    distinct = sorted(set(values))
    if ftype == "string" and len(distinct) <= MAX_CATEGORIES and len(distinct) < len(values):
        facts["enum"] = distinct
    facts["categories"] = [
        {"value": _bound(float(code), ftype) if numeric else code, "label": label}
        for code, label in labels.values.get(name, {}).items()
        if not numeric or pd.notna(pd.to_numeric(code, errors="coerce"))
    ]
    return facts


def guess_primary_key(data: pd.DataFrame) -> str | None:
    """The first column named like a respondent id (id, resp_id, respondent, ...) whose
    cells are unique integers with none missing, else None."""
    for name in data.columns:
        if _ID.match(name):
            numbers = _numbers(data[name].str.strip())
            if numbers.notna().all() and (numbers % 1 == 0).all() and numbers.is_unique:
                return name
    return None


def guess_constructs(names: list[str], columns: list[str]) -> dict[str, str]:
    """Item -> construct, grouping numeric columns by the prefix before their number.

    A construct needs at least two items sharing a prefix followed by a number (IMAG1 ...
    IMAG5 -> IMAG, imag_1 ... -> IMAG); a lone numbered column, or names such as Q1a that
    do not end in a number, get none. The construct is the prefix in capitals, with "_F"
    added if that is already a column's name (a factor must not be named like a variable).

    >>> guess_constructs(["IMAG1", "IMAG2", "sat_1", "sat_2", "Q1a", "Q1b", "age1"], [])
    {'IMAG1': 'IMAG', 'IMAG2': 'IMAG', 'sat_1': 'SAT', 'sat_2': 'SAT'}
    """
    groups: dict[str, list[str]] = {}
    for name in names:
        match = _ITEM.match(name)
        if match:
            groups.setdefault(match.group(1).upper(), []).append(name)
    out = {}
    for prefix, items in groups.items():
        if len(items) >= 2:
            construct = f"{prefix}_F" if prefix in columns else prefix
            out |= dict.fromkeys(items, construct)
    return out


def _span(facts: dict) -> str:
    if facts["type"] == "date":
        return f"dates from {min(facts['values'])} to {max(facts['values'])}"
    low, high = cell_text(facts["minimum"]), cell_text(facts["maximum"])
    return f"observed range {low}–{high}; check the scale's range"


def _description(facts: dict, role: str | None, label: str | None) -> str:
    """The draft description of a field: what was seen and what to check."""
    if facts["values"].empty:
        notes = ["every value is missing; check the export or drop the column"]
    elif role == "id":
        notes = ["unique integers named like an id, used as the primary key"]
    elif role == "pii":
        notes = ["named like personal data (pii: true drops it in cleaning); check"]
    elif facts["type"] in (*_NUMERIC, "date"):
        notes = [_span(facts)]
    elif facts["enum"]:
        notes = [f"{len(facts['enum'])} categories seen (constraints.enum); check the list"]
    else:
        notes = [f"text, {facts['values'].nunique()} distinct values"]
    if facts["guessed_missing"]:
        notes.append(f"{', '.join(facts['guessed_missing'])} taken for missing codes; check")
    if facts["categories"]:
        notes.append("value labels from the file in categories")
    draft = "draft: " + "; ".join(notes)
    return f"{label} ({draft})" if label else draft


class Draft(NamedTuple):
    """A drafted codebook: its fields, primary key and the missing codes guessed per column."""

    fields: list[FieldSpec]
    primary_key: str | None
    guessed_missing: dict[str, list[str]]


def draft_fields(data: pd.DataFrame, labels: Labels | None = None) -> Draft:
    """The codebook fields drafted from a raw file's text.

    Parameters
    ----------
    data : pandas.DataFrame
        The raw file as text (surveysem.rawfile.read_table).
    labels : surveysem.rawfile.Labels, optional
        Variable labels, value labels and user-missing codes of an SPSS or Stata file.

    Returns
    -------
    Draft
        One field per column in file order (see :func:`describe_column`, the primary key of
        :func:`guess_primary_key`, constructs of :func:`guess_constructs`, ``pii`` for
        columns named like personal data), and the sentinels and missing text taken for
        missing codes, per column.

    Examples
    --------
    >>> draft = draft_fields(pd.DataFrame({"id": ["1", "2"], "x1": ["3", "-99"], "x2": ["4", "5"]}))
    >>> draft.primary_key, [f.construct for f in draft.fields], draft.guessed_missing
    ('id', [None, 'X', 'X'], {'x1': ['-99']})
    """
    labels = labels or Labels()
    key = guess_primary_key(data)
    facts = {name: describe_column(name, data[name], labels) for name in data.columns}
    pii = {name for name in data.columns if name != key and _PII.search(name)}
    numeric = [
        name for name, f in facts.items() if f["type"] in _NUMERIC and name not in {key, *pii}
    ]
    constructs = guess_constructs(numeric, list(data.columns))
    fields = []
    for name, f in facts.items():
        role = "id" if name == key else "pii" if name in pii else None
        label = labels.variables.get(name)
        fields.append(
            FieldSpec(
                name=name,
                type=f["type"],
                description=_description(f, role, label),
                construct=constructs.get(name),
                wording=label if name in constructs else None,
                minimum=f["minimum"],
                maximum=f["maximum"] if role != "id" else None,
                enum=f["enum"] if role is None else None,
                missing_values=f["missing"] if f["type"] in _NUMERIC or f["missing"][1:] else None,
                pii=role == "pii",
                extra={"categories": f["categories"]} if f["categories"] else {},
            )
        )
    guessed = {name: f["guessed_missing"] for name, f in facts.items() if f["guessed_missing"]}
    return Draft(fields, key, guessed)


def _yaml(text: str) -> str:
    """`text` as a YAML scalar: bare if YAML reads it back as this string, else quoted.

    JSON strings are YAML double-quoted scalars; quoting keeps names such as NO or 2024
    from being read as a boolean or a number.

    >>> _yaml("IMAG"), _yaml("NO"), _yaml("2024")
    ('IMAG', '"NO"', '"2024"')
    """
    plain = re.fullmatch(r"[A-Za-z_][A-Za-z0-9_./-]*", text) and yaml.safe_load(text) == text
    return text if plain else json.dumps(text, ensure_ascii=False)


def draft_config(
    study: str,
    data: str,
    codebook: str,
    constructs: dict[str, list[str]],
    profile: list[str],
    id_column: str | None = None,
) -> str:
    """The text of a draft study config, with comments saying what to check in each block.

    With two or more constructs it passes workflow/schemas/config.schema.yaml: a CFA with a
    factor per construct, one placeholder structural path (the second construct on the
    first) and the placeholder hypothesis H1 on it. With fewer, the model and hypotheses are
    commented TODOs (the schema then says what is missing) and a comment explains why.

    Parameters
    ----------
    study, data, codebook : str
        The config's `study`, `data` and `codebook` values.
    constructs : dict
        Construct -> its items, in file order.
    profile : list of str
        Categorical columns proposed for the sample profile.
    id_column : str, optional
        The guessed respondent identifier (:func:`guess_primary_key`); None: the row number
        identifies respondents.
    """
    measurement = [f"{c} =~ {' + '.join(items)}" for c, items in constructs.items()]
    lines = [
        f"# DRAFT study config written by `make codebook` from {data}.",
        "# Every key is described in workflow/schemas/config.schema.yaml; config/config.yaml is a",
        "# complete example. Check each block marked TODO, then run",
        "#   make run CONFIG=<this file>",
        "",
        f"study: {_yaml(study)}  # results go to results/{study}/",
        'title: "TODO: the title of your study"',
        "synthetic: false             # true only for simulated data",
        f"data: {_yaml(data)}",
        f"codebook: {_yaml(codebook)}  # check its fields marked draft",
        "seed: 1                      # root seed of every random step; any fixed integer",
        "",
        "# Columns with a role in cleaning, each optional (null: the data have none).",
        "columns:",
        f"  id: {_yaml(id_column)}  # guessed: unique in every row"
        if id_column
        else "  id: null         # the row number identifies respondents",
        "  unit: null       # a unit (e.g. a firm) that should answer once: duplicates resolved",
        "  submitted: null  # submission date or time: a unit's earliest submission is kept",
        "",
    ]
    if len(constructs) >= 2:
        first, second = list(constructs)[:2]
        lines += [
            "# The model in lavaan syntax. The measurement part has one factor per construct",
            "# guessed from the item names (IMAG1, IMAG2, ... -> IMAG): check the grouping",
            "# against the questionnaire. The structural part is a PLACEHOLDER: replace it by",
            "# the paths of your hypotheses.",
            "model: |",
            *(f"  {line}" for line in measurement),
            f"  {second} ~ {first}    # PLACEHOLDER path",
            "",
            "# Names of the factors in tables and text. TODO: replace the placeholders.",
            "constructs:",
            *(f"  {_yaml(c)}: {_yaml(f'TODO: name of {c}')}" for c in constructs),
            "",
            "# PLACEHOLDER hypothesis on the placeholder path: replace it by yours, each the",
            "# path `outcome ~ predictor` of a regression of the model.",
            "hypotheses:",
            f'  - {{id: H1, path: "{second} ~ {first}", expected: positive,',
            '     label: "TODO: placeholder, replace by your hypothesis"}',
        ]
    else:
        found = f"only {', '.join(constructs)}" if constructs else "none"
        first = next(iter(constructs), "F1")
        lines += [
            f"# TODO: constructs guessed from the item names: {found}. A structural model",
            "# needs at least two; name the items of each construct in the codebook",
            "# (construct) or write the model by hand, in lavaan syntax, e.g.",
            "# model: |",
            *(f"#   {line}" for line in measurement or ["F1 =~ item1 + item2 + item3"]),
            "#   F2 =~ item4 + item5 + item6",
            f"#   F2 ~ {first}",
            "# constructs:",
            f"#   {first}: name of the first factor",
            "#   F2: name of the second factor",
            "# hypotheses:",
            f'#   - {{id: H1, path: "F2 ~ {first}", expected: positive, label: "..."}}',
        ]
    lines += [
        "",
        "# How every model is estimated, in lavaan's terms. ML with listwise deletion is",
        "# lavaan's default; MLR gives robust SEs and tests for non-normal items; missing: fiml",
        "# (with ML or MLR) keeps the respondents with incomplete answers; estimator: WLSMV",
        "# treats items with few categories as ordinal.",
        "estimation:",
        "  estimator: ML",
        "  missing: listwise",
        "",
        "# The sample description. Proposed profile: the categorical columns that are neither",
        "# items nor personal data; the waves, weights and size columns of the bundled design",
        "# are switched off (null). Set them if your data have them.",
        "sample:",
        f"  profile: [{', '.join(_yaml(name) for name in profile)}]",
        "  size_column: null",
        "  weight: null",
        "  wave: null",
        "  compare: []",
        "",
        "# Cleaning, bootstrap, robustness and the other blocks take the defaults of the schema;",
        "# copy a block from config/config.yaml to change it.",
    ]
    return "\n".join(lines) + "\n"


def _relative(path: Path) -> str:
    """`path` relative to the working directory (the project) if inside it, else absolute."""
    path = path.resolve()
    cwd = Path.cwd().resolve()
    return path.relative_to(cwd).as_posix() if path.is_relative_to(cwd) else path.as_posix()


def _line_terminator(path: Path) -> str:
    with open(path, "rb") as fh:
        return "\r\n" if fh.readline().endswith(b"\r\n") else "\n"


def scaffold(
    data_path: str | Path,
    study: str | None = None,
    codebook_path: str | Path | None = None,
    config_path: str | Path | None = None,
    force: bool = False,
) -> list[str]:
    """Write the draft codebook and config of a data file; return what the researcher must check.

    Parameters
    ----------
    data_path : str or Path
        The raw export (format from its extension, see surveysem.rawfile).
    study : str, optional
        The study name; by default the file's stem made fit for the schema (:func:`study_name`).
    codebook_path, config_path : str or Path, optional
        Where to write; by default data/codebook/<study>.datapackage.json and
        config/<study>.yaml under the working directory.
    force : bool
        Overwrite existing files; otherwise an existing file is an InputError and nothing is
        written.
    """
    data_path = Path(data_path)
    study = study or study_name(data_path)
    if not STUDY_PATTERN.match(study):
        raise InputError(
            f"study name {study!r} is not allowed: use letters, digits, '_' and '-', starting "
            "with a letter or digit (STUDY=... of make codebook)"
        )
    codebook_path = Path(codebook_path or f"data/codebook/{study}.datapackage.json")
    config_path = Path(config_path or f"config/{study}.yaml")
    existing = [str(p) for p in (codebook_path, config_path) if p.exists()]
    if existing and not force:
        raise InputError(
            f"{' and '.join(existing)} already {'exists' if len(existing) == 1 else 'exist'}; "
            "nothing was written. Edit the existing file, choose another study name "
            "(STUDY=...), or overwrite both drafts with --force (make codebook DATA=... FORCE=1)"
        )
    raw = open_file(data_path, file_format(data_path))
    data = read_table(raw)
    problems = name_problems(list(data.columns))
    if data.empty:
        problems.append("the file has a header but no data rows")
    if problems:
        raise InputError(f"data file {data_path}: " + "; ".join(problems))
    labels = read_labels(raw)
    draft = draft_fields(data, labels)
    text = raw.format in TEXT_FORMATS
    write_codebook(
        codebook_path,
        data_path=data_path,
        fields=draft.fields,
        name=study.lower(),
        title=f"{study}: codebook (draft)",
        description=(
            f"Drafted by `make codebook` from {data_path.name} ({FORMATS[raw.format]}, "
            f"{len(data)} rows). Check every description marked 'draft'."
        ),
        primary_key=(draft.primary_key,) if draft.primary_key else (),
        format=raw.format,
        encoding=raw.encoding or "utf-8",
        delimiter=raw.delimiter or ",",
        line_terminator=_line_terminator(data_path) if text else "\n",
    )
    constructs: dict[str, list[str]] = {}
    for field in draft.fields:
        if field.construct:
            constructs.setdefault(field.construct, []).append(field.name)
    profile = [
        f.name
        for f in draft.fields
        if (f.enum or f.extra) and not (f.construct or f.pii or f.name == draft.primary_key)
    ]
    config = draft_config(
        study,
        _relative(data_path),
        _relative(codebook_path),
        constructs,
        profile,
        draft.primary_key,
    )
    config_path.parent.mkdir(parents=True, exist_ok=True)
    config_path.write_text(config, encoding="utf-8", newline="\n")
    return _checklist(draft, constructs, codebook_path, config_path)


def _checklist(draft: Draft, constructs, codebook_path: Path, config_path: Path) -> list[str]:
    """The lines printed after writing: what was written and what to check."""
    items = sum(len(v) for v in constructs.values())
    groups = ", ".join(f"{c} ({len(v)})" for c, v in constructs.items()) or "none"
    guessed = [f"{name} ({', '.join(codes)})" for name, codes in draft.guessed_missing.items()]
    pii = [f.name for f in draft.fields if f.pii]
    return [
        f"wrote {codebook_path}: {len(draft.fields)} columns, {items} items in constructs "
        f"{groups}, primary key {draft.primary_key or 'none found'}",
        f"wrote {config_path}",
        "check before `make run CONFIG=" + config_path.as_posix() + "`:",
        "  - in the codebook, every description starting with 'draft': type, range "
        "(constraints: the observed range, not necessarily the scale's) and missing codes",
        "  - the constructs guessed from the item names, and reverse_keyed on negatively "
        "worded items (none is guessed)",
        f"  - missing codes guessed from the values: {', '.join(guessed) or 'none'}",
        f"  - columns flagged as personal data (pii): {', '.join(pii) or 'none'}",
        "  - in the config: title, model, construct names and the placeholder hypothesis",
    ]


def main(argv=None) -> int:
    """Command line of :func:`scaffold`; prints an InputError as one line and returns 1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", help="the raw export (.csv, .tsv, .xlsx, .sav, .dta, ...)")
    parser.add_argument("--study", help="study name (default: the data file's name)")
    parser.add_argument("--codebook", help="default: data/codebook/<study>.datapackage.json")
    parser.add_argument("--config", help="default: config/<study>.yaml")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)
    try:
        lines = scaffold(args.data, args.study, args.codebook, args.config, args.force)
    except InputError as error:
        print(error, file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
