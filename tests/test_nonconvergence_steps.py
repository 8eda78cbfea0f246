"""A main model that does not converge does not stop the build: the workflow steps write
their results, say what they could not compute, and report it as warnings in their audit.

The steps are the real scripts of workflow/scripts, run with a stand-in for the Snakemake
object, on HolzingerSwineford rows on which lavaan 0.6.14 does not converge either
(tests/golden/lavaan/hs_single_nonconverging_*.csv, made by make_shapes_golden.R).
"""

import json
import runpy
from pathlib import Path

import pandas as pd
import pytest
from lavaan_golden import read_golden

from surveysem.codebook import FieldSpec, write_codebook

MODEL = """visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7
textual ~ visual + speed
"""
HYPOTHESES = [{"id": "H1", "path": "textual ~ visual", "expected": "positive"}]
CONSTRUCTS = {"x1": "visual", "x2": "visual", "x3": "visual", "x4": "textual",
              "x5": "textual", "x6": "textual", "x7": "speed"}  # fmt: skip


class Named(dict):
    """Snakemake's Namedlist: named entries as items and as attributes."""

    __getattr__ = dict.__getitem__


def run_script(root: Path, folder: Path, rule: str, script: str, inputs, outputs, params, **wc):
    """Run workflow/scripts/<script>.py as Snakemake would; return its audit decisions."""
    outputs = {name: str(folder / path) for name, path in outputs.items()}
    for path in outputs.values():  # Snakemake makes the folders of the outputs
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    smk = Named(
        rule=rule,
        input=Named(
            {
                k: [str(folder / p) for p in v] if isinstance(v, list) else str(folder / v)
                for k, v in inputs.items()
            }
        ),  # fmt: skip
        output=Named(outputs, audit=str(folder / f"audit/{rule}.json")),
        params=Named(params),
        log=[str(folder / f"logs/{rule}.log")],
        wildcards=Named(wc),
    )
    runpy.run_path(str(root / "workflow" / "scripts" / f"{script}.py"), {"snakemake": smk})
    return json.loads(Path(smk.output["audit"]).read_text())["decisions"]


@pytest.fixture(scope="module")
def study(root, hs_data, tmp_path_factory):
    """Clean data and codebook of the non-converging rows."""
    folder = tmp_path_factory.mktemp("study")
    rows = read_golden("hs_single_nonconverging_rows.csv")["row"].to_numpy() - 1
    assert not read_golden("hs_single_nonconverging_lavaan.csv")["converged"].item()
    data = hs_data.iloc[rows][["id", *CONSTRUCTS]].reset_index(drop=True)
    data["id"] = range(1, len(data) + 1)
    data.to_csv(folder / "data.csv", index=False)
    fields = [FieldSpec("id", "integer", "row")]
    fields += [FieldSpec(x, "number", "score", construct=c) for x, c in CONSTRUCTS.items()]
    write_codebook(folder / "codebook.json", data_path=folder / "data.csv", fields=fields,
                   name="hs", title="HS", description="test", primary_key=("id",))  # fmt: skip
    return folder


ML_LISTWISE = {"estimator": "ML", "missing": "listwise"}


def test_steps_report_instead_of_crashing(root, study):
    common = {"data": "data.csv", "codebook": "codebook.json"}
    decisions = run_script(
        root, study, "fit_structural", "fit_structural", common,
        {"syntax": "model/model.lav", "estimates": "model/estimates.csv",
         "fit": "model/fit.json", "sample_cov": "model/sample_cov.csv",
         "solution": "model/solution.json", "r2": "model/r2.csv",
         "effects": "model/effects.json", "residuals": "model/residuals.csv",
         "largest_residuals": "model/largest_residuals.csv"},
        {"model": MODEL, "estimation": ML_LISTWISE},
    )  # fmt: skip
    assert json.loads((study / "model/solution.json").read_text())["converged"] is False
    assert decisions["warnings"][0].startswith("The structural model did not converge")
    assert pd.read_csv(study / "model/estimates.csv")["est"].notna().all()

    chunk = run_script(
        root, study, "bootstrap_chunk_0", "bootstrap_chunk",
        {**common, "syntax": "model/model.lav"},
        {"draws": "bootstrap/draws_0.csv", "status": "bootstrap/status_0.json"},
        {"seed": 1, "draws": 20, "chunks": 1, "max_failed_share": 0.5,
         "estimation": ML_LISTWISE},
        chunk="0",
    )  # fmt: skip
    assert chunk["attempted"] == 0 and "did not converge" in chunk["warnings"][0]
    jack = run_script(
        root, study, "jackknife", "jackknife", {**common, "syntax": "model/model.lav"},
        {"jackknife": "bootstrap/jackknife.csv"},
        {"estimation": ML_LISTWISE, "groups": 50, "seed": 1},
    )  # fmt: skip
    assert jack["refits"] == 0 and "jackknife was not run" in jack["warnings"][0]
    tests = run_script(
        root, study, "test_hypotheses", "test_hypotheses",
        {"estimates": "model/estimates.csv", "effects": "model/effects.json",
         "draws": ["bootstrap/draws_0.csv"], "statuses": ["bootstrap/status_0.json"],
         "jackknife": "bootstrap/jackknife.csv"},
        {"hypotheses": "model/hypotheses.csv", "indirect": "model/indirect.csv",
         "intervals": "bootstrap/intervals.csv", "summary": "bootstrap/summary.json"},
        {"hypotheses": HYPOTHESES, "support": {"alpha": 0.05, "test": "percentile"}},
    )  # fmt: skip
    assert any(w.startswith("The bootstrap intervals are empty") for w in tests["warnings"])
    assert any("none of them is supported" in w for w in tests["warnings"])
    intervals = pd.read_csv(study / "bootstrap/intervals.csv")
    assert intervals["perc.lower"].isna().all() and intervals["note"].notna().all()
    assert not pd.read_csv(study / "model/hypotheses.csv")["supported"].any()
