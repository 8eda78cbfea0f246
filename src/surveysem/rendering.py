"""Rendering of tables and documents: one table definition, three output formats.

A table is defined once as data (caption, header, formatted rows, note); Jinja2 templates in
manuscript/templates/ turn it into Typst for the PDF, a LaTeX booktabs fragment for authors
who write in LaTeX, and HTML for the report, so the formats can never disagree on a number.
"""

from dataclasses import dataclass, field
from pathlib import Path

import jinja2

TYPST_SPECIAL = set('\\#$*_`<>@[]~"/=')
LATEX_SPECIAL = {
    "\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#",
    "_": r"\_", "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}",
    "−": "$-$", "<": r"\textless{}", ">": r"\textgreater{}", "β": r"$\beta$",
    "→": r"$\rightarrow$", "–": "--", "λ": r"$\lambda$", "α": r"$\alpha$",
    "χ": r"$\chi$", "²": r"$^2$", "≥": r"$\geq$", "≤": r"$\leq$",
}  # fmt: skip


def typst_escape(text) -> str:
    """Escape the characters that start markup in Typst content blocks."""
    return "".join("\\" + c if c in TYPST_SPECIAL else c for c in str(text))


def typst_code(text) -> str:
    """Typst markup that shows `text` verbatim in monospace (a file name, a column name):
    escapes do not work inside backticks, so the text goes into a #raw string.

    >>> print(typst_code('data/raw/my_file "v2".csv'))
    #raw("data/raw/my_file \\"v2\\".csv")
    """
    quoted = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return f'#raw("{quoted}")'


def typst_link(markup: str, source: str) -> str:
    """Typst markup that links to `source` when it shows a number (so every number in the
    PDF leads to the results file it came from).

    >>> typst_link(".42", "model/hypotheses.csv"), typst_link("Yes", "model/hypotheses.csv")
    ('#link("model/hypotheses.csv")[.42]', 'Yes')
    """
    if source and any(c.isdigit() for c in markup):
        return f'#link("{source}")[{markup}]'
    return markup


def latex_escape(text) -> str:
    """Escape LaTeX specials; minus signs and arrows become math so any engine prints them."""
    return "".join(LATEX_SPECIAL.get(c, c) for c in str(text))


@dataclass(frozen=True)
class Table:
    """A formatted table: every cell is already a string in APA style."""

    name: str
    caption: str
    header: list[str]
    rows: list[list[str]]
    note: str
    align: list[str] = field(default_factory=list)
    source: str = ""  # results file the numbers come from, relative to the manuscript PDF


def template_environment(folder: str | Path | list) -> jinja2.Environment:
    """Jinja2 environment for the Typst, LaTeX and HTML templates in `folder` (or folders,
    searched in order).

    Comments use {## ##} because `{#` can occur in Typst code; undefined variables are
    errors, so a template never silently prints an empty number. HTML templates are
    autoescaped; Typst and LaTeX templates escape with the `typst` and `latex` filters, and
    `code` sets a file or column name verbatim in Typst.
    """
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(
            [str(f) for f in folder] if isinstance(folder, list) else str(folder)
        ),
        undefined=jinja2.StrictUndefined,
        comment_start_string="{##",
        comment_end_string="##}",
        keep_trailing_newline=True,
        autoescape=jinja2.select_autoescape(["html.j2"]),
    )
    environment.filters.update(
        typst=typst_escape, code=typst_code, latex=latex_escape, linked=typst_link
    )
    return environment


def render_table(table: Table, template: str | Path) -> str:
    """Render `table` with the Jinja2 template file `template` (table.<format>.j2)."""
    template = Path(template)
    return template_environment(template.parent).get_template(template.name).render(table=table)
