"""Read and write the survey codebook, a Frictionless Data Package (v2) with one table resource.

The codebook is the single description of the raw survey file that the pipeline trusts: where
the file is (``path``, relative to the datapackage file), its ``format`` (csv, tsv, xlsx, sav or
dta; see surveysem.rawfile), its ``sha256`` hash, for text its encoding and delimiter, and per
column a Table Schema field with ``name``, ``type`` (integer, number, string or date),
``description``, ``constraints`` (``minimum``/``maximum``/``enum``) and ``missingValues``,
plus the compendium's custom properties:

* ``construct`` - the latent construct an item measures (absent for non-items);
* ``wording``   - the item text;
* ``reverse_keyed`` - true for negatively worded items (scored as minimum + maximum - x);
* ``pii``       - true for columns identifying a person (must never leave the cleaning stage).

A researcher with the real data drafts such a file for their own export with
``make codebook DATA=...`` (surveysem.scaffold), edits it and points the study config at it.
``load_codebook`` validates it and raises ``CodebookError`` with a one-line message naming the
file, the field and the fix.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from surveysem.errors import InputError
from surveysem.rawfile import FORMATS, MEDIA_TYPES, TEXT_FORMATS, file_format

__all__ = [
    "FIELD_TYPES",
    "Codebook",
    "CodebookError",
    "FieldSpec",
    "file_sha256",
    "load_codebook",
    "write_codebook",
]

#: Table Schema types the pipeline understands.
FIELD_TYPES: tuple[str, ...] = ("integer", "number", "string", "date")

PACKAGE_SCHEMA = "https://datapackage.org/profiles/2.0/datapackage.json"
RESOURCE_SCHEMA = "https://datapackage.org/profiles/2.0/dataresource.json"
TABLE_SCHEMA = "https://datapackage.org/profiles/2.0/tableschema.json"

_HASH_RE = re.compile(r"^sha256:([0-9a-f]{64})$")
_COLUMNS = (
    "name",
    "type",
    "description",
    "construct",
    "wording",
    "minimum",
    "maximum",
    "missing_values",
    "reverse_keyed",
    "pii",
    "enum",
)


class CodebookError(InputError):
    """The codebook is missing, unreadable or inconsistent (message: file, field, fix).

    A ValueError via ``surveysem.errors.InputError``, so workflow steps report it to the user
    as a plain one-line message.
    """


def file_sha256(path: str | os.PathLike) -> str:
    """Hex sha256 digest of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


# ---------------------------------------------------------------------------- writing side
@dataclass(frozen=True)
class FieldSpec:
    """One column of the codebook, as the generator (or a researcher's script) declares it.

    ``extra`` holds further Table Schema / custom properties copied verbatim into the field
    descriptor (e.g. ``categories`` for value labels, ``format``, ``unit``).
    """

    name: str
    type: str
    description: str
    construct: str | None = None
    wording: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    enum: Sequence[str] | None = None
    missing_values: Sequence[str] | None = None
    reverse_keyed: bool = False
    pii: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def to_descriptor(self) -> dict[str, Any]:
        """The Table Schema field descriptor (keys in a fixed order, for byte-stable JSON)."""
        d: dict[str, Any] = {"name": self.name, "type": self.type, "description": self.description}
        if self.construct is not None:
            d["construct"] = self.construct
        if self.wording is not None:
            d["wording"] = self.wording
        constraints: dict[str, Any] = {}
        if self.minimum is not None:
            constraints["minimum"] = self.minimum
        if self.maximum is not None:
            constraints["maximum"] = self.maximum
        if self.enum is not None:
            constraints["enum"] = list(self.enum)
        if constraints:
            d["constraints"] = constraints
        if self.missing_values is not None:
            d["missingValues"] = list(self.missing_values)
        d["reverse_keyed"] = bool(self.reverse_keyed)
        d["pii"] = bool(self.pii)
        d.update(self.extra)
        return d


