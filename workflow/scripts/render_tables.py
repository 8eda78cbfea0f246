"""Rule render_tables: results files -> Typst tables (surveysem.tables)."""

from pathlib import Path

import pandas as pd

from surveysem.step import run_step
from surveysem.tables import (
    hypotheses_table,
    nonresponse_table,
    render_table,
    sample_profile_table,
)


def main(inputs, outputs, params, log):
    tables = {
        "hypotheses": hypotheses_table(
            pd.read_csv(inputs["hypotheses"]), params["alpha"], params["constructs"]
        ),
        "sample_profile": sample_profile_table(
            pd.read_csv(inputs["profile"], keep_default_na=False), weighted=params["weighted"]
        ),
        "nonresponse": nonresponse_table(pd.read_csv(inputs["nonresponse"]), params["constructs"]),
    }
    for name, table in tables.items():
        text = render_table(table, inputs["template"])
        Path(outputs[name]).write_text(text, encoding="utf-8", newline="\n")
        log.info("rendered table %s with %d rows", table.name, len(table.rows))
    return {"tables": list(tables)}


run_step(snakemake, main)
