"""Helpers of the end-to-end tests: copy the project, run Snakemake in it, hash its results.

The local run of the test config is made once per test session (fixture `local_run` in
conftest.py) and shared by tests/test_workflow.py and tests/test_cluster.py.
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT_FILES = [
    "Snakefile",
    "environment.yml",
    "requirements.lock",
    "workflow",
    "config",
    "data",
    "manuscript",
    ".test",
]
TEST_CONFIG = ".test/config/config.yaml"
STUDY = "ci_test"  # the study name of TEST_CONFIG
# The jobs of the test config that write a log and an audit record (as `rule_wildcards`).
RULES = [
    "validate_data",
    "clean_data",
    "describe_sample",
    "fit_measurement",
    "assess_reliability",
    "assess_validity",
    "summarize_measurement",
    "fit_structural",
    "bootstrap_chunk_0",
    "bootstrap_chunk_1",
    "jackknife",
    "test_hypotheses",
    "compare_models",
    "render_tables",
    "draw_figures",
    "build_manuscript",
    "write_lavaan_check",
    "robustness_variant_mlr",
    "robustness_variant_composite",
    "robustness_variant_robust_fiml",
    "robustness_variant_wlsmv",
    "robustness_variant_weighted",
    "robustness_variant_method_factor",
    "robustness_variant_leave_one_out",
    "measurement_invariance_region",
    "summarize_robustness",
]
VOLATILE = ("audit", "logs", "benchmarks", "provenance.json")  # times, paths, versions


def copy_project(root: Path, workdir: Path) -> Path:
    """Copy what the workflow needs (no results, no .snakemake) from `root` into `workdir`."""
    for name in PROJECT_FILES:
        source = root / name
        copy = shutil.copytree if source.is_dir() else shutil.copy2
        copy(source, workdir / name)
    return workdir


def snakemake(
    workdir: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run the Snakemake of this Python environment in `workdir` on two cores."""
    command = [str(Path(sys.executable).parent / "snakemake"), "--cores", "2", *args]
    return subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env} if env else None,
    )


def result_digests(folder: Path) -> dict:
    """sha256 of every results file except the records of when and where it ran."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.relative_to(folder).parts[0] not in VOLATILE
    }


def result_files(folder: Path) -> list[str]:
    """Every file under `folder`, volatile ones included, as sorted relative paths."""
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
