"""A standalone R script with which a reviewer refits the main model in lavaan, and its verdict.

The project never needs R; the script is written into the audit folder so that anyone with
R and lavaan can check the pipeline's estimates independently. When R with lavaan is
installed, the workflow runs it (:func:`run_check`) and records a verdict: agree, disagree
(with the largest difference) or R failed (with the reason). A disagreement or a failure of R
is reported, never fatal: the second opinion must not stop the build.
"""

import math
import subprocess
from importlib import resources
from pathlib import Path

import jinja2
import pandas as pd

#: Columns of the agreement table the R script writes (one row per compared quantity).
AGREEMENT_COLUMNS = ["quantity", "compared", "max_abs_diff", "tolerance", "agrees", "lavaan"]


def lavaan_check_script(
    *,
    study: str,
    model: str,
    variables: list[str],
    script_path: str,
    estimation: dict | None = None,
) -> str:
    """The R source of the check for `model` fitted to the observed `variables` (items and
    covariates) of results/<study>/clean with the study's `estimation` (estimator and
    missing; default ML with listwise deletion; WLSMV treats the variables as ordered)."""
    estimation = estimation or {}
    estimator = estimation.get("estimator", "ML")
    template = resources.files("surveysem").joinpath("templates/lavaan_check.R.j2").read_text()
    environment = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    if "'" in model:
        raise ValueError("the model syntax contains a single quote, which the R script cannot hold")
    return environment.from_string(template).render(
        study=study,
        model=model.strip(),
        variables=variables,
        script_path=script_path,
        estimator=estimator,
        missing=estimation.get("missing", "listwise"),
        ordered=estimator == "WLSMV",
    )


def verdict(agreement: pd.DataFrame | None, failure: str = "") -> dict:
    """The verdict of the second opinion from its agreement table (None when R failed).

    Returns ``{"verdict", "sentence", "quantity", "max_abs_diff", "tolerance", "lavaan",
    "reason"}``: ``verdict`` is "agree" (every quantity within its tolerance), "disagree"
    or "R failed"; ``quantity``, ``max_abs_diff`` and ``tolerance`` describe the largest
    difference relative to its tolerance (empty when R failed); ``reason`` is why R failed.

    Examples
    --------
    >>> table = pd.DataFrame({"quantity": ["est", "se"], "compared": [60, 60],
    ...     "max_abs_diff": [2e-6, 0.01], "tolerance": [1e-3, 1e-3], "agrees": [True, False],
    ...     "lavaan": "0.6.14"})
    >>> verdict(table)["sentence"]
    'R lavaan 0.6.14 disagrees: se differs by up to 0.01 (tolerance 0.001).'
    >>> verdict(None, "lavaan ERROR: model did not converge")["verdict"]
    'R failed'
    """
    if agreement is None or agreement.empty:
        return {
            "verdict": "R failed",
            "sentence": f"The R lavaan check failed: {failure}.",
            "quantity": "",
            "max_abs_diff": math.nan,
            "tolerance": math.nan,
            "lavaan": "",
            "reason": failure,
        }
    agrees = agreement["agrees"].astype(str).str.upper() == "TRUE"  # R writes TRUE, FALSE, NA
    ratio = agreement["max_abs_diff"] / agreement["tolerance"].where(agreement["tolerance"] > 0, 1)
    worst = agreement.loc[ratio.fillna(math.inf).idxmax()]
    version = str(agreement["lavaan"].iloc[0])
    if agrees.all():
        sentence = f"R lavaan {version} agrees within every tolerance."
    else:
        sentence = (
            f"R lavaan {version} disagrees: {worst['quantity']} differs by up to "
            f"{worst['max_abs_diff']:.3g} (tolerance {worst['tolerance']:.3g})."
        )
    return {
        "verdict": "agree" if agrees.all() else "disagree",
        "sentence": sentence,
        "quantity": str(worst["quantity"]),
        "max_abs_diff": float(worst["max_abs_diff"]),
        "tolerance": float(worst["tolerance"]),
        "lavaan": version,
        "reason": "",
    }


def run_check(script: str | Path, agreement: str | Path, timeout: float = 600) -> tuple[str, dict]:
    """Run the R script with ``Rscript`` and judge its ``agreement`` table (the CSV it writes).

    Returns R's console output and :func:`verdict`. A missing ``Rscript``, a timeout, an R
    error (e.g. lavaan does not converge) or a missing table give the verdict "R failed"
    with the last error line as reason; a nonzero exit status with a table is a
    disagreement, which the table shows.
    """
    Path(agreement).unlink(missing_ok=True)
    try:
        done = subprocess.run(
            ["Rscript", str(script)], capture_output=True, text=True, timeout=timeout
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        return "", verdict(None, f"Rscript could not run ({error})")
    output = done.stdout + done.stderr
    if Path(agreement).is_file():
        return output, verdict(pd.read_csv(agreement))
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if "error" in line.lower()] or lines or ["no output"]
    return output, verdict(None, f"Rscript exited with status {done.returncode}: {errors[-1]}")
