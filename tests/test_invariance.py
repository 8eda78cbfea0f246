"""Multi-group SEM and measurement invariance against lavaan 0.6.14.

Golden files (tests/golden/lavaan/hs_mi_*; made by make_golden.R):
``cfa(hs_model, data = HS, group = "school", group.equal = ...)`` with group.equal none
(configural), "loadings" (metric) and c("loadings", "intercepts") (scalar). The published
lavaan tutorial printouts give chisq 115.851/48, 124.044/54 and 164.103/60.
Tolerances as in test_sem_parity.py: 1e-3 for estimates, SEs and standardized values; 5e-4
for fit indices; 1e-3 relative for chi-square. Score tests for releasing the scalar model's
constraints: hs_mi_scalar_score_tests/total.csv (lavTestScore, make_golden_combos.R).
"""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from lavaan_golden import (
    HS_MODEL,
    assert_estimates_match,
    assert_measures_close,
    common_measures,
    golden_estimates,
    golden_fit,
    missing_measures,
    read_golden,
)
from scipy import stats

from surveysem.errors import InputError
from surveysem.invariance import LEVELS, compare_structural_paths, invariance_sequence
from surveysem.sem import (
    ModelSpecError,
    UnsupportedModelError,
    fit_measures,
    fit_model,
    parameter_estimates,
)
from surveysem.sem.estimators.multigroup import (
    ESTIMATE_COLUMNS,
    fit_multigroup,
    multigroup_estimates,
    multigroup_fit_measures,
)
from surveysem.sem.estimators.score_tests import score_tests
from surveysem.sem.model.syntax import factor_indicators
from surveysem.tables import invariance_table

ROOT = Path(__file__).resolve().parents[1]
HS_SEM = HS_MODEL + "speed ~ visual + textual\n"

CASES = {
    "configural": ((), 115.851, 48),
    "metric": (("loadings",), 124.044, 54),
    "scalar": (("loadings", "intercepts"), 164.103, 60),
}
REQUIRED_FIT = [
    "npar",
    "fmin",
    "chisq",
    "df",
    "pvalue",
    "baseline.chisq",
    "baseline.df",
    "cfi",
    "tli",
    "nfi",
    "rmsea",
    "rmsea.ci.lower",
    "rmsea.ci.upper",
    "rmsea.pvalue",
    "srmr",
    "logl",
    "unrestricted.logl",
    "aic",
    "bic",
    "bic2",
    "ntotal",
]


@pytest.fixture(scope="module")
def hs_fits(hs_data):
    return {
        name: fit_multigroup(HS_MODEL, hs_data, "school", eq) for name, (eq, _, _) in CASES.items()
    }


# ---------------------------------------------------------------------------------------
# lavaan parity
# ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", list(CASES))
def test_estimates_match_lavaan(hs_fits, level):
    fit = hs_fits[level]
    assert fit.converged, fit.message
    assert fit.groups == ["Pasteur", "Grant-White"]  # order of first appearance, as lavaan
    pe = multigroup_estimates(fit)
    gold = golden_estimates(f"hs_mi_{level}")
    # rows, order and .pK. labels; values within 1e-3
    key = ["lhs", "op", "rhs", "block", "group", "label"]
    assert_estimates_match(pe, gold, key=key, columns=ESTIMATE_COLUMNS)


@pytest.mark.parametrize("level", list(CASES))
def test_fit_measures_match_lavaan(hs_fits, level):
    fm = multigroup_fit_measures(hs_fits[level])
    gold = golden_fit(f"hs_mi_{level}")
    assert not missing_measures(fm, REQUIRED_FIT)
    common = common_measures(fm, gold)
    assert len(common) == len(fm)  # every measure we report is one lavaan reports
    assert_measures_close(fm, gold, common)


@pytest.mark.parametrize("level", list(CASES))
def test_published_chisq(hs_fits, level):
    _, chisq, df = CASES[level]
    fm = multigroup_fit_measures(hs_fits[level])
    assert fm["chisq"] == pytest.approx(chisq, abs=1e-3)
    assert fm["df"] == df
    assert fm["npar"] == 2 * (45 + 9) - df  # 2 groups x (p* + p) moments = 108


