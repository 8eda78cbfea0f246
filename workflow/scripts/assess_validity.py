"""Rule assess_validity: discriminant validity and common method variance (surveysem.validity)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import read_json, write_csv, write_json
from surveysem.preflight import observed_variables
from surveysem.reliability import htmt_table, reliability_table
from surveysem.sem import factor_indicators, fit_model
from surveysem.step import run_step
from surveysem.validity import (
    compare_fits,
    fornell_larcker,
    fornell_larcker_verdicts,
    harman_single_factor,
)


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    codebook = load_codebook(inputs["codebook"])
    items = observed_variables(syntax, codebook)  # the CFA's: items only, no covariates
    variables = observed_variables(params["model"], codebook)
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, params["missing_data"])
    fit = fit_model(syntax, data)
    table = fornell_larcker(fit)
    notes = reliability_table(fit, data).set_index("construct")["note"]
    verdicts = fornell_larcker_verdicts(table, notes)
    write_csv(table.rename_axis("construct").reset_index(), outputs["fornell_larcker"])
    write_csv(verdicts, outputs["fornell_larcker_verdicts"])
    pairs = htmt_table(data, factor_indicators(syntax))
    write_csv(pairs, outputs["htmt"])
    harman = harman_single_factor(data, items)
    write_json(harman, outputs["harman"])
    fits = {"one factor": harman["cfa"]["fit"], "measurement model": read_json(inputs["fit"])}
    comparison = compare_fits(fits)
    write_csv(comparison, outputs["method_comparison"])
    applicable = verdicts[verdicts["applicable"]]
    log.info(
        "Fornell-Larcker holds for %d of %d applicable pairs; largest HTMT %.3f; Harman first "
        "component %.1f%%, one-factor CFA mean squared loading %.1f%%",
        applicable["holds"].sum(), len(applicable), pairs["htmt"].max(),
        100 * harman["pca"]["variance_share"], 100 * harman["cfa"]["mean_sq_std_loading"],
    )  # fmt: skip
    return {
        "fornell_larcker_holds": int(applicable["holds"].sum()),
        "pairs": len(verdicts),
        "pairs_not_applicable": int((~verdicts["applicable"]).sum()),
        "harman_variant_reported": "first unrotated principal component (SPSS style)",
    }


run_step(snakemake, main)
