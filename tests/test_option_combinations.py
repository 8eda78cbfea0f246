"""Parity with lavaan 0.6.14 for combined options, through the one public entry `fit()`
(golden files made by make_golden_combos.R and make_golden.R).

Covered here: MLR on the PoliticalDemocracy SEM with `:=` effects (robust delta-method SEs
of the defined parameters), MLR with sampling weights, MLR with FIML (robust FIML: sandwich
SEs and the Yuan-Bentler scaled test) on the CFA and on the SEM with `:=` effects, WLSMV
with ordered items, WLSMV on continuous items in one and in several groups (configural,
metric, scalar), GLS and ULS in several groups (configural, metric, scalar), the
multi-group metric model (ML, MLR, MLR with sampling weights) and several groups with FIML
(configural and metric by ML, metric by MLR, and metric with sampling weights; golden files
of make_golden_groups.R); sampling weights with GLS and ULS (one group and metric invariance)
and with ordered items (one group, and thresholds and loadings equal across schools); and
that every other combination
of lavaan's options is refused with a message naming them, never fitted another way.
Tolerances as in test_sem_parity.py: 1e-3 for estimates, SEs and standardized values, 5e-4
for fit indices.
"""

import itertools

import numpy as np
import pytest
from lavaan_golden import (
    HS_MODEL,
    PD_MODEL,
    PE_COLUMNS,
    assert_estimates_match,
    assert_measures_close,
    common_measures,
    golden_estimates,
    golden_fit,
    read_golden,
)

from surveysem.sem import UnsupportedModelError, estimation_problems, fit
from surveysem.sem.entry import ESTIMATORS
from surveysem.sem.estimators.multigroup import ESTIMATE_COLUMNS as MG_COLUMNS

ROBUST_FIT = ["chisq.scaled", "chisq.scaling.factor", "cfi.robust", "tli.robust",
              "rmsea.robust", "rmsea.ci.upper.robust", "srmr"]  # fmt: skip


@pytest.fixture(scope="module")
def pd_mlr(pd_data):
    return fit(PD_MODEL, pd_data, estimator="MLR")


@pytest.fixture(scope="module")
def hs_weighted_mlr(hs_data):
    weighted = hs_data.assign(w=1 + (hs_data["id"] % 5) / 2)  # make_golden_combos.R's weight
    return fit(HS_MODEL, weighted, estimator="MLR", sampling_weights="w")


@pytest.fixture(scope="module")
def hs_labels_mlr(hs_data):
    """One label on two loadings: lavaan's scaling.factor.h0 divides by the parameters
    before the equality constraint (21, not 20)."""
    model = HS_MODEL.replace("x2 + x3", "a*x2 + a*x3")
    return fit(model, hs_data, estimator="MLR")