def test_group_order_follows_the_data(hs_data, hs_fits):
    flipped = fit_multigroup(HS_MODEL, hs_data.iloc[::-1], "school", ("loadings",))
    assert flipped.groups == ["Grant-White", "Pasteur"]
    a = multigroup_estimates(hs_fits["metric"])
    b = multigroup_estimates(flipped)
    swap = b.assign(group=3 - b["group"]).sort_values(["group"], kind="stable")
    np.testing.assert_allclose(swap["est"], a["est"], atol=1e-8)
    assert multigroup_fit_measures(flipped)["chisq"] == pytest.approx(124.044, abs=1e-3)


# ---------------------------------------------------------------------------------------
# consistency with the single-group engine (independent of lavaan)
# ---------------------------------------------------------------------------------------


def test_configural_sem_equals_separate_group_fits(hs_data):
    """Unconstrained groups with saturated means: the stacked fit is the separate fits."""
    mg = fit_multigroup(HS_SEM, hs_data, "school")
    pe = multigroup_estimates(mg)
    total = 0.0
    for g, school in enumerate(mg.groups, start=1):
        single = fit_model(HS_SEM, hs_data[hs_data["school"] == school])
        total += fit_measures(single)["chisq"]
        spe = parameter_estimates(single)
        sub = pe[(pe["group"] == g) & (pe["op"] != "~1")].reset_index(drop=True)
        assert (
            sub[["lhs", "op", "rhs"]].values.tolist() == spe[["lhs", "op", "rhs"]].values.tolist()
        )
        for col in ["est", "se", "std.all"]:
            np.testing.assert_allclose(sub[col], spe[col], atol=1e-6, err_msg=col)
        means = pe[(pe["group"] == g) & (pe["op"] == "~1")].set_index("lhs")["est"]
        observed = hs_data.loc[hs_data["school"] == school, mg.ov_names].mean()
        np.testing.assert_allclose(means[mg.ov_names], observed, atol=1e-6)
    assert multigroup_fit_measures(mg)["chisq"] == pytest.approx(total, rel=1e-8)


def test_scalar_identification_and_labels(hs_fits):
    pe = multigroup_estimates(hs_fits["scalar"])
    means = pe[(pe["op"] == "~1") & pe["lhs"].isin(["visual", "textual", "speed"])]
    assert (means.loc[means["group"] == 1, "est"] == 0).all()
    assert (means.loc[means["group"] == 1, "se"] == 0).all()
    assert (means.loc[means["group"] == 2, "se"] > 0).all()  # free latent means in group 2
    ints = pe[(pe["op"] == "~1") & pe["lhs"].str.startswith("x")]
    assert ints.groupby("lhs")["est"].nunique().max() == 1
    assert ints.groupby("lhs")["label"].nunique().max() == 1
    assert all(label.startswith(".p") for label in ints["label"])


def test_partial_invariance(hs_data, hs_fits):
    fit = fit_multigroup(
        HS_MODEL, hs_data, "school", ("loadings", "intercepts"), partial=("x3 ~1",)
    )
    fm = multigroup_fit_measures(fit)
    assert fm["df"] == 59 and fm["npar"] == 49
    metric = multigroup_fit_measures(hs_fits["metric"])["chisq"]
    scalar = multigroup_fit_measures(hs_fits["scalar"])["chisq"]
    assert metric < fm["chisq"] < scalar
    pe = multigroup_estimates(fit)
    x3 = pe[(pe["lhs"] == "x3") & (pe["op"] == "~1")]
    assert list(x3["label"]) == ["", ""] and x3["est"].nunique() == 2


def test_user_labels_are_equal_across_groups(hs_data):
    fit = fit_multigroup(HS_MODEL.replace("x2", "a*x2"), hs_data, "school")
    pe = multigroup_estimates(fit)
    x2 = pe[(pe["op"] == "=~") & (pe["rhs"] == "x2")]
    assert list(x2["label"]) == ["a", "a"] and x2["est"].nunique() == 1
    assert multigroup_fit_measures(fit)["df"] == 49


# ---------------------------------------------------------------------------------------
# invariance sequence and structural comparisons
# ---------------------------------------------------------------------------------------


