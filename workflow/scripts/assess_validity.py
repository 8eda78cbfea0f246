"""Rule assess_validity: discriminant validity and common method variance (surveysem.validity).

Fornell-Larcker reads the measurement model's estimates and the reliability table (the CFA is
not refitted); HTMT uses the item correlations; Harman's one-factor CFA is fitted with the
study's estimation and compared with the measurement model.
"""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import read_json, write_csv, write_json
from surveysem.preflight import observed_variables
from surveysem.reliability import htmt_table
from surveysem.sem import factor_indicators
from surveysem.sem.entry import config_options
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
    options = config_options(params["estimation"])
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, options["missing"])
    reliability = pd.read_csv(inputs["reliability"], dtype={"note": "string"}).fillna({"note": ""})
    table = fornell_larcker(pd.read_csv(inputs["estimates"]), reliability)
    verdicts = fornell_larcker_verdicts(table, reliability.set_index("construct")["note"])
    write_csv(table.rename_axis("construct").reset_index(), outputs["fornell_larcker"])
    write_csv(verdicts, outputs["fornell_larcker_verdicts"])
    pairs = htmt_table(data, factor_indicators(syntax))
    write_csv(pairs, outputs["htmt"])
    harman = harman_single_factor(data, items, **options)
    write_json(harman, outputs["harman"])
    fits = {"one factor": harman["cfa"]["fit"], "measurement model": read_json(inputs["fit"])}
    comparison = compare_fits(fits, options["estimator"])
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
