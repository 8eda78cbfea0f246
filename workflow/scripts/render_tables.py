"""Rule render_tables: results files -> every manuscript table in Typst, LaTeX and HTML."""

import os
from dataclasses import replace
from pathlib import Path

import pandas as pd

from surveysem import tables
from surveysem.codebook import load_codebook
from surveysem.io import read_json
from surveysem.rendering import render_table
from surveysem.sem.entry import estimation_text
from surveysem.step import run_step


def alternatives(comparison_path: str, descriptions: dict) -> dict:
    """Fit of each alternative structure (the measurement model is in the table already)."""
    comparison = pd.read_csv(comparison_path).set_index("model")
    return {
        f"Alternative: {text}": comparison.loc[name].to_dict()
        for name, text in descriptions.items()
    }


def source_of(paths, study: Path) -> str:
    """The results file a table links to: a named input's path, or the first of a list
    (expand); empty when the study has none (e.g. no invariance groupings)."""
    paths = [paths] if isinstance(paths, str) else paths
    return os.path.relpath(paths[0], study) if paths else ""


def builders(inputs, params) -> dict:
    """Each table's name and how to build it (only the study's own tables are built)."""
    codebook = load_codebook(inputs["codebook"])
    wordings = dict(zip(codebook.fields["name"], codebook.fields["wording"], strict=True))
    return {
        "sample-profile": lambda: tables.sample_profile_table(
            # categories such as "NA" stay text; only the shares can be empty (not answered)
            pd.read_csv(
                inputs["profile"],
                keep_default_na=False,
                na_values={"percent": [""], "weighted_percent": [""]},
            ),
            weighted=params["weighted"],
        ),
        "nonresponse": lambda: tables.nonresponse_table(
            pd.read_csv(inputs["nonresponse"]), params["constructs"]
        ),
        "measurement": lambda: tables.measurement_table(
            pd.read_csv(inputs["measurement_estimates"]),
            pd.read_csv(inputs["reliability"]),
            wordings,
            params["constructs"],
            codebook.reverse_keyed(),
        ),
        "discriminant": lambda: tables.discriminant_table(
            pd.read_csv(inputs["fornell_larcker"]), pd.read_csv(inputs["htmt"])
        ),
        "fit": lambda: tables.fit_table(
            {
                "One-factor model": read_json(inputs["harman"])["cfa"]["fit"],
                "Measurement model (CFA)": read_json(inputs["measurement_fit"]),
                "Hypothesized model": read_json(inputs["structural_fit"]),
                **alternatives(inputs["comparison"], params["alternatives"]),
            },
            params["thresholds"],
            estimation_text(params["estimation"]),
        ),
        "indirect": lambda: tables.indirect_table(
            pd.read_csv(inputs["indirect"]), 1 - params["alpha"]
        ),
        "hypotheses": lambda: tables.hypotheses_table(
            pd.read_csv(inputs["hypotheses"]), params["alpha"], params["constructs"]
        ),
        "robustness": lambda: tables.robustness_table(
            pd.read_csv(inputs["robustness"]),
            pd.read_csv(inputs["verdicts"]),
            params["descriptions"],
        ),
        "residuals": lambda: tables.residuals_table(pd.read_csv(inputs["residuals"])),
        "invariance": lambda: tables.invariance_table(
            {
                name: pd.read_csv(path)
                for name, path in zip(params["groupings"], inputs["invariance"], strict=True)
            }
        ),
    }


# The results file each table's numbers come from (the input it is built from).
SOURCES = {
    "sample-profile": "profile",
    "nonresponse": "nonresponse",
    "measurement": "reliability",
    "discriminant": "fornell_larcker",
    "fit": "measurement_fit",
    "hypotheses": "hypotheses",
    "indirect": "indirect",
    "robustness": "robustness",
    "invariance": "invariance",
    "residuals": "residuals",
}


def main(inputs, outputs, params, log):
    folder = Path(outputs["typ"][0]).parent
    study = folder.parent
    build = builders(inputs, params)
    built = [
        replace(build[name](), source=source_of(inputs[SOURCES[name]], study))
        for name in (Path(path).stem for path in outputs["typ"])
    ]
    for table in built:
        for fmt in ("typ", "tex", "html"):
            template = Path(inputs["templates"]) / f"table.{fmt}.j2"
            path = folder / f"{table.name}.{fmt}"
            path.write_text(render_table(table, template), encoding="utf-8", newline="\n")
        log.info("rendered table %s (%d rows) as Typst, LaTeX and HTML", table.name,
                 len(table.rows))  # fmt: skip
    return {"tables": [t.name for t in built]}


run_step(snakemake, main)
