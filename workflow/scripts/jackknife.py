"""Rule jackknife: jackknife refits for the BCa acceleration (sem.resampling.bootstrap)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv
from surveysem.preflight import observed_variables
from surveysem.sem.entry import config_options
from surveysem.sem.resampling.bootstrap import jackknife_estimates
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    variables = observed_variables(syntax, load_codebook(inputs["codebook"]))
    options = config_options(params["estimation"])
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, options["missing"])
    groups = params["groups"]
    table = jackknife_estimates(
        syntax, data, groups=groups, seed=params["seed"], estimation=options
    )
    write_csv(table, outputs["jackknife"])
    refits = int(table["group"].nunique())
    kind = "leave-one-out" if refits == len(data) else f"delete-d ({refits} random groups)"
    kind = kind if refits else "none"
    log.info("%d complete rows: %s jackknife, %d refits", len(data), kind, refits)
    warnings = []
    if not refits:
        warnings.append(
            "The jackknife was not run because the model did not converge on the full sample, "
            "so the BCa intervals have no acceleration and are empty."
        )
    return {"rows": len(data), "jackknife": kind, "refits": refits, "warnings": warnings}


run_step(snakemake, main)
