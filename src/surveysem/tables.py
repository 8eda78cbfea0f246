"""Manuscript tables: each function turns results files into one formatted Table.

Every cell is formatted here, in APA style (surveysem.formatting), so the Typst, LaTeX and
HTML renderings of surveysem.rendering print the same strings.
"""

import pandas as pd

from surveysem import formatting as fmt
from surveysem.rendering import Table
from surveysem.sem.measures.indices import reported_fit


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
            fmt.interval(row["boot.bca.lower"], row["boot.bca.upper"], 3),
            "Yes" if row["supported"] else "No",
        ]
        for row in hypotheses.to_dict("records")
    ]
    return Table(
        name="hypotheses",
        caption="Structural paths and hypothesis tests",
        header=["Hypothesis", "Path", "B", "SE", "z", "p", "β", "95% CI (BCa)", "Supported"],
        rows=rows,
        note=(
            "B = unstandardized estimate; SE = standard error (ML, expected information); "
            "β = completely standardized estimate (lavaan std.all); CI = bootstrap "
            "bias-corrected and accelerated interval of B. A hypothesis is supported "
            "when the estimate has the expected sign and "
            f"p < {fmt.number(alpha, 2, bounded=True)} (two-sided). {abbreviations(constructs)}"
        ),
        align=["left", "left"] + ["right"] * 6 + ["center"],
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
                    row["label"],
                    fmt.count(row["n"]),
                    fmt.number(row["percent"], 1),
                ]
                + ([fmt.number(row["weighted_percent"], 1)] if weighted else [])
            )
    note = "Percentages of the cleaned sample."
    if profile["percent"].isna().any():
        note += " Not answered: counted, but left out of the percentages."
    if weighted:
        note += (
            " Weighted % uses the design weights (inverse inclusion probabilities): the "
            "estimated share in the population rather than in the sample."
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
            "are item means; other variables are compared on the natural log. Welch's t test; "
            f"g = Hedges' g (early minus late). {abbreviations(constructs)}"
        ),
        align=["left"] + ["right"] * 5,
    )


def _construct_label(name: str, constructs: dict[str, str]) -> str:
    return f"{constructs[name].capitalize()} ({name})" if name in constructs else name


def measurement_table(
    estimates: pd.DataFrame,
    reliability: pd.DataFrame,
    wordings: dict[str, str],
    constructs: dict[str, str],
    reverse_keyed: list[str] = (),
) -> Table:
    """Items with their wording and standardized loading, and each construct's alpha, CR, AVE;
    the note names the reverse-keyed items (scored reversed before any analysis)."""
    loadings = estimates[estimates.op == "=~"]
    rows = []
    for construct in reliability.to_dict("records"):
        name = construct["construct"]
        rows.append(
            [
                _construct_label(name, constructs),
                "",
                fmt.number(construct["alpha"], 2, bounded=True),
                fmt.number(construct["omega"], 2, bounded=True),
                fmt.number(construct["ave"], 2, bounded=True),
            ]
        )
        for item in loadings[loadings.lhs == name].to_dict("records"):
            wording = wordings.get(item["rhs"], "")
            rows.append(
                [f"  {item['rhs']}: {wording}", fmt.number(item["std.all"], 2, bounded=True)]
                + [""] * 3
            )
    return Table(
        name="measurement",
        caption="Measurement model: items, standardized loadings and reliability",
        header=["Construct and item", "λ", "α", "CR", "AVE"],
        rows=rows,
        note=(
            "λ = completely standardized loading from the confirmatory factor analysis; "
            "α = Cronbach's alpha; CR = composite reliability (omega, semTools compRelSEM); "
            "AVE = average variance extracted."
            + (
                f" Reverse-worded items, scored reversed: {', '.join(reverse_keyed)}."
                if reverse_keyed
                else ""
            )
        ),
        align=["left", "right", "right", "right", "right"],
    )


def discriminant_table(fornell_larcker: pd.DataFrame, htmt: pd.DataFrame) -> Table:
    """Fornell–Larcker matrix (√AVE on the diagonal, correlations below) with HTMT above."""
    names = fornell_larcker["construct"].tolist()
    matrix = fornell_larcker.set_index("construct")
    ratio = {(r["construct_1"], r["construct_2"]): r["htmt"] for r in htmt.to_dict("records")}
    rows = []
    for i, a in enumerate(names):
        cells = []
        for j, b in enumerate(names):
            if j <= i:
                cells.append(fmt.number(matrix.loc[a, b], 2, bounded=True))
            else:
                cells.append(fmt.number(ratio.get((a, b), ratio.get((b, a))), 2, bounded=True))
        rows.append([a, *cells])
    return Table(
        name="discriminant",
        caption="Discriminant validity",
        header=["", *names],
        rows=rows,
        note=(
            "Diagonal: square root of the AVE. Below the diagonal: latent correlations from the "
            "confirmatory factor analysis (Fornell–Larcker criterion: each correlation below "
            "both square roots). Above the diagonal: heterotrait–monotrait ratios (HTMT)."
        ),
        align=["left"] + ["right"] * len(names),
    )


