"""Command line: ``python -m surveysem.synthetic [--study S] [--seed N] [--n N] [--data-dir D]``.

With no options it regenerates the committed files of the compendium byte for byte:

    python -m surveysem.synthetic --study cai2009 --seed 20090401 --n 420 --data-dir data

Other studies (e.g. a second wave) use another ``--study`` name, ``--seed`` and ``--n``; they
are drawn from the same population frame (``--frame-seed``) unless told otherwise.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence

from .faults import FaultRates
from .fieldwork import DEFAULT_START
from .generator import DEFAULT_FRAME_SEED, DEFAULT_N, DEFAULT_SEED, DEFAULT_STUDY, generate
from .output import write_survey


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m surveysem.synthetic",
        description="Generate a SYNTHETIC customer-focus survey (raw csv, codebook, manifest).",
    )
    p.add_argument("--study", default=DEFAULT_STUDY, help="study name used in file names")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="seed of the sample/answers")
    p.add_argument("--n", type=int, default=DEFAULT_N, help="number of raw rows (submissions)")
    p.add_argument("--data-dir", default="data", help="directory holding raw/, codebook/, ...")
    p.add_argument(
        "--frame-seed",
        type=int,
        default=DEFAULT_FRAME_SEED,
        help="seed of the 143,000-firm population frame (shared by all studies)",
    )
    p.add_argument(
        "--fieldwork-start",
        type=dt.date.fromisoformat,
        default=DEFAULT_START,
        help="first day of fieldwork, YYYY-MM-DD",
    )
    p.add_argument("--no-faults", action="store_true", help="write clean data (no faults)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        survey = generate(
            args.study,
            args.seed,
            args.n,
            frame_seed=args.frame_seed,
            rates=FaultRates.none() if args.no_faults else FaultRates(),
            fieldwork_start=args.fieldwork_start,
        )
        paths = write_survey(survey, args.data_dir)
    except ValueError as e:
        print(f"surveysem.synthetic: error: {e}", file=sys.stderr)
        return 2
    for kind, path in paths.items():
        print(f"wrote {kind}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
