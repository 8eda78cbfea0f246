"""Rule assess_reliability: alpha, omega and AVE per construct (surveysem.reliability)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv
from surveysem.preflight import parse_items
from surveysem.reliability import reliability_table
from surveysem.sem import fit_model
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    items = parse_items(syntax, load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), items, params["missing_data"])
    fit = fit_model(syntax, data)
    table = reliability_table(fit, data)
    for row in table.itertuples():
        log.info(
            "%s: alpha %.3f, omega %.3f, AVE %.3f", row.construct, row.alpha, row.omega, row.ave
        )
    write_csv(table, outputs["reliability"])
    return {"n": len(data), "constructs": table["construct"].tolist()}


run_step(snakemake, main)
