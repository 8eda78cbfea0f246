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
    drawn = ["conceptual_model", "path_diagram"]
    if outputs["bootstrap"]:  # the model implies indirect effects
        draws = pd.concat([pd.read_csv(path) for path in inputs["draws"]], ignore_index=True)
        figure = bootstrap_distributions(draws, pd.read_csv(inputs["indirect"]))
        save(figure, Path(outputs["bootstrap"][0]).with_suffix(""))
        drawn.append("bootstrap_indirect")
    log.info("drew %s", ", ".join(drawn))
    return {"figures": drawn}


run_step(snakemake, main)
