"""The manuscript: results files -> Typst source (Jinja2) -> PDF (typst).

The template receives raw numbers and formats them with the APA filters below, so every
number in the prose is rendered from a results file and none is typed by hand.
"""

from pathlib import Path

import pandas as pd
import typst

from surveysem import formatting as fmt
from surveysem.audit import software_versions
from surveysem.rendering import template_environment


def _filters(environment) -> None:
    environment.filters.update(
        num=lambda value, digits=2, bounded=False: fmt.number(value, digits, bounded),
        p=fmt.pvalue,
        count=fmt.count,
        ci=lambda pair, digits=2, bounded=False: fmt.interval(*pair, digits, bounded),
    )


def manuscript_context(
    *,
    settings: dict,
    clean_audit: dict,
    measurement_fit: dict,
    measurement_summary: dict,
    reliability: pd.DataFrame,
    structural_fit: dict,
    estimates: pd.DataFrame,
    hypotheses: pd.DataFrame,
    nonresponse: pd.DataFrame,
) -> dict:
    """Everything the manuscript template may print, gathered from the results files.

    `settings` holds the config values the text needs (study, title, authors, synthetic,
    alpha, seed and the hypotheses with their labels).
    """
    labels = {h["id"]: h.get("label", h["path"]) for h in settings["hypotheses"]}
    records = hypotheses.to_dict("records")
    for record in records:
        record["label"] = labels[record["id"]]
    software = software_versions()
    return {
        **settings,
        "sample": clean_audit,
        "cfa": measurement_fit,
        "checks": measurement_summary,
        "reliability": reliability.to_dict("records"),
        "sem": structural_fit,
        "hypotheses": records,
        "n_supported": int(hypotheses["supported"].sum()),
        "regressions": estimates[estimates.op == "~"].to_dict("records"),
        "nonresponse": nonresponse.to_dict("records"),
        "early_late_differ": nonresponse.loc[
            nonresponse["pvalue"] < settings["alpha"], "variable"
        ].tolist()
        if "pvalue" in nonresponse
        else [],
        "software": {k: v for k, v in software.items() if k != "executable"},
    }


def render_manuscript(template: str | Path, context: dict) -> str:
    """Render the Typst source of the manuscript from its Jinja2 template."""
    template = Path(template)
    environment = template_environment(template.parent)
    _filters(environment)
    return environment.get_template(template.name).render(**context)


def compile_pdf(source: str | Path, pdf: str | Path, root: str | Path) -> None:
    """Compile Typst `source` to `pdf`; files are resolved against the project `root`.

    Only the fonts built into typst are used, so the PDF does not depend on the fonts
    installed on the machine.
    """
    typst.compile(str(source), output=str(pdf), root=str(root), ignore_system_fonts=True)
