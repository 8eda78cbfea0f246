"""Write environment.yml for conda users from requirements.lock, so the two never drift.

Usage: python tools/write_environment.py requirements.lock environment.yml
tests/test_environment.py fails if the committed environment.yml differs from this output.
"""

import re
import sys
from pathlib import Path

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")

HEADER = """\
# Conda environment for the compendium, written by tools/write_environment.py from
# requirements.lock (do not edit by hand: run `make environment`). Same Python, same pins.
#   conda env create -f environment.yml && conda activate cai2009
#   pip install --no-deps -e . && snakemake --cores all
name: cai2009
channels:
  - conda-forge
dependencies:
  - python=3.11
  - pip
  - pip:
"""


def pins(lock_text: str) -> list[str]:
    """The `name==version` lines of a pip-compile lock, in lock order."""
    return [f"{m[1]}=={m[2]}" for line in lock_text.splitlines() if (m := PIN.match(line))]


def environment_yml(lock_text: str) -> str:
    return HEADER + "".join(f"      - {pin}\n" for pin in pins(lock_text))


if __name__ == "__main__":
    lock, target = sys.argv[1:3]
    Path(target).write_text(environment_yml(Path(lock).read_text()), newline="\n")
