"""Manuscript tables: one definition per table, rendered by Jinja2 templates.

A table is defined once as data (caption, header, formatted rows, note); templates in
manuscript/templates/ turn the same definition into Typst for the PDF (and, later, LaTeX
and HTML), so the formats can never disagree on a number.
"""

from dataclasses import dataclass, field
from pathlib import Path

import jinja2
import pandas as pd

from surveysem import formatting as fmt

TYPST_SPECIAL = set('\\#$*_`<>@[]~"/=')


def typst_escape(text) -> str:
    """Escape the characters that start markup in Typst content blocks."""
    return "".join("\\" + c if c in TYPST_SPECIAL else c for c in str(text))


@dataclass(frozen=True)
class Table:
    """A formatted table: every cell is already a string in APA style."""

    name: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    note: str
    align: list[str] = field(default_factory=list)


def abbreviations(constructs: dict[str, str]) -> str:
    """'CO = customer orientation; ...' for a table note.

    >>> abbreviations({"CO": "customer orientation", "FP": "financial performance"})
    'CO = customer orientation; FP = financial performance.'
    """
    return "; ".join(f"{short} = {long}" for short, long in constructs.items()) + "."


def hypotheses_table(hypotheses: pd.DataFrame, alpha: float, constructs: dict[str, str]) -> Table:
    """Table of the hypothesis tests from model/hypotheses.csv; `constructs` maps abbreviations
    to names for the note."""
    rows = [
        [
            row["id"],
            row["path"].replace("->", "→"),
            fmt.number(row["est"], 3),
            fmt.number(row["se"], 3),
            fmt.number(row["z"], 2),
            fmt.pvalue(row["pvalue"]),
            fmt.number(row["std.all"], 2, bounded=True),
            "Yes" if row["supported"] else "No",
        ]
        for row in hypotheses.to_dict("records")
    ]
    return Table(
        name="hypotheses",
        caption="Structural paths and hypothesis tests",
        header=["Hypothesis", "Path", "B", "SE", "z", "p", "β", "Supported"],
        rows=rows,
        note=(
            "B = unstandardized estimate; SE = standard error (ML, expected information); "
            "β = completely standardized estimate (lavaan std.all). A hypothesis is supported "
            "when the estimate has the expected sign and "
            f"p < {fmt.number(alpha, 2, bounded=True)} (two-sided). {abbreviations(constructs)}"
        ),
        align=["left", "left"] + ["right"] * 5 + ["center"],
    )


def template_environment(folder: str | Path) -> jinja2.Environment:
    """Jinja2 environment for Typst templates.

    Comments use {## ##} because `{#` can occur in Typst code; undefined variables are
    errors, so a template never silently prints an empty number.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(folder)),
        undefined=jinja2.StrictUndefined,
        comment_start_string="{##",
        comment_end_string="##}",
        keep_trailing_newline=True,
        autoescape=False,
    )
    environment.filters["typst"] = typst_escape
    return environment


def render_table(table: Table, template: str | Path) -> str:
    """Render `table` with the Jinja2 template file `template`."""
    template = Path(template)
    return template_environment(template.parent).get_template(template.name).render(table=table)
