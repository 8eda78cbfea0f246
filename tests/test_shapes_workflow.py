"""The whole workflow on a model with a single-indicator construct and an observed covariate.

The bundled synthetic data with CS measured by one item and FP also regressed on the number
of employees (a numeric codebook column that is not an item), a hypothesis on that path, and
robustness variants of which two (FIML, ordinal) cannot estimate covariates. The run must
finish; what cannot be computed is "not applicable" or "not available", never a failure.
"""

import json
import shutil

import pandas as pd
import pytest
import yaml
from workflow_run import TEST_CONFIG, copy_project, snakemake

pytestmark = pytest.mark.integration

MODEL = """CO  =~ co1 + co2 + co3 + co4 + co5
CRP =~ crp1 + crp2 + crp3 + crp4 + crp5
PP  =~ pp1 + pp2 + pp3 + pp4
CS  =~ cs1
FP  =~ fp1 + fp2 + fp3 + fp4
CRP ~ CO
PP  ~ CRP
CS  ~ CRP
FP  ~ PP + CS + employees
"""


@pytest.fixture(scope="module")
def results(root, tmp_path_factory):
    workdir = copy_project(root, tmp_path_factory.mktemp("shapes"))
    config = yaml.safe_load((workdir / TEST_CONFIG).read_text())
    config["study"] = "shapes"
    config["model"] = MODEL
    config["hypotheses"].append({"id": "H6", "path": "FP ~ employees", "expected": "positive"})
    config["alternatives"].append({"name": "cfa", "measurement_model": True})
    config["robustness"]["variants"] = [
        {"name": "mlr", "estimator": "MLR"},
        {"name": "composite", "method": "composite"},
        {"name": "fiml", "missing": "fiml"},
        {"name": "ordinal", "estimator": "WLSMV"},
    ]
    (workdir / "shapes.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    done = snakemake(workdir, "--configfile", "shapes.yaml")
    assert done.returncode == 0, done.stderr[-3000:]
    return workdir / "results" / "shapes"


def decisions(results, rule):
    return json.loads((results / "audit" / f"{rule}.json").read_text())["decisions"]


def test_single_item_construct_is_not_applicable_not_failed(results):
    summary = json.loads((results / "measurement/summary.json").read_text())
    assert {"alpha[CS]", "omega[CS]", "ave[CS]", "htmt[CO-CS]"} <= set(summary["not_applicable"])
    assert not any("CS" in check for check in summary["failed"])
    assert json.loads((results / "model/solution.json").read_text())["problems"] == []
    status = json.loads((results / "bootstrap/status_0.json").read_text())
    assert status["attempted"] == status["requested"] and not status["reason"]


def test_covariate_path_is_estimated_and_tested(results):
    estimates = pd.read_csv(results / "model/estimates.csv").set_index(["lhs", "op", "rhs"])
    assert estimates.loc[("employees", "~~", "employees"), "se"] == 0  # fixed.x
    hypotheses = pd.read_csv(results / "model/hypotheses.csv").set_index("id")
    assert hypotheses.loc["H6", "rhs"] == "employees"
    cfa = (results / "measurement/model.lav").read_text()
    assert "employees" not in cfa
    warnings = decisions(results, "fit_structural")["warnings"]
    assert any("observed variances differ" in w and "employees" in w for w in warnings)


def test_variants_that_cannot_estimate_covariates_say_so(results):
    for variant in ("fiml", "ordinal"):
        (warning,) = decisions(results, f"robustness_variant_{variant}")["warnings"]
        assert warning.startswith(f"Robustness variant {variant} is not available")
    verdicts = pd.read_csv(results / "robustness/verdicts.csv")
    assert (verdicts["unavailable_variants"] == "fiml, ordinal").all()
    paths = decisions(results, "measurement_invariance_region")["warnings"]
    assert "not compared across groups" in paths[0]
    comparison = pd.read_csv(results / "model/comparison.csv").set_index("model")
    assert comparison.loc["cfa", "relation"] == "not nested"  # it has no covariate
    (warning,) = decisions(results, "compare_models")["warnings"]
    assert warning.startswith("Alternative model cfa (the measurement model) leaves out")


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript is not installed")
def test_lavaan_second_opinion_records_a_verdict(results):
    verdict = json.loads((results / "model/lavaan_check.json").read_text())
    assert verdict["verdict"] in {"agree", "disagree", "R failed"}
    warnings = decisions(results, "run_lavaan_check").get("warnings", [])
    assert (verdict["verdict"] == "agree") == (warnings == [])
