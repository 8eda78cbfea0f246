"""Rule compare_models: hypothesized model against its alternatives (surveysem.comparison)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.comparison import compare_models
from surveysem.io import write_csv
from surveysem.preflight import observed_variables
from surveysem.sem import fit_model, measurement_syntax
from surveysem.step import run_step


def alternative_syntax(model: str, alternative: dict) -> str:
    if alternative["measurement_model"]:
        return measurement_syntax(model)
    return model + "\n" + alternative["add"]


def main(inputs, outputs, params, log):
    model = params["model"]
    variables = observed_variables(model, load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, params["missing_data"])
    fits = {"hypothesized": fit_model(model, data)}
    for alternative in params["alternatives"]:
        fits[alternative["name"]] = fit_model(alternative_syntax(model, alternative), data)
    # The measurement model frees every factor covariance, so the hypothesized structure is
    # nested in it, though not by fixing parameters of the same table (reparametrization);
    # not so when the model has covariates, which the measurement model leaves out.
    observed = set(fits["hypothesized"].observed)
    nested = {
        a["name"]: set(fits[a["name"]].observed) == observed
        for a in params["alternatives"]
        if a["measurement_model"]
    }
    comparison = compare_models(fits, baseline="hypothesized", nested=nested)
    write_csv(comparison, outputs["comparison"])
    for row in comparison.itertuples():
        log.info("%s: chisq %.2f on %d df, AIC %.1f", row.model, row.chisq, row.df, row.aic)
    warnings = [
        f"Alternative model {name} (the measurement model) leaves out the observed covariates, "
        "so it is not compared with the hypothesized model by a chi-square difference test."
        for name, comparable in nested.items()
        if not comparable
    ]
    return {"models": list(fits), "warnings": warnings}


run_step(snakemake, main)