@pytest.mark.parametrize(
    ("fit_name", "case"),
    [("pd_mlr", "pd_sem_mlr"), ("hs_weighted_mlr", "hs_cfa_weights_mlr"),
     ("hs_labels_mlr", "hs_cfa_mlr_labels")],
)  # fmt: skip
def test_estimates_and_robust_fit_match_lavaan(fit_name, case, request):
    result = request.getfixturevalue(fit_name)
    assert result.converged
    assert_estimates_match(result.estimates, golden_estimates(case), columns=PE_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    common = common_measures(measures, gold)
    assert set(ROBUST_FIT) <= set(common)
    assert_measures_close(measures, gold, common)


def test_defined_effects_get_robust_standard_errors(pd_mlr):
    estimates = pd_mlr.estimates.set_index(["lhs", "op"])
    gold = golden_estimates("pd_sem_mlr").set_index(["lhs", "op"])
    ml = golden_estimates("pd_sem_ml").set_index(["lhs", "op"])
    for effect in ("indirect", "total"):
        key = (effect, ":=")
        assert estimates.loc[key, "se"] == pytest.approx(gold.loc[key, "se"], abs=1e-3)
        assert abs(gold.loc[key, "se"] - ml.loc[key, "se"]) > 1e-3  # robust SEs differ from ML


@pytest.mark.parametrize(
    ("model", "data", "case", "weights"),
    [(HS_MODEL, "hs_missing_data.csv", "hs_cfa_mlr_fiml", None),
     (PD_MODEL, "pd_missing_data.csv", "pd_sem_mlr_fiml", None),
     (HS_MODEL, "hs_weighted_missing_data.csv", "hs_cfa_weights_fiml", "w")],
)  # fmt: skip
def test_robust_fiml_matches_lavaan(model, data, case, weights):
    """Robust FIML; with sampling weights every case's log-likelihood and score is weighted
    (lavaan sampling.weights = "w", missing = "ml": the estimator becomes MLR)."""
    result = fit(
        model, read_golden(data), estimator="MLR", missing="fiml", sampling_weights=weights
    )
    assert result.converged
    assert result.estimation.missing == "fiml"
    assert_estimates_match(result.estimates, golden_estimates(case), columns=PE_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    common = common_measures(measures, gold)
    scaled = ["chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaling.factor",
              "scaling.factor.h1", "scaling.factor.h0", "cfi.scaled", "rmsea.scaled"]  # fmt: skip
    # and lavaan's robust indices under missing data (FIML-corrected, Zhang & Savalei)
    robust = ["cfi.robust", "tli.robust", "rni.robust", "rmsea.robust",
              "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust"]  # fmt: skip
    # GFI from the pairwise moments, or with weights from the EM moments (lavaan's WLS.obs)
    assert set(scaled + robust + ["gfi", "agfi", "pgfi"]) <= set(common)
    assert_measures_close(measures, gold, common)


def test_continuous_items_match_lavaan_wlsmv(hs_data):
    """WLSMV on continuous items is DWLS on the covariances (weights 1/diag(Gamma_ADF)), with
    robust.sem SEs, the scaled-and-shifted test and Savalei's (2018) robust CFI/TLI/RMSEA."""
    result = fit(HS_MODEL, hs_data, estimator="WLSMV")
    assert result.converged and result.estimation.ordered is False
    gold_estimates = golden_estimates("hs_cfa_wlsmv_continuous")
    assert_estimates_match(result.estimates, gold_estimates, columns=PE_COLUMNS)
    gold = golden_fit("hs_cfa_wlsmv_continuous")
    assert list(result.measures) == list(gold.index)  # every measure lavaan reports, in order
    assert_measures_close(result.measures, gold, common_measures(result.measures, gold))


def test_continuous_items_with_weights_match_lavaan_wlsmv(hs_data):
    """WLSMV on continuous items with sampling weights (make_golden_combos.R's weight): DWLS
    on the weighted covariance matrix (divisor sum w = N, not rescaled to N - 1) with the
    weights 1/diag(Gamma_ADF) of the *unweighted* rows (lavaan does not weight Gamma),
    robust.sem SEs and the scaled-and-shifted test from the same Gamma."""
    data = hs_data.assign(w=1 + (hs_data["id"] % 5) / 2)
    result = fit(HS_MODEL, data, estimator="WLSMV", sampling_weights="w")
    assert result.converged and result.estimation.estimator == "WLSMV"
    gold_estimates = golden_estimates("hs_cfa_weights_wlsmv_continuous")
    assert_estimates_match(result.estimates, gold_estimates, columns=PE_COLUMNS)
    measures, gold = result.measures, golden_fit("hs_cfa_weights_wlsmv_continuous")
    assert list(measures) == list(gold.index)  # every measure lavaan reports, in order
    chisqs = {key: 1e-3 for key in measures if "chisq" in key and "scaling" not in key}
    assert_measures_close(measures, gold, list(measures), relative=chisqs)


def test_ordered_items_match_lavaan_wlsmv():
    result = fit(HS_MODEL, read_golden("hs_ordinal_data.csv"), estimator="WLSMV", ordered=True)
    assert result.converged and result.solution["admissible"]
    assert_estimates_match(
        result.estimates, golden_estimates("hs_cfa_ordinal_wlsmv"), columns=PE_COLUMNS
    )
    gold = golden_fit("hs_cfa_ordinal_wlsmv")
    assert_measures_close(result.measures, gold, common_measures(result.measures, gold))
    # the unrestricted moments of an ordinal fit are the polychoric correlations
    assert (result.sample_cov.to_numpy().diagonal() == 1).all()


@pytest.mark.parametrize(
    ("estimator", "weights", "case"),
    [("ML", None, "hs_mi_metric"), ("MLR", None, "hs_mi_metric_mlr"),
     ("ML", "w", "hs_mi_metric_weights_mlr")],
)  # fmt: skip
def test_groups_match_lavaan_metric_invariance(hs_data, estimator, weights, case):
    """Multi-group metric invariance by ML and by MLR (sandwich SEs per case of every group,
    Yuan-Bentler test with traces added over groups, robust RMSEA times sqrt(G)); with
    sampling weights (make_golden_combos.R's weight) ML becomes MLR, as in lavaan, the
    weights are normalized over all rows and each group is weighed by its sum of weights."""
    data = hs_data.assign(w=1 + (hs_data["id"] % 5) / 2)
    result = fit(HS_MODEL, data, estimator=estimator, group="school", group_equal=["loadings"],
                 sampling_weights=weights)  # fmt: skip
    if weights:
        assert result.estimation.estimator == "MLR"
    key = ["lhs", "op", "rhs", "block", "group", "label"]
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=MG_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    common = common_measures(measures, gold)
    if estimator == "MLR" or weights:
        assert set(ROBUST_FIT) <= set(common)
    assert_measures_close(measures, gold, common)
    assert result.solution["admissible"] and result.sample_cov is None


@pytest.mark.parametrize(
    ("estimator", "equal", "weights", "case"),
    [("ML", (), None, "hs_mi_configural_fiml"),
     ("ML", ("loadings",), None, "hs_mi_metric_fiml"),
     ("MLR", ("loadings",), None, "hs_mi_metric_mlr_fiml"),
     ("ML", ("loadings",), "w", "hs_mi_metric_weights_fiml"),
     ("MLR", ("loadings",), "w", "hs_mi_metric_weights_mlr_fiml")],
)  # fmt: skip
def test_groups_with_fiml_match_lavaan(estimator, equal, weights, case):
    """Several groups with FIML (lavaan group = "school", missing = "ml"): the casewise
    likelihood summed over groups, each with its own patterns and EM moments; SEs from the
    observed information (MLR: sandwich over every case, Yuan-Bentler traces added over
    groups); chisq = 2 (logL_H1 - logL), RMSEA times sqrt(G), SRMR from each group's EM
    moments weighted by N_g/N, GFI from the pairwise moments, and the FIML-corrected robust
    CFI/TLI/RMSEA (Zhang & Savalei 2023) with block-diagonal group information.

    With sampling weights (make_golden_combos.R's weight) ML becomes MLR, the weights are
    normalized over every row used (N = 301), N_g is a group's sum of weights, the GFI
    takes each group's EM moments as lavaan's sample moments, and the FIML-corrected
    statistics weigh each group by the integer part of N_g, as lavaan."""
    data = read_golden("hs_missing_data.csv").assign(w=lambda d: 1 + (d["id"] % 5) / 2)
    result = fit(HS_MODEL, data, estimator=estimator, missing="fiml", group="school",
                 group_equal=equal, sampling_weights=weights)  # fmt: skip
    if weights:
        estimator = "MLR"
        assert result.estimation.estimator == "MLR"
        assert sum(result.backend.group_sizes) == pytest.approx(301)
    assert result.converged and result.solution["admissible"]
    assert result.estimation.missing == "fiml" and result.n == 301
    key = ["lhs", "op", "rhs", "block", "group", "label"]
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=MG_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    common = common_measures(measures, gold)
    assert set(gold.index) == set(measures)  # every measure lavaan reports, none more
    fiml = ["chisq", "df", "logl", "unrestricted.logl", "baseline.chisq", "rmsea", "srmr",
            "gfi", "cfi.robust", "tli.robust", "rni.robust", "rmsea.robust",
            "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "rmsea.pvalue.robust"]  # fmt: skip
    scaled = ["chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaling.factor",
              "scaling.factor.h1", "scaling.factor.h0", "cfi.scaled", "rmsea.scaled"]  # fmt: skip
    assert set(fiml + scaled * (estimator == "MLR")) <= set(common)
    assert ("chisq.scaled" in measures) == (estimator == "MLR")
    chisqs = {key: 1e-3 for key in common if "chisq" in key and "scaling" not in key}
    assert_measures_close(measures, gold, common, relative=chisqs)


@pytest.mark.parametrize(
    ("equal", "weights", "case"),
    [((), None, "hs_mi_configural_wlsmv_continuous"),
     (("loadings",), None, "hs_mi_metric_wlsmv_continuous"),
     (("loadings", "intercepts"), None, "hs_mi_scalar_wlsmv_continuous"),
     ((), "w", "hs_mi_configural_weights_wlsmv_continuous"),
     (("loadings",), "w", "hs_mi_metric_weights_wlsmv_continuous")],
)  # fmt: skip
def test_continuous_items_in_groups_match_lavaan_wlsmv(hs_data, equal, weights, case):
    """WLSMV on continuous items across schools (configural, metric, scalar): DWLS on each
    group's means and N_g - 1 covariances with the weights 1/diag(Gamma_ADF) of the means and
    covariances, groups weighed by N_g - 1, robust.sem SEs, the scaled-and-shifted test over
    groups, Savalei's robust indices, RMSEA with N - G and times sqrt(G). With sampling
    weights (make_golden_combos.R's weight, normalized over all rows) each group's weighted
    means and covariances (divisor N_g, its sum of weights), the unweighted Gamma_g, and N_g
    in place of the group's number of rows."""
    data = hs_data.assign(w=1 + (hs_data["id"] % 5) / 2)
    result = fit(HS_MODEL, data, estimator="WLSMV", group="school", group_equal=equal,
                 sampling_weights=weights)  # fmt: skip
    assert result.converged and result.solution["admissible"]
    assert result.estimation.estimator == "WLSMV"
    assert result.estimation.ordered is False and result.sample_cov is None
    key = ["lhs", "op", "rhs", "block", "group", "label"]
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=MG_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    assert list(measures) == list(gold.index)  # every measure lavaan reports, in order
    robust = ["chisq.scaled", "chisq.scaling.factor", "baseline.chisq.scaling.factor",
              "cfi.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rni.robust",
              "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust"]  # fmt: skip
    assert set(robust) <= set(measures)
    chisqs = {key: 1e-3 for key in measures if "chisq" in key and "scaling" not in key}
    assert_measures_close(measures, gold, list(measures), relative=chisqs)


@pytest.mark.parametrize("estimator", ["GLS", "ULS"])
@pytest.mark.parametrize("group", [None, "school"])
def test_gls_and_uls_with_weights_match_lavaan(hs_data, estimator, group):
    """GLS and ULS with sampling weights (make_golden_combos.R's weight): least squares on
    the weighted covariance matrix (and means, in groups), divisor the sum of weights, not
    rescaled to N - 1; GLS weighs by its inverse; standard SEs and test with N_g a group's
    sum of weights. One group, and metric invariance across schools."""
    data = hs_data.assign(w=1 + (hs_data["id"] % 5) / 2)
    equal = ("loadings",) if group else ()
    result = fit(HS_MODEL, data, estimator=estimator, sampling_weights="w", group=group,
                 group_equal=equal)  # fmt: skip
    assert result.converged and result.solution["admissible"]
    assert result.estimation.estimator == estimator
    case = f"hs_{'mi_metric' if group else 'cfa'}_weights_{estimator.lower()}"
    key, columns = (["lhs", "op", "rhs", "block", "group", "label"], MG_COLUMNS) if group else (
        ["lhs", "op", "rhs"], PE_COLUMNS)  # fmt: skip
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=columns)
    measures, gold = result.measures, golden_fit(case)
    assert list(measures) == list(gold.index)  # every measure lavaan reports, in order
    chisqs = {key: 1e-3 for key in measures if "chisq" in key}
    assert_measures_close(measures, gold, relative=chisqs, nan_matches_nan=True)


@pytest.mark.parametrize("estimator", ["GLS", "ULS"])
@pytest.mark.parametrize(
    ("level", "equal"),
    [("configural", ()), ("metric", ("loadings",)), ("scalar", ("loadings", "intercepts"))],
)
def test_gls_and_uls_in_groups_match_lavaan(hs_data, estimator, level, equal):
    """GLS and ULS across schools (configural, metric, scalar): least squares on each group's
    means
    and N_g - 1 covariances with lavaan's WLS.V (GLS: blockdiag(S_g^-1, 1/2 D'(S_g^-1 x
    S_g^-1) D); ULS: identity), groups weighed by N_g - 1, expected-information SEs with N -
    G, the baseline fitted with the same weights, RMSEA/CN/MFI/ECVI with N - G, no ULS
    p-values."""
    case = f"hs_mi_{level}_{estimator.lower()}"
    result = fit(HS_MODEL, hs_data, estimator=estimator, group="school", group_equal=equal)
    assert result.converged and result.solution["admissible"] and result.sample_cov is None
    key = ["lhs", "op", "rhs", "block", "group", "label"]
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=MG_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    assert list(measures) == list(gold.index)  # every measure lavaan reports, in order
    assert np.isnan(measures["pvalue"]) == (estimator == "ULS") == np.isnan(gold["pvalue"])
    chisqs = {key: 1e-3 for key in measures if "chisq" in key}
    assert_measures_close(measures, gold, relative=chisqs, nan_matches_nan=True)


OPTIONS = {
    "estimator": ESTIMATORS,
    "missing": ("listwise", "fiml"),
    "sampling_weights": (None, "w"),
    "ordered": (False, True),
    "group": (None, "school"),
}


# The combinations lavaan 0.6.14 refuses (FIML with a least-squares estimator or with
# ordered items, ML and MLR with ordered items) and the one surveysem does not implement
# (ordered items with GLS, which lavaan accepts and then fails to estimate).
def _supported(estimator, missing, sampling_weights, ordered, group):
    if ordered:  # in one group or several, with or without weights
        return estimator in ("WLSMV", "ULS") and missing == "listwise"
    if estimator == "WLSMV":  # continuous items: DWLS in one group or several, with weights
        return missing == "listwise"
    if missing == "fiml":
        return estimator in ("ML", "MLR")
    return True


@pytest.mark.parametrize("combination", list(itertools.product(*OPTIONS.values())))
def test_every_combination_is_fitted_or_refused_by_name(combination, hs_data):
    options = dict(zip(OPTIONS, combination, strict=True))
    problems = estimation_problems(**options)
    assert (not problems) == _supported(**options)
    if problems:
        data = hs_data.assign(w=1.0)
        with pytest.raises(UnsupportedModelError) as refused:
            fit(HS_MODEL, data, **options)
        message = str(refused.value)
        named = [options["estimator"]] * (options["estimator"] != "ML") + [
            name for name, given in (("fiml", options["missing"] == "fiml"),
            ("weights", options["sampling_weights"]), ("ordered", options["ordered"]),
            ("group", options["group"])) if given
        ]  # fmt: skip
        assert any(name in message for name in named), message
        assert "lavaan refuses this too" in message or "not implement" in message


@pytest.mark.parametrize(
    ("equal", "case"),
    [((), "hs_mi_ordinal_configural"),
     (("thresholds", "loadings"), "hs_mi_ordinal_thresholds_loadings")],
)  # fmt: skip
def test_ordered_items_in_groups_match_lavaan(equal, case):
    """WLSMV in two groups (delta parameterization): configural, and thresholds and loadings
    equal, where the second group's scales and factor means become free, as in lavaan."""
    data = read_golden("hs_ordinal_group_data.csv")
    result = fit(HS_MODEL, data, estimator="WLSMV", ordered=True, group="school",
                 group_equal=equal)  # fmt: skip
    assert result.converged and result.solution["admissible"]
    key = ["lhs", "op", "rhs", "block", "group", "label"]
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=MG_COLUMNS)
    measures, gold = result.measures, golden_fit(case)
    common = common_measures(measures, gold)
    assert {"chisq", "chisq.scaled", "chisq.scaling.factor", "cfi.scaled", "rmsea"} <= set(common)
    # the robust indices (Savalei 2021) where lavaan reports them, and only there
    robust = [key for key in gold.index if key.endswith(".robust") and np.isfinite(gold[key])]
    assert robust == [key for key in measures if key.endswith(".robust")]
    assert len(robust) in (0, 9)
    # chi-squares relative, as everywhere
    chisqs = {key: 1e-5 for key in common if "chisq" in key and "scaling" not in key}
    assert_measures_close(measures, gold, common, relative=chisqs)


@pytest.mark.parametrize(
    ("group", "equal", "case"),
    [(None, (), "hs_cfa_ordinal_weights"),
     ("school", ("thresholds", "loadings"), "hs_mi_ordinal_weights_thresholds_loadings")],
)  # fmt: skip
def test_ordered_items_with_weights_match_lavaan(group, equal, case):
    """WLSMV on ordered items with sampling weights (make_golden_combos.R's weight): the
    thresholds from the weighted margins, the polychorics from the weighted two-way tables,
    Gamma with meat sum w_i^2 s_i s_i' and bread sum w_i s_i s_i' (lavaan muthen1984 with
    wt), N_g a group's sum of weights; in one group and across schools."""
    data = read_golden("hs_ordinal_group_data.csv")
    data = data.assign(w=1 + (read_golden("hs_data.csv")["id"] % 5) / 2)
    if group is None:
        data = data.drop(columns="school")
    result = fit(HS_MODEL, data, estimator="WLSMV", ordered=True, group=group,
                 group_equal=equal, sampling_weights="w")  # fmt: skip
    assert result.converged and result.solution["admissible"]
    assert result.backend.n == pytest.approx(301)
    key, columns = (["lhs", "op", "rhs", "block", "group", "label"], MG_COLUMNS) if group else (
        ["lhs", "op", "rhs"], PE_COLUMNS)  # fmt: skip
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=columns)
    measures, gold = result.measures, golden_fit(case)
    common = common_measures(measures, gold)
    assert {"chisq", "chisq.scaled", "cfi.scaled", "rmsea", "srmr"} <= set(common)
    chisqs = {key: 1e-5 for key in common if "chisq" in key and "scaling" not in key}
    assert_measures_close(measures, gold, common, relative=chisqs)
    unweighted = fit(HS_MODEL, data, estimator="WLSMV", ordered=True, group=group,
                     group_equal=equal)  # fmt: skip
    assert abs(unweighted.measures["chisq"] - gold["chisq"]) > 0.1  # the weights matter


