"""Rule validate_data: check the raw file against its codebook (surveysem.validation)."""

from surveysem.codebook import load_codebook
from surveysem.io import write_json
from surveysem.step import run_step
from surveysem.validation import validate_raw


def main(inputs, outputs, params, log):
    codebook = load_codebook(inputs["codebook"])
    report = validate_raw(inputs["data"], codebook)
    log.info(
        "%s: %d rows, %d columns, sha256 verified",
        report["file"],
        report["rows"],
        report["columns"],
    )
    write_json(report, outputs["report"])
    return {"rows": report["rows"], "columns": report["columns"], "sha256_verified": True}


run_step(snakemake, main)
