"""Rule build_manuscript: results -> Typst source -> PDF (surveysem.manuscript)."""

import os
from pathlib import Path

import pandas as pd
import yaml

from surveysem.audit import sha256_file
from surveysem.io import read_json
from surveysem.manuscript import (
    compile_pdf,
    configured_exhibits,
    manuscript_context,
    render_manuscript,
    sourced,
)
from surveysem.provenance import git_commit
from surveysem.run_summary import collect_warnings
from surveysem.step import run_step

# Context name -> input holding the results file it is read from.
RESULTS = {
    "sample": "clean_audit",
    "cfa": "measurement_fit",
    "checks": "measurement_summary",
    "reliability": "reliability",
    "sem": "structural_fit",
    "solution": "solution",
    "hypotheses": "hypotheses",
    "nonresponse": "nonresponse",
    "indirect": "indirect",
    "boot": "bootstrap_summary",
}


def load(path: str, pdf: str):
    """A results file as JSON-like data whose numbers link to it (relative to the PDF)."""
    data = read_json(path) if path.endswith(".json") else pd.read_csv(path).to_dict("records")
    return sourced(data, os.path.relpath(path, Path(pdf).parent))


def main(inputs, outputs, params, log):
    results = {name: load(inputs[key], outputs["pdf"]) for name, key in RESULTS.items()}
    warnings = collect_warnings(read_json(path) for path in sorted(inputs["audits"]))
    context = manuscript_context(params, results, warnings)
    source = Path(outputs["source"])
    context["tables"] = {
        Path(path).stem.replace("-", "_"): os.path.relpath(path, source.parent)
        for path in inputs["tables"]
    }
    context["figures"] = {
        name: os.path.relpath(inputs[name][0], source.parent)
        for name in ("conceptual", "path_diagram", "forest", "bootstrap")
        if inputs[name]
    }
    verdicts = pd.read_csv(inputs["robustness_verdicts"])
    context["robustness"] = verdicts.to_dict("records") if verdicts["variants"].gt(0).any() else []
    context["invariance"] = {
        name: load(path, outputs["pdf"])
        for name, path in zip(params["groupings"], inputs["invariance"], strict=True)
    }
    # Exhibits of stages this study does not configure are not in the document.
    exhibits = yaml.safe_load(Path(inputs["exhibits"]).read_text(encoding="utf-8"))
    context["exhibits"] = configured_exhibits(exhibits, params["stages"])
    # R lavaan's second opinion runs only where Rscript with lavaan is installed
    context["lavaan_check"] = read_json(inputs["lavaan_check"]) if inputs["lavaan_check"] else None
    context["commit"] = git_commit()
    context["lock_sha256"] = sha256_file(inputs["lock"])
    context["data_sha256"] = sha256_file(params["data_file"])
    study_bib = Path(inputs["text"] or ".") / "references.bib"
    context["bibliographies"] = ["/" + inputs["bibliography"]] + (
        ["/" + study_bib.as_posix()] if inputs["text"] and study_bib.is_file() else []
    )
    source.parent.mkdir(parents=True, exist_ok=True)
    text = render_manuscript(inputs["template"], context, inputs["text"] or None)
    source.write_text(text, encoding="utf-8", newline="\n")
    compile_pdf(source, outputs["pdf"], root=Path.cwd())
    log.info("compiled %s", outputs["pdf"])
    return {
        "hypotheses_supported": context["n_supported"],
        "warnings_stated": len(warnings),
        "study_text": params["study_text"],
    }


run_step(snakemake, main)
