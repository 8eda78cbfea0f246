"""Validation and cleaning on a small hand-made survey whose right answers are known."""

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from surveysem.audit import sha256_file
from surveysem.cleaning import (
    DEFAULT_OPTIONS,
    analysis_rows,
    audit_table,
    clean_survey,
    mahalanobis_d2,
)
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
}


COLUMNS = {"id": "resp_id", "unit": "firm_id", "submitted": "submitted_on"}


@pytest.fixture
def cleaned(tmp_path):
    path, codebook = write_survey(tmp_path)
    return clean_survey(read_raw(path, codebook), codebook, OPTIONS, COLUMNS)


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


def clean_text(tmp_path, raw=RAW, **options):
    path, codebook = write_survey(tmp_path, raw)
    return clean_survey(read_raw(path, codebook), codebook, {**OPTIONS, **options}, COLUMNS)


def test_default_options_are_the_schema_defaults(root):
    schema = yaml.safe_load((root / "workflow" / "schemas" / "config.schema.yaml").read_text())
    block = schema["properties"]["cleaning"]["properties"]
    assert DEFAULT_OPTIONS == {key: spec["default"] for key, spec in block.items()}


def test_audit_records_options_and_order(cleaned):
    _, audit = cleaned
    assert audit["options"] == {**DEFAULT_OPTIONS, **OPTIONS}
    steps = [(rule, e["step"]) for rule, e in audit["exclusions"].items()]
    assert steps == [
        ("duplicate_submission", 3),
        ("straightliner", 4),
        ("too_many_missing", 5),
        ("multivariate_outlier", 7),
    ]
    assert audit["exclusions"]["multivariate_outlier"]["applied"] is False
    assert audit["blank_cells"] == {"a1": 0, "a2": 0, "a3": 0, "b1": 1, "b2": 1}
    assert audit["recoded_cells"]["out_of_range"] == [
        {"id": 4, "row": 4, "column": "b1", "value": "9"},
        {"id": 7, "row": 7, "column": "b1", "value": "0"},
    ]
    assert audit["recoded_cells"]["missing_code"] == [
        {"id": 3, "row": 3, "column": "a2", "value": "-99"}
    ]
    assert audit["item_missing_share_after"]["b1"] == 0.5
    json.dumps(audit)  # written as audit.json


def test_audit_table_lists_every_step_in_order(cleaned):
    _, audit = cleaned
    table = audit_table(audit)
    assert table.columns.tolist() == ["step", "rule", "unit", "n", "ids", "reason"]
    assert table["step"].tolist() == list(range(10))
    assert table.set_index("rule")["n"].to_dict() == {
        "rows_in": 7,
        "missing_code": 1,
        "out_of_range": 2,
        "duplicate_submission": 1,
        "straightliner": 1,
        "too_many_missing": 1,
        "reverse_keyed": 1,
        "multivariate_outlier": 0,
        "pii": 1,
        "rows_out": 4,
    }
    ids = table.set_index("rule")["ids"]
    assert (ids["out_of_range"], ids["reverse_keyed"]) == ("4:b1, 7:b1", "a3")


def test_partly_answered_straightliner(tmp_path):
    # 8 answers 4 of 5 items (80%, the default minimum) with one value: a straight-liner;
    # 9 answers 3 of 5 with one value: not judged, but 40% unanswered excludes it anyway.
    extra = "8,F7,2020-01-06,Gus,4,4,,4,4\n9,F8,2020-01-06,Hal,2,2,,,2\n"
    _, audit = clean_text(tmp_path, RAW + extra)
    assert audit["exclusions"]["straightliner"]["ids"] == [2, 8]
    assert audit["exclusions"]["too_many_missing"]["ids"] == [3, 9]
    _, strict = clean_text(tmp_path, RAW + extra, straightliner_min_answered_share=1.0)
    assert strict["exclusions"]["straightliner"]["ids"] == [2]


def test_straightliners_can_be_kept(tmp_path):
    clean, audit = clean_text(tmp_path, exclude_straightliners=False)
    assert 2 in clean["resp_id"].tolist()
    assert audit["exclusions"]["straightliner"]["applied"] is False
    assert audit["exclusions"]["straightliner"]["n"] == 0