def fit_table(fits: dict[str, dict], thresholds: dict, estimation: str) -> Table:
    """Fit of the compared models (lavaan fitMeasures, the versions of
    :func:`~surveysem.sem.measures.indices.reported_fit`), with the estimation and cut-offs in the
    note. ``estimation``: the estimation options in words (e.g.
    :func:`surveysem.sem.entry.estimation_text`)."""
    reported = {name: reported_fit(fit) for name, fit in fits.items()}
    rows = [
        [
            name,
            fmt.number(fit["chisq"], 2),
            fmt.number(fit["df"], 0 if float(fit["df"]).is_integer() else 2),
            fmt.number(fit["cfi"], 3, bounded=True),
            fmt.number(fit["tli"], 3, bounded=True),
            fmt.number(fit["rmsea"], 3, bounded=True),
            fmt.number(fit["srmr"], 3, bounded=True),
            fmt.number(fit.get("aic", float("nan")), 1),
            fmt.number(fit.get("bic", float("nan")), 1),
        ]
        for name, fit in reported.items()
    ]
    cut = {k: thresholds[k] for k in ("cfi", "tli", "rmsea", "srmr")}
    rule = "; ".join(
        f"{k.upper()} {'≥' if v['direction'] == 'min' else '≤'} "
        f"{fmt.number(v['value'], 2, bounded=True)}"
        for k, v in cut.items()
    )
    versions = {fit["indices"] for fit in reported.values()}
    indices = (
        "scaled χ² and robust CFI, TLI and RMSEA"
        if versions == {"robust"}
        else "scaled χ², CFI, TLI and RMSEA (their robust versions could not be computed)"
        if versions == {"scaled"}
        else "indices"
    )  # fmt: skip
    return Table(
        name="fit",
        caption="Model fit",
        header=["Model", "χ²", "df", "CFI", "TLI", "RMSEA", "SRMR", "AIC", "BIC"],
        rows=rows,
        note=f"{estimation[0].upper()}{estimation[1:]}; {indices} as defined by lavaan. "
        f"Cut-offs: {rule}.",
        align=["left"] + ["right"] * 8,
    )


def _stars(p: float) -> str:
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def robustness_table(summary: pd.DataFrame, verdicts: pd.DataFrame, descriptions: dict) -> Table:
    """Standardized estimate of every hypothesis under every variant, and the verdicts."""
    hypotheses = list(dict.fromkeys(summary["id"]))
    rows = []
    for variant, group in summary.groupby("variant", sort=False):
        by_id = group.set_index("id")
        cells = [
            fmt.number(by_id.loc[h, "std.all"], 2, bounded=True) + _stars(by_id.loc[h, "pvalue"])
            for h in hypotheses
        ]
        label = "Main model" if variant == "main" else descriptions.get(variant, variant)
        rows.append([label, *cells])
    robust = verdicts.set_index("id")["robust"]
    rows.append(["Robust in every variant", *("Yes" if robust[h] else "No" for h in hypotheses)])
    return Table(
        name="robustness",
        caption="Robustness of the hypothesis tests",
        header=["Variant", *hypotheses],
        rows=rows,
        note=(
            "Completely standardized estimates; * p < .05, ** p < .01, *** p < .001. A "
            "hypothesis is robust when every variant agrees with the main model on its sign "
            "and on whether it is supported. Leave-one-item-out shows the least favourable "
            "refit."
        ),
        align=["left"] + ["right"] * len(hypotheses),
    )


#: What each invariance level holds equal, as the table note says it.
LEVEL_NOTES = {
    "configural": "Configural: same factor structure.",
    "metric": "Metric: equal loadings.",
    "scalar": "Scalar: equal loadings and intercepts.",
    "strict": "Strict: also equal residual variances.",
    "thresholds": "Thresholds: equal thresholds of the ordinal items (Wu & Estabrook, 2016).",
    "thresholds_loadings": "Thresholds_loadings: equal thresholds and loadings.",
}


