"""Rule render_tables: results files -> Typst tables (surveysem.tables)."""

from pathlib import Path

import pandas as pd

from surveysem.step import run_step
from surveysem.tables import hypotheses_table, render_table


def main(inputs, outputs, params, log):
    table = hypotheses_table(
        pd.read_csv(inputs["hypotheses"]), params["alpha"], params["constructs"]
    )
    Path(outputs["hypotheses"]).write_text(
        render_table(table, inputs["template"]), encoding="utf-8", newline="\n"
    )
    log.info("rendered table %s with %d rows", table.name, len(table.rows))
    return {"tables": [table.name]}


run_step(snakemake, main)
