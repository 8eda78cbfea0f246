"""Rule summarize_power: gather the power replications, summarize, draw the power curves."""

from pathlib import Path

import pandas as pd

from surveysem.figures import power_curves, save
from surveysem.hypotheses import evaluate_hypotheses
from surveysem.io import write_csv
from surveysem.power import combine_replications, power_summary, smallest_adequate_n
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    table = combine_replications(pd.read_csv(path) for path in inputs["replications"])
    tested = evaluate_hypotheses(pd.read_csv(inputs["estimates"]), params["hypotheses"],
                                 params["alpha"])  # fmt: skip
    population = dict(zip(tested["id"], tested["est"], strict=True))
    summary = power_summary(table, params["hypotheses"], population)
    write_csv(table, outputs["replications"])
    write_csv(summary, outputs["summary"])
    save(power_curves(summary, params["target"]), Path(outputs["figure"][0]).with_suffix(""))
    adequate = smallest_adequate_n(summary, params["target"])
    for row in summary.itertuples():
        log.info("%s at n = %d: power %.3f (MC SE %.3f), %d of %d converged", row.id, row.n,
                 row.power, row.mc_se, row.n_converged, row.replications)  # fmt: skip
    per_replication = table.drop_duplicates(["n", "replication"])
    return {
        "smallest_n_with_target_power": adequate,
        "target_power": params["target"],
        "replications": len(per_replication),
        "failed": int((~per_replication["converged"]).sum()),
        "improper": int(per_replication["improper"].sum()),
    }


run_step(snakemake, main)
