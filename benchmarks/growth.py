"""Growth of the whole workflow with respondents and items (a benchmark, not a test).

    python benchmarks/growth.py [--runs 400x21,2000x21,...] [--cores 2] [--draws B]

Each run NxK builds a synthetic study of N raw rows and K items in a temporary copy of the
project (Snakefile, environment.yml, requirements.lock, workflow, config, data, manuscript and
src/, put first on PYTHONPATH so that edits made meanwhile do not leak into a run; with
--git REV, that revision instead of the working tree), runs
`snakemake --cores C --configfile <its config>` from an empty results folder and records the
wall time and the peak memory: of the whole process tree (the sum over snakemake and all
running jobs: what the machine must hold) and of the largest single job (which one). Results
go to benchmarks/growth.json and are printed as a table.

Study inputs. The respondents come from the project's generator (surveysem.synthetic.generate,
N raw rows: firms plus duplicate submissions, with its faults). The generator's questionnaire
is fixed at the 21 bundled items, so for K > 21 (K = 5 x items per construct) this script
adds items to each construct from the same population model: item j of construct C loads
like the j-th bundled non-reverse-worded item of C on C's true latent score (the generator's
`latent`), has residual variance 1 - loading^2, is cut into 7 categories with the generator's
thresholds and gets the straight-liners' constant answer, from a random stream of its own, so
the 21 bundled columns are exactly the generator's. The added items get no blank, -99 or
out-of-range cells: the complete cases the models use are then those of the 21-item study of
the same N, so the item series varies the number of items only, not the analysed sample too
(with the generator's blank rate on 80 items, listwise deletion would leave too few
state-owned firms at N = 2000 for the invariance step, which needs more complete rows per
group than observed variables). The config is config/config.yaml with `study`, `data`,
`codebook` and `model` replaced (the model keeps the structural part and measures each
construct by all its items); every robustness variant, invariance grouping and B = 2000 stay
unless --draws says otherwise (then recorded and printed).

Memory is sampled every --interval seconds from /proc: the process tree of snakemake, in
which every job is a child process (named by its log file). The tree's peak is the largest
sum of PSS (proportional set size: a page shared by several processes, such as the
libraries or a forked child's copy-on-write pages, counts once in the sum; the plain RSS sum,
which counts it once per process, is recorded too). A job's peak is the larger of its
processes' PSS sum and the kernel's high-water mark of the resident set (VmHWM) of any one
of them, so short peaks of single-process jobs are not lost to sampling. The snakemake
process itself (which validates and cleans the data while it builds the DAG) is reported on
its own (its VmHWM). Snakemake's own benchmark files (results/<study>/benchmarks/*.tsv, heavy
rules only) give the slowest rule.
"""

import argparse
import csv
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import yaml

from surveysem.codebook import write_codebook
from surveysem.synthetic import CONSTRUCTS, DEFAULT_MODEL, ITEMS, generate
from surveysem.synthetic.codebook_fields import raw_fields
from surveysem.synthetic.output import study_paths, write_raw_csv

ROOT = Path(__file__).resolve().parents[1]
PROJECT = [
    "Snakefile",
    "environment.yml",
    "requirements.lock",
    "workflow",
    "config",
    "data",
    "manuscript",
    "src",
]
DEFAULT_RUNS = "400x21,2000x21,10000x21,100000x21,2000x40,2000x80"
SEED = 20260101
GiB = 2**30


