"""Rule assess_validity: discriminant validity and common method variance (surveysem.validity)."""

from pathlib import Path

import pandas as pd

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.io import read_json, write_csv, write_json
from surveysem.preflight import parse_items
from surveysem.reliability import htmt
from surveysem.sem import factor_indicators, fit_model
from surveysem.step import run_step
from surveysem.validity import (
    compare_fits,
    fornell_larcker,
    fornell_larcker_verdicts,
    harman_single_factor,
)


def htmt_pairs(constructs: dict, data: pd.DataFrame) -> pd.DataFrame:
    """Both HTMT variants as one long table, one row per pair of constructs."""
    classic, geometric = htmt(data, constructs, htmt2=False), htmt(data, constructs)
    names = list(constructs)
    return pd.DataFrame(
        [
            {
                "construct_1": a,
                "construct_2": b,
                "htmt": classic.loc[a, b],
                "htmt2": geometric.loc[a, b],
            }
            for i, a in enumerate(names)
            for b in names[i + 1 :]
        ]
    )


def main(inputs, outputs, params, log):
    syntax = Path(inputs["syntax"]).read_text(encoding="utf-8")
    items = parse_items(syntax, load_codebook(inputs["codebook"]))
    data = analysis_rows(pd.read_csv(inputs["data"]), items, params["missing_data"])
    fit = fit_model(syntax, data)
    table = fornell_larcker(fit)
    verdicts = fornell_larcker_verdicts(table)
    write_csv(table.rename_axis("construct").reset_index(), outputs["fornell_larcker"])
    write_csv(verdicts, outputs["fornell_larcker_verdicts"])
    pairs = htmt_pairs(factor_indicators(syntax), data)
    write_csv(pairs, outputs["htmt"])
    harman = harman_single_factor(data, items)
    write_json(harman, outputs["harman"])
    fits = {"one factor": harman["cfa"]["fit"], "measurement model": read_json(inputs["fit"])}
    comparison = compare_fits(fits)
    write_csv(comparison, outputs["method_comparison"])
    log.info(
        "Fornell-Larcker holds for %d of %d pairs; largest HTMT %.3f; Harman first component "
        "%.1f%%, one-factor CFA mean squared loading %.1f%%",
        verdicts["holds"].sum(), len(verdicts), pairs["htmt"].max(),
        100 * harman["pca"]["variance_share"], 100 * harman["cfa"]["mean_sq_std_loading"],
    )  # fmt: skip
    return {
        "fornell_larcker_holds": int(verdicts["holds"].sum()),
        "pairs": len(verdicts),
        "harman_variant_reported": "first unrotated principal component (SPSS style)",
    }


run_step(snakemake, main)
