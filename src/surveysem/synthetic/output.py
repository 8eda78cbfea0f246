"""Write a generated survey to disk, byte-for-byte reproducibly.

Three files per study under the data directory:

* ``raw/<study>_survey.csv`` - UTF-8, comma, ``\\n`` line endings, header row, fixed number
  formats (revenue 2 decimals, incl_prob 14 decimals, design_weight 9 decimals, items as
  integers, blanks as empty fields);
* ``codebook/<study>.datapackage.json`` - the Frictionless codebook (with the csv's sha256);
* ``synthetic/<study>_manifest.json`` - the ground truth of injected faults (tests only).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd

from ..codebook import write_codebook
from .codebook_fields import raw_fields
from .generator import SyntheticSurvey

__all__ = ["study_paths", "write_manifest", "write_raw_csv", "write_survey"]

_STUDY_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_FLOAT_FORMATS = {"revenue_mrmb": "{:.2f}", "incl_prob": "{:.14f}", "design_weight": "{:.9f}"}

CAI2009_SOURCE = {
    "title": "Cai, S. (2009). The importance of customer focus for organizational performance: "
    "a study of Chinese companies. International Journal of Quality & Reliability Management, "
    "26(4), 369-379.",
    "path": "https://doi.org/10.1108/02656710910950351",
}
CC0 = {
    "name": "CC0-1.0",
    "title": "Creative Commons Zero v1.0 Universal",
    "path": "https://creativecommons.org/publicdomain/zero/1.0/",
}


def study_paths(data_dir: str | Path, study: str) -> dict[str, Path]:
    """Where the three files of ``study`` live under ``data_dir``."""
    if not _STUDY_RE.match(study):
        raise ValueError(f"study name {study!r} must be lowercase letters, digits, '_', '-', '.'")
    d = Path(data_dir)
    return {
        "raw": d / "raw" / f"{study}_survey.csv",
        "codebook": d / "codebook" / f"{study}.datapackage.json",
        "manifest": d / "synthetic" / f"{study}_manifest.json",
    }


def _cell(value, column: str) -> str:
    if value is None or value is pd.NA:
        return ""
    if column in _FLOAT_FORMATS:
        return _FLOAT_FORMATS[column].format(float(value))
    return str(value)


def write_raw_csv(raw: pd.DataFrame, path: str | Path) -> None:
    """Write the raw DataFrame with fixed formatting (see module docstring)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = list(raw.columns)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        writer.writerow(cols)
        for row in raw.itertuples(index=False, name=None):
            writer.writerow([_cell(v, c) for v, c in zip(row, cols, strict=True)])


def write_manifest(manifest: dict, path: str | Path) -> None:
    """Write the manifest as 2-space-indented JSON with a trailing newline."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def write_survey(survey: SyntheticSurvey, data_dir: str | Path) -> dict[str, Path]:
    """Write raw csv, codebook and manifest of ``survey``; return their paths."""
    paths = study_paths(data_dir, survey.study)
    write_raw_csv(survey.raw, paths["raw"])
    m = survey.manifest
    counts = m["counts"]
    write_codebook(
        paths["codebook"],
        data_path=paths["raw"],
        fields=raw_fields(),
        name=survey.study,
        title=f"SYNTHETIC survey '{survey.study}': customer focus and organizational "
        "performance of Chinese manufacturing firms (after Cai, 2009)",
        description=(
            "SYNTHETIC data - not the original survey. The microdata of Cai (2009) are not "
            "public; this file was produced by surveysem.synthetic from a stated population "
            f"model (seed {m['seed']}, frame seed {m['frame_seed']}, n = {m['n']}) and "
            "contains deliberately injected data problems (duplicate submissions, "
            "straight-liners, blank cells, the missing-value code -99, out-of-range codes and "
            "fake PII). See data/README.md."
        ),
        resource_description=(
            f"Raw survey export, one row per submission ({counts['rows']} rows, "
            f"{counts['firms']} firms). Reverse-worded items are stored as answered."
        ),
        primary_key=("resp_id",),
        missing_values=("",),
        licenses=(CC0,),
        sources=(CAI2009_SOURCE,),
        keywords=("synthetic data", "survey", "structural equation modeling", "customer focus"),
    )
    write_manifest(m, paths["manifest"])
    return paths
