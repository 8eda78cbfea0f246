"""The R lavaan second opinion: its script, and a verdict that never stops the build.

The verdicts are checked on agreement tables made by hand and on tiny R scripts that agree,
disagree or fail on purpose (these need Rscript; without it the "R failed" case is checked).
"""

import shutil

import pandas as pd
import pytest

from surveysem.lavaan_check import AGREEMENT_COLUMNS, lavaan_check_script, run_check, verdict

needs_r = pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")


def table(**disagreement) -> pd.DataFrame:
    rows = [
        {"quantity": "est", "compared": 60, "max_abs_diff": 2e-6, "tolerance": 1e-3},
        {"quantity": "se", "compared": 60, "max_abs_diff": 2e-7, "tolerance": 1e-3},
        {"quantity": "unmatched parameters", "compared": 60, "max_abs_diff": 0, "tolerance": 0},
    ]
    frame = pd.DataFrame(rows).assign(lavaan="0.6.14")
    for quantity, diff in disagreement.items():
        frame.loc[frame["quantity"] == quantity, "max_abs_diff"] = diff
    frame["agrees"] = frame["max_abs_diff"] <= frame["tolerance"]
    return frame[AGREEMENT_COLUMNS]


def test_verdicts():
    agree = verdict(table())
    assert agree["verdict"] == "agree" and agree["quantity"] == "est"  # largest relative diff
    disagree = verdict(table(se=0.02))
    assert disagree["verdict"] == "disagree"
    assert (disagree["quantity"], disagree["max_abs_diff"]) == ("se", 0.02)
    assert disagree["sentence"] == (
        "R lavaan 0.6.14 disagrees: se differs by up to 0.02 (tolerance 0.001)."
    )
    unmatched = verdict(table(**{"unmatched parameters": 3}))
    assert unmatched["quantity"] == "unmatched parameters"
    failed = verdict(None, "lavaan ERROR: model did not converge")
    assert failed["verdict"] == "R failed" and "did not converge" in failed["sentence"]


def test_script_names_the_observed_variables():
    script = lavaan_check_script(study="s", model="F =~ a + b + c\nF ~ size",
                                 variables=["a", "b", "c", "size"], script_path="x.R")  # fmt: skip
    assert 'variables <- c("a", "b", "c", "size")' in script
    assert "complete.cases(data[, variables])" in script


def test_missing_rscript_is_a_verdict(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    _, result = run_check(tmp_path / "check.R", tmp_path / "agreement.csv")
    assert result["verdict"] == "R failed" and "Rscript could not run" in result["reason"]


@needs_r
def test_r_error_and_disagreement_are_verdicts(tmp_path):
    agreement = tmp_path / "agreement.csv"
    failing = tmp_path / "failing.R"
    failing.write_text('stop("lavaan ERROR: model did not converge")\n')
    _, result = run_check(failing, agreement)
    assert result["verdict"] == "R failed"
    assert result["reason"].endswith("lavaan ERROR: model did not converge")
    disagreeing = tmp_path / "disagreeing.R"
    table(se=0.02).to_csv(tmp_path / "made.csv", index=False)
    disagreeing.write_text(
        f'file.copy("{tmp_path / "made.csv"}", "{agreement}"); quit(status = 1)\n'
    )
    _, result = run_check(disagreeing, agreement)
    assert result["verdict"] == "disagree" and result["quantity"] == "se"
