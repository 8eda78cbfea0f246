"""Hypothesis tests: one directional path of the structural model per hypothesis."""

import numpy as np
import pandas as pd

from surveysem.errors import InputError

COLUMNS = [
    "id", "path", "lhs", "op", "rhs", "expected", "est", "se", "z", "pvalue",
    "ci.lower", "ci.upper", "std.all", "supported",
]  # fmt: skip


def is_supported(est, pvalue, expected: str, alpha: float):
    """The Wald decision rule: the estimate has the `expected` sign ("positive" or
    "negative") and its two-sided p-value is below `alpha`. Works on scalars and arrays; a
    NaN estimate or p-value is never supported.

    >>> is_supported(np.array([0.3, 0.3, -0.3]), np.array([0.01, 0.2, 0.01]), "positive", 0.05)
    array([ True, False, False])
    """
    sign = 1 if expected == "positive" else -1
    return (np.sign(est) == sign) & (np.asarray(pvalue) < alpha)


def split_path(path: str) -> tuple[str, str]:
    """A hypothesis path ``"outcome ~ predictor"`` as (outcome, predictor).

    >>> split_path("CRP ~ CO")
    ('CRP', 'CO')
    """
    lhs, rhs = (part.strip() for part in path.split("~"))
    return lhs, rhs


def path_position(table: pd.DataFrame, hypothesis: dict) -> int:
    """Position (0-based) in `table` (lavaan lhs, op, rhs columns) of the regression that
    `hypothesis` names; InputError when the model has no such regression."""
    lhs, rhs = split_path(hypothesis["path"])
    match = np.flatnonzero((table["lhs"] == lhs) & (table["op"] == "~") & (table["rhs"] == rhs))
    if len(match) == 0:
        raise InputError(
            f"hypothesis {hypothesis['id']} names the path '{lhs} ~ {rhs}', which is not a "
            "regression in the model; add it to the model or correct the hypothesis"
        )
    return int(match[0])


def evaluate_hypotheses(
    estimates: pd.DataFrame, hypotheses: list[dict], alpha: float
) -> pd.DataFrame:
    """Look up each hypothesized path in `estimates` and decide whether it is supported.

    A hypothesis `outcome ~ predictor` is supported when the unstandardized estimate has the
    expected sign and its two-sided Wald p-value is below `alpha` (the config's
    `support.alpha`). Equivalently, the one-sided test in the expected direction rejects at
    alpha / 2.

    Parameters
    ----------
    estimates : DataFrame in lavaan parameterEstimates layout (lhs, op, rhs, est, se, ...).
    hypotheses : the config's list of {id, path, expected}.
    alpha : significance level.

    Examples
    --------
    >>> est = pd.DataFrame({"lhs": ["y"], "op": ["~"], "rhs": ["x"], "est": [0.4],
    ...     "se": [0.1], "z": [4.0], "pvalue": [6e-5], "ci.lower": [0.2],
    ...     "ci.upper": [0.6], "std.all": [0.35]})
    >>> evaluate_hypotheses(est, [{"id": "H1", "path": "y ~ x", "expected": "positive"}],
    ...     0.05)["supported"].tolist()
    [True]
    """
    rows = []
    for hypothesis in hypotheses:
        lhs, rhs = split_path(hypothesis["path"])
        path = estimates.iloc[path_position(estimates, hypothesis)]
        supported = bool(is_supported(path["est"], path["pvalue"], hypothesis["expected"], alpha))
        rows.append(
            {
                "id": hypothesis["id"],
                "path": f"{rhs} -> {lhs}",
                "lhs": lhs,
                "op": "~",
                "rhs": rhs,
                "expected": hypothesis["expected"],
                **{key: path[key] for key in COLUMNS[6:13]},
                "supported": supported,
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS)


BOOTSTRAP_COLUMNS = {
    "perc.lower": "boot.perc.lower",
    "perc.upper": "boot.perc.upper",
    "bca.lower": "boot.bca.lower",
    "bca.upper": "boot.bca.upper",
}


def add_bootstrap_intervals(
    tested: pd.DataFrame, intervals: pd.DataFrame, test: str
) -> pd.DataFrame:
    """Add the bootstrap intervals of each path and, for test "percentile" or "bca", decide
    support by them: the interval must lie entirely on the expected side of zero.

    `intervals` is surveysem.sem.resampling.bootstrap.bootstrap_ci output for the same model.
    With test "wald" the decision of evaluate_hypotheses (sign and p < alpha) stands.
    """
    boot = intervals[["lhs", "op", "rhs", *BOOTSTRAP_COLUMNS]].rename(columns=BOOTSTRAP_COLUMNS)
    merged = tested.merge(boot, on=["lhs", "op", "rhs"], how="left", validate="one_to_one")
    if test != "wald":
        kind = "perc" if test == "percentile" else "bca"
        lower, upper = merged[f"boot.{kind}.lower"], merged[f"boot.{kind}.upper"]
        positive = merged["expected"] == "positive"
        merged["supported"] = (positive & (lower > 0)) | (~positive & (upper < 0))
    return merged
