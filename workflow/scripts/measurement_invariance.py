"""Rule measurement_invariance: invariance sequence and path comparison (surveysem.invariance)."""

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.invariance import compare_structural_paths, invariance_sequence
from surveysem.io import write_csv
from surveysem.preflight import parse_items
from surveysem.step import run_step

GROUP = "invariance_group"


def main(inputs, outputs, params, log):
    spec, model = params["spec"], params["model"]
    items = parse_items(model, load_codebook(inputs["codebook"]))
    clean = pd.read_csv(inputs["data"])
    membership = {value: label for label, values in spec["groups"].items() for value in values}
    clean[GROUP] = clean[spec["column"]].map(membership)
    data = analysis_rows(clean.dropna(subset=[GROUP]), items, params["missing_data"])
    sizes = data[GROUP].value_counts().to_dict()
    log.info("grouping %s on %s: %s", spec["name"], spec["column"], sizes)
    sequence = invariance_sequence(model, data, GROUP, alpha=params["alpha"])
    write_csv(sequence, outputs["sequence"])
    level = sequence.attrs["highest_level"]
    log.info("highest invariance level retained: %s", level)
    if level is None:
        paths = pd.DataFrame(columns=["lhs", "op", "rhs"])
        log.warning("not even configural invariance holds: paths are not compared")
    else:
        paths = compare_structural_paths(model, data, GROUP, level=level, alpha=params["alpha"])
    write_csv(paths, outputs["paths"])
    return {"groups": sizes, "highest_level": level}


run_step(snakemake, main)
