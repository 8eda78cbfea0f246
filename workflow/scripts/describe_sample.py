"""Rule describe_sample: sample profile and non-response comparison (surveysem.sample_profile)."""

import pandas as pd

from surveysem.codebook import load_codebook
from surveysem.io import write_csv
from surveysem.sample_profile import nonresponse_bias, sample_profile, size_band
from surveysem.sem import factor_indicators
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    sample = params["sample"]
    clean = pd.read_csv(inputs["data"])
    if sample["size_column"]:
        clean["size_band"] = size_band(clean[sample["size_column"]])
    profile = sample_profile(
        clean, sample["profile"], sample["weight"], codebook=load_codebook(inputs["codebook"])
    )
    write_csv(profile, outputs["profile"])
    if sample["wave"]:
        constructs = factor_indicators(params["model"])
        compared = nonresponse_bias(
            clean, constructs, sample["wave"], sample["early"], sample["late"], sample["compare"]
        )
    else:
        compared = pd.DataFrame(columns=["variable"])
        log.info("no wave column configured: non-response comparison skipped")
    write_csv(compared, outputs["nonresponse"])
    different = compared.loc[compared.get("pvalue", pd.Series(dtype=float)) < params["alpha"]]
    log.info("early vs late differences with p < %g: %s", params["alpha"],
             ", ".join(different["variable"]) or "none")  # fmt: skip
    return {"profiled": sample["profile"], "early_late_differ": different["variable"].tolist()}


run_step(snakemake, main)
