"""Rule fit_measurement: CFA of all constructs with free factor covariances (surveysem.sem)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.preflight import observed_variables
from surveysem.sem import (
    fit_measures,
    fit_model,
    measurement_syntax,
    modification_indices,
    parameter_estimates,
    solution_report,
    solution_warnings,
)
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    variables = observed_variables(params["model"], load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, params["missing_data"])
    syntax = measurement_syntax(params["model"])
    fit = fit_model(syntax, data)
    measures = fit_measures(fit)
    log.info(
        "CFA on %d complete cases: chisq %.3f on %d df, CFI %.3f, RMSEA %.3f",
        len(data),
        measures["chisq"],
        measures["df"],
        measures["cfi"],
        measures["rmsea"],
    )
    with open(outputs["syntax"], "w", encoding="utf-8", newline="\n") as handle:
        handle.write(syntax)
    write_csv(parameter_estimates(fit), outputs["estimates"])
    write_json(measures, outputs["fit"])
    write_csv(modification_indices(fit), outputs["modindices"])
    solution = solution_report(fit)
    write_json(solution, outputs["solution"])
    warnings = solution_warnings(solution, "The measurement model (CFA)")
    return {"n": len(data), **solution, "warnings": warnings}


run_step(snakemake, main)
