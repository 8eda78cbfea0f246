"""Rule test_hypotheses: hypothesis tests and indirect effects with bootstrap intervals."""

import json
from pathlib import Path

import pandas as pd

from surveysem.hypotheses import add_bootstrap_intervals, evaluate_hypotheses
from surveysem.io import read_json, write_csv, write_json
from surveysem.mediation import effects_table
from surveysem.sem.resampling.bootstrap import bootstrap_ci, combine_status, status_warnings
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    estimates = pd.read_csv(inputs["estimates"], keep_default_na=False, na_values=[""])
    estimates["label"] = estimates["label"].fillna("")
    draws = pd.concat([pd.read_csv(path) for path in inputs["draws"]], ignore_index=True)
    draws["label"] = draws["label"].fillna("")
    jackknife = pd.read_csv(inputs["jackknife"])
    jackknife["label"] = jackknife["label"].fillna("")
    status = combine_status(read_json(path) for path in inputs["statuses"])
    support = params["support"]
    level = 1 - support["alpha"]
    unusable = status["reason"]
    intervals = bootstrap_ci(draws, estimates, level, jackknife, unusable=unusable)
    standardized = bootstrap_ci(
        draws, estimates, level, jackknife, statistic="std.all", unusable=unusable
    )
    write_csv(
        pd.concat([intervals.assign(statistic="est"), standardized.assign(statistic="std.all")]),
        outputs["intervals"],
    )
    tested = evaluate_hypotheses(estimates, params["hypotheses"], support["alpha"])
    hypotheses = add_bootstrap_intervals(tested, intervals, support["test"])
    write_csv(hypotheses, outputs["hypotheses"])
    effects = json.loads(Path(inputs["effects"]).read_text(encoding="utf-8"))
    write_csv(effects_table(estimates, effects, bootstrap=intervals), outputs["indirect"])
    summary = {
        "draws": status["attempted"],
        "requested": status["requested"],
        "failed": status["failed"],
        "improper": status["improper"],
        "stopped_early": status["stopped_early"],
        "reason": unusable,
        "level": level,
        "support_test": support["test"],
    }
    write_json(summary, outputs["summary"])
    log.info("%d of %d draws attempted (%d failed, %d improper); hypotheses decided by the %s "
             "test", status["attempted"], status["requested"], status["failed"],
             status["improper"], support["test"])  # fmt: skip
    warnings = status_warnings(status)
    if unusable and support["test"] != "wald":
        warnings.append(
            f"The hypotheses are decided by the {support['test']} interval, which is empty, so "
            "none of them is supported."
        )
    return summary | {
        "supported": dict(zip(hypotheses["id"], hypotheses["supported"], strict=True)),
        "warnings": warnings,
    }


run_step(snakemake, main)
