"""Rule validate_data: check data, codebook and model together (surveysem.preflight)."""

from surveysem.io import write_json
from surveysem.preflight import check_study
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    report = check_study(params["study"])
    log.info(
        "%s: %d rows, %d columns, %s, sha256 verified; %d complete cases after cleaning for "
        "%d free parameters",
        report["file"], report["rows"], report["columns"], report["encoding"],
        report["complete_cases"], report["free_parameters"],
    )  # fmt: skip
    write_json(report, outputs["report"])
    return {key: report[key] for key in ("rows", "encoding", "complete_cases", "free_parameters")}


run_step(snakemake, main)
