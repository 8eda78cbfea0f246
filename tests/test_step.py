"""run_step: logging, the user-error contract and the audit record of a workflow step."""

import hashlib
import json
from types import SimpleNamespace

import pytest

from surveysem.errors import InputError
from surveysem.step import run_step


class Named(dict):
    """Stands in for Snakemake's Namedlist, which exposes .items() of its named entries."""


def fake_snakemake(tmp_path, **params):
    return SimpleNamespace(
        rule="demo",
        input=Named(table=str(tmp_path / "in.csv")),
        output=Named(result=str(tmp_path / "out.csv"), audit=str(tmp_path / "audit.json")),
        params=Named(params),
        log=[str(tmp_path / "demo.log")],
        wildcards=Named(variant="mlr"),
    )


def test_success_writes_audit_with_checksums(tmp_path):
    (tmp_path / "in.csv").write_text("a\n1\n")
    smk = fake_snakemake(tmp_path, threshold=0.5)

    def step(inputs, outputs, params, log):
        log.info("working")
        with open(outputs["result"], "w") as handle:
            handle.write("b\n2\n")
        return {"rows": 1}

    run_step(smk, step)
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert audit["step"] == "demo"
    assert audit["wildcards"] == {"variant": "mlr"}
    assert audit["params"] == {"threshold": 0.5}
    assert audit["decisions"] == {"rows": 1}
    assert audit["inputs"][0]["sha256"] == hashlib.sha256(b"a\n1\n").hexdigest()
    assert audit["outputs"][0]["sha256"] == hashlib.sha256(b"b\n2\n").hexdigest()
    assert [o["role"] for o in audit["outputs"]] == ["result"]
    assert "numpy" in audit["software"]
    assert "working" in (tmp_path / "demo.log").read_text()


def test_input_error_exits_cleanly_and_leaves_nothing(tmp_path, capsys):
    smk = fake_snakemake(tmp_path)

    def step(inputs, outputs, params, log):
        with open(outputs["result"], "w") as handle:
            handle.write("partial")
        raise InputError("data file x.csv, column co1: expected 1-7")

    with pytest.raises(SystemExit) as exit_info:
        run_step(smk, step)
    assert exit_info.value.code == 1
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "audit.json").exists()
    err = capsys.readouterr().err
    assert "column co1: expected 1-7" in err
    assert "Traceback" not in err
    assert "column co1" in (tmp_path / "demo.log").read_text()


def test_a_bug_keeps_its_traceback_in_the_log(tmp_path):
    smk = fake_snakemake(tmp_path)

    def step(inputs, outputs, params, log):
        raise ZeroDivisionError("bug")

    with pytest.raises(ZeroDivisionError):
        run_step(smk, step)
    assert "Traceback" in (tmp_path / "demo.log").read_text()


def test_warnings_of_the_step_and_of_python_reach_the_audit_and_the_log(tmp_path):
    import warnings

    smk = fake_snakemake(tmp_path)

    def step(inputs, outputs, params, log):
        with open(outputs["result"], "w") as handle:
            handle.write("b\n")
        warnings.warn("covariance matrix is singular", RuntimeWarning, stacklevel=1)
        return {"rows": 1, "warnings": ["12% of the draws failed"]}

    run_step(smk, step)
    audit = json.loads((tmp_path / "audit.json").read_text())
    assert audit["decisions"]["warnings"] == [
        "12% of the draws failed",
        "Python warning: RuntimeWarning: covariance matrix is singular",
    ]
    log = (tmp_path / "demo.log").read_text()
    assert "WARNING surveysem.demo: 12% of the draws failed" in log