@pytest.mark.parametrize(
    ("group", "equal", "case"),
    [(None, (), "hs_cfa_ordinal_uls"),
     ("school", ("thresholds", "loadings"), "hs_mi_ordinal_uls_thresholds_loadings")],
)  # fmt: skip
def test_ordered_items_by_uls_match_lavaan(group, equal, case):
    """ULS on ordered items (lavaan estimator = "ULS" with ordered): unit weights on the
    thresholds and polychorics, se = "standard" ((sum_g N_g/N Delta_g' Delta_g)^-1 / (N - G)),
    the standard test without a p-value, no scaled or robust measures; in one group and
    across schools with thresholds and loadings equal."""
    data = read_golden("hs_ordinal_group_data.csv")
    if group is None:
        data = data.drop(columns="school")
    result = fit(HS_MODEL, data, estimator="ULS", ordered=True, group=group, group_equal=equal)
    assert result.converged and result.solution["admissible"]
    assert result.estimation.estimator == "ULS" and result.estimation.ordered
    key, columns = (["lhs", "op", "rhs", "block", "group", "label"], MG_COLUMNS) if group else (
        ["lhs", "op", "rhs"], PE_COLUMNS)  # fmt: skip
    assert_estimates_match(result.estimates, golden_estimates(case), key=key, columns=columns)
    measures, gold = result.measures, golden_fit(case)
    # every measure lavaan reports, in its order (it adds srmr_mplus as NA for ordered items)
    assert list(measures) == [k for k in gold.index if not k.startswith("srmr_mplus")]
    assert np.isnan(measures["pvalue"]) and np.isnan(gold["pvalue"])
    chisqs = {key: 1e-5 for key in measures if "chisq" in key}
    assert_measures_close(measures, gold, relative=chisqs, nan_matches_nan=True)
