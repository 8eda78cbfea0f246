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


def _variable_name(name: str) -> str:
    """'respondent_role' -> 'Respondent role'; log(x) stays as written."""
    return name if "(" in name else name.replace("_", " ").capitalize()


def sample_profile_table(profile: pd.DataFrame, weighted: bool) -> Table:
    """Sample profile from sample/profile.csv: n and % per category, design-weighted % beside."""
    rows = []
    for variable, group in profile.groupby("variable", sort=False):
        for i, row in enumerate(group.to_dict("records")):
            rows.append(
                [
                    _variable_name(variable) if i == 0 else "",
                    row["category"],
                    fmt.count(row["n"]),
                    fmt.number(row["percent"], 1),
                ]
                + ([fmt.number(row["weighted_percent"], 1)] if weighted else [])
            )
    note = "Percentages of the cleaned sample."
    if weighted:
        note += (
            " Weighted % uses the design weights (inverse inclusion probabilities of the "
            "probability-proportional-to-size design): the estimated share in the population "
            "of firms rather than in the sample."
        )
    return Table(
        name="sample-profile",
        caption="Sample profile",
        header=["Characteristic", "Category", "n", "%"] + (["Weighted %"] if weighted else []),
        rows=rows,
        note=note,
        align=["left", "left"] + ["right"] * (3 if weighted else 2),
    )


def nonresponse_table(comparison: pd.DataFrame, constructs: dict[str, str]) -> Table:
    """Early versus late respondents from sample/nonresponse.csv (Armstrong & Overton, 1977)."""
    rows = [
        [
            row["variable"],
            f"{fmt.number(row['mean_early'])} ({fmt.number(row['sd_early'])})",
            f"{fmt.number(row['mean_late'])} ({fmt.number(row['sd_late'])})",
            f"{fmt.number(row['t'])} ({fmt.number(row['dof'], 1)})",
            fmt.pvalue(row["pvalue"]),
            fmt.number(row["hedges_g"]),
        ]
        for row in comparison.to_dict("records")
    ]
    n_early = int(comparison["n_early"].max()) if len(comparison) else 0
    n_late = int(comparison["n_late"].max()) if len(comparison) else 0
    return Table(
        name="nonresponse",
        caption="Early versus late respondents",
        header=["Variable", "Early M (SD)", "Late M (SD)", "t (df)", "p", "g"],
        rows=rows,
        note=(
            f"Early respondents n = {n_early}, late respondents n = {n_late}. Construct scores "
            "are item means; firm size is compared on the natural log. Welch's t test; g = "
            f"Hedges' g (early minus late). {abbreviations(constructs)}"
        ),
        align=["left"] + ["right"] * 5,
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
