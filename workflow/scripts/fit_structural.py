"""Rule fit_structural: the hypothesized model with its indirect effects (surveysem.sem)."""

import json
from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.mediation import indirect_effects_syntax
from surveysem.preflight import observed_variables
from surveysem.sem import fit, r_squared, solution_warnings
from surveysem.sem.entry import config_options
from surveysem.sem.results.residuals import largest_residuals, residual_correlations
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    variables = observed_variables(params["model"], load_codebook(inputs["codebook"]))
    options = config_options(params["estimation"])
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, options["missing"])
    syntax, effects = indirect_effects_syntax(params["model"])
    model = fit(syntax, data, **options)
    Path(outputs["syntax"]).write_text(syntax + "\n", encoding="utf-8", newline="\n")
    write_csv(model.estimates, outputs["estimates"])
    write_json(model.measures, outputs["fit"])
    write_csv(model.sample_cov.rename_axis("variable").reset_index(), outputs["sample_cov"])
    write_csv(r_squared(model.estimates), outputs["r2"])
    Path(outputs["effects"]).write_text(json.dumps(effects, indent=2) + "\n", encoding="utf-8")
    residuals = residual_correlations(model)
    write_csv(residuals.rename_axis("variable").reset_index(), outputs["residuals"])
    write_csv(largest_residuals(residuals, k=10), outputs["largest_residuals"])
    write_json(
        {"n": model.n, "estimation": model.estimation.describe(), **model.solution},
        outputs["solution"],
    )
    log.info("fitted %d respondents (%s, missing %s) with %d defined effects", model.n,
             model.estimation.estimator, model.estimation.missing, len(effects))  # fmt: skip
    warnings = solution_warnings(model.solution, "The structural model")
    return {"n": model.n, "estimation": model.estimation.describe(), "effects": len(effects),
            **model.solution, "warnings": warnings}  # fmt: skip


run_step(snakemake, main)
