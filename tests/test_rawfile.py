"""Raw exports in every supported format read as the same text (surveysem.rawfile, validation)."""

import json

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from survey_files import ITEMS, WRITERS, expected_text, numeric_frame, write_csv, write_sav

from surveysem.cleaning import clean_survey
from surveysem.codebook import CodebookError, FieldSpec, load_codebook, write_codebook
from surveysem.errors import InputError
from surveysem.rawfile import RawFile, read_labels, read_table
from surveysem.validation import open_raw, read_raw, validate_raw

FIELDS = [
    FieldSpec("resp_id", "integer", "respondent"),
    FieldSpec("firm_id", "string", "firm"),
    FieldSpec("submitted_on", "date", "submission date"),
    FieldSpec("resp_name", "string", "name", pii=True),
    *(
        FieldSpec(item, "integer", "item", construct=item[0].upper(), minimum=1, maximum=5,
                  missing_values=["", "-99"])
        for item in ITEMS
    ),
    FieldSpec("score", "number", "a score"),
]  # fmt: skip
ROW_NAMES_MESSAGE = (
    "the first column has no name; this is what R's write.csv writes for row names — "
    "re-export with write.csv(..., row.names = FALSE) or give the column a name in the file "
    "and the codebook"
)


def codebook_for(path, fmt):
    """The codebook of the test survey at `path`, recording that file's hash."""
    target = path.parent / "codebook.json"
    write_codebook(target, data_path=path, fields=FIELDS, name="mini", title="mini",
                   description="test survey", format=fmt,
                   delimiter="\t" if fmt == "tsv" else ",")  # fmt: skip
    return load_codebook(target)


@pytest.fixture(params=sorted(WRITERS))
def survey(request, tmp_path):
    """(format, path, codebook) of the test survey written in each format."""
    fmt = request.param
    path = WRITERS[fmt](tmp_path / f"survey.{fmt}")
    return fmt, path, codebook_for(path, fmt)


def test_every_format_reads_as_the_same_text(survey):
    _, path, codebook = survey
    pd.testing.assert_frame_equal(read_raw(path, codebook), expected_text())


def test_every_format_validates_with_its_checksum(survey):
    fmt, path, codebook = survey
    report = validate_raw(path, codebook)
    assert (report["format"], report["rows"], report["columns"]) == (fmt, 6, 10)
    assert (report["encoding"] is None) == (fmt not in ("csv", "tsv"))


def test_spss_user_missing_codes_are_counted_as_missing_codes(tmp_path):
    path = write_sav(tmp_path / "survey.sav")
    _, meta = pyreadstat.read_sav(path, metadataonly=True, user_missing=True)
    assert meta.missing_ranges["a1"] == [{"lo": -99.0, "hi": -99.0}]  # declared user-missing
    codebook = codebook_for(path, "sav")
    _, audit = clean_survey(read_raw(path, codebook), codebook, {})
    # one -99 each in a1 and a2 (rows 3 and 2 of the CSV), one blank b1 (row 3)
    assert audit["recoded_to_missing"]["missing_code"] == {"a1": 1, "a2": 1, "a3": 0, "b1": 0,
                                                           "b2": 0}  # fmt: skip
    assert audit["blank_cells"]["b1"] == 1


def test_spss_labels_and_user_missing_codes_as_text(tmp_path):
    labels = read_labels(RawFile(write_sav(tmp_path / "survey.sav"), "sav"))
    assert labels.missing == {"a1": ["-99"], "a2": ["-99"]}
    assert labels.values["a1"] == {"1": "strongly disagree", "5": "strongly agree",
                                   "-99": "refused"}  # fmt: skip
    assert labels.variables == {"a1": "How much do you agree?"}


def test_checksum_mismatch_of_a_binary_file(tmp_path):
    path = write_sav(tmp_path / "survey.sav")
    codebook = codebook_for(path, "sav")
    changed = numeric_frame()
    changed.loc[0, "a1"] = 5
    pyreadstat.write_sav(changed, path)
    with pytest.raises(InputError, match="the raw data changed"):
        validate_raw(path, codebook)


