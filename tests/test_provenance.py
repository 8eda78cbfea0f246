"""verify_results on a hand-made run folder: checksums and key numbers, drift in words."""

import hashlib
import json

from surveysem.provenance import _lookup, verify_results


def make_run(tmp_path):
    folder = tmp_path / "results" / "s"
    (folder / "model").mkdir(parents=True)
    fit = folder / "model" / "fit.json"
    fit.write_text(json.dumps({"cfi": 0.95, "df": 10}))
    table = folder / "model" / "hypotheses.csv"
    table.write_text("id,std.all\nH1,0.5\nH2,0.25\n")
    outputs = [
        {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in (fit, table)
    ]
    provenance = folder / "provenance.json"
    provenance.write_text(json.dumps({"steps": {"fit": {"outputs": outputs}}}))
    snapshot = {
        "tolerance": {"absolute": 1e-6},
        "values": {
            "model/fit.json": {"cfi": 0.95, "df": 10},
            "model/hypotheses.csv": {"id=H2/std.all": 0.25},
        },
    }
    return provenance, snapshot, fit


def test_clean_run_has_no_problems(tmp_path):
    provenance, snapshot, _ = make_run(tmp_path)
    assert verify_results(provenance, snapshot) == []


def test_changed_file_and_drifted_number_are_both_reported(tmp_path):
    provenance, snapshot, fit = make_run(tmp_path)
    fit.write_text(json.dumps({"cfi": 0.9, "df": 10}))
    problems = verify_results(provenance, snapshot)
    assert len(problems) == 2
    assert "has changed since the run" in problems[0]
    assert "cfi is 0.9, but the reference snapshot has 0.95" in problems[1]


def test_missing_file_is_reported(tmp_path):
    provenance, snapshot, fit = make_run(tmp_path)
    fit.unlink()
    problems = verify_results(provenance, snapshot)
    assert any("is missing" in p for p in problems)


def test_lookup_selects_rows_by_key():
    rows = [{"id": "H1", "std.all": 0.5}, {"id": "H2", "std.all": 0.25}]
    assert _lookup(rows, "id=H2/std.all") == 0.25
