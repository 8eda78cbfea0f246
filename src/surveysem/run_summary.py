"""What a run lost and warned about, from its steps' audit records, in a few lines.

Every step's audit record holds its decisions; cleaning's hold the rows in and out, each
rule's count and the values set to missing, and any step may list ``warnings`` (see
surveysem.step.run_step). The end-of-run console summary and the manuscript read them here,
so nothing a run drops or doubts passes in silence.
"""

from collections.abc import Iterable


def step_name(record: dict) -> str:
    """The step's name with its wildcards, e.g. robustness_variant_mlr."""
    return "_".join([record["step"], *record.get("wildcards", {}).values()])


def collect_warnings(records: Iterable[dict]) -> list[dict]:
    """Every warning of the given audit records, in their order: one dict (step, warning).

    >>> collect_warnings([{"step": "fit", "wildcards": {}, "decisions": {"warnings": ["x"]}},
    ...                   {"step": "clean", "wildcards": {}, "decisions": {}}])
    [{'step': 'fit', 'warning': 'x'}]
    """
    return [
        {"step": step_name(record), "warning": warning}
        for record in records
        for warning in record.get("decisions", {}).get("warnings", [])
    ]


def _counts(per_item: dict) -> str:
    shown = [f"{item} {n}" for item, n in per_item.items() if n]
    return f"{sum(per_item.values())}" + (f" ({', '.join(shown)})" if shown else "")


def format_summary(study: str, clean_audit: dict | None, warnings: list[dict]) -> str:
    """The console summary of a run: rows, cleaning counts, values blanked, warnings.

    `clean_audit` is results/<study>/clean/audit.json (None when cleaning has not run).

    >>> audit = {"rows_in": 10, "rows_out": 8, "complete_cases": 7,
    ...          "exclusions": {"straightliner": {"n": 2, "applied": True}},
    ...          "recoded_to_missing": {"missing_code": {"q1": 1}, "out_of_range": {"q1": 0}}}
    >>> print(format_summary("demo", audit, [{"step": "fit", "warning": "not converged"}]))
    Run summary of study demo (results/demo/):
      rows: 10 in, 8 out, 7 complete on every item
      excluded: straightliner 2
      values set to missing: missing codes 1 (q1 1), out of range 0
      warnings (1):
        - fit: not converged
    """
    lines = [f"Run summary of study {study} (results/{study}/):"]
    if clean_audit:
        a = clean_audit
        lines.append(
            f"  rows: {a['rows_in']} in, {a['rows_out']} out, "
            f"{a['complete_cases']} complete on every item"
        )
        excluded = [
            f"{rule} {e['n']}" + ("" if e["applied"] else " (not applied)")
            for rule, e in a["exclusions"].items()
        ]
        lines.append(f"  excluded: {', '.join(excluded)}")
        recoded = a["recoded_to_missing"]
        lines.append(
            f"  values set to missing: missing codes {_counts(recoded['missing_code'])}, "
            f"out of range {_counts(recoded['out_of_range'])}"
        )
    lines.append(f"  warnings ({len(warnings)}):" if warnings else "  warnings: none")
    lines += [f"    - {w['step']}: {w['warning']}" for w in warnings]
    return "\n".join(lines)
