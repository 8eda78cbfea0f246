"""Rule summarize_measurement: threshold verdicts (surveysem.measurement_summary)."""

import pandas as pd

from surveysem.io import read_json, write_csv, write_json
from surveysem.measurement_summary import measurement_checks
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    checks = measurement_checks(
        pd.read_csv(inputs["reliability"], converters={"note": str}),
        pd.read_csv(inputs["htmt"], converters={"note": str}),
        read_json(inputs["fit"]),
        read_json(inputs["harman"]),
        params["thresholds"],
    )
    fornell_larcker = pd.read_csv(inputs["fornell_larcker"], converters={"note": str})
    write_csv(checks, outputs["checks"])
    judged = checks[checks["applicable"]]
    failed = judged.loc[~judged["pass"], ["check", "subject"]]
    skipped = checks.loc[~checks["applicable"], ["check", "subject"]]
    criterion = fornell_larcker[fornell_larcker["applicable"]]
    summary = {
        "all_checks_pass": bool(judged["pass"].all() and criterion["holds"].all()),
        "failed": [f"{c}[{s}]" for c, s in failed.itertuples(index=False)],
        "not_applicable": [f"{c}[{s}]" for c, s in skipped.itertuples(index=False)],
        "fornell_larcker_holds": bool(criterion["holds"].all()),
        "solution": read_json(inputs["solution"]),
        "thresholds": params["thresholds"],
    }
    write_json(summary, outputs["summary"])
    warnings = [f"Measurement check failed: {check}." for check in summary["failed"]]
    warnings += [
        f"Fornell-Larcker criterion does not hold for {pair}."
        for pair in criterion.loc[~criterion["holds"], "pair"]
    ]
    log.info("%d of %d applicable checks pass; %d not applicable", judged["pass"].sum(),
             len(judged), len(skipped))  # fmt: skip
    return {
        "checks": len(checks),
        "failed": summary["failed"],
        "not_applicable": summary["not_applicable"],
        "warnings": warnings,
    }


run_step(snakemake, main)