# ------------------------------------------------------------------------- study inputs
def extra_items(survey, per_construct: int, seed: int):
    """Items beyond the bundled ones, per_construct per construct: raw columns and fields."""
    rng = np.random.default_rng([seed, 8])  # a stream of its own, not one of the generator's
    fields = {f.name: f for f in raw_fields()}
    names, bases, constructs = [], [], []
    for construct in CONSTRUCTS:
        own = [it for it in ITEMS if it.construct == construct]
        plain = [it for it in own if not it.reverse_keyed]
        for j in range(len(own), per_construct):
            names.append(f"{construct.lower()}{j + 1}")
            bases.append(plain[j % len(plain)])
            constructs.append(construct)
    loading = np.array([DEFAULT_MODEL.loadings[it.name] for it in bases])
    eta = survey.latent[constructs].to_numpy()
    cont = eta * loading + rng.standard_normal(eta.shape) * np.sqrt(1 - loading**2)
    keyed = np.column_stack(
        [
            1 + np.searchsorted(DEFAULT_MODEL.thresholds(it.scale), cont[:, i])
            for i, it in enumerate(bases)
        ]
    )
    raw = survey.raw
    answers = keyed[survey.latent.index.get_indexer(raw["firm_id"])].astype(float)
    straight = {s["resp_id"]: s["value"] for s in survey.manifest["faults"]["straight_liners"]}
    is_straight = raw["resp_id"].isin(straight).to_numpy()
    answers[is_straight] = raw.loc[is_straight, "resp_id"].map(straight).to_numpy()[:, None]
    columns = pd.DataFrame(
        {name: pd.array(answers[:, i], dtype="Int64") for i, name in enumerate(names)},
        index=raw.index,
    )
    specs = [
        replace(
            fields[it.name],
            name=name,
            wording=f"{it.wording} (growth benchmark: parallel item of {it.name})",
        )
        for name, it in zip(names, bases, strict=True)
    ]
    return columns, specs


def growth_model(bundled: str, items_by_construct: dict[str, list[str]]) -> str:
    """The bundled model's structural part with each construct measured by all its items."""
    lines = [line.strip() for line in bundled.splitlines()]
    structural = [x for x in lines if "~" in x and "=~" not in x and not x.startswith("#")]
    measurement = [f"{c} =~ {' + '.join(items)}" for c, items in items_by_construct.items()]
    return "\n".join(measurement + structural) + "\n"


