"""One small survey written in every supported raw format, and the text each must read as.

The CSV text is the reference: Excel, SPSS and Stata hold the same answers as numbers
(missing as empty cells or system-missing), so every format must read back as this text.
In the SPSS file -99 of a1 and a2 is declared user-missing and labelled "refused".
"""

import numpy as np
import pandas as pd
import pyreadstat

CSV = """resp_id,firm_id,submitted_on,resp_name,a1,a2,a3,b1,b2,score
1,F1,2020-01-01,Ann,4,5,2,3,4,2.5
2,F2,2020-01-02,Bob,3,-99,3,2,3,3
3,F3,2020-01-02,,-99,4,2,,5,1.25
4,F4,2020-01-03,Di,2,3,4,4,2,
5,F5,2020-01-03,Ed,1,2,5,2,1,4
6,F5,2020-01-04,Ed,5,4,1,5,5,3.5
"""
ITEMS = ["a1", "a2", "a3", "b1", "b2"]
VALUE_LABELS = {1.0: "strongly disagree", 5.0: "strongly agree", -99.0: "refused"}
ITEM_LABEL = "How much do you agree?"


def expected_text() -> pd.DataFrame:
    """The survey as the pipeline must see it: every cell the text of the CSV above."""
    rows = [line.split(",") for line in CSV.splitlines()]
    return pd.DataFrame(rows[1:], columns=rows[0]).astype(str)


def numeric_frame() -> pd.DataFrame:
    """The same survey as a binary format stores it: numbers, NaN for a missing number."""
    text = expected_text()
    frame = text.copy()
    for column in ["resp_id", *ITEMS, "score"]:
        frame[column] = pd.to_numeric(text[column].replace("", np.nan))
    return frame


def write_csv(path):
    path.write_text(CSV, encoding="utf-8")
    return path


def write_tsv(path):
    path.write_text(CSV.replace(",", "\t"), encoding="utf-8")
    return path


def write_xlsx(path):
    numeric_frame().to_excel(path, index=False)
    return path


def write_sav(path):
    pyreadstat.write_sav(
        numeric_frame(),
        path,
        column_labels={"a1": ITEM_LABEL},
        variable_value_labels={"a1": VALUE_LABELS, "a2": VALUE_LABELS},
        missing_ranges={"a1": [-99], "a2": [-99]},
    )
    return path


def write_dta(path):
    pyreadstat.write_dta(numeric_frame(), path)
    return path


WRITERS = {"csv": write_csv, "tsv": write_tsv, "xlsx": write_xlsx}
WRITERS |= {"sav": write_sav, "dta": write_dta}
