"""Rule fit_structural: the hypothesized model with its indirect effects (surveysem.sem)."""

import json
from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.mediation import indirect_effects_syntax
from surveysem.preflight import observed_variables
from surveysem.sem import (
    fit_measures,
    fit_model,
    parameter_estimates,
    r_squared,
    solution_report,
    solution_warnings,
)
from surveysem.sem.residuals import largest_residuals, residual_correlations
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    variables = observed_variables(params["model"], load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, params["missing_data"])
    syntax, effects = indirect_effects_syntax(params["model"])
    fit = fit_model(syntax, data)
    Path(outputs["syntax"]).write_text(syntax + "\n", encoding="utf-8", newline="\n")
    write_csv(parameter_estimates(fit), outputs["estimates"])
    write_json(fit_measures(fit), outputs["fit"])
    write_csv(r_squared(fit), outputs["r2"])
    Path(outputs["effects"]).write_text(json.dumps(effects, indent=2) + "\n", encoding="utf-8")
    residuals = residual_correlations(fit)
    write_csv(residuals.rename_axis("variable").reset_index(), outputs["residuals"])
    write_csv(largest_residuals(residuals, k=10), outputs["largest_residuals"])
    solution = solution_report(fit)
    write_json(solution, outputs["solution"])
    log.info("fitted %d complete cases with %d defined effects", len(data), len(effects))
    warnings = solution_warnings(solution, "The structural model")
    return {"n": len(data), "effects": len(effects), **solution, "warnings": warnings}


run_step(snakemake, main)
