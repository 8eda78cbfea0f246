"""Rule compare_models: hypothesized model against its alternatives (surveysem.comparison).

The hypothesized model and the measurement model are read from the stages that fitted them;
only the alternative structures are fitted here, with the study's estimation.
"""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.comparison import compare_models
from surveysem.io import read_json, write_csv
from surveysem.preflight import observed_variables
from surveysem.sem import ModelFit, fit, measurement_syntax
from surveysem.sem.entry import config_options, estimation
from surveysem.step import run_step


def stored_fit(inputs, stage: str, syntax: str, options: dict, n: int) -> ModelFit:
    """The fit a stage wrote ("model": fit_structural, "cfa": fit_measurement)."""
    return ModelFit.from_results(
        syntax,
        estimation(**options),
        pd.read_csv(inputs[f"{stage}_estimates"]),
        read_json(inputs[f"{stage}_fit"]),
        read_json(inputs[f"{stage}_solution"]),
        pd.read_csv(inputs[f"{stage}_sample_cov"], index_col="variable"),
        n,
    )


def main(inputs, outputs, params, log):
    model = params["model"]
    variables = observed_variables(model, load_codebook(inputs["codebook"]))
    options = config_options(params["estimation"])
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, options["missing"])
    fits = {"hypothesized": stored_fit(inputs, "model", model, options, len(data))}
    for alternative in params["alternatives"]:
        if alternative["measurement_model"]:
            cfa = stored_fit(inputs, "cfa", measurement_syntax(model), options, len(data))
            fits[alternative["name"]] = cfa
        else:
            fits[alternative["name"]] = fit(model + "\n" + alternative["add"], data, **options)
    # The measurement model frees every factor covariance, so the hypothesized structure is
    # nested in it, though not by fixing parameters of the same table (reparametrization);
    # not so when the model has covariates, which the measurement model leaves out.
    observed = set(fits["hypothesized"].sample_cov.index)
    nested = {
        a["name"]: set(fits[a["name"]].sample_cov.index) == observed
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
    warnings += [
        f"Alternative model {row.model} is not compared with the hypothesized model by a "
        f"chi-square difference test: {row.delta_note}."
        for row in comparison.itertuples()
        if row.delta_note and row.relation != "not nested"
    ]
    return {"models": list(fits), "warnings": warnings}


run_step(snakemake, main)
