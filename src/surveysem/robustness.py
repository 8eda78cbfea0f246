"""Robustness variants: the same hypotheses under other reasonable analytic choices.

Each variant changes one thing — the estimator, the treatment of missing data, the sample,
the measurement approach or the control for common method variance — and reports the
hypothesized paths in the same layout as the main model, so `robustness_summary` can set
them side by side and say which conclusions survive every variant.
"""

import numpy as np
import pandas as pd
import pingouin as pg

from surveysem.cleaning import analysis_rows
from surveysem.codebook import Codebook
from surveysem.hypotheses import evaluate_hypotheses, split_path
from surveysem.preflight import observed_variables, variant_conflicts
from surveysem.sem import (
    UnsupportedModelError,
    factor_indicators,
    fit,
    parse_syntax,
    solution_warnings,
)
from surveysem.sem.entry import config_options
from surveysem.sem.measures.indices import reported_fit
from surveysem.sem.results.estimates import COLUMNS as ESTIMATE_COLUMNS

METHOD_FACTOR = "METHOD"


def structural_lines(model: str) -> list[str]:
    """The regression statements of the model, one `outcome ~ predictor` per line."""
    return [f"{s.lhs} ~ {s.rhs}" for s in parse_syntax(model).statements if s.op == "~"]


def drop_item(model: str, item: str) -> str:
    """The model with `item` removed from its factor (lavaan syntax, regressions kept).

    >>> print(drop_item("A =~ a1 + a2 + a3\\nB =~ b1 + b2\\nB ~ A", "a2"))
    A =~ a1 + a3
    B =~ b1 + b2
    B ~ A
    """
    factors = factor_indicators(model)
    lines = [
        f"{factor} =~ {' + '.join(i for i in items if i != item)}"
        for factor, items in factors.items()
    ]
    return "\n".join(lines + structural_lines(model))


def method_factor_model(model: str) -> str:
    """The model plus an unmeasured latent method factor (ULMC) loading on every item.

    The method factor is uncorrelated with the substantive factors (Podsakoff et al. 2003,
    Table 5; Williams, Cote & Buckley 1989) and its loadings are all fixed at 1 with its
    variance free: one common response tendency that affects every item alike (Richardson,
    Simmering & Sturman 2009). With free loadings the ULMC is often empirically
    under-identified, and with a standardized factor and equal free loadings the information
    matrix is singular when the method variance is zero; a free variance stays estimable
    (and may come out near zero or negative, which the solution report flags).

    >>> print(method_factor_model("A =~ a1 + a2\\nB =~ b1 + b2\\nB ~ A"))
    A =~ a1 + a2
    B =~ b1 + b2
    B ~ A
    METHOD =~ 1*a1 + 1*a2 + 1*b1 + 1*b2
    METHOD ~~ 0*A + 0*B
    """
    factors = factor_indicators(model)
    items = [i for members in factors.values() for i in members]
    lines = [f"{f} =~ {' + '.join(members)}" for f, members in factors.items()]
    return "\n".join(
        lines
        + structural_lines(model)
        + [
            f"{METHOD_FACTOR} =~ " + " + ".join(f"1*{item}" for item in items),
            f"{METHOD_FACTOR} ~~ " + " + ".join(f"0*{f}" for f in factors),
        ]
    )


def composite_paths(data: pd.DataFrame, model: str) -> pd.DataFrame:
    """Path analysis on composite scores: one OLS regression per structural equation.

    Each construct is scored as the mean of its items (reverse-keyed items already
    recoded) and observed covariates enter as they are; every outcome is regressed on its
    predictors by ordinary least squares (pingouin.linear_regression). `std.all` is the
    coefficient of the same regression on z-scored variables. Unlike the latent model,
    composites carry measurement error, so paths are attenuated (Bollen 1989, ch. 5).
    Columns follow lavaan's parameterEstimates (p-values and CIs from the t distribution
    with n − k − 1 df).
    """
    factors = factor_indicators(model)
    scores = pd.DataFrame({f: data[items].mean(axis=1) for f, items in factors.items()})
    equations: dict[str, list[str]] = {}
    for line in structural_lines(model):
        outcome, predictor = (part.strip() for part in line.split("~"))
        equations.setdefault(outcome, []).append(predictor)
    for name in {v for outcome, vs in equations.items() for v in [outcome, *vs]} - set(factors):
        scores[name] = data[name]  # an observed covariate enters as it is
    standardized = (scores - scores.mean()) / scores.std(ddof=1)
    rows = []
    for outcome, predictors in equations.items():
        raw = pg.linear_regression(scores[predictors], scores[outcome], coef_only=False)
        std = pg.linear_regression(standardized[predictors], standardized[outcome])
        for predictor in predictors:
            r = raw.set_index("names").loc[predictor]
            rows.append(
                {"lhs": outcome, "op": "~", "rhs": predictor, "label": "", "est": r["coef"],
                 "se": r["se"], "z": r["T"], "pvalue": r["pval"], "ci.lower": r["CI2.5"],
                 "ci.upper": r["CI97.5"], "std.lv": np.nan,
                 "std.all": std.set_index("names").loc[predictor, "coef"]}
            )  # fmt: skip
    return pd.DataFrame(rows)


