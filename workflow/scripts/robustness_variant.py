"""Rule robustness_variant: the hypotheses under one alternative choice (surveysem.robustness)."""

import pandas as pd

from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.robustness import run_variant
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    spec = params["spec"]
    result = run_variant(
        spec,
        pd.read_csv(inputs["data"]),
        params["model"],
        load_codebook(inputs["codebook"]),
        params["hypotheses"],
        params["alpha"],
    )
    log.info("variant %s: %s; %d rows", spec["name"], spec.get("description", ""),
             result["decisions"]["n"])  # fmt: skip
    write_csv(result["estimates"], outputs["estimates"])
    write_json(result["fit"], outputs["fit"])
    write_csv(result["hypotheses"], outputs["hypotheses"])
    tested = result["hypotheses"]
    return result["decisions"] | {
        "supported": dict(zip(tested["id"], tested["supported"], strict=True)),
    }


run_step(snakemake, main)
