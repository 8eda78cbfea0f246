"""One machine-readable verdict per measurement check, against the config's thresholds.

The manuscript and the report read this summary instead of re-deciding what passes, so a
changed threshold in the config changes every sentence and table that depends on it.
"""

import pandas as pd

from surveysem.validity import check_thresholds

RELIABILITY_CHECKS = ("alpha", "omega", "ave")
FIT_CHECKS = ("cfi", "tli", "rmsea", "srmr")


def measurement_checks(
    reliability: pd.DataFrame,
    htmt: pd.DataFrame,
    fit: dict,
    harman: dict,
    thresholds: dict,
) -> pd.DataFrame:
    """All threshold checks of the measurement model as one table.

    Rows: alpha, omega and AVE per construct; HTMT per pair of constructs; CFI, TLI, RMSEA
    and SRMR of the CFA; the share of variance of the first unrotated component (Harman).
    Columns: ``check, subject`` (the construct, pair or model a row is about), ``value,
    threshold, direction, pass, reference`` (see :func:`surveysem.validity.check_thresholds`).
    """
    values, specs, subjects = {}, {}, {}

    def add(check: str, subject: str, value: float) -> None:
        name = f"{check}[{subject}]"
        values[name], specs[name], subjects[name] = value, thresholds[check], subject

    for row in reliability.to_dict("records"):
        for check in RELIABILITY_CHECKS:
            add(check, row["construct"], row[check])
    for row in htmt.to_dict("records"):
        add("htmt", f"{row['construct_1']}-{row['construct_2']}", row["htmt"])
    for check in FIT_CHECKS:
        add(check, "CFA", fit[check])
    add("harman", "first component", harman["pca"]["variance_share"])
    table = check_thresholds(values, specs)
    table.insert(1, "subject", table["check"].map(subjects))
    table["check"] = table["check"].str.split("[").str[0]
    return table.drop(columns="statistic")