def test_invariance_sequence_against_golden_chisq(hs_data):
    seq = invariance_sequence(HS_MODEL, hs_data, "school")
    gold = {lv: golden_fit(f"hs_mi_{lv}") for lv in CASES}
    assert list(seq["level"]) == ["configural", "metric", "scalar"]
    for i, (prev, cur) in enumerate([("configural", "metric"), ("metric", "scalar")], start=1):
        d_chisq = gold[cur]["chisq"] - gold[prev]["chisq"]
        d_df = gold[cur]["df"] - gold[prev]["df"]
        row = seq.iloc[i]
        assert row["delta_chisq"] == pytest.approx(d_chisq, abs=1e-3)
        assert row["delta_df"] == d_df == 6
        assert row["delta_pvalue"] == pytest.approx(stats.chi2.sf(d_chisq, d_df), abs=1e-4)
        assert row["delta_cfi"] == pytest.approx(gold[cur]["cfi"] - gold[prev]["cfi"], abs=5e-4)
        assert row["delta_rmsea"] == pytest.approx(
            gold[cur]["rmsea"] - gold[prev]["rmsea"], abs=5e-4
        )
    # published: 124.044 - 115.851 = 8.192 on 6 df; 164.103 - 124.044 = 40.059 on 6 df
    assert seq["delta_chisq"].iloc[1:].round(3).tolist() == pytest.approx([8.192, 40.059], abs=2e-3)
    assert np.isnan(seq["delta_chisq"].iloc[0])
    # Delta CFI: metric -0.0025 (retained), scalar -0.0385 (rejected)
    assert list(seq["verdict"]) == ["reference", "retained", "rejected"]
    assert list(seq["holds"]) == [True, True, False]
    assert seq.attrs["highest_level"] == "metric"
    for col in ["npar", "chisq", "df", "cfi", "tli", "rmsea", "srmr"]:
        assert col in seq


def test_invariance_sequence_criteria(hs_data):
    chisq = invariance_sequence(HS_MODEL, hs_data, "school", criterion="chisq")
    assert list(chisq["verdict"]) == ["reference", "retained", "rejected"]  # p = .224, <.001
    strict = invariance_sequence(
        HS_MODEL, hs_data, "school", ("configural", "metric"), delta_cfi_cutoff=0.0
    )
    assert list(strict["verdict"]) == ["reference", "rejected"]
    assert strict.attrs["highest_level"] == "configural"
    both = invariance_sequence(
        HS_MODEL, hs_data, "school", ("metric", "scalar", "strict"), criterion="both"
    )
    assert list(both["df"]) == [54, 60, 69]
    assert list(both["holds"]) == [True, False, False]


def test_sequence_uses_measurement_model_of_a_sem(hs_data):
    seq = invariance_sequence(HS_SEM, hs_data, "school", ("configural",))
    assert seq["chisq"].iloc[0] == pytest.approx(115.851, abs=1e-3)


def test_compare_structural_paths(hs_data):
    res = compare_structural_paths(HS_SEM, hs_data, "school", "metric")
    assert res[["lhs", "op", "rhs"]].values.tolist() == [
        ["speed", "~", "visual"],
        ["speed", "~", "textual"],
    ]
    assert list(res["delta_df"]) == [1.0, 1.0]
    # LR test: refit with the path equal, independently of compare_structural_paths
    base = multigroup_fit_measures(fit_multigroup(HS_SEM, hs_data, "school", LEVELS["metric"]))
    for _, row in res.iterrows():
        key = f"{row['lhs']}~{row['rhs']}"
        con = fit_multigroup(HS_SEM, hs_data, "school", ("loadings",), equal_params=(key,))
        pe = multigroup_estimates(con)
        path = pe[(pe["op"] == "~") & (pe["lhs"] == row["lhs"]) & (pe["rhs"] == row["rhs"])]
        assert path["est"].nunique() == 1
        d = multigroup_fit_measures(con)["chisq"] - base["chisq"]
        assert row["delta_chisq"] == pytest.approx(d, abs=1e-8)
        assert row["pvalue"] == pytest.approx(stats.chi2.sf(d, 1), abs=1e-10)
        assert row["differs"] == (row["pvalue"] < 0.05)
        # Wald and LR are asymptotically equivalent
        assert abs(row["wald"] - row["delta_chisq"]) < 0.25 * max(row["delta_chisq"], 1.0)
    assert res.attrs["groups"] == ["Pasteur", "Grant-White"]


