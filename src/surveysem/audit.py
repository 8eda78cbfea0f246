"""Audit records: what a workflow step read, decided and wrote, with checksums and versions."""

import hashlib
import platform
import sys
from importlib import metadata
from pathlib import Path

# The packages whose versions can change a number in the results.
SCIENCE_PACKAGES = (
    "surveysem",
    "numpy",
    "scipy",
    "pandas",
    "pingouin",
    "jinja2",
    "matplotlib",
    "typst",
    "snakemake",
)


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks so large files need little memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_records(paths: dict[str, str | list[str]]) -> list[dict]:
    """One record (role, path, bytes, sha256) per file; directories and missing files skipped."""
    records = []
    for role, value in paths.items():
        for path in [value] if isinstance(value, str) else value:
            file = Path(path)
            if file.is_file():
                records.append(
                    {
                        "role": role,
                        "path": str(path),
                        "bytes": file.stat().st_size,
                        "sha256": sha256_file(file),
                    }
                )
    return records


def software_versions() -> dict[str, str]:
    """Python, platform and the versions of the packages that shape the results."""
    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for name in SCIENCE_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["executable"] = sys.executable
    return versions


def audit_record(
    *,
    step: str,
    wildcards: dict,
    inputs: dict,
    outputs: dict,
    params: dict,
    decisions: dict,
    started: str,
    wall_seconds: float,
) -> dict:
    """Assemble the audit record of one step; the caller writes it with io.write_json."""
    return {
        "step": step,
        "wildcards": wildcards,
        "started_utc": started,
        "wall_seconds": round(wall_seconds, 3),
        "inputs": file_records(inputs),
        "outputs": file_records(outputs),
        "params": params,
        "decisions": decisions,
        "software": software_versions(),
    }
