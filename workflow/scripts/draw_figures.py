"""Rule draw_figures: conceptual model and estimated path diagram (surveysem.figures)."""

from pathlib import Path

import pandas as pd

from surveysem.figures import (
    bootstrap_distributions,
    conceptual_model,
    observed_in,
    path_diagram,
    save,
)
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    estimates, r2 = pd.read_csv(inputs["estimates"]), pd.read_csv(inputs["r2"])
    stem = Path(outputs["conceptual"][0]).with_suffix("")
    save(conceptual_model(params["hypotheses"], observed_in(estimates)), stem)
    save(
        path_diagram(estimates, r2, params["alpha"]),
        Path(outputs["path_diagram"][0]).with_suffix(""),
    )
    draws = pd.concat([pd.read_csv(path) for path in inputs["draws"]], ignore_index=True)
    figure = bootstrap_distributions(draws, pd.read_csv(inputs["indirect"]))
    save(figure, Path(outputs["bootstrap"][0]).with_suffix(""))
    log.info("drew the conceptual model, the path diagram and the bootstrap distributions")
    return {"figures": ["conceptual_model", "path_diagram", "bootstrap_indirect"]}


run_step(snakemake, main)
