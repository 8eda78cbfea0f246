"""Rule test_hypotheses: hypothesis tests and indirect effects with bootstrap intervals."""

import json
from pathlib import Path

import pandas as pd

from surveysem.hypotheses import add_bootstrap_intervals, evaluate_hypotheses
from surveysem.io import write_csv, write_json
from surveysem.mediation import effects_table
from surveysem.sem.bootstrap import bootstrap_ci
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    estimates = pd.read_csv(inputs["estimates"], keep_default_na=False, na_values=[""])
    estimates["label"] = estimates["label"].fillna("")
    draws = pd.concat([pd.read_csv(path) for path in inputs["draws"]], ignore_index=True)
    draws["label"] = draws["label"].fillna("")
    jackknife = pd.read_csv(inputs["jackknife"])
    jackknife["label"] = jackknife["label"].fillna("")
    support = params["support"]
    level = 1 - support["alpha"]
    intervals = bootstrap_ci(draws, estimates, level, jackknife)
    standardized = bootstrap_ci(draws, estimates, level, jackknife, statistic="std.all")
    write_csv(
        pd.concat([intervals.assign(statistic="est"), standardized.assign(statistic="std.all")]),
        outputs["intervals"],
    )
    tested = evaluate_hypotheses(estimates, params["hypotheses"], support["alpha"])
    hypotheses = add_bootstrap_intervals(tested, intervals, support["test"])
    write_csv(hypotheses, outputs["hypotheses"])
    effects = json.loads(Path(inputs["effects"]).read_text(encoding="utf-8"))
    write_csv(effects_table(estimates, effects, bootstrap=intervals), outputs["indirect"])
    per_draw = draws.drop_duplicates("draw")
    summary = {
        "draws": len(per_draw),
        "failed": int((~per_draw["converged"].astype(bool)).sum()),
        "improper": int(per_draw["improper"].astype(bool).sum()),
        "level": level,
        "support_test": support["test"],
    }
    write_json(summary, outputs["summary"])
    log.info("%d draws (%d failed, %d improper); hypotheses decided by the %s test",
             summary["draws"], summary["failed"], summary["improper"], support["test"])  # fmt: skip
    return summary | {
        "supported": dict(zip(hypotheses["id"], hypotheses["supported"], strict=True))
    }


run_step(snakemake, main)
