"""`make codebook`: the drafted codebook and config of a data file (surveysem.scaffold)."""

import hashlib
import json
import re

import pandas as pd
import pyreadstat
import pytest
import yaml
from survey_files import ITEM_LABEL, VALUE_LABELS, WRITERS, numeric_frame

from surveysem.codebook import load_codebook
from surveysem.config import validate_config
from surveysem.errors import InputError
from surveysem.scaffold import main, scaffold
from surveysem.validation import validate_raw

# IMAG1-3 and sat_1-2 are two constructs; LOY1 is alone and Q1a/Q1b do not end in a number,
# so they are none. IMAG2 is 1-10 apart from one -99; income has an "NA".
CSV = """resp_id,name,email,IMAG1,IMAG2,IMAG3,sat_1,sat_2,LOY1,Q1a,Q1b,score,income,group,when
1,Ann,ann@example.com,3,1,4,2,3,5,1,2,0.5,100,A,2021-03-01
2,Bob,bob@example.com,5,10,6,4,4,4,2,2,1.5,NA,B,2021-03-02
3,Cy,cy@example.com,7,-99,8,5,5,3,3,1,2.5,300,A,2021-03-02
4,Di,di@example.com,2,4,3,1,2,2,1,1,3.5,250,C,2021-03-04
5,Ed,ed@example.com,9,7,9,3,3,1,2,3,4.5,80,B,2021-03-05
6,Fay,fay@example.com,6,5,5,2,1,5,3,2,2.0,120,A,2021-03-06
"""
SCHEMA = "workflow/schemas/config.schema.yaml"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """An empty project folder as the working directory, with the survey under data/raw."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data" / "raw").mkdir(parents=True)
    path = tmp_path / "data" / "raw" / "brand_survey.csv"
    path.write_text(CSV)
    return path


def fields_of(codebook_path) -> dict:
    resource = json.loads(codebook_path.read_text())["resources"][0]
    return {f["name"]: f for f in resource["schema"]["fields"]}


def test_codebook_draft_of_a_csv(project, tmp_path):
    scaffold(project)
    codebook = tmp_path / "data" / "codebook" / "brand_survey.datapackage.json"
    fields = fields_of(codebook)
    types = {name: f["type"] for name, f in fields.items()}
    assert types == {"resp_id": "integer", "name": "string", "email": "string",
                     "IMAG1": "integer", "IMAG2": "integer", "IMAG3": "integer",
                     "sat_1": "integer", "sat_2": "integer", "LOY1": "integer",
                     "Q1a": "integer", "Q1b": "integer", "score": "number",
                     "income": "integer", "group": "string", "when": "date"}  # fmt: skip
    assert fields["IMAG2"]["constraints"] == {"minimum": 1, "maximum": 10}
    assert fields["IMAG2"]["missingValues"] == ["", "-99"]
    assert fields["income"]["missingValues"] == ["", "NA"]
    assert fields["score"]["constraints"] == {"minimum": 0.5, "maximum": 4.5}
    assert fields["group"]["constraints"] == {"enum": ["A", "B", "C"]}
    constructs = {name: f.get("construct") for name, f in fields.items() if "construct" in f}
    assert constructs == {"IMAG1": "IMAG", "IMAG2": "IMAG", "IMAG3": "IMAG", "sat_1": "SAT",
                          "sat_2": "SAT"}  # fmt: skip
    assert [name for name, f in fields.items() if f["pii"]] == ["name", "email"]
    assert all(f["description"].startswith("draft") for f in fields.values())
    assert "observed range 1–10" in fields["IMAG2"]["description"]
    resource = json.loads(codebook.read_text())["resources"][0]
    assert resource["schema"]["primaryKey"] == ["resp_id"]
    assert resource["hash"] == "sha256:" + hashlib.sha256(CSV.encode()).hexdigest()
    assert resource["bytes"] == len(CSV.encode())
    assert resource["path"] == "../raw/brand_survey.csv"
    validate_raw(project, load_codebook(codebook))  # the draft describes its file


def test_config_draft_passes_the_schema(project, tmp_path, root):
    scaffold(project)
    config = yaml.safe_load((tmp_path / "config" / "brand_survey.yaml").read_text())
    checked = validate_config(config, root / SCHEMA)
    assert checked["study"] == "brand_survey" and checked["synthetic"] is False
    assert checked["data"] == "data/raw/brand_survey.csv"
    assert checked["codebook"] == "data/codebook/brand_survey.datapackage.json"
    assert "IMAG =~ IMAG1 + IMAG2 + IMAG3\n" in checked["model"]
    assert "SAT =~ sat_1 + sat_2\n" in checked["model"]
    assert "SAT ~ IMAG" in checked["model"]
    assert [h["path"] for h in checked["hypotheses"]] == ["SAT ~ IMAG"]
    assert set(checked["constructs"]) == {"IMAG", "SAT"}
    assert checked["sample"]["profile"] == ["group"]
    assert checked["columns"] == {"id": "resp_id", "unit": None, "submitted": None}
    # the estimation block is written out, so a researcher sees where to change it
    assert config["estimation"] == {"estimator": "ML", "missing": "listwise"}


def test_without_an_id_column_the_row_number_identifies_respondents(tmp_path, root):
    data = tmp_path / "items.csv"
    data.write_text("IMAG1,IMAG2,SAT1,SAT2\n3,4,5,5\n5,4,2,1\n2,2,3,3\n")
    scaffold(data, config_path=tmp_path / "items.yaml", codebook_path=tmp_path / "items.json")
    config = validate_config(yaml.safe_load((tmp_path / "items.yaml").read_text()), root / SCHEMA)
    assert config["columns"] == {"id": None, "unit": None, "submitted": None}
    schema = json.loads((tmp_path / "items.json").read_text())["resources"][0]["schema"]
    assert "primaryKey" not in schema or not schema["primaryKey"]


def test_same_file_same_drafts_and_no_overwrite(project, tmp_path, capsys):
    outputs = [
        tmp_path / "data" / "codebook" / "brand_survey.datapackage.json",
        tmp_path / "config" / "brand_survey.yaml",
    ]
    assert main([str(project)]) == 0
    assert "wrote" in capsys.readouterr().out
    first = [p.read_bytes() for p in outputs]
    assert main([str(project)]) == 1
    assert "already exist; nothing was written" in capsys.readouterr().err
    assert [p.read_bytes() for p in outputs] == first
    assert main([str(project), "--force"]) == 0
    assert [p.read_bytes() for p in outputs] == first


def test_existing_config_alone_blocks_both_files(project, tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "brand_survey.yaml").write_text("mine\n")
    with pytest.raises(InputError, match="brand_survey.yaml already exists; nothing was written"):
        scaffold(project)
    assert not (tmp_path / "data" / "codebook").exists()
    assert (tmp_path / "config" / "brand_survey.yaml").read_text() == "mine\n"


def test_fewer_than_two_constructs_leave_model_and_hypotheses_as_todos(tmp_path, root):
    data = tmp_path / "one.csv"
    data.write_text("id,IMAG1,IMAG2,age\n1,3,4,30\n2,5,4,41\n3,2,2,35\n")
    scaffold(data, config_path=tmp_path / "one.yaml", codebook_path=tmp_path / "one.json")
    text = (tmp_path / "one.yaml").read_text()
    config = yaml.safe_load(text)
    assert "model" not in config and "hypotheses" not in config
    assert "constructs guessed from the item names: only IMAG" in text
    assert json.loads((tmp_path / "one.json").read_text())["resources"][0]["schema"][
        "primaryKey"
    ] == ["id"]
    with pytest.raises(InputError, match="model"):
        validate_config(config, root / SCHEMA)


def test_numeric_study_name_stays_a_string(tmp_path, root):
    data = tmp_path / "2024.csv"
    data.write_text("a1,a2,b1,b2\n1,2,3,4\n2,3,4,5\n3,3,5,4\n")
    scaffold(data, config_path=tmp_path / "c.yaml", codebook_path=tmp_path / "c.json")
    config = validate_config(yaml.safe_load((tmp_path / "c.yaml").read_text()), root / SCHEMA)
    assert config["study"] == "2024"


@pytest.mark.parametrize("fmt", sorted(WRITERS))
def test_every_format_drafts_a_codebook_that_validates_its_file(fmt, tmp_path):
    data = WRITERS[fmt](tmp_path / f"survey.{fmt}")
    scaffold(data, codebook_path=tmp_path / "cb.json", config_path=tmp_path / "c.yaml")
    codebook = load_codebook(tmp_path / "cb.json")
    assert codebook.format == fmt
    assert codebook.constructs() == {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"]}
    assert codebook.primary_key == ("resp_id",)
    assert codebook.pii_columns() == ["resp_name"]
    validate_raw(data, codebook)


def test_spss_labels_and_user_missing_codes_reach_the_codebook(tmp_path):
    frame = numeric_frame()
    frame.loc[3, "a3"] = 8  # 8 is no usual sentinel: only the file says it is missing
    data = tmp_path / "survey.sav"
    pyreadstat.write_sav(frame, data, column_labels={"a1": ITEM_LABEL},
                         variable_value_labels={"a1": VALUE_LABELS},
                         missing_ranges={"a3": [8]})  # fmt: skip
    scaffold(data, codebook_path=tmp_path / "cb.json", config_path=tmp_path / "c.yaml")
    fields = fields_of(tmp_path / "cb.json")
    assert fields["a1"]["categories"] == [
        {"value": int(code), "label": label} for code, label in VALUE_LABELS.items()
    ]
    assert fields["a1"]["wording"] == ITEM_LABEL
    assert fields["a1"]["description"].startswith(ITEM_LABEL)
    assert fields["a3"]["missingValues"] == ["", "8"]
    assert fields["a3"]["constraints"] == {"minimum": 1, "maximum": 5}


def test_unreadable_input_is_one_message(tmp_path):
    data = tmp_path / "rows.csv"
    pd.DataFrame({"a": [1, 2]}).to_csv(data)  # pandas' index: an unnamed first column
    with pytest.raises(InputError, match="the first column has no name"):
        scaffold(data, codebook_path=tmp_path / "cb.json", config_path=tmp_path / "c.yaml")
    assert not (tmp_path / "cb.json").exists() and not (tmp_path / "c.yaml").exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,a1,a1\n1,2,3\n", "column(s) a1 appear more than once in the header"),
        ("id,,a2\n1,2,3\n", "column(s) number 2 (counting from 1) have no name"),
        ("id,a1,a2\n", "the file has a header but no data rows"),
    ],
)
def test_header_problems_stop_the_draft(tmp_path, text, message):
    data = tmp_path / "bad.csv"
    data.write_text(text)
    with pytest.raises(InputError, match=re.escape(f"data file {data}: {message}")):
        scaffold(data, codebook_path=tmp_path / "cb.json", config_path=tmp_path / "c.yaml")
    assert not (tmp_path / "cb.json").exists() and not (tmp_path / "c.yaml").exists()


def test_missing_data_file_is_one_line_and_exit_1(tmp_path, capsys):
    missing = tmp_path / "nope.sav"
    assert main([str(missing), "--codebook", str(tmp_path / "cb.json")]) == 1
    assert capsys.readouterr().err == (
        f"data file {missing} does not exist; check its path (the `data` key of the config, "
        "or DATA= of make codebook)\n"
    )
    assert not (tmp_path / "cb.json").exists()
