"""Rule bootstrap_chunk: one slice of the bootstrap draws (surveysem.sem.resampling.bootstrap)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.preflight import observed_variables
from surveysem.sem.entry import config_options
from surveysem.sem.resampling.bootstrap import bootstrap_draws
from surveysem.step import chunk_range, run_step


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    variables = observed_variables(syntax, load_codebook(inputs["codebook"]))
    options = config_options(params["estimation"])
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, options["missing"])
    chunk = int(snakemake.wildcards.chunk)
    draws = chunk_range(chunk, params["chunks"], params["draws"])
    table = bootstrap_draws(
        syntax,
        data,
        draws,
        params["seed"],
        estimation=options,
        max_failed_share=params["max_failed_share"],
    )
    status = table.attrs["status"]
    write_csv(table, outputs["draws"])
    write_json(status, outputs["status"])
    log.info("draws %d-%d: %d attempted, %d failed, %d improper", draws.start, draws.stop - 1,
             status["attempted"], status["failed"], status["improper"])  # fmt: skip
    span = f"Bootstrap draws {draws.start}-{draws.stop - 1}"
    warnings = [f"{span}: {status['reason']}."] if status["reason"] else []
    return {"draws": [draws.start, draws.stop], **status, "warnings": warnings}


run_step(snakemake, main)
