"""Rule fit_structural: the hypothesized model and its hypothesis tests (surveysem.sem)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.hypotheses import evaluate_hypotheses
from surveysem.io import write_csv, write_json
from surveysem.preflight import parse_items
from surveysem.sem import fit_measures, fit_model, parameter_estimates, r_squared, solution_report
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    items = parse_items(params["model"], load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), items, params["missing_data"])
    fit = fit_model(params["model"], data)
    estimates = parameter_estimates(fit)
    hypotheses = evaluate_hypotheses(estimates, params["hypotheses"], params["support"]["alpha"])
    for row in hypotheses.itertuples():
        log.info(
            "%s %s: est %.3f, p %.4g, supported %s",
            row.id,
            row.path,
            row.est,
            row.pvalue,
            row.supported,
        )
    with open(outputs["syntax"], "w", encoding="utf-8", newline="\n") as handle:
        handle.write(params["model"])
    write_csv(estimates, outputs["estimates"])
    write_json(fit_measures(fit), outputs["fit"])
    write_csv(r_squared(fit), outputs["r2"])
    write_csv(hypotheses, outputs["hypotheses"])
    solution = solution_report(fit)
    for problem in solution["problems"] + ([] if fit.converged else [fit.message]):
        log.warning("%s", problem)
    write_json(solution, outputs["solution"])
    return {
        "n": len(data),
        **solution,
        "supported": dict(zip(hypotheses["id"], hypotheses["supported"], strict=True)),
    }


run_step(snakemake, main)
