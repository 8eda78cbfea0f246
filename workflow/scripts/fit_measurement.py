"""Rule fit_measurement: CFA of all constructs with free factor covariances (surveysem.sem)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.preflight import observed_variables
from surveysem.sem import fit, measurement_syntax, modification_indices, solution_warnings
from surveysem.sem.entry import config_options
from surveysem.sem.estimators.modindices import COLUMNS as MI_COLUMNS
from surveysem.sem.estimators.modindices import ESTIMATORS as MI_ESTIMATORS
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    variables = observed_variables(params["model"], load_codebook(inputs["codebook"]))
    options = config_options(params["estimation"])
    data = analysis_rows(pd.read_csv(inputs["data"]), variables, options["missing"])
    syntax = measurement_syntax(params["model"])
    cfa = fit(syntax, data, **options)
    measures = cfa.measures
    log.info(
        "CFA on %d respondents (%s, missing %s): chisq %.3f on %d df, CFI %.3f, RMSEA %.3f",
        cfa.n, cfa.estimation.estimator, cfa.estimation.missing, measures["chisq"],
        measures["df"], measures["cfi"], measures["rmsea"],
    )  # fmt: skip
    with open(outputs["syntax"], "w", encoding="utf-8", newline="\n") as handle:
        handle.write(syntax)
    write_csv(cfa.estimates, outputs["estimates"])
    write_csv(cfa.sample_cov.rename_axis("variable").reset_index(), outputs["sample_cov"])
    write_json(measures, outputs["fit"])
    modindices = "computed (ML score tests)"
    if cfa.estimation.estimator in MI_ESTIMATORS and cfa.estimation.missing == "listwise":
        write_csv(modification_indices(cfa.backend), outputs["modindices"])
    else:  # an empty table with the reason in the audit record and the log
        write_csv(pd.DataFrame(columns=MI_COLUMNS), outputs["modindices"])
        modindices = (
            f"not computed: modification indices are implemented for {' and '.join(MI_ESTIMATORS)}"
            f" with listwise deletion, and the CFA was estimated by {cfa.estimation.estimator} "
            f"with missing {cfa.estimation.missing}"
        )
        log.info("modification indices %s", modindices)
    write_json(
        {"n": cfa.n, "estimation": cfa.estimation.describe(), **cfa.solution},
        outputs["solution"],
    )
    warnings = solution_warnings(cfa.solution, "The measurement model (CFA)")
    return {"n": cfa.n, "estimation": cfa.estimation.describe(), "modindices": modindices,
            **cfa.solution, "warnings": warnings}  # fmt: skip


run_step(snakemake, main)
