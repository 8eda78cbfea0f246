"""Benchmarks of the bundled study (not tests): python benchmarks/run.py [--draws B].

Times (a) one fit of the structural model, (b) B bootstrap refits in one process (median of
three runs), (c) the whole workflow from an empty results folder with the environment in
place, and (d) an
incremental rerun after editing only the manuscript template; and, when Rscript with
lavaan is on PATH, lavaan's sem(..., se = "bootstrap") with the same model, data and B in
the same run, printing the throughput ratio. Results go to benchmarks/results.json.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import pandas as pd
import yaml
from growth import copy_project

from surveysem.cleaning import analysis_rows, clean_survey
from surveysem.codebook import load_codebook
from surveysem.config import validate_config
from surveysem.mediation import indirect_effects_syntax
from surveysem.preflight import observed_variables
from surveysem.sem import fit_model
from surveysem.sem.resampling.bootstrap import bootstrap_draws
from surveysem.validation import read_raw

ROOT = Path(__file__).resolve().parents[1]
LAVAAN = """
suppressPackageStartupMessages(library(lavaan))
args <- commandArgs(trailingOnly = TRUE)
data <- read.csv(args[1]); model <- readLines(args[2]); B <- as.integer(args[3])
set.seed(1)
elapsed <- system.time(sem(paste(model, collapse = "\\n"), data = data, se = "bootstrap",
                           bootstrap = B))[["elapsed"]]
cat(elapsed, "\\n")
"""


def study_data():
    config = validate_config(
        yaml.safe_load((ROOT / "config" / "config.yaml").read_text()),
        ROOT / "workflow" / "schemas" / "config.schema.yaml",
    )
    codebook = load_codebook(ROOT / config["codebook"])
    clean, _ = clean_survey(read_raw(ROOT / config["data"], codebook), codebook, config["cleaning"])
    syntax, _ = indirect_effects_syntax(config["model"])
    variables = observed_variables(syntax, codebook)
    return syntax, analysis_rows(clean, variables)[variables]


def timed(function, repeat=1):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def workflow_times(cores: int) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        copy_project(Path(folder), None)
        snakemake = [str(Path(sys.executable).parent / "snakemake"), "--cores", str(cores), "-q"]
        full = timed(lambda: subprocess.run(snakemake, cwd=folder, check=True,
                                            capture_output=True))  # fmt: skip
        template = Path(folder) / "manuscript" / "manuscript.typ.j2"
        template.write_text(template.read_text() + "\n")
        rerun = subprocess.run([*snakemake[:-1], "-n"], cwd=folder, capture_output=True, text=True)
        rules = sorted({line.split()[1].rstrip(":") for line in rerun.stdout.splitlines()
                        if line.startswith("rule ")})  # fmt: skip
        incremental = timed(lambda: subprocess.run(snakemake, cwd=folder, check=True,
                                                   capture_output=True))  # fmt: skip
    return {"full_dag_seconds": full, "incremental_seconds": incremental,
            "incremental_rules": rules}  # fmt: skip


def lavaan_seconds(syntax: str, data: pd.DataFrame, draws: int) -> float | None:
    if shutil.which("Rscript") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        paths = [Path(folder) / name for name in ("data.csv", "model.lav", "boot.R")]
        data.to_csv(paths[0], index=False)
        paths[1].write_text(syntax)
        paths[2].write_text(LAVAAN)
        done = subprocess.run(["Rscript", str(paths[2]), str(paths[0]), str(paths[1]),
                               str(draws)], capture_output=True, text=True)  # fmt: skip
        return float(done.stdout.split()[0]) if done.returncode == 0 else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=500)
    parser.add_argument("--cores", type=int, default=os.cpu_count())
    parser.add_argument("--skip-workflow", action="store_true")
    args = parser.parse_args()
    syntax, data = study_data()
    results = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cores": os.cpu_count(), "python": platform.python_version()},
        "n": len(data),
        "draws": args.draws,
        "fit_seconds": timed(lambda: fit_model(syntax, data), repeat=7),
        "bootstrap_seconds": timed(lambda: bootstrap_draws(syntax, data, range(args.draws), 1),
                                   repeat=3),
    }  # fmt: skip
    results["bootstrap_ms_per_draw"] = 1000 * results["bootstrap_seconds"] / args.draws
    lavaan = lavaan_seconds(syntax, data, args.draws)
    if lavaan is not None:
        results["lavaan_bootstrap_seconds"] = lavaan
        results["lavaan_ms_per_draw"] = 1000 * lavaan / args.draws
        results["throughput_ratio_vs_lavaan"] = lavaan / results["bootstrap_seconds"]
    if not args.skip_workflow:
        results |= workflow_times(args.cores)
    (ROOT / "benchmarks" / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    for key, value in results.items():
        print(f"{key:32} {value}")


if __name__ == "__main__":
    main()
