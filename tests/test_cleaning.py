"""Validation and cleaning on a small hand-made survey whose right answers are known."""

import json

import pytest

from surveysem.audit import sha256_file
from surveysem.cleaning import analysis_rows, clean_survey
from surveysem.codebook import load_codebook
from surveysem.errors import InputError
from surveysem.validation import read_raw, validate_raw

ITEM = {
    "type": "integer",
    "constraints": {"minimum": 1, "maximum": 5},
    "missingValues": ["", "-99"],
}
FIELDS = [
    {"name": "resp_id", "type": "integer"},
    {"name": "firm_id", "type": "string"},
    {"name": "submitted_on", "type": "date"},
    {"name": "resp_name", "type": "string", "pii": True},
    {"name": "a1", "construct": "A", **ITEM},
    {"name": "a2", "construct": "A", **ITEM},
    {"name": "a3", "construct": "A", "reverse_keyed": True, **ITEM},
    {"name": "b1", "construct": "B", **ITEM},
    {"name": "b2", "construct": "B", **ITEM},
]
# Row by row, what the cleaner must do with it:
RAW = """resp_id,firm_id,submitted_on,resp_name,a1,a2,a3,b1,b2
1,F1,2020-01-01,Ann,4,5,2,3,4
2,F2,2020-01-02,Bob,3,3,3,3,3
3,F3,2020-01-02,Cy,4,-99,2,,5
4,F4,2020-01-03,Di,2,3,4,9,2
5,F5,2020-01-03,Ed,1,2,5,2,1
6,F5,2020-01-04,Ed,1,2,5,2,
7,F6,2020-01-05,Fay,5,4,1,0,5
"""
# 1 kept as is (a3 reversed 2 -> 4); 2 straight-liner; 3 two of five missing (-99 and blank)
# = 40% > 20%: excluded; 4 b1 = 9 out of range -> missing, kept (20% missing is not > 20%);
# 5 and 6 the same firm: 6 has a missing item, so 5 is kept; 7 b1 = 0 out of range -> missing.


def write_survey(folder, raw=RAW):
    (folder / "survey.csv").write_text(raw)
    package = {
        "name": "mini",
        "resources": [
            {
                "name": "survey",
                "path": "survey.csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ","},
                "hash": "sha256:" + sha256_file(folder / "survey.csv"),
                "schema": {"fields": FIELDS, "primaryKey": ["resp_id"]},
            }
        ],
    }
    (folder / "codebook.json").write_text(json.dumps(package))
    return folder / "survey.csv", load_codebook(folder / "codebook.json")


OPTIONS = {
    "max_missing_share": 0.2,
    "exclude_straightliners": True,
    "duplicates": "keep_most_complete",
    "missing_data": "listwise",
}


@pytest.fixture
def cleaned(tmp_path):
    path, codebook = write_survey(tmp_path)
    return clean_survey(read_raw(path, codebook), codebook, OPTIONS)


def test_rules_exclude_the_right_respondents(cleaned):
    clean, audit = cleaned
    assert clean["resp_id"].tolist() == [1, 4, 5, 7]
    assert audit["exclusions"]["duplicate_submission"]["ids"] == [6]
    assert audit["exclusions"]["straightliner"]["ids"] == [2]
    assert audit["exclusions"]["too_many_missing"]["ids"] == [3]
    assert (audit["rows_in"], audit["rows_out"], audit["complete_cases"]) == (7, 4, 2)


def test_values_recoded(cleaned):
    clean, audit = cleaned
    assert clean["a3"].tolist() == [4, 2, 1, 5]  # 1 + 5 - x
    assert clean["b1"].isna().tolist() == [False, True, False, True]
    assert audit["recoded_to_missing"]["out_of_range"]["b1"] == 2
    assert audit["recoded_to_missing"]["missing_code"]["a2"] == 1
    assert audit["item_missing_share_before"]["b2"] == pytest.approx(1 / 7, abs=1e-6)


def test_personal_data_dropped(cleaned):
    clean, audit = cleaned
    assert "resp_name" not in clean
    assert audit["pii_dropped"] == ["resp_name"]


def test_listwise_rows(cleaned):
    clean, _ = cleaned
    assert analysis_rows(clean, ["a1", "a2", "a3", "b1", "b2"])["resp_id"].tolist() == [1, 5]


def test_validation_passes_good_file(tmp_path):
    path, codebook = write_survey(tmp_path)
    report = validate_raw(path, codebook)
    assert (report["rows"], report["columns"]) == (7, 9)


def test_validation_reports_every_problem_at_once(tmp_path):
    bad = (
        RAW.replace("a1,a2", "a1,a1").replace("Bob,3,3", "Bob,x,3").replace(",b2\n", ",b2,extra\n")
    )
    path, codebook = write_survey(tmp_path, bad)
    with pytest.raises(InputError) as error:
        validate_raw(path, codebook)
    message = str(error.value)
    assert "a1 appear more than once" in message
    assert "a2 are described in the codebook but absent" in message
    assert "extra are not described" in message


def test_validation_names_column_and_rows_of_bad_values(tmp_path):
    path, codebook = write_survey(
        tmp_path, RAW.replace("Bob,3,3", "Bob,x,3").replace("Di,2", "Di,2.5")
    )
    with pytest.raises(
        InputError, match=r"column a1: 2 value\(s\) are not integers .* row\(s\) 2, 4"
    ):
        validate_raw(path, codebook)


def test_changed_raw_file_is_refused(tmp_path):
    path, codebook = write_survey(tmp_path)
    path.write_text(RAW.replace("Ann,4", "Ann,5"))
    with pytest.raises(InputError, match="the raw data changed"):
        validate_raw(path, codebook)