def _assert_group_estimates_match(ours, gold):
    """A path's estimate and SE in each school against lavaan's (R writes Grant.White)."""
    for column in ("est.Pasteur", "est.Grant-White", "se.Pasteur", "se.Grant-White"):
        assert ours[column] == pytest.approx(gold[column.replace("-", ".")], abs=1e-3)


@pytest.mark.parametrize("estimator", ["GLS", "ULS"])
def test_compare_structural_paths_by_least_squares_matches_lavaan(hs_data, estimator):
    """Under GLS and ULS each path is tested by the difference of the least-squares
    chi-squares of the model with that path equal and the metric model, as lavaan's
    anova() (make_golden_paths.R; ULS gets a p-value there too)."""
    gold = read_golden("hs_mi_paths_least_squares.csv")
    gold = gold[gold["estimator"] == estimator].set_index("rhs")
    res = compare_structural_paths(HS_SEM, hs_data, "school", "metric", estimator=estimator)
    res = res.set_index("rhs")
    for rhs, row in gold.iterrows():
        _assert_group_estimates_match(res.loc[rhs], row)
        assert res.loc[rhs, "delta_chisq"] == pytest.approx(row["delta_chisq"], rel=1e-3)
        assert res.loc[rhs, "delta_df"] == row["delta_df"]
        assert res.loc[rhs, "pvalue"] == pytest.approx(row["pvalue"], abs=5e-4)


@pytest.mark.parametrize("level", ["configural", "thresholds_loadings"])
def test_compare_structural_paths_of_ordered_items_by_wald_matches_lavaan(level):
    """Under WLSMV (ordered items) the Wald test of each path from the unconstrained fit and
    its robust SEs decides, as lavaan's lavTestWald() on the WLSMV fit (make_golden_paths.R);
    the chi-square difference columns are NaN (no scaled-and-shifted difference test)."""
    gold = read_golden("hs_mi_ordinal_paths_wald.csv")
    gold = gold[gold["level"] == level].set_index("rhs")
    data = read_golden("hs_ordinal_group_data.csv")
    res = compare_structural_paths(HS_SEM, data, "school", level, estimator="WLSMV")
    res = res.set_index("rhs")
    for rhs, row in gold.iterrows():
        _assert_group_estimates_match(res.loc[rhs], row)
        assert res.loc[rhs, "wald"] == pytest.approx(row["wald"], rel=1e-3)
        assert res.loc[rhs, "wald_pvalue"] == pytest.approx(row["wald_pvalue"], abs=5e-4)
        assert res.loc[rhs, "differs"] == (row["wald_pvalue"] < 0.05)
        assert np.isnan(res.loc[rhs, "delta_chisq"]) and np.isnan(res.loc[rhs, "pvalue"])


def test_compare_structural_paths_by_fiml():
    """With missing="fiml" every fit (the unconstrained and each path held equal) is a FIML
    fit of all incomplete rows; the LR test is the difference of their likelihood-ratio
    chi-squares (the saturated models are the same, so it is 2 (logL_free - logL_equal))."""
    data = read_golden("hs_missing_data.csv")
    res = compare_structural_paths(HS_SEM, data, "school", "metric", missing="fiml")
    base = fit_multigroup(HS_SEM, data, "school", LEVELS["metric"], missing="fiml")
    assert base.missing == "fiml" and base.ntotal == 301 and base.converged
    for _, row in res.iterrows():
        key = f"{row['lhs']}~{row['rhs']}"
        con = fit_multigroup(HS_SEM, data, "school", LEVELS["metric"], equal_params=(key,),
                             missing="fiml")  # fmt: skip
        d = 2 * (base.likelihoods.logl - con.likelihoods.logl)
        assert row["delta_chisq"] == pytest.approx(d, abs=1e-6) and row["delta_df"] == 1
        assert abs(row["wald"] - row["delta_chisq"]) < 0.25 * max(row["delta_chisq"], 1.0)


def test_wald_at_configural_matches_separate_fits(hs_data):
    """Independent groups: Wald = (b1 - b2)^2 / (se1^2 + se2^2) from two single-group fits."""
    res = compare_structural_paths(HS_SEM, hs_data, "school", "configural").set_index("rhs")
    ests = {}
    for school in ["Pasteur", "Grant-White"]:
        pe = parameter_estimates(fit_model(HS_SEM, hs_data[hs_data["school"] == school]))
        ests[school] = pe[pe["op"] == "~"].set_index("rhs")
    for rhs in ["visual", "textual"]:
        b1, b2 = ests["Pasteur"].loc[rhs], ests["Grant-White"].loc[rhs]
        wald = (b1["est"] - b2["est"]) ** 2 / (b1["se"] ** 2 + b2["se"] ** 2)
        assert res.loc[rhs, "wald"] == pytest.approx(wald, rel=1e-6)
        assert res.loc[rhs, "est.Pasteur"] == pytest.approx(b1["est"], abs=1e-6)
        assert res.loc[rhs, "se.Grant-White"] == pytest.approx(b2["se"], abs=1e-6)


