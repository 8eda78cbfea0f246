"""Rule measurement_invariance: invariance sequence and path comparison (surveysem.invariance)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.invariance import compare_structural_paths, invariance_sequence
from surveysem.io import write_csv
from surveysem.preflight import observed_variables
from surveysem.sem import UnsupportedModelError
from surveysem.step import run_step

GROUP = "invariance_group"


def main(inputs, outputs, params, log):
    spec, model = params["spec"], params["model"]
    variables = observed_variables(model, load_codebook(inputs["codebook"]))
    clean = pd.read_csv(inputs["data"])
    membership = {value: label for label, values in spec["groups"].items() for value in values}
    clean[GROUP] = clean[spec["column"]].map(membership)
    missing = params["estimation"]["missing"]  # listwise or fiml, as the main models
    data = analysis_rows(clean.dropna(subset=[GROUP]), variables, missing)
    sizes = data[GROUP].value_counts().to_dict()
    log.info("grouping %s on %s: %s", spec["name"], spec["column"], sizes)
    estimator = params["estimation"]["estimator"]  # ML, MLR, GLS, ULS or WLSMV
    sequence = invariance_sequence(
        model, data, GROUP, alpha=params["alpha"], estimator=estimator, missing=missing
    )
    write_csv(sequence, outputs["sequence"])
    level = sequence.attrs["highest_level"]
    log.info("highest invariance level retained: %s", level)
    paths, warnings = pd.DataFrame(columns=["lhs", "op", "rhs"]), []
    if level is None:
        warnings.append(
            f"Grouping {spec['name']}: not even configural invariance holds, so the structural "
            "paths are not compared across groups."
        )
    else:
        try:
            paths = compare_structural_paths(
                model, data, GROUP, level=level, alpha=params["alpha"], estimator=estimator,
                missing=missing,
            )  # fmt: skip
        except UnsupportedModelError as error:
            warnings.append(
                f"Grouping {spec['name']}: the structural paths are not compared across groups "
                f"({error})."
            )
    write_csv(paths, outputs["paths"])
    return {
        "groups": sizes,
        "estimator": estimator,
        "missing": missing,
        "highest_level": level,
        "warnings": warnings,
    }


run_step(snakemake, main)