def make_study(folder: Path, n: int, k: int, draws: int | None) -> Path:
    """Write data, codebook and config of an n-row, k-item study under folder; return config."""
    study = f"growth_n{n}_k{k}"
    if k != len(ITEMS) and (k % len(CONSTRUCTS) or k // len(CONSTRUCTS) < 5):
        raise SystemExit(f"items must be {len(ITEMS)} or 5 x (5 or more per construct), not {k}")
    survey = generate(study, SEED, n)
    raw, fields = survey.raw, raw_fields()
    if k != len(ITEMS):
        columns, specs = extra_items(survey, k // len(CONSTRUCTS), SEED)
        raw, fields = pd.concat([raw, columns], axis=1), fields + specs
    by_construct = {c: [f.name for f in fields if f.construct == c] for c in CONSTRUCTS}
    order = [f.name for f in fields if f.construct is None] + sum(by_construct.values(), [])
    fields = sorted(fields, key=lambda f: order.index(f.name))
    paths = study_paths(folder / "data", study)
    write_raw_csv(raw[order], paths["raw"])
    write_codebook(
        paths["codebook"],
        data_path=paths["raw"],
        fields=fields,
        name=study,
        title=f"SYNTHETIC growth-benchmark survey ({n} rows, {k} items)",
        description="SYNTHETIC data for benchmarks/growth.py; see its docstring.",
        primary_key=("resp_id",),
        missing_values=("",),
    )
    config = yaml.safe_load((folder / "config" / "config.yaml").read_text())
    config |= {
        "study": study,
        "model": growth_model(config["model"], by_construct),
        "data": paths["raw"].relative_to(folder).as_posix(),
        "codebook": paths["codebook"].relative_to(folder).as_posix(),
    }
    if draws is not None:
        config["bootstrap"]["draws"] = draws
    path = folder / "config" / "growth" / f"{study}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.dump(config, Dumper=_BlockDumper, sort_keys=False, width=100))
    return path


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line strings (the model) as YAML literal blocks."""


_BlockDumper.add_representer(
    str,
    lambda dumper, text: dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    ),
)


# ---------------------------------------------------------------------------- memory
def _status(pid: int) -> dict[str, int]:
    """Memory of a process in bytes (all 0 if it is gone): its resident set (rss), its
    proportional share of it (pss: pages shared with other processes split among them, so
    that sums over processes count every page once) and the kernel's high-water mark of its
    resident set (hwm, exact whatever the sampling)."""
    out = dict.fromkeys(("rss", "pss", "hwm"), 0)
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith(("Rss:", "Pss:")):
                    out[line[:3].lower()] = int(line.split()[1]) * 1024
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    out["hwm"] = int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return out


def _script_name(cmd: str) -> str | None:
    """The workflow script a job runs (.snakemake/scripts/tmpXXXX.<script>.py): for jobs too
    short to be caught holding their log open; for rules without wildcards it is the rule."""
    found = re.search(r"/\.snakemake/scripts/tmp\w+\.(\w+)\.py", cmd)
    return found and found.group(1)


def _cmd(pid: int) -> str:
    try:
        return " ".join(psutil.Process(pid).cmdline())[-160:]
    except psutil.Error:
        return "?"


class TreeMonitor(threading.Thread):
    """Samples the RSS of a process tree; groups it by job (a direct child of the root).

    A job is named by its log file, results/<study>/logs/<job>.log: in the command line of a
    shell job that redirects to it or in the Snakemake object that the job's temporary script
    (.snakemake/scripts/tmpXXXX.<script>.py) carries.
    """

    def __init__(self, pid: int, interval: float):
        super().__init__(daemon=True)
        self.root, self.interval, self.done = psutil.Process(pid), interval, threading.Event()
        self.peak_tree, self.peak_tree_at, self.peak_root, self.samples = 0, 0.0, 0, 0
        self.peak_tree_rss = 0
        self.last_sample = 0.0
        self.jobs: dict[int, dict] = {}  # job root pid -> name, peak, first/last seen
        self.start_time = time.perf_counter()

    @staticmethod
    def _job_name(pids: list[int]) -> str | None:
        for pid in pids:
            try:
                cmd = " ".join(psutil.Process(pid).cmdline())
            except psutil.Error:
                continue
            found = re.search(r"logs/([\w.-]+)\.log", cmd)
            script = re.search(r"(\S+/\.snakemake/scripts/tmp\w+\.\w+\.py)", cmd)
            if found is None and script is not None:
                try:
                    found = re.search(r"logs/([\w.-]+)\.log", Path(script[1]).read_text())
                except (OSError, UnicodeDecodeError):
                    continue
            if found is not None:
                return found[1]
        return None

    def sample(self) -> None:
        now = time.perf_counter() - self.start_time
        try:
            children = self.root.children(recursive=True)
        except psutil.Error:
            return
        parent, memory = {}, {}
        for proc in children:
            try:
                parent[proc.pid] = proc.ppid()
            except psutil.Error:
                continue
            memory[proc.pid] = _status(proc.pid)
        groups: dict[int, list[int]] = {}
        for pid in memory:
            top = pid
            while parent.get(top) not in (self.root.pid, None):
                top = parent[top]
            groups.setdefault(top, []).append(pid)
        root = _status(self.root.pid)
        pss = root["pss"] + sum(m["pss"] for m in memory.values())
        self.samples, self.last_sample = self.samples + 1, now
        self.peak_root = max(self.peak_root, root["hwm"])
        self.peak_tree_rss = max(
            self.peak_tree_rss, root["rss"] + sum(m["rss"] for m in memory.values())
        )
        if pss > self.peak_tree:
            self.peak_tree, self.peak_tree_at = pss, now
        for top, pids in groups.items():
            if top not in self.jobs:
                self.jobs[top] = {"name": None, "peak_rss": 0, "first": now, "cmd": _cmd(top)}
            job = self.jobs[top]
            job["last"] = now
            job["peak_rss"] = max(
                job["peak_rss"],
                sum(memory[p]["pss"] for p in pids),
                *(memory[p]["hwm"] for p in pids),
            )
            if job["name"] is None:
                job["name"] = self._job_name(pids)

    def run(self) -> None:
        while not self.done.is_set():
            self.sample()
            self.done.wait(self.interval)

    def stop(self) -> None:
        self.done.set()
        self.join()


# ------------------------------------------------------------------------------ runs
def benchmark_files(results: Path) -> dict[str, dict]:
    """Snakemake's benchmark files: job -> seconds and max_rss (MB)."""
    out = {}
    for path in sorted((results / "benchmarks").glob("*.tsv")):
        with open(path) as fh:
            row = next(csv.DictReader(fh, delimiter="\t"))
        out[path.stem] = {"seconds": float(row["s"]), "max_rss_mb": _number(row["max_rss"])}
    return out


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def run_one(n: int, k: int, args) -> dict:
    with tempfile.TemporaryDirectory(prefix="growth-", dir=args.tmp) as tmp:
        folder = Path(tmp)
        copy_project(folder, args.git)
        source = source_state(args.git)
        clock = time.perf_counter()
        config_path = make_study(folder, n, k, args.draws)
        inputs_seconds = time.perf_counter() - clock
        config = yaml.safe_load(config_path.read_text())
        results = folder / "results" / config["study"]
        snakemake = [
            str(Path(sys.executable).parent / "snakemake"),
            "--cores",
            str(args.cores),
            "--keep-going",
            "--configfile",
            str(config_path.relative_to(folder)),
        ]
        with open(folder / "snakemake.log", "w") as log:
            clock = time.perf_counter()
            env = os.environ | {"PYTHONPATH": str(folder / "src")}  # the copy, not the live src/
            process = subprocess.Popen(
                snakemake, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            monitor = TreeMonitor(process.pid, args.interval)
            monitor.start()
            try:
                code = process.wait(timeout=args.timeout)
            except subprocess.TimeoutExpired:
                running = [
                    j["name"]
                    for j in monitor.jobs.values()
                    if j["last"] >= monitor.last_sample - 2 * args.interval
                ]
                psutil_kill_tree(process.pid)
                code = None
            wall = time.perf_counter() - clock
            monitor.stop()
        jobs = sorted(
            (
                {
                    "job": j["name"]
                    or _script_name(j["cmd"])
                    or f"not a job, pid {pid}: {j['cmd']}",
                    "peak_rss_bytes": j["peak_rss"],
                    "seconds_seen": round(j["last"] - j["first"], 1),
                }
                for pid, j in monitor.jobs.items()
            ),
            key=lambda j: -j["peak_rss_bytes"],
        )
        bench = benchmark_files(results)
        report_path = results / "validate" / "report.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        record = {
            "n": n,
            "items": k,
            "draws": config["bootstrap"]["draws"],
            "variants": len(config["robustness"]["variants"]),
            "groupings": len(config["robustness"]["invariance"]),
            "rows_after_cleaning": report.get("rows_after_cleaning"),
            "complete_cases": report.get("complete_cases"),
            "free_parameters": report.get("free_parameters"),
            "source": source,
            "inputs_seconds": round(inputs_seconds, 1),
            "status": "ok" if code == 0 else ("timeout" if code is None else f"failed ({code})"),
            "wall_seconds": round(wall, 1),
            "peak_tree_pss_bytes": monitor.peak_tree,
            "peak_tree_rss_sum_bytes": monitor.peak_tree_rss,
            "peak_tree_at_seconds": round(monitor.peak_tree_at, 1),
            "peak_snakemake_rss_bytes": monitor.peak_root,
            "peak_job": jobs[0] if jobs else None,
            "jobs": jobs,
            "samples": monitor.samples,
            "benchmark_files": bench,
        }
        if code is None:
            record["running_at_timeout"] = running
        if code not in (0, None):
            record["failed_jobs"] = failed_jobs(folder)
        if bench:
            slowest = max(bench, key=lambda job: bench[job]["seconds"])
            record["slowest_benchmarked"] = {"job": slowest, **bench[slowest]}
        if args.keep:
            target = Path(args.keep) / config["study"]
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(folder, target, ignore=shutil.ignore_patterns(".snakemake"))
        return record


def failed_jobs(folder: Path) -> list[dict]:
    """Jobs snakemake reports as failed (it goes on with the others: --keep-going), each with
    the last line of its own log (run_step's one-line message, or the end of a traceback)."""
    failed = []
    for block in (folder / "snakemake.log").read_text().split("Error in rule ")[1:]:
        log = re.search(r"log: (\S+/logs/(\S+)\.log)", block)
        if log is None:
            failed.append({"job": block.split(":")[0], "error": None})
            continue
        path = folder / log.group(1)
        lines = (path.read_text() if path.exists() else "").strip().splitlines() or [""]
        errors = [line for line in lines if " ERROR " in line]
        failed.append({"job": log.group(2), "error": (errors or lines)[-1][-300:]})
    return failed


def copy_project(folder: Path, rev: str | None) -> None:
    """The project files (and src/, so edits made during a run do not leak into it): from the
    working tree, or with rev from that git revision (git archive, read-only)."""
    if rev is None:
        for name in PROJECT:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy2(source, folder / name)
        return
    done = subprocess.run(
        ["git", "archive", rev, *PROJECT], cwd=ROOT, capture_output=True, check=True
    )
    with tarfile.open(fileobj=io.BytesIO(done.stdout)) as archive:
        archive.extractall(folder, filter="data")


def psutil_kill_tree(pid: int) -> None:
    """End snakemake and every process it started (only this run's tree)."""
    root = psutil.Process(pid)
    for proc in [*root.children(recursive=True), root]:
        try:
            proc.kill()
        except psutil.Error:
            pass
    psutil.wait_procs([root], timeout=10)


def source_state(rev: str | None) -> dict:
    """The code measured: a git revision, or the working tree with its uncommitted changes."""

    def git(*cmd):
        done = subprocess.run(["git", *cmd], cwd=ROOT, capture_output=True, text=True)
        return done.stdout.strip()

    if rev is not None:
        return {"commit": rev, "working_tree": False}
    return {
        "commit": git("rev-parse", "HEAD"),
        "working_tree": True,
        "uncommitted": git("status", "--porcelain", "--", *PROJECT).splitlines(),
    }


def table(records: list[dict]) -> str:
    head = [
        "n",
        "items",
        "status",
        "wall s",
        "tree GiB",
        "snakemake GiB",
        "job GiB",
        "largest job",
        "slowest benchmarked",
        "s",
    ]
    rows = []
    for r in records:
        job, slow = r["peak_job"] or {}, r.get("slowest_benchmarked") or {}
        rows.append(
            [
                r["n"],
                r["items"],
                r["status"],
                f"{r['wall_seconds']:.1f}",
                f"{r['peak_tree_pss_bytes'] / GiB:.2f}",
                f"{r['peak_snakemake_rss_bytes'] / GiB:.2f}",
                f"{job.get('peak_rss_bytes', 0) / GiB:.2f}",
                job.get("job", "-"),
                slow.get("job", "-"),
                f"{slow.get('seconds', 0):.1f}",
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows, strict=True)]
    return "\n".join(
        "  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True))
        for row in [head, *rows]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs",
        default=DEFAULT_RUNS,
        help=f"comma-separated NxK (raw rows x items), default {DEFAULT_RUNS}",
    )
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        "--draws",
        type=int,
        default=None,
        help="bootstrap draws (default: the config's, 2000); recorded if changed",
    )
    parser.add_argument("--interval", type=float, default=0.1, help="memory sampling, seconds")
    parser.add_argument("--timeout", type=float, default=6 * 3600, help="per run, seconds")
    parser.add_argument("--tmp", default=None, help="where the temporary projects go")
    parser.add_argument("--keep", default=None, help="copy each run's project here")
    parser.add_argument(
        "--git",
        default=None,
        metavar="REV",
        help="measure this git revision instead of the working tree",
    )
    parser.add_argument("--output", default=str(ROOT / "benchmarks" / "growth.json"))
    args = parser.parse_args()
    if args.git is not None:  # one commit for all runs, even if the branch moves meanwhile
        args.git = subprocess.run(
            ["git", "rev-parse", "--verify", f"{args.git}^{{commit}}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    runs = [tuple(int(x) for x in run.lower().split("x")) for run in args.runs.split(",")]
    records = []
    for n, k in runs:
        print(f"running n = {n}, items = {k} ...", flush=True)
        records.append(run_one(n, k, args))
        output = {
            "machine": {
                "platform": platform.platform(),
                "cores": os.cpu_count(),
                "memory_bytes": psutil.virtual_memory().total,
                "python": platform.python_version(),
            },
            "cores": args.cores,
            "interval_seconds": args.interval,
            "limit_bytes": 4 * GiB,
            "runs": records,
        }
        Path(args.output).write_text(json.dumps(output, indent=2) + "\n")
    print(table(records))
    for r in records:
        where = f"n = {r['n']}, items = {r['items']}"
        if r["draws"] != 2000:
            print(f"{where}: NOTE bootstrap with B = {r['draws']}, not the study's 2000")
        if r["peak_tree_pss_bytes"] >= 4 * GiB:
            print(f"{where}: peak tree memory {r['peak_tree_pss_bytes'] / GiB:.2f} GiB > 4 GiB")
        if r["status"] == "timeout":
            print(f"{where}: stopped after {args.timeout:.0f} s in {r['running_at_timeout']}")
        for job in r.get("failed_jobs", []):
            print(f"{where}: job {job['job']} failed: {job['error']}")


if __name__ == "__main__":
    main()
