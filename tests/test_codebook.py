"""Tests of surveysem.codebook: the committed codebook and the reader's validation."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from surveysem.codebook import (
    Codebook,
    CodebookError,
    FieldSpec,
    file_sha256,
    load_codebook,
    write_codebook,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw" / "cai2009_survey.csv"
CODEBOOK = ROOT / "data" / "codebook" / "cai2009.datapackage.json"
MANIFEST = ROOT / "data" / "synthetic" / "cai2009_manifest.json"

EXPECTED_CONSTRUCTS = {
    "CO": ["co1", "co2", "co3", "co4", "co5"],
    "CRP": ["crp1", "crp2", "crp3", "crp4", "crp5"],
    "PP": ["pp1", "pp2", "pp3", "pp4"],
    "CS": ["cs1", "cs2", "cs3"],
    "FP": ["fp1", "fp2", "fp3", "fp4"],
}


@pytest.fixture(scope="module")
def cb() -> Codebook:
    return load_codebook(CODEBOOK)


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return pd.read_csv(RAW, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def fault_cells() -> set[tuple[int, str]]:
    m = json.loads(MANIFEST.read_text(encoding="utf-8"))["faults"]
    return {(d["resp_id"], d["column"]) for d in m["out_of_range"] + m["missing_code"]}


# ------------------------------------------------------------------ the committed codebook
def test_loads_and_points_at_the_raw_file(cb):
    assert cb.data_path == RAW.resolve()
    assert cb.sha256 == file_sha256(RAW) and cb.verify_hash()
    assert cb.encoding == "utf-8" and cb.delimiter == ","
    assert cb.primary_key == ("resp_id",)
    res = json.loads(CODEBOOK.read_text(encoding="utf-8"))["resources"][0]
    assert res["path"] == "../raw/cai2009_survey.csv"
    assert res["hash"] == "sha256:" + file_sha256(RAW)
    assert res["dialect"]["delimiter"] == ","


def test_every_raw_column_is_described_in_order(cb, raw):
    assert cb.columns == list(raw.columns)
    assert (cb.fields["description"].str.len() > 10).all()
    assert set(cb.fields["type"]) <= {"integer", "number", "string", "date"}
    assert raw[cb.primary_key[0]].is_unique


def test_fields_frame_is_tidy(cb):
    assert list(cb.fields.columns) == [
        "name", "type", "description", "construct", "wording", "minimum", "maximum",
        "missing_values", "reverse_keyed", "pii", "enum",
    ]  # fmt: skip
    assert cb.fields["reverse_keyed"].dtype == bool and cb.fields["pii"].dtype == bool
    co1 = cb.field_info("co1")
    assert (co1["minimum"], co1["maximum"]) == (1.0, 7.0)
    assert co1["missing_values"] == ("", "-99") and co1["construct"] == "CO"
    assert cb.field_info("firm_id")["missing_values"] == ("",)
    assert len(cb.field_info("province")["enum"]) == 29
    with pytest.raises(KeyError):
        cb.field_info("nope")


def test_item_helpers(cb):
    assert cb.constructs() == EXPECTED_CONSTRUCTS
    assert cb.items() == sum(EXPECTED_CONSTRUCTS.values(), [])
    assert cb.items("PP") == EXPECTED_CONSTRUCTS["PP"]
    assert cb.pii_columns() == ["resp_name", "resp_email", "resp_phone"]
    assert cb.reverse_keyed() == ["co4", "crp5"]
    items = cb.fields[cb.fields["construct"].notna()]
    assert items["wording"].str.len().gt(20).all()


def _parse(value: str, ftype: str):
    if ftype == "integer":
        return int(value)
    if ftype == "number":
        return float(value)
    if ftype == "date":
        return dt.date.fromisoformat(value)
    return value


def test_constraints_hold_for_all_non_fault_cells(cb, raw, fault_cells):
    rid = raw["resp_id"].astype(int).to_numpy()
    for f in cb.fields.itertuples(index=False):
        for r, v in zip(rid, raw[f.name], strict=True):
            if v in f.missing_values:
                continue
            x = _parse(v, f.type)  # every value parses as the declared type
            if (r, f.name) in fault_cells:
                assert not (f.minimum <= x <= f.maximum), (r, f.name, v)
                continue
            if not pd.isna(f.minimum):
                assert x >= f.minimum, (r, f.name, v)
            if not pd.isna(f.maximum):
                assert x <= f.maximum, (r, f.name, v)
            if f.enum is not None:
                assert v in f.enum, (r, f.name, v)


# ---------------------------------------------------------------------- write / round trip
def _tiny(tmp_path: Path) -> tuple[Path, Path]:
    data = tmp_path / "raw" / "s.csv"
    data.parent.mkdir()
    data.write_text("id,q1,grp\n1,3,a\n2,,b\n", encoding="utf-8")
    fields = [
        FieldSpec("id", "integer", "row id", minimum=1),
        FieldSpec(
            "q1",
            "integer",
            "an item",
            construct="X",
            wording="I agree.",
            minimum=1,
            maximum=7,
            missing_values=("", "-99"),
            reverse_keyed=True,
        ),
        FieldSpec("grp", "string", "group", enum=("a", "b")),
    ]
    path = tmp_path / "codebook" / "s.datapackage.json"
    write_codebook(
        path,
        data_path=data,
        fields=fields,
        name="s",
        title="t",
        description="d",
        primary_key=("id",),
    )
    return path, data


def test_write_then_load_round_trip(tmp_path):
    path, data = _tiny(tmp_path)
    cb = load_codebook(path)
    assert cb.data_path == data.resolve() and cb.verify_hash()
    assert json.loads(path.read_text())["resources"][0]["path"] == "../raw/s.csv"
    assert cb.constructs() == {"X": ["q1"]} and cb.reverse_keyed() == ["q1"]
    assert cb.field_info("grp")["enum"] == ("a", "b")
    assert pd.isna(cb.field_info("grp")["minimum"])
    data.write_text("id,q1,grp\n1,4,a\n", encoding="utf-8")
    assert not cb.verify_hash()


def _mutated(tmp_path: Path, mutate) -> Path:
    pkg = json.loads(CODEBOOK.read_text(encoding="utf-8"))
    pkg = copy.deepcopy(pkg)
    mutate(pkg)
    path = tmp_path / "bad.datapackage.json"
    path.write_text(json.dumps(pkg), encoding="utf-8")
    return path


def _fields(pkg):
    return pkg["resources"][0]["schema"]["fields"]


def _field(pkg, name):
    return next(f for f in _fields(pkg) if f["name"] == name)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: _field(p, "co1").update(type="likert"), "'co1'"),
        (lambda p: _field(p, "co2").pop("type"), "'co2'"),
        (lambda p: _fields(p)[3].pop("name"), "field #4"),
        (lambda p: p.pop("resources"), "resources"),
        (lambda p: p["resources"][0].pop("path"), "path"),
        (lambda p: p["resources"][0].pop("schema"), "schema"),
        (lambda p: p["resources"][0].update(hash="md5:abc"), "hash"),
        (lambda p: _field(p, "pp1").update(missingValues=[-99]), "'pp1'"),
        (lambda p: _field(p, "cs1")["constraints"].update(minimum="1"), "'cs1'"),
        (lambda p: _field(p, "cs2")["constraints"].update(minimum=9), "'cs2'"),
        (lambda p: _field(p, "fp1").update(pii="yes"), "'fp1'"),
        (lambda p: _fields(p).append(dict(_field(p, "fp4"))), "'fp4'"),
        (lambda p: p["resources"][0]["schema"].update(primaryKey=["rid"]), "'rid'"),
        (lambda p: p["resources"][0]["dialect"].update(delimiter=";;"), "delimiter"),
    ],
)
def test_invalid_codebooks_raise_one_line_errors(tmp_path, mutate, needle):
    path = _mutated(tmp_path, mutate)
    with pytest.raises(CodebookError) as err:
        load_codebook(path)
    msg = str(err.value)
    assert str(path) in msg and needle in msg and "\n" not in msg
    assert ";" in msg  # problem; how to fix it
    assert isinstance(err.value, ValueError)


def test_unreadable_or_malformed_files(tmp_path):
    with pytest.raises(CodebookError, match="cannot be read"):
        load_codebook(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CodebookError, match="invalid JSON"):
        load_codebook(bad)