def leave_one_item_out(
    data: pd.DataFrame, model: str, hypotheses: list[dict], alpha: float, fit
) -> pd.DataFrame:
    """Refit the model once without each item; the hypothesis tests of every refit.

    `fit(syntax, data) -> estimates` fits one model (the main estimator). Items of factors
    with fewer than three indicators are kept, since a two-item factor cannot lose one.
    Returns the hypotheses tables stacked, with a `dropped_item` column.
    """
    tables = []
    for factor, items in factor_indicators(model).items():
        if len(items) < 3:
            continue
        for item in items:
            tested = evaluate_hypotheses(fit(drop_item(model, item), data), hypotheses, alpha)
            tables.append(tested.assign(dropped_item=item, factor=factor))
    return pd.concat(tables, ignore_index=True)


FIT_COLUMNS = ["chisq", "df", "cfi", "rmsea", "srmr", "indices"]


def robustness_summary(
    main: pd.DataFrame,
    variants: dict[str, pd.DataFrame],
    fits: dict[str, dict] | None = None,
) -> pd.DataFrame:
    """Per hypothesis and variant: std.all, CI, p, support and the variant's fit.

    `fits` maps "main" and each variant to its fit measures (lavaan names), shown in the
    version a report shows (:func:`~surveysem.sem.measures.indices.reported_fit`: the scaled
    chi-square and robust indices of robust estimators, named in ``indices``); measures a
    variant does not have (e.g. the composite path analysis) are left empty.

    `main` and each variant are hypotheses tables (surveysem.hypotheses). A hypothesis is
    robust when every variant supports it exactly as the main model does (same sign, same
    significance); the variants that disagree are named.
    """
    frames = [main.assign(variant="main")] + [
        table.assign(variant=name) for name, table in variants.items()
    ]
    stacked = pd.concat(frames, ignore_index=True)
    # The CI of the standardized estimate rescales the Wald CI by std.all / est, i.e. treats
    # the standardization factor as fixed (delta-method CIs of std.all would also vary it).
    ratio = stacked["std.all"] / stacked["est"]
    stacked["std.ci.lower"] = np.minimum(stacked["ci.lower"] * ratio, stacked["ci.upper"] * ratio)
    stacked["std.ci.upper"] = np.maximum(stacked["ci.lower"] * ratio, stacked["ci.upper"] * ratio)
    columns = ["id", "path", "variant", "est", "ci.lower", "ci.upper", "std.all",
               "std.ci.lower", "std.ci.upper", "pvalue", "supported"]  # fmt: skip
    given = {name: (fits or {}).get(name, {}) for name in ["main", *variants]}
    shown = {name: reported_fit(m) if "chisq" in m else m for name, m in given.items()}
    fit = pd.DataFrame(
        [{"variant": name, **{k: measures.get(k) for k in FIT_COLUMNS}}
         for name, measures in shown.items()]
    )  # fmt: skip
    return stacked[columns].merge(fit, on="variant", how="left")


