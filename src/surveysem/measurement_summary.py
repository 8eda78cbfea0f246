"""One machine-readable verdict per measurement check, against the config's thresholds.

The manuscript and the report read this summary instead of re-deciding what passes, so a
changed threshold in the config changes every sentence and table that depends on it.
"""

import pandas as pd

from surveysem.sem.measures.indices import reported_fit
from surveysem.validity import check_thresholds

RELIABILITY_CHECKS = ("alpha", "omega", "ave")
FIT_CHECKS = ("cfi", "tli", "rmsea", "srmr")
CHECKS_COLUMNS = [
    "check", "subject", "value", "threshold", "direction", "pass", "reference", "applicable",
    "note",
]  # fmt: skip


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
    threshold, direction, pass, reference`` (see :func:`surveysem.validity.check_thresholds`),
    ``applicable, note``. A NaN value with a reason in the ``note`` column of ``reliability``
    or ``htmt`` (e.g. alpha of a single-item construct) is not applicable: ``applicable`` is
    False, ``note`` gives the reason and ``pass`` is False; such rows are no failures. A NaN
    value without a reason (e.g. a fit index of a model that did not converge) fails.

    Examples
    --------
    >>> reliability = pd.DataFrame({"construct": ["A", "S"], "alpha": [0.8, float("nan")],
    ...     "omega": [0.8, float("nan")], "ave": [0.6, float("nan")],
    ...     "note": ["", "not applicable to S, a single-item construct"]})
    >>> htmt = pd.DataFrame({"construct_1": ["A"], "construct_2": ["S"], "htmt": [float("nan")],
    ...     "note": ["not applicable to S, a single-item construct"]})
    >>> fit = {"cfi": 0.97, "tli": 0.96, "rmsea": 0.05, "srmr": 0.04}
    >>> rule = {"value": 0.5, "direction": "min"}
    >>> thresholds = dict.fromkeys(["alpha", "omega", "ave", "cfi", "tli"], rule)
    >>> upper = rule | {"direction": "max"}
    >>> thresholds |= dict.fromkeys(["htmt", "rmsea", "srmr", "harman"], upper)
    >>> checks = measurement_checks(reliability, htmt, fit, {"pca": {"variance_share": 0.3}},
    ...     thresholds)
    >>> checks.loc[checks["subject"] != "CFA", ["check", "subject", "pass", "applicable"]]
         check          subject   pass  applicable
    0    alpha                A   True        True
    1    omega                A   True        True
    2      ave                A   True        True
    3    alpha                S  False       False
    4    omega                S  False       False
    5      ave                S  False       False
    6     htmt              A-S  False       False
    11  harman  first component   True        True
    """
    values, specs, subjects, notes = {}, {}, {}, {}

    def add(check: str, subject: str, value: float, note: str = "") -> None:
        name = f"{check}[{subject}]"
        values[name], specs[name], subjects[name] = value, thresholds[check], subject
        notes[name] = note if isinstance(note, str) and pd.isna(value) else ""

    for row in reliability.to_dict("records"):
        for check in RELIABILITY_CHECKS:
            add(check, row["construct"], row[check], row.get("note", ""))
    for row in htmt.to_dict("records"):
        pair = f"{row['construct_1']}-{row['construct_2']}"
        add("htmt", pair, row["htmt"], row.get("note", ""))
    reported = reported_fit(fit)  # robust indices for robust estimators
    for check in FIT_CHECKS:
        add(check, "CFA", reported[check])
    add("harman", "first component", harman["pca"]["variance_share"])
    table = check_thresholds(values, specs)
    table.insert(1, "subject", table["check"].map(subjects))
    table["note"] = table["check"].map(notes)
    table["applicable"] = table["note"] == ""
    table["check"] = table["check"].str.split("[").str[0]
    return table.drop(columns="statistic")[CHECKS_COLUMNS]