# ---------------------------------------------------------------------------------------
# bundled study: speed and convergence
# ---------------------------------------------------------------------------------------


def test_study_sized_models_converge_in_few_iterations():
    """The bundled study's invariance models (21 items, two waves) converge by Fisher
    scoring in well under 100 iterations (about 30; time is measured in benchmarks/)."""
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    model = config["model"]
    items = [i for inds in factor_indicators(model).values() for i in inds]
    raw = pd.read_csv(ROOT / "data" / "raw" / "cai2009_survey.csv")
    data = raw.dropna(subset=[*items, "wave"])
    data = data[data[items].ge(1).all(axis=1) & data[items].le(7).all(axis=1)]
    assert len(items) == 21 and 200 < len(data) < 320
    for equal in LEVELS.values():
        fit = fit_multigroup(model, data, "wave", equal)
        assert fit.converged, fit.message
        iterations = int(re.search(r"(\d+) iterations", fit.message).group(1))
        assert iterations < 100, fit.message


# ---------------------------------------------------------------------------------------
# bad input
# ---------------------------------------------------------------------------------------


def test_bad_input(hs_data):
    with pytest.raises(ModelSpecError, match="group.equal"):
        fit_multigroup(HS_MODEL, hs_data, "school", ("slopes",))
    with pytest.raises(ModelSpecError, match="not in the data"):
        fit_multigroup(HS_MODEL, hs_data, "schol")
    with pytest.raises(ModelSpecError, match="not in the model"):
        fit_multigroup(HS_MODEL, hs_data, "school", ("loadings",), partial=("visual=~x4",))
    with pytest.raises(InputError, match="at least 2"):
        fit_multigroup(HS_MODEL, hs_data.assign(school="one"), "school")
    with pytest.raises(InputError, match="missing values in x1"):
        fit_multigroup(
            HS_MODEL, hs_data.assign(x1=np.where(hs_data.index < 3, np.nan, 1.0)), "school"
        )
    with pytest.raises(InputError, match="missing values"):
        fit_multigroup(
            HS_MODEL, hs_data.assign(school=hs_data["school"].where(hs_data.index > 0)), "school"
        )
    with pytest.raises(UnsupportedModelError, match=":="):
        fit_multigroup(HS_MODEL + "d := 2\n", hs_data, "school")
    with pytest.raises(ModelSpecError, match="invariance level"):
        invariance_sequence(HS_MODEL, hs_data, "school", ("configural", "partial"))
    with pytest.raises(ModelSpecError, match="criterion"):
        invariance_sequence(HS_MODEL, hs_data, "school", criterion="aic")
    with pytest.raises(ModelSpecError, match="no structural path"):
        compare_structural_paths(HS_MODEL, hs_data, "school", "metric")


# ---------------------------------------------------------------------------------------
# score tests for releasing equality constraints (lavaan lavTestScore)
# ---------------------------------------------------------------------------------------


def test_score_tests_match_lavaan(hs_fits):
    """hs_mi_scalar_score_tests/total.csv: lavaan 0.6.14 lavTestScore() of the scalar model
    (make_golden_combos.R)."""
    uni, total = score_tests(hs_fits["scalar"])
    gold = read_golden("hs_mi_scalar_score_tests.csv")
    columns = ["lhs", "op", "rhs", "df", "lhs_param", "rhs_param"]
    assert uni[columns].astype(str).values.tolist() == gold[columns].astype(str).values.tolist()
    np.testing.assert_allclose(uni["X2"], gold["X2"], atol=1e-3)
    np.testing.assert_allclose(uni["p.value"], gold["p.value"], atol=1e-4)
    gold_total = read_golden("hs_mi_scalar_score_total.csv").iloc[0]
    assert total["df"] == gold_total["df"]
    assert total["X2"] == pytest.approx(gold_total["X2"], abs=1e-3)