def robustness_verdicts(summary: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis: robust or not, and the variants that disagree with the main.

    Variants without an estimate (not available for the model, see :func:`run_variant`) are
    not counted and are named in ``unavailable_variants``.
    """
    rows = []
    for hypothesis, group in summary.groupby("id", sort=False):
        main = group[group.variant == "main"].iloc[0]
        tested = group[group["est"].notna() | (group.variant == "main")]
        agree = (np.sign(tested["est"]) == np.sign(main["est"])) & (
            tested["supported"] == main["supported"]
        )
        disagree = tested.loc[~agree, "variant"].tolist()
        rows.append(
            {
                "id": hypothesis,
                "path": main["path"],
                "supported_main": bool(main["supported"]),
                "variants": len(tested) - 1,
                "robust": not disagree,
                "disagreeing_variants": ", ".join(disagree),
                "unavailable_variants": ", ".join(group.variant[~group.index.isin(tested.index)]),
            }
        )
    return pd.DataFrame(rows)


def leave_one_out_summary(tests: pd.DataFrame) -> pd.DataFrame:
    """One row per hypothesis from the leave-one-item-out refits: the least favourable refit.

    The row kept is the refit with the largest p-value (the weakest evidence), with the
    range of the standardized estimate over all refits (`std.all.min`, `std.all.max`) and
    the number of refits supporting the hypothesis, so the summary can judge whether the
    conclusion depends on any single item.
    """
    rows = []
    for _, group in tests.groupby("id", sort=False):
        worst = group.loc[group["pvalue"].idxmax()].copy()
        worst["std.all.min"] = group["std.all"].min()
        worst["std.all.max"] = group["std.all"].max()
        worst["refits_supporting"] = int(group["supported"].sum())
        worst["refits"] = len(group)
        worst["supported"] = bool(group["supported"].all())
        rows.append(worst)
    return pd.DataFrame(rows).reset_index(drop=True)


def variant_rows(clean: pd.DataFrame, spec: dict) -> pd.DataFrame:
    """The cleaned respondents a variant analyses (outliers dropped, subset kept)."""
    if spec["exclude_outliers"]:
        clean = clean[~clean["mv_outlier"].astype(bool)]
    if "subset" in spec:
        clean = clean[clean[spec["subset"]["column"]].isin(spec["subset"]["values"])]
    return clean


def run_variant(
    spec: dict,
    clean: pd.DataFrame,
    model: str,
    codebook: Codebook,
    hypotheses: list[dict],
    alpha: float,
) -> dict:
    """Fit the hypothesized model under one variant of the config's robustness block.

    The variant's ``estimator`` and ``missing`` (the study's estimation unless it sets its
    own) and ``weights`` go to :func:`surveysem.sem.fit` together; a combination that cannot
    be honoured is refused (:func:`~surveysem.preflight.variant_conflicts`).

    Returns {"estimates", "fit", "hypotheses", "decisions"}: the estimates table, the fit
    measures (lavaan names), the hypothesis tests in the main model's layout, and what the
    variant decided (rows used, admissibility). For leave-one-item-out, "estimates" holds the
    hypothesized paths of every refit and "hypotheses" the least favourable refit per
    hypothesis (leave_one_out_summary).
    """
    if conflicts := variant_conflicts(spec):  # refused at the start of a run, too
        raise ValueError("; ".join(conflicts))
    model = model + ("\n" + spec["add"] if "add" in spec else "")
    variables = observed_variables(model, codebook)
    options = config_options(spec) | {"sampling_weights": spec.get("weights")}
    data = analysis_rows(variant_rows(clean, spec), variables, options["missing"])
    decisions = {"n": len(data), "method": spec["method"], "estimator": options["estimator"],
                 "missing": options["missing"]}  # fmt: skip
    try:
        if spec["method"] == "leave_one_item_out":

            def refit(syntax, subset):
                return fit(syntax, subset, **options).estimates

            refits = leave_one_item_out(data, model, hypotheses, alpha, refit)
            refit_count = int(refits["dropped_item"].nunique())
            return {
                "estimates": refits,
                "fit": {"ntotal": len(data), "refits": refit_count},
                "hypotheses": leave_one_out_summary(refits),
                "decisions": decisions | {"refits": refit_count},
            }
        if spec["method"] == "composite":
            estimates, measures = composite_paths(data, model), {"ntotal": len(data)}
        else:
            syntax = method_factor_model(model) if spec["method"] == "method_factor" else model
            result = fit(syntax, data, **options)
            estimates, measures = result.estimates, result.measures
            decisions |= {  # every estimator's solution is judged alike
                "n": result.n,
                "admissible": result.solution["admissible"],
                "problems": result.solution["problems"],
                "warnings": solution_warnings(
                    result.solution, f"Robustness variant {spec['name']}"
                ),
            }
    except UnsupportedModelError as error:
        # e.g. FIML or WLSMV for a model with covariates: the other variants still run
        estimates, measures = untested_paths(hypotheses), {"ntotal": len(data)}
        decisions |= {
            "available": False,
            "warnings": [f"Robustness variant {spec['name']} is not available: {error}"],
        }
    return {
        "estimates": estimates,
        "fit": measures,
        "hypotheses": evaluate_hypotheses(estimates, hypotheses, alpha),
        "decisions": decisions,
    }


def untested_paths(hypotheses: list[dict]) -> pd.DataFrame:
    """An estimates table (lavaan columns) with the hypothesized paths and no values, for a
    variant that cannot be estimated: its hypotheses are not tested.

    >>> untested_paths([{"id": "H1", "path": "FP ~ PP", "expected": "positive"}])[["lhs", "est"]]
      lhs  est
    0  FP  NaN
    """
    paths = [split_path(h["path"]) for h in hypotheses]
    table = pd.DataFrame({"lhs": [p[0] for p in paths], "op": "~", "rhs": [p[1] for p in paths]})
    return table.reindex(columns=ESTIMATE_COLUMNS).astype({"label": str}).fillna({"label": ""})
