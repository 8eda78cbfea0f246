"""Rule summarize_measurement: threshold verdicts (surveysem.measurement_summary)."""

import pandas as pd

from surveysem.io import read_json, write_csv, write_json
from surveysem.measurement_summary import measurement_checks
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    checks = measurement_checks(
        pd.read_csv(inputs["reliability"]),
        pd.read_csv(inputs["htmt"]),
        read_json(inputs["fit"]),
        read_json(inputs["harman"]),
        params["thresholds"],
    )
    fornell_larcker = pd.read_csv(inputs["fornell_larcker"])
    write_csv(checks, outputs["checks"])
    failed = checks.loc[~checks["pass"], ["check", "subject"]]
    summary = {
        "all_checks_pass": bool(checks["pass"].all() and fornell_larcker["holds"].all()),
        "failed": [f"{c}[{s}]" for c, s in failed.itertuples(index=False)],
        "fornell_larcker_holds": bool(fornell_larcker["holds"].all()),
        "solution": read_json(inputs["solution"]),
        "thresholds": params["thresholds"],
    }
    write_json(summary, outputs["summary"])
    for check in summary["failed"]:
        log.warning("check failed: %s", check)
    log.info("%d of %d checks pass", checks["pass"].sum(), len(checks))
    return {"checks": len(checks), "failed": summary["failed"]}


run_step(snakemake, main)
