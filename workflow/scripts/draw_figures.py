"""Rule draw_figures: conceptual model and estimated path diagram (surveysem.figures)."""

from pathlib import Path

import pandas as pd

from surveysem.figures import conceptual_model, path_diagram, save
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    stem = Path(outputs["conceptual"][0]).with_suffix("")
    save(conceptual_model(params["hypotheses"]), stem)
    estimates, r2 = pd.read_csv(inputs["estimates"]), pd.read_csv(inputs["r2"])
    save(
        path_diagram(estimates, r2, params["alpha"]),
        Path(outputs["path_diagram"][0]).with_suffix(""),
    )
    log.info("drew the conceptual model and the path diagram")
    return {"figures": ["conceptual_model", "path_diagram"]}


run_step(snakemake, main)