def _statistics_note(sequences: dict[str, pd.DataFrame]) -> str:
    """Which chi-square, CFI and difference test the invariance table shows, when not the
    standard ones (a sequence of a robust estimator), and whether the models were fitted by
    FIML."""
    table = pd.concat(sequences.values()) if sequences else pd.DataFrame()
    indices = set(table.get("indices", pd.Series(dtype=str)).dropna())
    methods = set(table.get("delta_method", pd.Series(dtype=str)).fillna("")) - {""}
    note = ""
    if indices & {"robust", "scaled"}:
        kind = "robust" if indices == {"robust"} else "scaled"
        note += f" χ² is the scaled statistic and CFI and RMSEA the {kind} ones."
    if "satorra.bentler.2001" in methods:
        note += " Δχ² is the Satorra–Bentler (2001) scaled difference."
    elif indices and not methods and "standard" not in indices:
        note += " No Δχ² test: it is not implemented for this estimator (WLSMV)."
    if "fiml" in set(table.get("missing", pd.Series(dtype=str)).dropna()):
        note += (
            " Every model was fitted by full-information maximum likelihood to all responses "
            "with at least one answer (missing at random assumed); χ² compares it with each "
            "group's saturated model."
        )
    return note


def invariance_table(sequences: dict[str, pd.DataFrame]) -> Table:
    """The nested invariance models per grouping, with the difference tests."""
    levels = [level for sequence in sequences.values() for level in sequence["level"]]
    rows = []
    for grouping, sequence in sequences.items():
        for i, row in enumerate(sequence.to_dict("records")):
            first = i == 0
            rows.append(
                [
                    grouping if first else "",
                    row["level"],
                    f"{fmt.number(row['chisq'], 2)} ({int(row['df'])})",
                    fmt.number(row["cfi"], 3, bounded=True),
                    fmt.number(row["rmsea"], 3, bounded=True),
                    ""
                    if first
                    else f"{fmt.number(row['delta_chisq'], 2)} ({int(row['delta_df'])})",
                    "" if first else fmt.pvalue(row["delta_pvalue"]),
                    "" if first else fmt.number(row["delta_cfi"], 3, bounded=True),
                    row["verdict"],
                ]
            )
    return Table(
        name="invariance",
        caption="Measurement invariance across groups",
        header=[
            "Grouping",
            "Model",
            "χ² (df)",
            "CFI",
            "RMSEA",
            "Δχ² (Δdf)",
            "p",
            "ΔCFI",
            "Verdict",
        ],  # fmt: skip
        rows=rows,
        note=(
            " ".join(LEVEL_NOTES[level] for level in dict.fromkeys(levels) if level in LEVEL_NOTES)
            + _statistics_note(sequences)
            + " Each model is compared with the one before it; a level is retained when CFI "
            "drops by no more than .01 (Cheung & Rensvold, 2002)."
        ),
        align=["left", "left"] + ["right"] * 6 + ["left"],
    )


def indirect_table(indirect: pd.DataFrame, level: float) -> Table:
    """Indirect, total indirect and total effects with delta-method and bootstrap intervals."""
    kinds = {"indirect": "Indirect", "total_indirect": "Total indirect", "total": "Total"}
    rows = [
        [
            row["path"].replace("->", "→"),
            kinds.get(row["kind"], row["kind"]),
            fmt.number(row["est"], 3),
            fmt.number(row["se"], 3),
            fmt.pvalue(row["pvalue"]),
            fmt.number(row["std.all"], 2, bounded=True),
            fmt.interval(row["perc.lower"], row["perc.upper"], 3),
            fmt.interval(row["bca.lower"], row["bca.upper"], 3),
        ]
        for row in indirect.to_dict("records")
    ]
    percent = f"{level:.0%}"
    return Table(
        name="indirect",
        caption="Indirect and total effects",
        header=[
            "Effect",
            "Kind",
            "B",
            "SE",
            "p",
            "β",
            f"{percent} CI (percentile)",
            f"{percent} CI (BCa)",
        ],  # fmt: skip
        rows=rows,
        note=(
            "B = product of the unstandardized paths; SE and p from the delta method (Sobel); "
            "β = product of the standardized paths. Confidence intervals from the "
            "nonparametric bootstrap: percentile and bias-corrected and accelerated (BCa)."
        ),
        align=["left", "left"] + ["right"] * 6,
    )


def residuals_table(largest: pd.DataFrame) -> Table:
    """The largest standardized residual correlations of the structural model."""
    rows = [
        [row["var1"], row["var2"], fmt.number(row["residual"], 3, bounded=True)]
        for row in largest.to_dict("records")
    ]
    return Table(
        name="residuals",
        caption="Largest residual correlations of the hypothesized model",
        header=["Variable", "Variable", "Residual"],
        rows=rows,
        note=(
            "Observed minus model-implied correlation (lavaan cor.bentler, the residuals SRMR "
            "averages); the largest in absolute value show where the model fits worst."
        ),
        align=["left", "left", "right"],
    )
