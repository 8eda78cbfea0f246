"""Threshold verdicts of the measurement model on hand-made inputs with known answers."""

import pandas as pd

from surveysem.measurement_summary import measurement_checks

THRESHOLDS = {
    "alpha": {"value": 0.70, "direction": "min", "reference": "a"},
    "omega": {"value": 0.70, "direction": "min", "reference": "b"},
    "ave": {"value": 0.50, "direction": "min", "reference": "c"},
    "htmt": {"value": 0.85, "direction": "max", "reference": "d"},
    "cfi": {"value": 0.95, "direction": "min", "reference": "e"},
    "tli": {"value": 0.95, "direction": "min", "reference": "e"},
    "rmsea": {"value": 0.06, "direction": "max", "reference": "e"},
    "srmr": {"value": 0.08, "direction": "max", "reference": "e"},
    "harman": {"value": 0.50, "direction": "max", "reference": "f"},
}


def test_each_statistic_is_judged_against_its_threshold():
    reliability = pd.DataFrame(
        {"construct": ["A", "B"], "alpha": [0.81, 0.69], "omega": [0.82, 0.71], "ave": [0.5, 0.49]}
    )
    htmt = pd.DataFrame({"construct_1": ["A"], "construct_2": ["B"], "htmt": [0.86]})
    fit = {"cfi": 0.95, "tli": 0.94, "rmsea": 0.06, "srmr": 0.081}
    harman = {"pca": {"variance_share": 0.31}}
    checks = measurement_checks(reliability, htmt, fit, harman, THRESHOLDS)
    verdict = {
        (c, s): p for c, s, p in checks[["check", "subject", "pass"]].itertuples(index=False)
    }
    assert verdict == {
        ("alpha", "A"): True, ("omega", "A"): True, ("ave", "A"): True,
        ("alpha", "B"): False, ("omega", "B"): True, ("ave", "B"): False,
        ("htmt", "A-B"): False,
        ("cfi", "CFA"): True, ("tli", "CFA"): False, ("rmsea", "CFA"): True,
        ("srmr", "CFA"): False,
        ("harman", "first component"): True,
    }  # fmt: skip
    assert checks.loc[checks.check == "htmt", "reference"].item() == "d"
