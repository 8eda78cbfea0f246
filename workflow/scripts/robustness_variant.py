"""Rule robustness_variant: the hypotheses under one alternative choice (surveysem.robustness)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.hypotheses import evaluate_hypotheses
from surveysem.io import write_csv, write_json
from surveysem.preflight import parse_items
from surveysem.robustness import (
    composite_paths,
    leave_one_item_out,
    leave_one_out_summary,
    method_factor_model,
)
from surveysem.sem import fit_measures, fit_model, parameter_estimates, solution_report
from surveysem.sem.fiml import fiml_estimates, fiml_fit_measures, fit_fiml
from surveysem.sem.ordinal import fit_dwls, ordinal_estimates, ordinal_fit_measures
from surveysem.step import run_step


def variant_rows(clean: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The respondents a variant analyses."""
    if spec["exclude_outliers"]:
        clean = clean[~clean["mv_outlier"].astype(bool)]
    if "subset" in spec:
        clean = clean[clean[spec["subset"]["column"]].isin(spec["subset"]["values"])]
    return clean


def main(inputs, outputs, params, log):
    spec = params["spec"]
    model = params["model"] + ("\n" + spec["add"] if "add" in spec else "")
    items = parse_items(model, load_codebook(inputs["codebook"]))
    rows = variant_rows(pd.read_csv(inputs["data"]), spec)
    if spec["missing"] == "fiml":
        data = rows[items].dropna(how="all").reset_index(drop=True)
    else:
        data = analysis_rows(rows, items, params["missing_data"])
    log.info("variant %s: %s; %d complete cases", spec["name"], spec.get("description", ""),
             len(data))  # fmt: skip
    decisions = {"n": len(data), "method": spec["method"], "estimator": spec["estimator"]}
    if spec["method"] == "composite":
        estimates, measures = composite_paths(data, model), {"ntotal": len(data)}
    elif spec["method"] == "leave_one_item_out":
        # estimates.csv holds the hypothesized paths of every refit; hypotheses.csv the least
        # favourable refit per hypothesis with the range over all refits.
        def refit(syntax, rows):
            return parameter_estimates(fit_model(syntax, rows, estimator=spec["estimator"]))

        refits = leave_one_item_out(data, model, params["hypotheses"], params["alpha"], refit)
        write_csv(refits, outputs["estimates"])
        write_json({"ntotal": len(data), "refits": refits["dropped_item"].nunique()},
                   outputs["fit"])  # fmt: skip
        write_csv(leave_one_out_summary(refits), outputs["hypotheses"])
        return decisions | {"refits": int(refits["dropped_item"].nunique())}
    elif spec["missing"] == "fiml":
        fit = fit_fiml(model, data)
        estimates, measures = fiml_estimates(fit), fiml_fit_measures(fit)
    elif spec["estimator"] == "WLSMV":
        fit = fit_dwls(model, data)
        estimates, measures = ordinal_estimates(fit), ordinal_fit_measures(fit)
    else:
        syntax = method_factor_model(model) if spec["method"] == "method_factor" else model
        weights = {"sampling_weights": spec["weights"]} if "weights" in spec else {}
        fit = fit_model(syntax, data, estimator=spec["estimator"], **weights)
        estimates, measures = parameter_estimates(fit), fit_measures(fit)
        solution = solution_report(fit)
        for problem in solution["problems"]:
            log.warning("%s", problem)
        decisions |= {"admissible": solution["admissible"], "problems": solution["problems"]}
    hypotheses = evaluate_hypotheses(estimates, params["hypotheses"], params["alpha"])
    write_csv(estimates, outputs["estimates"])
    write_json(measures, outputs["fit"])
    write_csv(hypotheses, outputs["hypotheses"])
    return decisions | {
        "supported": dict(zip(hypotheses["id"], hypotheses["supported"], strict=True))
    }


run_step(snakemake, main)
