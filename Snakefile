# Customer focus and organizational performance: the whole study as one DAG.
#   validate -> clean -> sample description -> measurement (CFA) -> reliability
#   -> validity -> structural model -> tables -> manuscript
# Run: snakemake --cores all        (another study: add --configfile path/to/study.yaml)
# The science lives in src/surveysem; rules and scripts only wire files to it.

from snakemake.utils import min_version

min_version("9.0")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/validate.smk"
include: "workflow/rules/clean.smk"
include: "workflow/rules/sample.smk"
include: "workflow/rules/measurement.smk"
include: "workflow/rules/reliability.smk"
include: "workflow/rules/validity.smk"
include: "workflow/rules/structural.smk"
include: "workflow/rules/robustness.smk"
include: "workflow/rules/tables.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/lavaan_check.smk"
include: "workflow/rules/manuscript.smk"
include: "workflow/rules/provenance.smk"
include: "workflow/rules/power.smk"


onsuccess:
    print_run_summary()


rule all:
    default_target: True
    input:
        result("manuscript.pdf"),
        result("validate/report.json"),
        result("provenance.json"),
        result("robustness/summary.csv"),
        result("model/comparison.csv"),
        expand(
            result("robustness/invariance_{grouping}/sequence.csv"), grouping=GROUPINGS
        ),
        result("model/lavaan_check.json") if LAVAAN_CHECK else [],