def test_duplicate_rules_and_ties(tmp_path):
    # F5 answered twice on the same day: the earlier row (5) misses b2, the later one (6) not.
    raw = RAW.replace("5,F5,2020-01-03,Ed,1,2,5,2,1", "5,F5,2020-01-04,Ed,1,2,5,2,")
    raw = raw.replace("6,F5,2020-01-04,Ed,1,2,5,2,", "6,F5,2020-01-04,Ed,1,2,5,2,1")
    _, most_complete = clean_text(tmp_path, raw)
    assert most_complete["exclusions"]["duplicate_submission"]["ids"] == [5]
    _, first = clean_text(tmp_path, raw, duplicates="keep_first")  # same day: lowest resp_id
    assert first["exclusions"]["duplicate_submission"]["ids"] == [6]
    tied = raw.replace("5,F5,2020-01-04,Ed,1,2,5,2,", "5,F5,2020-01-05,Ed,1,2,5,2,1")
    _, by_date = clean_text(tmp_path, tied)  # equally complete: the earlier submission wins
    assert by_date["exclusions"]["duplicate_submission"]["ids"] == [5]


def test_out_of_range_can_stop_the_run(tmp_path):
    with pytest.raises(InputError) as error:
        clean_text(tmp_path, out_of_range="error")
    message = str(error.value)
    assert "survey.csv" in message
    assert "column b1: 2 value(s) (0, 9) in data row(s) 4, 7 (id 4, 7)" in message
    assert "expected values from 1 to 5" in message
    assert "out_of_range: missing" in message


def test_unknown_option_is_refused(tmp_path):
    with pytest.raises(InputError, match="unknown cleaning option.*max_mising_share"):
        clean_text(tmp_path, max_mising_share=0.3)
    with pytest.raises(InputError, match="outliers is 'drop'; expected one of flag, exclude"):
        clean_text(tmp_path, outliers="drop")


def test_too_few_complete_rows_for_distances(cleaned):
    clean, audit = cleaned
    assert clean["mahalanobis_d2"].isna().all()
    assert not clean["mv_outlier"].any()
    assert audit["outliers"]["note"] == "not computed: 2 complete rows for 5 items"


# ------------------------------------------------------------- multivariate outliers
def keyed_items_with_outlier() -> np.ndarray:
    """39 respondents answering all five items near one common level, plus respondent 40
    whose answers (1, 5, 1, 5, 1) break that pattern: the planted outlier."""
    rng = np.random.default_rng(0)
    level = np.tile([1, 2, 3, 4, 5], 8)[:39, None]
    noise = rng.integers(-1, 2, size=(39, 5)) * (rng.uniform(size=(39, 5)) < 0.35)
    return np.vstack([np.clip(level + noise, 1, 5), [[1, 5, 1, 5, 1]]]).astype(float)


def hand_d2(x: np.ndarray) -> np.ndarray:
    """d2 = (x - m)' S^-1 (x - m), S with the N - 1 divisor (the unbiased sample covariance
    that Tabachnick & Fidell's SPSS procedure uses), written out without np.cov."""
    centred = x - x.mean(axis=0)
    s = centred.T @ centred / (len(x) - 1)
    s_inv = np.linalg.inv(s)
    return np.array([row @ s_inv @ row for row in centred])


def test_mahalanobis_matches_hand_calculation():
    x = keyed_items_with_outlier()
    d2 = mahalanobis_d2(pd.DataFrame(x))
    np.testing.assert_allclose(d2, hand_d2(x), rtol=1e-12)
    # with the N - 1 divisor the distances sum to k (N - 1) exactly
    assert d2.sum() == pytest.approx(5 * 39)
    p = stats.chi2.sf(hand_d2(x), df=5)
    assert np.flatnonzero(p < 0.001).tolist() == [39]


def test_mahalanobis_ignores_incomplete_rows():
    x = pd.DataFrame(keyed_items_with_outlier())
    x.loc[3, 2] = np.nan
    d2 = mahalanobis_d2(x)
    assert np.isnan(d2[3])
    np.testing.assert_allclose(d2.drop(3), hand_d2(x.drop(3).to_numpy()), rtol=1e-12)


def outlier_survey() -> str:
    """A survey of the 40 respondents above (a3 stored reversed, as answered), plus
    respondent 41 with a blank item (not assessed) and a duplicate of respondent 1."""
    x = keyed_items_with_outlier().astype(int)
    x[:, 2] = 6 - x[:, 2]
    lines = [RAW.splitlines()[0]]
    for i, row in enumerate(x, start=1):
        lines.append(f"{i},F{i},2020-01-01,P{i}," + ",".join(str(v) for v in row))
    lines += ["41,F41,2020-01-02,P41,3,3,3,,2", "42,F1,2020-01-03,P1,1,2,3,4,"]
    return "\n".join(lines) + "\n"


