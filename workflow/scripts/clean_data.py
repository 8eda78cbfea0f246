"""Rule clean_data: raw survey to analysis dataset (surveysem.cleaning)."""

from surveysem.audit import sha256_file
from surveysem.cleaning import audit_table, clean_survey
from surveysem.codebook import load_codebook
from surveysem.io import write_csv, write_json
from surveysem.step import run_step
from surveysem.validation import open_raw, read_raw


def main(inputs, outputs, params, log):
    codebook = load_codebook(inputs["codebook"])
    raw = read_raw(open_raw(inputs["data"], codebook, params["encoding"]), codebook)
    clean, audit = clean_survey(
        raw, codebook, params["options"], params["columns"], params["missing"]
    )
    for rule, excluded in audit["exclusions"].items():
        if excluded["applied"]:
            log.info("%s: %d excluded (%s)", rule, excluded["n"], excluded["reason"])
    log.info("multivariate outliers flagged (%s): %s", audit["outliers"]["action"],
             audit["outliers"]["ids"])  # fmt: skip
    log.info("%d rows in, %d rows out", audit["rows_in"], audit["rows_out"])
    write_csv(clean, outputs["data"])
    audit["sha256"] = {"input": sha256_file(inputs["data"]), "output": sha256_file(outputs["data"])}
    write_json(audit, outputs["audit_json"])
    write_csv(audit_table(audit), outputs["audit_table"])
    return {
        "warnings": audit["warnings"],
        "rows_in": audit["rows_in"],
        "rows_out": audit["rows_out"],
        "excluded": {rule: e["n"] for rule, e in audit["exclusions"].items()},
    }


run_step(snakemake, main)