def write_codebook(
    path: str | os.PathLike,
    *,
    data_path: str | os.PathLike,
    fields: Iterable[FieldSpec],
    name: str,
    title: str,
    description: str,
    resource_description: str = "",
    primary_key: Sequence[str] = ("resp_id",),
    missing_values: Sequence[str] = ("",),
    licenses: Sequence[Mapping[str, str]] = (),
    sources: Sequence[Mapping[str, str]] = (),
    keywords: Sequence[str] = (),
    format: str = "csv",
    encoding: str = "utf-8",
    delimiter: str = ",",
    line_terminator: str = "\n",
) -> dict[str, Any]:
    """Write a Data Package describing the raw file at ``data_path``; return the descriptor.

    The resource ``path`` is stored relative to the datapackage file (POSIX separators) and the
    file's sha256 and byte size are computed here, so the codebook always matches the data it
    was written with. Output is deterministic: fixed key order, 2-space indent, ``\\n``.
    The written file is re-read with ``load_codebook`` as a self-check.

    ``format`` is one of surveysem.rawfile.FORMATS; ``encoding``, ``delimiter`` and
    ``line_terminator`` describe a text file (csv, tsv) and are left out for binary formats
    (xlsx, sav, dta), which carry their own.
    """
    path = Path(path)
    data_path = Path(data_path)
    rel = Path(os.path.relpath(data_path.resolve(), path.resolve().parent)).as_posix()
    resource: dict[str, Any] = {
        "$schema": RESOURCE_SCHEMA,
        "name": f"{name}_survey",
        "type": "table",
        "path": rel,
        "format": format,
        "mediatype": MEDIA_TYPES[format],
    }
    if format in TEXT_FORMATS:
        resource["encoding"] = encoding
    resource["bytes"] = data_path.stat().st_size
    resource["hash"] = f"sha256:{file_sha256(data_path)}"
    if format in TEXT_FORMATS:
        dialect = {"delimiter": delimiter, "header": True, "lineTerminator": line_terminator}
        resource["dialect"] = dialect
    if resource_description:
        resource["description"] = resource_description
    resource["schema"] = {
        "$schema": TABLE_SCHEMA,
        "fields": [f.to_descriptor() for f in fields],
        "primaryKey": list(primary_key),
        "missingValues": list(missing_values),
    }
    package: dict[str, Any] = {
        "$schema": PACKAGE_SCHEMA,
        "name": name,
        "title": title,
        "description": description,
    }
    if keywords:
        package["keywords"] = list(keywords)
    if licenses:
        package["licenses"] = [dict(x) for x in licenses]
    if sources:
        package["sources"] = [dict(x) for x in sources]
    package["resources"] = [resource]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(package, indent=2, ensure_ascii=False) + "\n")
    load_codebook(path)
    return package


# ---------------------------------------------------------------------------- reading side
@dataclass(frozen=True, eq=False)
class Codebook:
    """A validated codebook.

    ``fields`` has one row per column of the raw file, in file order, with columns name, type,
    description, construct (None for non-items), wording (None if absent), minimum, maximum
    (float, NaN if unconstrained), missing_values (tuple of str: the field-level list, else the
    schema-level one), reverse_keyed, pii (bool) and enum (tuple of str or None).
    ``data_path`` is absolute; ``sha256`` is the bare hex digest (None if no hash is declared).
    ``format`` is the resource's ``format``, else the one the extension of its ``path`` names
    (surveysem.rawfile.file_format); ``delimiter`` defaults to a tab for tsv, else a comma.
    """

    path: Path
    name: str
    fields: pd.DataFrame
    data_path: Path
    sha256: str | None
    encoding: str
    delimiter: str
    primary_key: tuple[str, ...]
    descriptor: Mapping[str, Any] = field(repr=False)
    format: str = "csv"

    @property
    def columns(self) -> list[str]:
        """All column names in file order."""
        return self.fields["name"].tolist()

    def items(self, construct: str | None = None) -> list[str]:
        """Names of the fields with a construct (optionally only ``construct``), in file order."""
        f = self.fields
        mask = f["construct"].notna()
        if construct is not None:
            mask &= f["construct"] == construct
        return f.loc[mask, "name"].tolist()

    def constructs(self) -> dict[str, list[str]]:
        """Construct -> its items in file order (constructs in order of first appearance)."""
        out: dict[str, list[str]] = {}
        for name, construct in zip(self.fields["name"], self.fields["construct"], strict=True):
            if isinstance(construct, str):
                out.setdefault(construct, []).append(name)
        return out

    def pii_columns(self) -> list[str]:
        """Columns flagged ``pii`` (to be dropped before any output leaves the cleaning step)."""
        return self.fields.loc[self.fields["pii"], "name"].tolist()

    def reverse_keyed(self) -> list[str]:
        """Items flagged ``reverse_keyed`` (scored as minimum + maximum - x by cleaning)."""
        return self.fields.loc[self.fields["reverse_keyed"], "name"].tolist()

    def field_info(self, name: str) -> pd.Series:
        """The row of ``fields`` describing column ``name`` (KeyError if unknown)."""
        row = self.fields.loc[self.fields["name"] == name]
        if row.empty:
            raise KeyError(f"{self.path}: no field {name!r} in the codebook")
        return row.iloc[0]

    def value_labels(self, name: str) -> dict[str, str]:
        """Code -> label of column ``name`` from its Table Schema ``categories`` (SPSS/Stata
        value labels), as text; empty when the codebook gives none."""
        for resource in self.descriptor.get("resources", [])[:1]:
            for spec in resource.get("schema", {}).get("fields", []):
                if spec.get("name") == name:
                    return {
                        str(c["value"]): str(c["label"])
                        for c in spec.get("categories", [])
                        if isinstance(c, dict) and "label" in c
                    }
        return {}

    def verify_hash(self) -> bool:
        """True if the data file's sha256 equals the codebook's (True if none is declared)."""
        return self.sha256 is None or file_sha256(self.data_path) == self.sha256


