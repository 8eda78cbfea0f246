"""`python -m surveysem.verify --study cai2009` (make verify): check a finished run.

Reruns nothing. Re-hashes every output recorded in results/<study>/provenance.json and
compares the key numbers with the committed snapshot (snapshot/<study>.json) within its
stated tolerance; prints what drifted in plain words and exits 1 if anything did.
`--write-snapshot` records the current key numbers as the new reference instead.
"""

import argparse
import sys
from pathlib import Path

from surveysem.io import read_json, write_json
from surveysem.provenance import key_numbers, verify_results

# Same code, lock and data give identical files on one machine; across machines and BLAS
# builds the estimates may differ in the last digits, far below what is ever reported.
TOLERANCE = 1e-6


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--study", default="cai2009")
    parser.add_argument("--results", default="results")
    parser.add_argument("--snapshot-dir", default="snapshot")
    parser.add_argument("--write-snapshot", action="store_true")
    args = parser.parse_args(argv)
    folder = Path(args.results) / args.study
    snapshot_path = Path(args.snapshot_dir) / f"{args.study}.json"
    provenance = folder / "provenance.json"
    if not provenance.is_file():
        print(f"{provenance} does not exist: run the workflow first (make reproduce).")
        return 1
    if args.write_snapshot:
        snapshot = {"tolerance": {"absolute": TOLERANCE}, "values": key_numbers(folder)}
        write_json(snapshot, snapshot_path)
        print(f"wrote {snapshot_path}")
        return 0
    if not snapshot_path.is_file():
        print(f"{snapshot_path} does not exist: there is no reference snapshot to compare with.")
        return 1
    snapshot = read_json(snapshot_path)
    problems = verify_results(provenance, snapshot)
    for problem in problems:
        print(f"DRIFT: {problem}")
    if problems:
        print(f"{len(problems)} problem(s) found in {folder}.")
        return 1
    steps = read_json(provenance)["steps"]
    files = sum(len(record["outputs"]) for record in steps.values())
    numbers = sum(len(keys) for keys in snapshot["values"].values())
    print(
        f"OK: {files} output files of {len(steps)} steps match their recorded sha256, and "
        f"{numbers} key numbers are within {snapshot['tolerance']['absolute']:g} of "
        f"{snapshot_path}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
