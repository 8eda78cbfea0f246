"""Rule write_lavaan_check: the reviewer's R script (surveysem.lavaan_check)."""

from pathlib import Path

from surveysem.codebook import load_codebook
from surveysem.lavaan_check import lavaan_check_script
from surveysem.preflight import observed_variables
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    model = Path(inputs["syntax"]).read_text(encoding="utf-8")  # the exact syntax fitted
    variables = observed_variables(model, load_codebook(inputs["codebook"]))
    script = lavaan_check_script(
        study=params["study"],
        model=model,
        variables=variables,
        script_path=outputs["script"],
        estimation=params["estimation"],
    )
    Path(outputs["script"]).write_text(script, encoding="utf-8", newline="\n")
    log.info("wrote %s; run it with Rscript to compare with R lavaan", outputs["script"])
    return {"variables": len(variables)}


run_step(snakemake, main)