# Some of the generated respondents answer all items alike; keeping them keeps the 40 rows of
# the hand calculation.
def test_outliers_flagged_and_kept_by_default(tmp_path):
    clean, audit = clean_text(tmp_path, outlier_survey(), exclude_straightliners=False)
    complete = clean["resp_id"] <= 40
    np.testing.assert_allclose(
        clean.loc[complete, "mahalanobis_d2"], hand_d2(keyed_items_with_outlier()), rtol=1e-12
    )
    assert clean.loc[~complete, "mahalanobis_d2"].isna().all()
    assert clean.loc[clean["mv_outlier"], "resp_id"].tolist() == [40]
    assert len(clean) == 41
    outliers = audit["outliers"]
    assert (outliers["ids"], outliers["df"], outliers["rows_assessed"]) == ([40], 5, 40)
    assert outliers["critical_d2"] == pytest.approx(stats.chi2.isf(0.001, 5))
    assert audit["exclusions"]["duplicate_submission"]["ids"] == [42]


def test_outliers_excluded_on_request(tmp_path):
    clean, audit = clean_text(
        tmp_path, outlier_survey(), exclude_straightliners=False, outliers="exclude"
    )
    assert 40 not in clean["resp_id"].tolist()
    assert not clean["mv_outlier"].any()
    assert audit["exclusions"]["multivariate_outlier"]["ids"] == [40]
    assert audit["rows_out"] == 40


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


def test_without_id_unit_or_time_columns_rows_are_ids_and_duplicates_unchecked(tmp_path):
    """The raw export as it is: the row number identifies respondents (1 = first data line);
    firms F5 (rows 5 and 6) both stay, since no column says who should answer once."""
    path, codebook = write_survey(tmp_path)
    clean, audit = clean_survey(read_raw(path, codebook), codebook, OPTIONS)
    assert clean["row"].tolist() == [1, 4, 5, 6, 7]
    duplicates = audit["exclusions"]["duplicate_submission"]
    assert (duplicates["applied"], duplicates["n"]) == (False, 0)
    assert "no unit column" in duplicates["reason"]
    assert audit["exclusions"]["straightliner"]["ids"] == [2]  # row numbers, here = resp_id
    assert [c["id"] for c in audit["recoded_cells"]["out_of_range"]] == [4, 7]


def test_duplicates_without_submission_time_break_ties_by_id(tmp_path):
    """keep_first without a time column: of F5's rows 5 and 6 the lower id (5) is kept."""
    path, codebook = write_survey(tmp_path)
    columns = {"id": "resp_id", "unit": "firm_id"}
    options = {**OPTIONS, "duplicates": "keep_first"}
    _, audit = clean_survey(read_raw(path, codebook), codebook, options, columns)
    assert audit["exclusions"]["duplicate_submission"]["ids"] == [6]


def test_a_repeated_id_column_is_refused(tmp_path):
    path, codebook = write_survey(tmp_path)
    with pytest.raises(InputError, match=r"id column firm_id .* repeats in data row\(s\) 5, 6"):
        clean_survey(read_raw(path, codebook), codebook, OPTIONS, {"id": "firm_id"})


def test_large_losses_are_warned_and_stop_a_strict_run(tmp_path):
    """Hand count: b1 has 6 answers (row 3 is blank), 2 of them (9 and 0) out of range:
    33.3% > 5%. Of 7 rows, the straight-liner, duplicate and sparse rules each drop 1 row
    (14.3% > 10%); of the 4 rows kept, 2 miss an item (50% listwise)."""
    _, audit = clean_text(tmp_path)
    assert audit["warnings"] == [
        "item b1: 2 of 6 answers (33.3%) were outside the codebook range and set to missing",
        "duplicate submission: 1 of 7 rows (14.3%) were excluded",
        "straightliner: 1 of 7 rows (14.3%) were excluded",
        "too many missing: 1 of 7 rows (14.3%) were excluded",
        "listwise deletion: 2 of 4 rows (50.0%) miss an item and are left out of the models",
    ]
    _, audit = clean_text(tmp_path, warn_item_share=0.5, warn_row_share=0.5)
    assert audit["warnings"] == []
    with pytest.raises(InputError, match="cleaning.strict is true"):
        clean_text(tmp_path, strict=True)
