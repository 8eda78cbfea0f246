"""The audit trail of a whole run, and its verification without rerunning anything.

`provenance_record` gathers every step's audit record with the facts that identify the run
(commit, lock file hash, config); `verify_results` re-hashes every output the record lists
and compares key numbers with a committed reference snapshot, reporting drift in words.
"""

import math
import subprocess
from pathlib import Path

from surveysem.audit import sha256_file, software_versions
from surveysem.io import read_json


def git_commit(folder: str | Path = ".") -> str:
    """The commit of the working tree ('unknown' outside git), '+dirty' if it has changes."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=folder, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=folder, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def provenance_record(audit_files: list[str], config: dict, lock_file: str | Path) -> dict:
    """Every step's audit record, keyed by step, with the run's identity."""
    steps = {}
    for path in sorted(audit_files):
        record = read_json(path)
        steps["_".join([record["step"], *record["wildcards"].values()])] = record
    return {
        "study": config["study"],
        "commit": git_commit(),
        "lock_sha256": sha256_file(lock_file),
        "software": software_versions(),
        "config": config,
        "steps": steps,
    }


def _lookup(data, path: str):
    """Value at a /-separated path; list elements are selected by `key=value` segments."""
    for part in path.split("/"):
        if isinstance(data, list):
            key, value = part.split("=", 1)
            data = next(item for item in data if str(item[key]) == value)
        else:
            data = data[part]
    return data


def verify_results(provenance_path: str | Path, snapshot: dict) -> list[str]:
    """Problems found when checking a finished run, as plain sentences (empty: all good).

    Every output file recorded in the provenance must still exist with the same sha256,
    and every key number of `snapshot` must be within its tolerance of the value now in
    the results folder. Snapshot format: {"tolerance": {"absolute": x}, "values":
    {"<file relative to the study folder>": {"<key path>": number}}}; CSV files are read
    as lists of row dicts, so keys look like `id=H1/std.all`.
    """
    import pandas as pd

    provenance_path = Path(provenance_path)
    folder = provenance_path.parent
    problems = []
    for step, record in read_json(provenance_path)["steps"].items():
        for output in record["outputs"]:
            path = Path(output["path"])
            if not path.is_file():
                problems.append(f"{path} (written by {step}) is missing.")
            elif sha256_file(path) != output["sha256"]:
                problems.append(
                    f"{path} (written by {step}) has changed since the run: its sha256 is no "
                    "longer the one recorded in the provenance."
                )
    tolerance = snapshot["tolerance"]["absolute"]
    for relative, keys in snapshot["values"].items():
        path = folder / relative
        if not path.is_file():
            problems.append(f"{path} is missing, so its key numbers cannot be compared.")
            continue
        data = read_json(path) if path.suffix == ".json" else pd.read_csv(path).to_dict("records")
        for key, expected in keys.items():
            try:
                actual = float(_lookup(data, key))
            except (KeyError, StopIteration, ValueError):
                problems.append(f"{relative}: the key number {key} is not there any more.")
                continue
            if not math.isclose(actual, expected, rel_tol=0, abs_tol=tolerance):
                problems.append(
                    f"{relative}: {key} is {actual:.10g}, but the reference snapshot has "
                    f"{expected:.10g} (difference {actual - expected:.3g}, "
                    f"tolerance {tolerance:g})."
                )
    return problems


# The key numbers a reference snapshot keeps: file -> (row key column or None, fields).
KEY_NUMBERS = {
    "clean/audit.json": (None, ["rows_in", "rows_out", "complete_cases"]),
    "measurement/fit.json": (None, ["chisq", "df", "cfi", "tli", "rmsea", "srmr"]),
    "measurement/reliability.csv": ("construct", ["alpha", "omega", "ave"]),
    "model/fit.json": (None, ["chisq", "df", "cfi", "tli", "rmsea", "srmr"]),
    "model/hypotheses.csv": ("id", ["est", "se", "pvalue", "std.all"]),
    "model/indirect.csv": ("effect", ["est", "se", "std.all"]),
}


def key_numbers(folder: str | Path) -> dict:
    """The KEY_NUMBERS of a finished run, in the snapshot's `values` format."""
    import pandas as pd

    folder = Path(folder)
    values = {}
    for relative, (row_key, fields) in KEY_NUMBERS.items():
        path = folder / relative
        if row_key is None:
            data = read_json(path)
            values[relative] = {field: float(data[field]) for field in fields}
        else:
            rows = pd.read_csv(path).to_dict("records")
            values[relative] = {
                f"{row_key}={row[row_key]}/{field}": float(row[field])
                for row in rows
                for field in fields
            }
    return values