def test_a_model_without_constraints_has_no_score_test(hs_fits):
    with pytest.raises(ValueError, match="no equality constraints"):
        score_tests(hs_fits["configural"])


@pytest.mark.parametrize(
    ("estimator", "missing"), [("ML", "listwise"), ("MLR", "listwise"), ("ML", "fiml"),
                               ("MLR", "fiml"), ("GLS", "listwise"), ("ULS", "listwise")]
)  # fmt: skip
def test_sequence_difference_test_matches_lavaan_per_estimator(hs_data, estimator, missing):
    """anova_estimators.csv (make_golden_difference.R): lavTestLRT(configural, metric) with
    estimator ML, GLS and ULS (standard; lavaan gives the ULS difference a p-value too) and
    MLR (Satorra-Bentler 2001), on complete data and by FIML on hs_missing_data.csv (lavaan
    missing = "ml")."""
    gold = read_golden("anova_estimators.csv")
    gold = gold[(gold.case == "hs_groups") & (gold.estimator == estimator)
                & (gold.missing == missing)].iloc[0]  # fmt: skip
    data = read_golden("hs_missing_data.csv") if missing == "fiml" else hs_data
    seq = invariance_sequence(
        HS_MODEL, data, "school", ("configural", "metric"), estimator=estimator, missing=missing
    ).set_index("level")
    assert (seq["missing"] == missing).all()
    metric = seq.loc["metric"]
    assert metric["delta_chisq"] == pytest.approx(gold["chisq_diff"], rel=2e-5)
    assert metric["delta_df"] == gold["df_diff"]
    assert metric["delta_pvalue"] == pytest.approx(gold["pvalue"], abs=1e-4)
    assert (metric["delta_method"] == "standard") == (estimator != "MLR")
    if estimator in ("GLS", "ULS"):  # the levels' own statistics are lavaan's least-squares ones
        gold_fit = golden_fit(f"hs_mi_metric_{estimator.lower()}")
        assert metric["chisq"] == pytest.approx(gold_fit["chisq"], rel=1e-5)
        assert metric["cfi"] == pytest.approx(gold_fit["cfi"], abs=5e-4)
        assert np.isnan(metric["pvalue"]) == (estimator == "ULS")
    # under MLR the table reports the scaled statistic and robust CFI of each level
    scaled = golden_fit("hs_mi_metric_mlr" + "_fiml" * (missing == "fiml"))
    if estimator == "MLR":
        assert metric["chisq"] == pytest.approx(scaled["chisq.scaled"], rel=1e-5)
        assert metric["cfi"] == pytest.approx(scaled["cfi.robust"], abs=5e-4)
    # and the table says which statistics it shows (nothing more for the standard ones)
    note = invariance_table({"school": seq.reset_index()}).note
    assert ("Satorra–Bentler (2001)" in note) == (estimator == "MLR")
    assert ("robust ones" in note) == (estimator == "MLR")
    assert ("full-information maximum likelihood" in note) == (missing == "fiml")


def test_ordinal_sequence_matches_lavaan():
    """ordinal_invariance.csv (make_golden_difference.R): lavaan 0.6.14 WLSMV fits of the
    configural, thresholds and thresholds-and-loadings models (Wu & Estabrook 2016)."""
    data = read_golden("hs_ordinal_group_data.csv")
    seq = invariance_sequence(HS_MODEL, data, "school", estimator="WLSMV").set_index("level")
    gold = read_golden("ordinal_invariance.csv").set_index("level")
    assert list(seq.index) == list(gold.index)
    # the table reports the scaled statistic and CFI; the difference test is not available
    np.testing.assert_allclose(seq["chisq"], gold["chisq.scaled"], rtol=1e-5)
    np.testing.assert_allclose(seq["cfi"], gold["cfi.scaled"], atol=5e-4)
    np.testing.assert_array_equal(seq["npar"], gold["npar"])
    assert seq["delta_pvalue"].isna().all() and seq["converged"].all()
    assert "No Δχ² test" in invariance_table({"school": seq.reset_index()}).note
    assert seq.loc["thresholds", "delta_cfi"] == pytest.approx(
        gold.loc["thresholds", "cfi.scaled"] - gold.loc["configural", "cfi.scaled"], abs=5e-4
    )
