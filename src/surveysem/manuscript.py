"""The manuscript: results files -> Typst source (Jinja2) -> PDF (typst).

The template receives raw numbers and formats them with the APA filters below, so every
number in the prose is rendered from a results file and none is typed by hand.
"""

from pathlib import Path

import typst

from surveysem import formatting as fmt
from surveysem.audit import software_versions
from surveysem.rendering import template_environment


class Sourced(float):
    """A number that remembers the results file it was read from (relative to the PDF)."""

    source: str

    def __new__(cls, value, source: str):
        number = super().__new__(cls, value)
        number.source = source
        return number


def sourced(data, source: str):
    """`data` (JSON-like) with every number replaced by a Sourced number pointing at `source`.

    >>> data = sourced({"cfi": 0.97, "ok": True, "rows": [{"n": 3}]}, "model/fit.json")
    >>> data["rows"][0]["n"].source, data["ok"]
    ('model/fit.json', True)
    """
    if isinstance(data, dict):
        return {key: sourced(value, source) for key, value in data.items()}
    if isinstance(data, list):
        return [sourced(value, source) for value in data]
    if isinstance(data, int | float) and not isinstance(data, bool):
        return Sourced(data, source)
    return data


def _linked(text: str, value) -> str:
    """Typst markup of a formatted number: a link to its results file when it has one."""
    source = getattr(value, "source", None)
    return f'#link("{source}")[{text}]' if source else text


def _filters(environment) -> None:
    environment.filters.update(
        num=lambda value, digits=2, bounded=False: _linked(
            fmt.number(value, digits, bounded), value
        ),
        p=lambda value: _linked(fmt.pvalue(value), value),
        count=lambda value: _linked(fmt.count(value), value),
        ci=lambda pair, digits=2, bounded=False: _linked(
            fmt.interval(*pair, digits, bounded), pair[0]
        ),
    )


def manuscript_context(settings: dict, results: dict) -> dict:
    """Everything the manuscript template may print.

    `settings` holds the config values the text needs (study, title, authors, synthetic,
    alpha, seed, the hypotheses with their labels). `results` maps each context name to the
    contents of a results file (a dict, or a list of row dicts for a CSV), already passed
    through :func:`sourced` so that every number links to its file in the PDF.
    """
    labels = {h["id"]: h.get("label", h["path"]) for h in settings["hypotheses"]}
    hypotheses = [record | {"label": labels[record["id"]]} for record in results["hypotheses"]]
    nonresponse = results["nonresponse"]
    software = software_versions()
    return {
        **settings,
        **results,
        "hypotheses": hypotheses,
        "n_supported": sum(bool(h["supported"]) for h in hypotheses),
        "early_late_differ": [
            row["variable"] for row in nonresponse if row["pvalue"] < settings["alpha"]
        ],
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
