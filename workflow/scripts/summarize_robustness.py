"""Rule summarize_robustness: variants side by side, verdicts, forest plot."""

from pathlib import Path

import pandas as pd

from surveysem.figures import forest_plot, save
from surveysem.io import read_json, write_csv
from surveysem.robustness import robustness_summary, robustness_verdicts
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    variants = {
        name: pd.read_csv(path)
        for name, path in zip(params["variants"], inputs["variants"], strict=True)
    }
    fits = {"main": read_json(inputs["main_fit"])} | {
        name: read_json(path)
        for name, path in zip(params["variants"], inputs["variant_fits"], strict=True)
    }
    summary = robustness_summary(pd.read_csv(inputs["main"]), variants, fits)
    verdicts = robustness_verdicts(summary)
    write_csv(summary, outputs["summary"])
    write_csv(verdicts, outputs["verdicts"])
    save(forest_plot(summary), Path(outputs["forest"][0]).with_suffix(""))
    for row in verdicts.itertuples():
        log.info("%s %s: %s", row.id, "robust" if row.robust else "NOT robust",
                 row.disagreeing_variants or "all variants agree")  # fmt: skip
    return {"robust": dict(zip(verdicts["id"], verdicts["robust"], strict=True))}


run_step(snakemake, main)
