"""Rule run_lavaan_check: R lavaan's second opinion and its verdict (surveysem.lavaan_check).

Never fails because of R: a disagreement or an R error is recorded as the verdict and
reported as a warning.
"""

import pandas as pd

from surveysem.io import write_csv, write_json
from surveysem.lavaan_check import AGREEMENT_COLUMNS, run_check
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    output, result = run_check(inputs["script"], outputs["agreement"])
    log.info("Rscript %s:\n%s", inputs["script"], output)
    if result["verdict"] == "R failed":
        write_csv(pd.DataFrame(columns=AGREEMENT_COLUMNS), outputs["agreement"])
    write_json(result, outputs["verdict"])
    warnings = [] if result["verdict"] == "agree" else [result["sentence"]]
    return {**result, "warnings": warnings}


run_step(snakemake, main)
