"""A standalone R script with which a reviewer refits the main model in lavaan.

The project never needs R; the script is written into the audit folder so that anyone with
R and lavaan can check the pipeline's estimates independently.
"""

from importlib import resources

import jinja2


def lavaan_check_script(*, study: str, model: str, items: list[str], script_path: str) -> str:
    """The R source of the check for `model` fitted to `items` of results/<study>/clean."""
    template = resources.files("surveysem").joinpath("templates/lavaan_check.R.j2").read_text()
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    if "'" in model:
        raise ValueError("the model syntax contains a single quote, which the R script cannot hold")
    return environment.from_string(template).render(
        study=study, model=model.strip(), items=items, script_path=script_path
    )
