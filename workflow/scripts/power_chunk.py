"""Rule power_chunk: one slice of the Monte Carlo power replications (surveysem.power)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.errors import InputError
from surveysem.io import write_csv
from surveysem.power import simulate_power
from surveysem.preflight import observed_variables
from surveysem.sem.resampling.refit import Refitter
from surveysem.step import chunk_range, run_step


def main(inputs, outputs, params, log):
    estimation = params["estimation"]
    if estimation["estimator"] not in ("ML", "MLR") or estimation["missing"] != "listwise":
        raise InputError(
            f"the power study simulates complete normal data and refits by ML, whose "
            f"estimates are the study's only under estimator ML or MLR with missing listwise; "
            f"this study is estimated by {estimation['estimator']} with missing "
            f"{estimation['missing']}, so its power is not simulated. Run make power on a copy "
            "of the config with estimation: {estimator: MLR, missing: listwise}"
        )
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    variables = observed_variables(syntax, load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), variables)
    chunk = int(snakemake.wildcards.chunk)
    replications = chunk_range(chunk, params["chunks"], params["replications"])
    refitter = Refitter(syntax, data)
    table = simulate_power(refitter, params["hypotheses"], params["sample_sizes"], replications,
                           params["seed"], params["alpha"])  # fmt: skip
    write_csv(table, outputs["replications"])
    per_replication = table.drop_duplicates(["n", "replication"])
    failed = int((~per_replication["converged"]).sum())
    improper = int(per_replication["improper"].sum())
    log.info("replications %d-%d at n = %s: %d failed, %d improper", replications.start,
             replications.stop - 1, params["sample_sizes"], failed, improper)  # fmt: skip
    return {
        "replications": [replications.start, replications.stop],
        "failed": failed,
        "improper": improper,
    }


run_step(snakemake, main)
