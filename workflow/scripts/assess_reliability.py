"""Rule assess_reliability: item analysis and reliability per construct.

Item descriptives and Mardia's test (surveysem.item_analysis), corrected item-total
correlations with alpha-if-deleted, and alpha (Feldt CI), omega and AVE (surveysem.reliability)
from the measurement model's estimates and unrestricted covariance matrix: the CFA is read,
not refitted.
"""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.item_analysis import item_descriptives, item_total, mardia
from surveysem.preflight import observed_variables
from surveysem.reliability import reliability_table
from surveysem.sem import factor_indicators
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    codebook = load_codebook(inputs["codebook"])
    items = observed_variables(syntax, codebook)  # the CFA's: items only, no covariates
    clean = pd.read_csv(inputs["data"])
    # Descriptives show every answer given; Mardia and the item-total correlations use the
    # complete rows, the model-based statistics the rows the CFA was fitted to.
    write_csv(item_descriptives(clean, items), outputs["descriptives"])
    variables = observed_variables(params["model"], codebook)
    data = analysis_rows(clean, variables)
    normality = mardia(data[items])
    write_json(normality, outputs["mardia"])
    write_csv(item_total(data, factor_indicators(syntax)), outputs["item_total"])
    sample_cov = pd.read_csv(inputs["sample_cov"], index_col="variable")
    table = reliability_table(pd.read_csv(inputs["estimates"]), sample_cov, data)
    write_csv(table, outputs["reliability"])
    for row in table.itertuples():
        log.info("%s: alpha %.3f, omega %.3f, AVE %.3f", row.construct, row.alpha, row.omega,
                 row.ave)  # fmt: skip
    log.info("Mardia: skewness p = %.3g, kurtosis z = %.2f (p = %.3g)", normality["skew_pvalue"],
             normality["kurt_z"], normality["kurt_pvalue"])  # fmt: skip
    return {
        "n": len(data),
        "constructs": table["construct"].tolist(),
        "not_applicable": {
            c: n for c, n in zip(table["construct"], table["note"], strict=True) if n
        },
    }


run_step(snakemake, main)
