"""End to end: the whole DAG on the bundled data in a temporary copy of the project.

The fixture `run` (tests/conftest.py) is the session's one local run of the test config.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pypdf import PdfReader
from workflow_run import RULES, result_digests, snakemake

from surveysem import formatting as fmt

pytestmark = pytest.mark.integration


def pdf_text(path: Path) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    return re.sub(r"\s+", " ", text)


def test_manuscript_pdf_prints_the_estimate_of_the_results_file(run):
    _, results = run
    text = pdf_text(results / "manuscript.pdf")
    hypotheses = pd.read_csv(results / "model" / "hypotheses.csv").set_index("id")
    printed = re.search(r"H1 \(CO → CRP\) was (?:not )?supported \(β = (\S+), B = (\S+),", text)
    assert printed, "the H1 sentence is missing from the PDF"
    assert printed[1] == fmt.number(hypotheses.loc["H1", "std.all"], 2, bounded=True)
    assert printed[2] == fmt.number(hypotheses.loc["H1", "est"], 3)
    assert "Synthetic data." in text


def test_every_rule_writes_its_log_and_audit_record(run):
    _, results = run
    for rule in RULES:
        assert (results / "logs" / f"{rule}.log").stat().st_size > 0, rule
        record = json.loads((results / "audit" / f"{rule}.json").read_text())
        assert rule == "_".join([record["step"], *record["wildcards"].values()])
        assert record["outputs"], f"{rule} recorded no outputs"
        for output in record["outputs"]:
            assert len(output["sha256"]) == 64


def test_results_follow_the_lavaan_contract(run):
    _, results = run
    columns = [
        "lhs",
        "op",
        "rhs",
        "label",
        "est",
        "se",
        "z",
        "pvalue",
        "ci.lower",
        "ci.upper",
        "std.lv",
        "std.all",
    ]
    for stage in ("measurement", "model"):
        assert pd.read_csv(results / stage / "estimates.csv").columns.tolist() == columns
        fit = json.loads((results / stage / "fit.json").read_text())
        assert {"chisq", "df", "cfi", "tli", "rmsea", "srmr"} <= set(fit)


def test_a_second_run_has_nothing_to_do(run):
    workdir, _ = run
    dry = snakemake(workdir, "--configfile", ".test/config/config.yaml", "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr


def test_bundled_study_results_are_not_touched(run):
    workdir, _ = run
    assert not (workdir / "results" / "cai2009").exists()


def test_new_data_example_runs_into_its_own_folder(run):
    """The README's new-data walk-through: another data file and codebook, config only."""
    workdir, _ = run
    before = sorted(p.name for p in (workdir / "results" / "ci_test").rglob("*"))
    done = snakemake(workdir, "--configfile", "config/examples/wave2.yaml")
    assert done.returncode == 0, done.stderr[-3000:]
    wave2 = workdir / "results" / "wave2"
    assert (wave2 / "manuscript.pdf").stat().st_size > 0
    report = json.loads((wave2 / "validate" / "report.json").read_text())
    assert report["file"] == "data/raw/wave2_survey.csv" and report["rows"] == 360
    assert sorted(p.name for p in (workdir / "results" / "ci_test").rglob("*")) == before


def test_no_personal_data_in_any_output(run, root):
    """The generator's fake names, e-mails and phone numbers never reach results/."""
    raw = pd.read_csv(root / "data" / "raw" / "cai2009_survey.csv", dtype=str)
    pii = set(raw[["resp_name", "resp_email", "resp_phone"]].stack())
    assert len(pii) > 300
    workdir, _ = run
    for path in (workdir / "results").rglob("*"):
        if path.is_file():
            content = path.read_bytes().decode("utf-8", errors="ignore")
            if path.suffix == ".pdf":
                content = pdf_text(path)
            leaked = [value for value in pii if value in content]
            assert not leaked, f"{path} contains personal data, e.g. {leaked[0]}"


def test_verify_passes_then_catches_an_altered_file(run):
    workdir, results = run
    verify = [sys.executable, "-m", "surveysem.verify", "--study", "ci_test"]
    snapshot = [*verify, "--snapshot-dir", str(workdir / "snapshot")]
    assert subprocess.run([*snapshot, "--write-snapshot"], cwd=workdir).returncode == 0
    done = subprocess.run(snapshot, cwd=workdir, capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("OK:"), done.stdout
    fit = results / "model" / "fit.json"
    original = fit.read_text()
    fit.write_text(original.replace('"cfi": 0.', '"cfi": 0.0'))
    try:
        done = subprocess.run(snapshot, cwd=workdir, capture_output=True, text=True)
    finally:
        fit.write_text(original)
    assert done.returncode == 1
    assert "model/fit.json (written by fit_structural) has changed" in done.stdout
    assert "model/fit.json: cfi is" in done.stdout


def test_rebuild_is_byte_identical(run):
    workdir, results = run
    before = result_digests(results)
    done = snakemake(workdir, "--configfile", ".test/config/config.yaml", "--forceall")
    assert done.returncode == 0, done.stderr[-3000:]
    assert result_digests(results) == before


def test_changed_result_changes_the_pdf_text(run):
    """Numbers in the prose come from the results files, not from the template."""
    workdir, results = run
    hypotheses = results / "model" / "hypotheses.csv"
    table = pd.read_csv(hypotheses)
    table.loc[table.id == "H1", "std.all"] = 0.123456
    table.to_csv(hypotheses, index=False)
    done = snakemake(workdir, "--configfile", ".test/config/config.yaml")
    assert done.returncode == 0, done.stderr[-3000:]
    assert re.search(r"H1 \(CO → CRP\) was (?:not )?supported \(β = \.12,", pdf_text(
        results / "manuscript.pdf"))  # fmt: skip
    forced = snakemake(workdir, "--configfile", ".test/config/config.yaml", "--forcerun",
                       "fit_structural")  # fmt: skip
    assert forced.returncode == 0


def test_report_holds_every_stage(run):
    workdir, results = run
    report = results / "report.html"
    done = snakemake(workdir, "--configfile", ".test/config/config.yaml", "--report", str(report))
    assert done.returncode == 0, done.stderr[-3000:]
    html = report.read_text(encoding="utf-8")
    for category in ("1 Data", "2 Sample", "3 Measurement", "4 Structural model", "5 Tables"):
        assert category in html, category
    assert "synthetic" in html


def test_numbers_in_the_pdf_link_to_existing_results_files(run):
    _, results = run
    links = {
        annotation.get_object().get("/A", {}).get("/URI")
        for page in PdfReader(results / "manuscript.pdf").pages
        for annotation in page.get("/Annots") or []
    }
    files = {link for link in links if link and not link.startswith("http")}
    assert {"model/hypotheses.csv", "model/fit.json", "clean/audit.json"} <= files
    for link in files:
        assert (results / link).is_file(), link
