"""Rule validate_data: check data, codebook and model together (surveysem.preflight)."""

from surveysem.io import write_json
from surveysem.preflight import check_study
from surveysem.step import run_step


def main(inputs, outputs, params, log):
    report = check_study(params["study"])
    read_as = report["format"] + (f", {report['encoding']}" if report["encoding"] else "")
    log.info(
        "%s: %d rows, %d columns, %s, sha256 verified; %d rows for the models after cleaning, "
        "%d free parameters",
        report["file"], report["rows"], report["columns"], read_as,
        report["analysis_rows"], report["free_parameters"],
    )  # fmt: skip
    write_json(report, outputs["report"])
    keys = ("rows", "format", "encoding", "analysis_rows", "free_parameters")
    return {key: report[key] for key in keys}


run_step(snakemake, main)
