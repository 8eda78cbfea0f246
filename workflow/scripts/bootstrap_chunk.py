"""Rule bootstrap_chunk: one slice of the bootstrap draws (surveysem.sem.bootstrap)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv
from surveysem.preflight import parse_items
from surveysem.sem.bootstrap import bootstrap_draws
from surveysem.step import chunk_range, run_step


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    items = parse_items(syntax, load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), items, params["missing_data"])
    chunk = int(snakemake.wildcards.chunk)
    draws = chunk_range(chunk, params["chunks"], params["draws"])
    table = bootstrap_draws(syntax, data, draws, params["seed"])
    write_csv(table, outputs["draws"])
    per_draw = table.drop_duplicates("draw")
    failed, improper = int((~per_draw["converged"]).sum()), int(per_draw["improper"].sum())
    log.info("draws %d-%d: %d failed, %d improper", draws.start, draws.stop - 1, failed,
             improper)  # fmt: skip
    return {"draws": [draws.start, draws.stop], "failed": failed, "improper": improper}


run_step(snakemake, main)