def test_r_row_names_get_their_own_message(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text('"","resp_id","a1"\n"1",1,4\n"2",2,5\n')
    with pytest.raises(InputError) as error:
        read_table(RawFile(path, "csv", "utf-8", ","))
    assert str(error.value) == f"data file {path}: {ROW_NAMES_MESSAGE}"


def test_excel_row_names_get_the_same_message(tmp_path):
    path = tmp_path / "survey.xlsx"
    pd.DataFrame({"resp_id": [1, 2], "a1": [4, 5]}).to_excel(path, index=True)
    with pytest.raises(InputError) as error:
        read_table(RawFile(path, "xlsx"))
    assert str(error.value) == f"data file {path}: {ROW_NAMES_MESSAGE}"


def test_header_checks_use_the_parsed_names_of_a_workbook(tmp_path):
    path = tmp_path / "survey.xlsx"
    frame = numeric_frame().drop(columns="score")
    frame.insert(3, "", "x")  # an unnamed column inside the table
    frame["extra"] = 1
    frame.to_excel(path, index=False)
    with pytest.raises(InputError) as error:
        validate_raw(path, codebook_for(path, "xlsx"))
    message = str(error.value)
    assert "column(s) number 4 (counting from 1) have no name" in message
    assert "column(s) score are described in the codebook but absent" in message
    assert "column(s) extra are not described in the codebook" in message


def test_format_of_the_codebook_and_extension_must_agree(tmp_path):
    path = write_sav(tmp_path / "survey.sav")
    codebook = codebook_for(path, "csv")
    with pytest.raises(InputError, match="is an SPSS data file by its extension, but the codebook"):
        open_raw(path, codebook)


def test_damaged_binary_file(tmp_path):
    path = tmp_path / "survey.sav"
    path.write_bytes(b"this is not an SPSS file\n")
    with pytest.raises(InputError, match=f"data file {path}: cannot be read as an SPSS data file"):
        validate_raw(path, codebook_for(path, "sav"))


def test_stata_float_storage_is_written_as_typed(tmp_path):
    path = tmp_path / "floats.dta"
    frame = pd.DataFrame({"x": np.array([2.1, 0.3, 7.0], dtype=np.float32)})
    frame.to_stata(path, write_index=False)
    _, meta = pyreadstat.read_dta(path, metadataonly=True)
    assert meta.readstat_variable_types["x"] == "float"  # 4-byte storage, as Stata's default
    assert read_table(RawFile(path, "dta"))["x"].tolist() == ["2.1", "0.3", "7"]


def test_stata_extended_missing_values_arrive_as_codes(tmp_path):
    path = tmp_path / "extended.dta"
    frame = pd.DataFrame({"a1": [1, 2, "a"]})
    pyreadstat.write_dta(frame, path, missing_user_values={"a1": ["a"]})
    assert read_table(RawFile(path, "dta"))["a1"].tolist() == ["1", "2", ".a"]
    assert read_labels(RawFile(path, "dta")).missing == {"a1": [".a"]}


def test_codebook_format_and_tab_default(tmp_path):
    path = write_csv(tmp_path / "survey.tsv")
    package = json.loads((codebook_for(path, "tsv").path).read_text())
    resource = package["resources"][0]
    del resource["dialect"], resource["format"]
    (tmp_path / "codebook.json").write_text(json.dumps(package))
    codebook = load_codebook(tmp_path / "codebook.json")
    assert (codebook.format, codebook.delimiter) == ("tsv", "\t")
    resource["format"] = "xls"
    (tmp_path / "codebook.json").write_text(json.dumps(package))
    with pytest.raises(CodebookError, match="format 'xls' is not supported"):
        load_codebook(tmp_path / "codebook.json")