def _fail(path: Path, where: str, problem: str, fix: str) -> CodebookError:
    return CodebookError(f"{path}: {where}: {problem}; {fix}")


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _str_list(x: Any) -> bool:
    return isinstance(x, list) and all(isinstance(v, str) for v in x)


def _parse_field(path: Path, i: int, fd: Any, schema_missing: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(fd, dict):
        raise _fail(path, f"field #{i + 1}", "is not an object", 'write it as {"name": ...}')
    name = fd.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(path, f"field #{i + 1}", "has no 'name'", "add the CSV column name")
    where = f"field '{name}'"
    ftype = fd.get("type")
    if ftype is None:
        raise _fail(path, where, "has no 'type'", f"add one of {', '.join(FIELD_TYPES)}")
    if ftype not in FIELD_TYPES:
        raise _fail(path, where, f"unknown type {ftype!r}", f"use one of {', '.join(FIELD_TYPES)}")
    cons = fd.get("constraints", {})
    if not isinstance(cons, dict):
        raise _fail(path, where, "'constraints' is not an object", 'use {"minimum": ...}')
    bounds = {}
    for key in ("minimum", "maximum"):
        v = cons.get(key)
        if v is not None and not _is_number(v):
            raise _fail(path, where, f"constraints.{key} is {v!r}", "give a number or drop it")
        bounds[key] = float(v) if v is not None else math.nan
    if bounds["minimum"] > bounds["maximum"]:
        raise _fail(path, where, "constraints.minimum > maximum", "swap or correct the bounds")
    enum = cons.get("enum")
    if enum is not None:
        if not isinstance(enum, list) or not enum:
            raise _fail(path, where, "constraints.enum is not a non-empty list", "list the codes")
        enum = tuple(str(v) for v in enum)
    missing = fd.get("missingValues", list(schema_missing))
    if not _str_list(missing):
        raise _fail(path, where, "'missingValues' is not a list of strings", 'e.g. ["", "-99"]')
    construct = fd.get("construct")
    if construct is not None and (not isinstance(construct, str) or not construct):
        raise _fail(path, where, f"construct {construct!r} is not a name", 'e.g. "CO"')
    wording = fd.get("wording")
    if wording is not None and not isinstance(wording, str):
        raise _fail(path, where, "'wording' is not a string", "give the item text")
    flags = {}
    for key in ("reverse_keyed", "pii"):
        v = fd.get(key, False)
        if not isinstance(v, bool):
            raise _fail(path, where, f"'{key}' is {v!r}", "use true or false")
        flags[key] = v
    if flags["reverse_keyed"] and construct is None:
        raise _fail(path, where, "is reverse_keyed but has no construct", "add 'construct'")
    description = fd.get("description", "")
    if not isinstance(description, str):
        raise _fail(path, where, "'description' is not a string", "describe the column in text")
    return {
        "name": name,
        "type": ftype,
        "description": description,
        "construct": construct,
        "wording": wording,
        "minimum": bounds["minimum"],
        "maximum": bounds["maximum"],
        "missing_values": tuple(missing),
        "reverse_keyed": flags["reverse_keyed"],
        "pii": flags["pii"],
        "enum": enum,
    }


def load_codebook(path: str | os.PathLike) -> Codebook:
    """Read and validate a Data Package codebook; see the module docstring for the format.

    Raises ``CodebookError`` (a ValueError) with a one-line message on any problem.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise _fail(
            path, "file", f"cannot be read ({e.strerror})", "check the path in config/config.yaml"
        ) from e
    try:
        pkg = json.loads(text)
    except json.JSONDecodeError as e:
        raise _fail(path, f"line {e.lineno}", f"invalid JSON ({e.msg})", "fix the syntax") from e
    if not isinstance(pkg, dict):
        raise _fail(path, "top level", "is not a JSON object", "write a Data Package object")
    resources = pkg.get("resources")
    if not isinstance(resources, list) or len(resources) != 1:
        n = len(resources) if isinstance(resources, list) else 0
        raise _fail(
            path, "resources", f"expected exactly 1 resource, found {n}", "describe one CSV"
        )
    res = resources[0]
    if not isinstance(res, dict):
        raise _fail(path, "resources[0]", "is not an object", "write a Data Resource object")
    rname = res.get("name", "resources[0]")
    rel = res.get("path")
    if not isinstance(rel, str) or not rel:
        raise _fail(
            path, f"resource '{rname}'", "has no 'path'", "give the CSV path relative to this file"
        )
    encoding = res.get("encoding", "utf-8")
    if not isinstance(encoding, str):
        raise _fail(path, f"resource '{rname}'", "'encoding' is not a string", 'use "utf-8"')
    declared = res.get("format")
    if declared is not None and declared not in FORMATS:
        raise _fail(
            path,
            f"resource '{rname}'",
            f"format {declared!r} is not supported",
            f"use one of {', '.join(FORMATS)}, or leave it out to go by the file's extension",
        )
    fmt = file_format(rel, declared)
    dialect = res.get("dialect", {})
    default = "\t" if fmt == "tsv" else ","
    delimiter = dialect.get("delimiter", default) if isinstance(dialect, dict) else None
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise _fail(
            path, f"resource '{rname}'", "dialect.delimiter is not one character", 'use ","'
        )
    digest = res.get("hash")
    sha = None
    if digest is not None:
        m = _HASH_RE.match(digest) if isinstance(digest, str) else None
        if m is None:
            fix = 'write "sha256:" followed by the 64 lowercase hex digits of the file\'s sha256'
            raise _fail(path, f"resource '{rname}'", f"hash {digest!r} is malformed", fix)
        sha = m.group(1)
    schema = res.get("schema")
    if not isinstance(schema, dict) or not isinstance(schema.get("fields"), list):
        raise _fail(
            path, f"resource '{rname}'", "has no schema.fields list", "add an inline Table Schema"
        )
    if not schema["fields"]:
        raise _fail(path, f"resource '{rname}'", "schema.fields is empty", "describe each column")
    schema_missing = schema.get("missingValues", [""])
    if not _str_list(schema_missing):
        raise _fail(path, "schema", "'missingValues' is not a list of strings", 'e.g. [""]')
    rows = [
        _parse_field(path, i, fd, tuple(schema_missing)) for i, fd in enumerate(schema["fields"])
    ]
    names = [r["name"] for r in rows]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _fail(path, f"field '{dupes[0]}'", "is declared twice", "keep one entry per column")
    pk = schema.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else pk
    if not _str_list(pk):
        raise _fail(path, "schema.primaryKey", "is not a list of names", 'e.g. ["resp_id"]')
    for key in pk:
        if key not in names:
            raise _fail(path, f"primaryKey '{key}'", "is not a field", "name an existing column")
    fields = pd.DataFrame(rows, columns=list(_COLUMNS))
    for col in ("construct", "wording", "missing_values", "enum"):  # None, not NaN, if absent
        fields[col] = pd.Series([r[col] for r in rows], dtype=object)
    fields["minimum"] = fields["minimum"].astype(float)
    fields["maximum"] = fields["maximum"].astype(float)
    fields["reverse_keyed"] = fields["reverse_keyed"].astype(bool)
    fields["pii"] = fields["pii"].astype(bool)
    return Codebook(
        path=path.resolve(),
        name=str(pkg.get("name", path.stem)),
        fields=fields,
        data_path=(path.resolve().parent / rel).resolve(),
        sha256=sha,
        encoding=encoding,
        delimiter=delimiter,
        primary_key=tuple(pk),
        descriptor=pkg,
        format=fmt,
    )
