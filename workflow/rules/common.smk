# Shared set-up: the study config, its validation, and path helpers used by every rule.
import os
import shutil
import subprocess
import sys

# One BLAS thread per process: results stay bit-identical and parallelism comes from jobs.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
# Scripts import the package from src/ whatever environment runs them: .venv has it
# installed, a conda environment made by --sdm conda from environment.yml finds it here.
os.environ.setdefault("PYTHONPATH", os.path.join(workflow.basedir, "src"))

import yaml

from surveysem.config import config_notices, validate_config
from surveysem.errors import InputError
from surveysem.manuscript import configured_exhibits, study_sections, study_stages
from surveysem.preflight import check_study
from surveysem.sem import factor_indicators

# The bundled study is the default. A --configfile replaces it entirely rather than being
# merged into it, so another study never inherits the bundled study's settings; several
# --configfile would be merged key by key into a study nobody wrote, so they are refused.
if len(workflow.overwrite_configfiles) > 1:
    raise SystemExit(
        "\nERROR: --configfile was given "
        f"{len(workflow.overwrite_configfiles)} files "
        f"({', '.join(map(str, workflow.overwrite_configfiles))}); a study is one config "
        "file. Run one study per call, or copy the settings you need into one file.\n"
    )
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


# Config, codebook, data and model are checked before the DAG is built: bad input stops the
# run with one message and no traceback, before anything is written under results/.
for notice in config_notices(config):
    print(f"NOTE: {notice}.", file=sys.stderr)
try:
    config.update(
        validate_config(
            config,
            os.path.join(workflow.basedir, "workflow", "schemas", "config.schema.yaml"),
            source=", ".join(map(str, workflow.overwrite_configfiles))
            or "config/config.yaml",
        )
    )
    check_study(config)
except InputError as error:
    raise SystemExit(f"\nERROR: {error}\n")

STUDY = config["study"]
# The optional stages this study runs, and the manuscript's exhibits that exist for it.
STAGES = study_stages(config)
with open(
    os.path.join(workflow.basedir, "manuscript", "exhibits.yaml"), encoding="utf-8"
) as f:
    EXHIBITS = configured_exhibits(yaml.safe_load(f), STAGES)


def result(path):
    """A file under this study's results folder."""
    return f"results/{STUDY}/{path}"


def log_file(rule_name):
    return f"results/{STUDY}/logs/{rule_name}.log"


def audit_file(rule_name):
    return f"results/{STUDY}/audit/{rule_name}.json"


def benchmark_file(rule_name):
    return f"results/{STUDY}/benchmarks/{rule_name}.tsv"


def lavaan_available():
    """True when Rscript is on PATH and R has lavaan (the check then runs in the DAG)."""
    if shutil.which("Rscript") is None:
        return False
    probe = 'quit(status = !requireNamespace("lavaan", quietly = TRUE))'
    return subprocess.run(["Rscript", "-e", probe], capture_output=True).returncode == 0


def print_run_summary():
    """Rows in and out, each cleaning rule's count, values blanked and every warning of the
    steps whose results are current (their audit records), at the end of every run."""
    from surveysem.io import read_json
    from surveysem.run_summary import collect_warnings, format_summary

    paths = [audit_file(name) for name in AUDITED if os.path.exists(audit_file(name))]
    clean = result("clean/audit.json")
    audit = read_json(clean) if os.path.exists(clean) else None
    warnings = collect_warnings(read_json(path) for path in paths)
    print(f"\n{format_summary(STUDY, audit, warnings)}\n", file=sys.stderr)
