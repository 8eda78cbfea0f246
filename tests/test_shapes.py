"""Model shapes a researcher can write in lavaan syntax: single-indicator factors, observed
covariates, models that do not converge, and the bootstrap's limit on failed draws.

Where the expected numbers come from:

* lavaan 0.6.14: tests/golden/lavaan/make_shapes_golden.R (estimates, fit measures, the
  parameter table of a model with covariates, and lavaan's own non-convergence on one data
  set);
* simulation with known truth (a covariate effect recovered within sampling error);
* hand calculation (OLS on composite scores with numpy, the sample variance of a covariate,
  the draw counts at which the bootstrap must stop).
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    KEY,
    assert_estimates_match,
    assert_measures_close,
    common_measures,
    golden_estimates,
    golden_fit,
    read_golden,
)
from matplotlib.patches import Rectangle

from surveysem.cleaning import analysis_rows
from surveysem.codebook import load_codebook
from surveysem.figures import bootstrap_distributions, observed_in, path_diagram
from surveysem.hypotheses import evaluate_hypotheses
from surveysem.item_analysis import item_total
from surveysem.measurement_summary import measurement_checks
from surveysem.preflight import model_problems, observed_variables
from surveysem.reliability import htmt_table, reliability_table
from surveysem.robustness import (
    composite_paths,
    robustness_summary,
    robustness_verdicts,
    run_variant,
)
from surveysem.sem import (
    fit as sem_fit,
)
from surveysem.sem import (
    fit_measures,
    fit_model,
    measurement_syntax,
    modification_indices,
    parameter_estimates,
    solution_problems,
    solution_report,
    solution_warnings,
)
from surveysem.sem.examples import two_factor_data
from surveysem.sem.resampling.bootstrap import (
    INTERVAL_COLUMNS,
    bootstrap_ci,
    bootstrap_draws,
    jackknife_estimates,
    refit_resamples,
    resample_indices,
)
from surveysem.sem.resampling.refit import Refit, Refitter
from surveysem.validity import fornell_larcker, fornell_larcker_verdicts

SINGLE_MODEL = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7
textual ~ visual + speed
"""
COVARIATE_MODEL = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
visual  ~ ageyr + sex
textual ~ visual + ageyr
speed   ~ textual
"""
THRESHOLDS = {
    "alpha": {"value": 0.70, "direction": "min"},
    "omega": {"value": 0.70, "direction": "min"},
    "ave": {"value": 0.50, "direction": "min"},
    "htmt": {"value": 0.85, "direction": "max"},
    "cfi": {"value": 0.90, "direction": "min"},
    "tli": {"value": 0.90, "direction": "min"},
    "rmsea": {"value": 0.08, "direction": "max"},
    "srmr": {"value": 0.08, "direction": "max"},
    "harman": {"value": 0.50, "direction": "max"},
}


@pytest.fixture(scope="module")
def single_fit(hs_data):
    return fit_model(SINGLE_MODEL, hs_data)


# ----------------------------------------------------------------- single-indicator factors


def test_single_indicator_factor_matches_lavaan(single_fit):
    """lavaan fixes the loading of x7 at 1 and its residual variance at 0 (golden files)."""
    pe = parameter_estimates(single_fit)
    assert_estimates_match(pe, golden_estimates("hs_single_ml"), key=KEY)
    fm, gold = fit_measures(single_fit), golden_fit("hs_single_ml")
    assert_measures_close(fm, gold, common_measures(fm, gold), nan_matches_nan=True)
    row = next(r for r in single_fit.partable.rows if r.lhs == r.rhs == "x7")
    assert (row.free, row.value) == (0, 0.0)


def test_fixed_zero_residual_variance_is_admissible(single_fit):
    """A variance the model fixes is no Heywood case (lavaan's post-check: no warning)."""
    assert solution_problems(single_fit) == []
    report = solution_report(single_fit)
    assert report["admissible"] and solution_warnings(report, "The model") == []


def test_fixed_zero_residual_variance_never_makes_a_draw_improper(hs_data):
    """Each draw is improper exactly when a fresh fit to its rows has a problem."""
    boot = bootstrap_draws(SINGLE_MODEL, hs_data, range(12), seed=1)
    per_draw = boot.drop_duplicates("draw").set_index("draw")
    for draw in per_draw.index[per_draw["converged"]]:
        rows = hs_data.iloc[resample_indices(len(hs_data), draw, 1)].reset_index(drop=True)
        expected = bool(solution_problems(fit_model(SINGLE_MODEL, rows)))
        assert per_draw.loc[draw, "improper"] == expected, draw
    assert not per_draw["improper"].all()


def test_single_item_construct_statistics_are_not_applicable(hs_data):
    """Alpha, omega, AVE, item-total, HTMT and Fornell-Larcker need two or more items."""
    single = sem_fit(SINGLE_MODEL, hs_data)
    table = reliability_table(single.estimates, single.sample_cov, hs_data)
    table = table.set_index("construct")
    assert table.loc["speed", ["alpha", "omega", "ave"]].isna().all()
    assert table.loc["speed", "note"].startswith("not applicable to speed")
    assert (table.loc[["visual", "textual"], "note"] == "").all()
    constructs = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7"]}
    pairs = htmt_table(hs_data, constructs)
    with_speed = pairs["construct_2"] == "speed"
    assert pairs.loc[with_speed, "htmt"].isna().all()
    assert pairs.loc[with_speed, "note"].str.contains("HTMT needs two or more items").all()
    assert (pairs.loc[~with_speed, "note"] == "").all()
    assert item_total(hs_data, constructs).set_index("item").loc["x7", "note"] != ""
    verdicts = fornell_larcker_verdicts(
        fornell_larcker(single.estimates, table.reset_index()), table["note"]
    )
    assert verdicts.set_index("pair")["applicable"].to_dict() == {
        "visual-textual": True, "visual-speed": False, "textual-speed": False,
    }  # fmt: skip

    fit = {"cfi": 0.95, "tli": 0.95, "rmsea": 0.05, "srmr": 0.05}
    checks = measurement_checks(
        table.reset_index(), pairs, fit, {"pca": {"variance_share": 0.3}}, THRESHOLDS
    )
    speed = checks["subject"].str.contains("speed")
    assert len(checks[speed]) == 5  # alpha, omega, AVE; HTMT with visual and textual
    assert not checks.loc[speed, "applicable"].any()
    assert checks.loc[~speed, "applicable"].all()
    assert (checks.loc[speed, "note"] != "").all() and (checks.loc[~speed, "note"] == "").all()


# ----------------------------------------------------------------------- observed covariates


def test_covariate_parameter_table_matches_lavaan(hs_data):
    """Rows, free/fixed and lavaan's exo flag of the fixed.x (co)variances."""
    pt = fit_model(COVARIATE_MODEL, hs_data).partable
    ours = pd.DataFrame(
        [(r.lhs, r.op, r.rhs, r.free > 0, int(r.exo)) for r in pt.rows],
        columns=["lhs", "op", "rhs", "free", "exo"],
    )
    gold = read_golden("hs_covariates_partable.csv").assign(free=lambda g: g["free"] > 0)
    pd.testing.assert_frame_equal(ours, gold, check_dtype=False)
    assert pt.ov_x == ["ageyr", "sex"]


@pytest.mark.parametrize("estimator", ["ML", "MLR", "GLS", "ULS", "WLSMV"])
def test_covariates_match_lavaan(hs_data, estimator):
    """Estimates and every fit measure: lavaan fixes the covariates' moments for ML and MLR
    (fixed.x: conditional likelihood, df and baseline without them) and frees them for GLS,
    ULS and WLSMV on continuous items (DWLS, whose baseline also frees the covariates'
    covariance, with its scaled-and-shifted and robust measures)."""
    fit = fit_model(COVARIATE_MODEL, hs_data, estimator=estimator)
    assert fit.converged, fit.message
    name = f"hs_covariates_{estimator.lower()}"
    assert_estimates_match(parameter_estimates(fit), golden_estimates(name), key=KEY)
    fm, gold = fit_measures(fit), golden_fit(name)
    assert list(fm) == list(gold.index)
    relative = {k: 1e-3 for k in ("chisq", "chisq.scaled", "baseline.chisq", "aic", "bic")}
    assert_measures_close(fm, gold, relative=relative, nan_matches_nan=True)


def test_modification_indices_with_covariates_match_lavaan(hs_data):
    """Every index we report is lavaan's; lavaan also lists the covariates' own (co)variances
    and regressions of a covariate, which are left out (modindices module docstring)."""
    ours = modification_indices(fit_model(COVARIATE_MODEL, hs_data))
    gold = read_golden("hs_covariates_modindices.csv")
    both = gold.merge(ours, on=KEY, suffixes=("_lavaan", ""))
    assert len(both) == len(ours)
    np.testing.assert_allclose(both["mi"], both["mi_lavaan"], atol=1e-3)
    np.testing.assert_allclose(both["epc"], both["epc_lavaan"], atol=1e-3)
    left_out = gold[~gold.set_index(KEY).index.isin(both.set_index(KEY).index)]
    covariate = left_out["lhs"].isin(["ageyr", "sex"])
    assert covariate.all(), left_out


def test_refit_with_covariates_equals_a_fresh_fit(hs_data):
    """A bootstrap refit fixes the covariates' moments at the resample's, as a new fit does."""
    rows = np.arange(0, len(hs_data), 2)
    refit = refit_resamples(COVARIATE_MODEL, hs_data, [rows])
    fresh = parameter_estimates(fit_model(COVARIATE_MODEL, hs_data.iloc[rows]))
    np.testing.assert_allclose(refit["est"], fresh["est"], atol=1e-8)
    np.testing.assert_allclose(refit["std.all"], fresh["std.all"], atol=1e-8)
    half = hs_data.iloc[rows]["ageyr"]
    exo = refit.query("lhs == 'ageyr' and rhs == 'ageyr'")["est"].item()
    assert exo == pytest.approx(half.var(ddof=0))  # by hand: the N-divisor sample variance


def test_covariate_effect_is_recovered_from_simulated_data():
    """Simulated truth: F = 0.4 G + 0.3 x + zeta, Var(zeta) = 0.5, x in its raw units."""
    rng = np.random.default_rng(12)
    n = 4000
    x = rng.normal(3.0, 2.0, n)
    g = rng.normal(size=n)
    f = 0.4 * g + 0.3 * x + rng.normal(scale=np.sqrt(0.5), size=n)
    data = pd.DataFrame({"x": x})
    for name, factor, loading in [("f", f, [1, 0.8, 0.7]), ("g", g, [1, 0.9, 0.6])]:
        for j, lam in enumerate(loading, start=1):
            data[f"{name}{j}"] = lam * factor + rng.normal(scale=0.6, size=n)
    model = "F =~ f1 + f2 + f3\nG =~ g1 + g2 + g3\nF ~ G + x"
    pe = parameter_estimates(fit_model(model, data)).set_index(["lhs", "op", "rhs"])
    truth = {("F", "~", "x"): 0.3, ("F", "~", "G"): 0.4, ("F", "=~", "f2"): 0.8,
             ("F", "~~", "F"): 0.5}  # fmt: skip
    for key, value in truth.items():
        assert abs(pe.loc[key, "est"] - value) < 3.5 * pe.loc[key, "se"], key
    assert pe.loc[("x", "~~", "x"), "est"] == pytest.approx(x.var())  # fixed at S (N divisor)
    assert pe.loc[("x", "~~", "x"), "se"] == 0


def test_hypothesis_on_a_covariate_path(hs_data):
    """The path visual ~ sex is tested like any other (values: lavaan golden file)."""
    pe = parameter_estimates(fit_model(COVARIATE_MODEL, hs_data))
    hypothesis = [{"id": "H", "path": "visual ~ sex", "expected": "negative"}]
    tested = evaluate_hypotheses(pe, hypothesis, 0.05).iloc[0]
    gold = golden_estimates("hs_covariates_ml").set_index(KEY).loc[("visual", "~", "sex")]
    assert tested["est"] == pytest.approx(gold["est"], abs=1e-4)
    assert tested["pvalue"] == pytest.approx(gold["pvalue"], abs=1e-4)
    assert tested["supported"] == bool(gold["est"] < 0 and gold["pvalue"] < 0.05)


CODEBOOK = "data/codebook/cai2009.datapackage.json"
BUNDLED_MODEL = """CO  =~ co1 + co2 + co3
CS  =~ cs1 + cs2 + cs3
FP  =~ fp1 + fp2 + fp3 + fp4
FP  ~ CO + CS + {covariate}
"""


def test_covariates_are_numeric_codebook_columns(root):
    codebook = load_codebook(root / CODEBOOK)
    model = BUNDLED_MODEL.format(covariate="employees")
    assert "employees" in observed_variables(model, codebook)
    assert model_problems(model, [], codebook) == []
    (text,) = model_problems(BUNDLED_MODEL.format(covariate="industry"), [], codebook)
    assert "model line 4 ('FP  ~ CO + CS + industry')" in text
    assert "'industry' has type string" in text and "recode it as numbers" in text
    (pii,) = model_problems(BUNDLED_MODEL.format(covariate="resp_email"), [], codebook)
    assert "personal data" in pii
    (unknown,) = model_problems(BUNDLED_MODEL.format(covariate="log_size"), [], codebook)
    assert "'log_size' is neither a factor of the model nor a column of codebook" in unknown


def test_measurement_stage_leaves_covariates_out(root):
    codebook = load_codebook(root / CODEBOOK)
    model = BUNDLED_MODEL.format(covariate="employees") + "employees ~~ employees\n"
    cfa = measurement_syntax(model)
    assert "employees" not in cfa
    assert "employees" not in observed_variables(cfa, codebook)
    variables = observed_variables(model, codebook)
    data = pd.DataFrame({name: [1.0, 2.0, 3.0] for name in variables})
    data.loc[1, "employees"] = np.nan
    assert len(analysis_rows(data, variables)) == 2  # listwise deletion covers covariates


def test_composite_variant_with_a_covariate(hs_data):
    """OLS of the composite paths against numpy least squares on the same scores."""
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ visual + ageyr"
    got = composite_paths(hs_data, model).set_index("rhs")["est"]
    design = np.column_stack(
        [np.ones(len(hs_data)), hs_data[["x1", "x2", "x3"]].mean(axis=1), hs_data["ageyr"]]
    )
    beta = np.linalg.lstsq(design, hs_data[["x4", "x5", "x6"]].mean(axis=1), rcond=None)[0]
    np.testing.assert_allclose(got[["visual", "ageyr"]], beta[1:], atol=1e-10)


def test_unavailable_variant_is_reported_and_not_counted(hs_data, root, tmp_path):
    """FIML does not support covariates: the variant says so and the verdicts skip it."""
    codebook = load_codebook(root / CODEBOOK)
    raw = pd.read_csv(root / "data/raw/cai2009_survey.csv")
    model = BUNDLED_MODEL.format(covariate="employees")
    hypotheses = [{"id": "H1", "path": "FP ~ CO", "expected": "positive"}]
    spec = {"name": "fiml", "missing": "fiml", "method": "latent", "estimator": "ML",
            "exclude_outliers": False}  # fmt: skip
    result = run_variant(spec, raw, model, codebook, hypotheses, 0.05)
    (warning,) = result["decisions"]["warnings"]
    assert warning.startswith("Robustness variant fiml is not available")
    assert "'employees'" in warning and result["decisions"]["available"] is False
    assert result["hypotheses"]["est"].isna().all()
    main = evaluate_hypotheses(
        parameter_estimates(
            fit_model(model, analysis_rows(raw, observed_variables(model, codebook)))
        ),
        hypotheses,
        0.05,
    )
    verdicts = robustness_verdicts(robustness_summary(main, {"fiml": result["hypotheses"]}))
    assert verdicts.loc[0, "robust"] and verdicts.loc[0, "variants"] == 0
    assert verdicts.loc[0, "unavailable_variants"] == "fiml"


def test_figures_draw_observed_variables_and_empty_bootstrap(hs_data):
    pe = parameter_estimates(fit_model(COVARIATE_MODEL, hs_data))
    assert observed_in(pe) == {"ageyr", "sex"}
    r2 = pd.DataFrame({"lhs": ["visual"], "r2": [0.1]})
    axes = path_diagram(pe, r2, 0.05).axes[0]
    assert sum(isinstance(p, Rectangle) for p in axes.patches) == 2
    empty = pd.DataFrame(columns=["effect", "kind", "path", "est", "perc.lower", "perc.upper"])
    figure = bootstrap_distributions(pd.DataFrame(columns=["op", "lhs", "est"]), empty)
    assert "no indirect effects" in figure.axes[0].texts[0].get_text()


# ------------------------------------------------------------- models that do not converge


@pytest.fixture(scope="module")
def nonconverging(hs_data):
    """Rows on which lavaan does not converge either (golden hs_single_nonconverging_*)."""
    rows = read_golden("hs_single_nonconverging_rows.csv")["row"].to_numpy() - 1
    assert not read_golden("hs_single_nonconverging_lavaan.csv")["converged"].item()
    return hs_data.iloc[rows].reset_index(drop=True)


def test_nonconvergence_is_reported_not_raised(nonconverging):
    fit = fit_model(SINGLE_MODEL, nonconverging)
    report = solution_report(fit)
    assert not report["converged"] and not report["admissible"]
    (sentence,) = solution_warnings(report, "The structural model")
    assert sentence.startswith("The structural model did not converge")
    assert np.isfinite(fit_measures(fit)["chisq"])  # the results can still be written


def test_nonconverged_model_is_not_bootstrapped(nonconverging):
    boot = bootstrap_draws(SINGLE_MODEL, nonconverging, range(5), seed=1)
    status = boot.attrs["status"]
    assert boot.empty and status["attempted"] == 0 and status["stopped_early"]
    assert "did not converge on the full sample" in status["reason"]
    assert jackknife_estimates(SINGLE_MODEL, nonconverging).empty
    pe = parameter_estimates(fit_model(SINGLE_MODEL, nonconverging))
    ci = bootstrap_ci(boot, pe, unusable=status["reason"])
    assert ci[INTERVAL_COLUMNS].isna().all().all() and (ci["note"] == status["reason"]).all()


def test_bootstrap_stops_once_too_many_draws_failed(monkeypatch):
    """Every refit but each fourth fails: after the first 50 draws 37 have failed (hand
    count: draws 0, 4, ..., 48 succeed), more than half, so the draws stop there."""
    original = Refitter.refit
    calls = []

    def flaky(self, s, n):
        calls.append(1)
        out = original(self, s, n)
        if len(calls) % 4 != 1:
            return Refit(False, False, out.est * np.nan, out.se * np.nan, out.std * np.nan)
        return out

    monkeypatch.setattr(Refitter, "refit", flaky)
    data = two_factor_data(n=120)
    boot = bootstrap_draws("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3", data, range(200), 1,
                           max_failed_share=0.5)  # fmt: skip
    status = boot.attrs["status"]
    assert (status["attempted"], status["failed"], status["stopped_early"]) == (50, 37, True)
    assert status["reason"].startswith("37 of 50 attempted bootstrap draws failed")
    calls.clear()
    lenient = bootstrap_draws("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3", data, range(60), 1,
                              max_failed_share=0.8)  # fmt: skip
    assert lenient.attrs["status"]["attempted"] == 60 and not lenient.attrs["status"]["reason"]
    calls.clear()
    few = bootstrap_draws("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3", data, range(8), 1,
                          max_failed_share=0.5)  # fmt: skip
    # fewer draws than the minimum: judged once all 8 are attempted (6 failed)
    assert (few.attrs["status"]["attempted"], few.attrs["status"]["failed"]) == (8, 6)
    assert not few.attrs["status"]["stopped_early"] and few.attrs["status"]["reason"]
