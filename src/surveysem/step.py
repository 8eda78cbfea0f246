"""Run one workflow step: logging, the user-error contract and the audit record.

Every script in workflow/scripts/ is two lines: import its step function and hand it to
`run_step` together with the `snakemake` object. Keeping this in one place means every rule
logs the same way, turns bad input into one clear message, and writes its audit record.
The Snakemake object is only duck-typed here, so the package never imports Snakemake.
"""

import logging
import sys
import time
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from surveysem.audit import audit_record
from surveysem.errors import InputError
from surveysem.io import write_json

StepFunction = Callable[[dict, dict, dict, logging.Logger], dict]


def chunk_range(chunk: int, chunks: int, total: int) -> range:
    """Items (bootstrap draws, replications) of job `chunk` when `total` are cut into
    `chunks` contiguous slices of nearly equal size (scatter/gather rules).

    >>> [chunk_range(c, 3, 10) for c in range(3)]
    [range(0, 3), range(3, 6), range(6, 10)]
    """
    return range(chunk * total // chunks, (chunk + 1) * total // chunks)


def _named(namedlist) -> dict:
    """Snakemake's named input/output/params as a plain dict of name -> value."""
    return {name: value for name, value in namedlist.items()}


def _start_logging(log_path: str, rule: str) -> logging.Logger:
    Path(log_path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    return logging.getLogger(f"surveysem.{rule}")


def _remove_outputs(outputs: dict) -> None:
    """A failed step leaves nothing behind that could pass for a result."""
    for value in outputs.values():
        for path in [value] if isinstance(value, str) else value:
            Path(path).unlink(missing_ok=True)


def run_step(smk, step: StepFunction) -> None:
    """Run `step(inputs, outputs, params, log)` for the rule described by `smk`.

    The step writes every named output except `audit` and returns its decisions (counts,
    choices and reasons) as a dict; run_step then writes the audit record to the `audit`
    output. Anything the reader of the results must not miss goes in the decisions'
    ``warnings`` list (plain sentences); Python warnings raised while the step ran are added
    to it, so every warning of a run is in the audit records, where the end-of-run summary
    and the manuscript read them. An InputError is reported as one line on stderr and in the
    log, outputs are removed and the process exits with status 1; any other exception is a
    bug and keeps its traceback.
    """
    inputs, outputs, params = _named(smk.input), _named(smk.output), _named(smk.params)
    log = _start_logging(smk.log[0], smk.rule)
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    clock = time.perf_counter()
    log.info("step %s started", smk.rule)
    try:
        # numerical warnings belong in the step's audit and log, each distinct one once
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            decisions = dict(step(inputs, outputs, params, log) or {})
    except InputError as error:
        log.error("%s", error)
        _remove_outputs(outputs)
        print(f"\nERROR in step '{smk.rule}': {error}\n", file=sys.stderr)
        sys.exit(1)
    except Exception:
        log.exception("step %s failed", smk.rule)
        _remove_outputs(outputs)
        raise
    raised = [f"Python warning: {w.category.__name__}: {w.message}" for w in caught]
    found = list(dict.fromkeys([*decisions.pop("warnings", []), *raised]))
    for warning in found:
        log.warning("%s", warning)
    if found:
        decisions["warnings"] = found
    record = audit_record(
        step=smk.rule,
        wildcards=_named(smk.wildcards),
        inputs=inputs,
        outputs={k: v for k, v in outputs.items() if k != "audit"},
        params=params,
        decisions=decisions,
        started=started,
        wall_seconds=time.perf_counter() - clock,
    )
    write_json(record, outputs["audit"])
    log.info("step %s finished in %.2f s", smk.rule, record["wall_seconds"])
