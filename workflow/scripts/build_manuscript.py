"""Rule build_manuscript: results -> Typst source -> PDF (surveysem.manuscript)."""

import os
from pathlib import Path

import pandas as pd
import yaml

from surveysem.audit import sha256_file
from surveysem.io import read_json
from surveysem.manuscript import compile_pdf, manuscript_context, render_manuscript
from surveysem.provenance import git_commit
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    context = manuscript_context(
        settings=params,
        clean_audit=read_json(inputs["clean_audit"]),
        measurement_fit=read_json(inputs["measurement_fit"]),
        measurement_summary=read_json(inputs["measurement_summary"]),
        reliability=pd.read_csv(inputs["reliability"]),
        structural_fit=read_json(inputs["structural_fit"]),
        estimates=pd.read_csv(inputs["estimates"]),
        hypotheses=pd.read_csv(inputs["hypotheses"]),
        nonresponse=pd.read_csv(inputs["nonresponse"]),
    )
    source = Path(outputs["source"])
    context["tables"] = {
        Path(path).stem.replace("-", "_"): os.path.relpath(path, source.parent)
        for path in inputs["tables"]
    }
    context["figures"] = {
        name: os.path.relpath(inputs[name][0], source.parent)
        for name in ("conceptual", "path_diagram", "forest", "bootstrap")
    }
    verdicts = pd.read_csv(inputs["robustness_verdicts"])
    context["robustness"] = verdicts.to_dict("records") if verdicts["variants"].gt(0).any() else []
    context["invariance"] = {
        name: pd.read_csv(path).to_dict("records")
        for name, path in zip(params["groupings"], inputs["invariance"], strict=True)
    }
    context["indirect"] = pd.read_csv(inputs["indirect"]).to_dict("records")
    context["boot"] = read_json(inputs["bootstrap_summary"])
    # Exhibits of stages this study does not configure are not in the document.
    absent = set()
    if not context["robustness"]:
        absent |= {"tab-robustness", "fig-forest"}
    if not context["invariance"]:
        absent.add("tab-invariance")
    exhibits = yaml.safe_load(Path(inputs["exhibits"]).read_text(encoding="utf-8"))
    context["exhibits"] = [e for e in exhibits if e["label"] not in absent]
    context["commit"] = git_commit()
    context["lock_sha256"] = sha256_file(inputs["lock"])
    context["bibliography"] = "/" + inputs["bibliography"]
    source.parent.mkdir(parents=True, exist_ok=True)
    source.write_text(
        render_manuscript(inputs["template"], context), encoding="utf-8", newline="\n"
    )
    compile_pdf(source, outputs["pdf"], root=Path.cwd())
    log.info("compiled %s", outputs["pdf"])
    return {"hypotheses_supported": context["n_supported"]}


run_step(snakemake, main)
