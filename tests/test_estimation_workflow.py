"""Studies whose main analysis is not ML with listwise deletion, through the whole workflow.

The employee survey of test_other_surveys.py (simulated from a known population model,
exported as SPSS .sav with -99 user-missing codes and blanks, so about 10% of respondents are
incomplete) is analysed twice by config alone:

- ``estimation: {estimator: MLR, missing: fiml}``: robust FIML on every respondent who
  answered at least one model item (lavaan ``estimator = "MLR", missing = "ml"``);
- ``estimation: {estimator: WLSMV}``: the items as ordinal (lavaan WLSMV).

Each run must exit 0 and every stage must use the study's estimation: the measurement and
structural models, the reliability table (read from the CFA), the alternatives, the bootstrap,
the measurement invariance across departments (the FIML study: several groups by FIML) and
the manuscript's method text and fit table. Where R with lavaan is installed, the
workflow's own second opinion (R lavaan refitting with the same options) must agree; that is
the independent reference for the estimates. Without R the estimates are checked against the
simulation's known truth.
"""

import json

import pandas as pd
import pytest
from test_other_surveys import (
    CONSTRUCTS,
    HYPOTHESES,
    TRUST_TO_ENG,
    TRUST_TO_REC,
    assert_own_story,
    build,
    employee_survey,
    manuscript_words,
    researcher_edits,
    write_sav,
)
from workflow_run import copy_project

pytestmark = pytest.mark.integration

FIML_MODEL = """trust =~ trust1 + trust2 + trust3
eng   =~ eng1 + eng2 + eng3 + eng4
REC   =~ recommend
eng ~ trust
REC ~ trust
"""
# WLSMV has no single-indicator factors (delta parameterization): REC is left out
ORDINAL_MODEL = """trust =~ trust1 + trust2 + trust3
eng   =~ eng1 + eng2 + eng3 + eng4
eng ~ trust
"""
# Nested alternatives: engagement and recommending uncorrelated beyond trust (a restriction
# of the hypothesized model); a residual covariance of two items (a generalization).
UNCORRELATED = {
    "name": "uncorrelated",
    "add": "eng ~~ 0*REC",
    "description": "Engagement and recommending unrelated beyond trust",
}
ITEM_COVARIANCE = {"name": "item_covariance", "add": "trust1 ~~ eng1",
                   "description": "A residual covariance of trust1 and eng1"}  # fmt: skip


# Sales against the other departments (the SPSS codes or their labels, whichever cleaning keeps)
DEPARTMENT_GROUPING = {
    "name": "department",
    "column": "dept",
    "groups": {"sales": [1, "Sales"], "other": [2, 3, "Operations", "Finance"]},
}


def run_study(
    root, tmp_path_factory, study, model, hypotheses, estimation, alternative, invariance=()
):
    frame, _ = employee_survey()
    workdir = copy_project(root, tmp_path_factory.mktemp(study))
    data = write_sav(frame, workdir / f"data/raw/{study}.sav")
    config = researcher_edits(
        workdir, study, data, model=model, hypotheses=hypotheses, constructs=CONSTRUCTS,
        estimation=estimation, alternatives=[alternative],
        bootstrap={"draws": 60, "chunks": 2, "jackknife_groups": 20},
        sample={"profile": ["dept"], "size_column": None, "weight": None, "wave": None},
        robustness={"invariance": list(invariance)},
    )  # fmt: skip
    return build(workdir, config, study)


def read(results, path):
    return json.loads((results / path).read_text())


def lavaan_agrees(results):
    """R lavaan's verdict on the structural model, or None where R is not installed."""
    path = results / "model/lavaan_check.json"
    return read(results, "model/lavaan_check.json")["verdict"] if path.exists() else None


@pytest.fixture(scope="module")
def fiml_run(root, tmp_path_factory):
    estimation = {"estimator": "MLR", "missing": "fiml"}
    return run_study(
        root, tmp_path_factory, "robust_fiml", FIML_MODEL, HYPOTHESES, estimation, UNCORRELATED,
        invariance=[DEPARTMENT_GROUPING],
    )  # fmt: skip


def test_robust_fiml_study_uses_every_respondent_and_the_robust_test(fiml_run, root):
    results, console = fiml_run
    audit = read(results, "clean/audit.json")
    solution = read(results, "model/solution.json")
    assert solution["estimation"]["estimator"] == "MLR"
    assert solution["estimation"]["missing"] == "fiml"
    # every respondent with at least one answer, not only the complete ones
    assert audit["complete_cases"] < solution["n"] <= audit["rows_out"]
    cfa = read(results, "measurement/solution.json")
    assert cfa["n"] == solution["n"] and cfa["estimation"] == solution["estimation"]
    fit = read(results, "model/fit.json")
    assert fit["chisq.scaling.factor"] > 0 and fit["ntotal"] == solution["n"]
    # the mean structure of FIML is in the estimates
    estimates = pd.read_csv(results / "model/estimates.csv")
    assert (estimates["op"] == "~1").any()
    # the bootstrap refitted by FIML: its draws vary around the FIML estimates
    draws = pd.concat(pd.read_csv(p) for p in sorted((results / "bootstrap").glob("draws_*.csv")))
    path = draws[(draws["lhs"] == "eng") & (draws["op"] == "~") & (draws["rhs"] == "trust")]
    assert path["converged"].all() and len(path) == 60
    point = estimates.set_index(["lhs", "op", "rhs"]).loc[("eng", "~", "trust"), "est"]
    assert abs(path["est"].mean() - point) < 3 * path["est"].std()
    # alternatives compare FIML fits by the Satorra-Bentler scaled difference test
    comparison = pd.read_csv(results / "model/comparison.csv").set_index("model")
    assert comparison.loc["uncorrelated", "relation"] == "restricted"
    assert comparison.loc["uncorrelated", "delta_method"] == "satorra.bentler.2001"
    assert comparison.loc["uncorrelated", "delta_df"] == 1
    assert lavaan_agrees(results) in (None, "agree")


def test_robust_fiml_study_says_so_in_its_method_text_and_tables(fiml_run, root):
    results, _ = fiml_run
    words = assert_own_story(results, root)
    assert "robust (Huber-White) standard errors and the Yuan-Bentler scaled test" in words
    assert "full-information maximum likelihood" in words
    assert "their missing answers handled by full-information maximum likelihood" in words
    assert "listwise deletion" not in words
    assert "scaled $chi^2$" in words  # the CFA and the structural model report the scaled test
    assert "@zhang2023" in words  # and the FIML-corrected robust indices
    fit_table = (results / "tables/fit.typ").read_text()
    assert "Maximum likelihood with robust" in fit_table and "scaled χ²" in fit_table
    fit = read(results, "model/fit.json")
    assert f"{fit['chisq.scaled']:.2f}" in words  # the scaled statistic is the one reported


def test_robust_fiml_study_fits_its_invariance_models_by_fiml(fiml_run):
    """The invariance stage takes the study's estimation: several groups by robust FIML on
    every respondent with an answer, scaled difference tests, and says so in the table and
    the method text."""
    results, _ = fiml_run
    solution = read(results, "model/solution.json")
    audit = read(results, "audit/measurement_invariance_department.json")["decisions"]
    assert (audit["estimator"], audit["missing"]) == ("MLR", "fiml")
    assert sum(audit["groups"].values()) == solution["n"]  # incomplete respondents included
    sequence = pd.read_csv(results / "robustness/invariance_department/sequence.csv")
    assert list(sequence["level"]) == ["configural", "metric", "scalar"]
    assert (sequence["missing"] == "fiml").all() and sequence["converged"].all()
    assert (sequence["indices"] == "robust").all()
    assert (sequence["delta_method"].iloc[1:] == "satorra.bentler.2001").all()
    assert sequence["delta_df"].iloc[1:].gt(0).all()
    words = manuscript_words(results)
    assert "The multi-group models were estimated as the main models" in words
    table = (results / "tables/invariance.typ").read_text()
    assert "full-information maximum likelihood" in table and "Satorra–Bentler" in table


def test_robust_fiml_estimates_recover_the_population_model(fiml_run):
    # simulation check, as test_other_surveys: three SEs of a standardized path at n = 400
    results, _ = fiml_run
    estimates = pd.read_csv(results / "model/estimates.csv").set_index(["lhs", "op", "rhs"])
    assert estimates.loc[("eng", "~", "trust"), "std.all"] == pytest.approx(TRUST_TO_ENG, abs=0.15)
    assert estimates.loc[("REC", "~", "trust"), "std.all"] == pytest.approx(TRUST_TO_REC, abs=0.15)


@pytest.fixture(scope="module")
def ordinal_run(root, tmp_path_factory):
    estimation = {"estimator": "WLSMV"}
    return run_study(
        root, tmp_path_factory, "ordinal", ORDINAL_MODEL, HYPOTHESES[:1], estimation,
        ITEM_COVARIANCE,
    )  # fmt: skip


def test_wlsmv_study_treats_the_items_as_ordinal(ordinal_run, root):
    results, console = ordinal_run
    solution = read(results, "model/solution.json")
    assert solution["estimation"]["estimator"] == "WLSMV" and solution["estimation"]["ordered"]
    estimates = pd.read_csv(results / "model/estimates.csv")
    items = ["trust1", "trust2", "trust3", "eng1", "eng2", "eng3", "eng4"]
    clean = pd.read_csv(results / "clean/data.csv")[items].dropna()
    thresholds = int((clean.nunique() - 1).sum())  # one fewer than its categories per item
    assert (estimates["op"] == "|").sum() == thresholds
    # reliability from the polychoric correlations: the CFA's unrestricted matrix has unit
    # diagonal, and AVE is the mean squared standardized loading of each factor
    sample_cov = pd.read_csv(results / "measurement/sample_cov.csv", index_col="variable")
    assert (sample_cov.to_numpy().diagonal() == 1).all()
    cfa = pd.read_csv(results / "measurement/estimates.csv")
    reliability = pd.read_csv(results / "measurement/reliability.csv").set_index("construct")
    loadings = cfa[cfa["op"] == "=~"].groupby("lhs")["std.all"]
    for factor, ave in (loadings.apply(lambda x: (x**2).mean())).items():
        assert reliability.loc[factor, "ave"] == pytest.approx(ave, rel=1e-6)
    # WLSMV has no difference test implemented: the comparison says why, it does not guess
    comparison = pd.read_csv(results / "model/comparison.csv").set_index("model")
    assert comparison.loc["item_covariance", "relation"] == "general"
    assert "satorra.2000" in comparison.loc["item_covariance", "delta_note"]
    assert "satorra.2000" in console
    assert lavaan_agrees(results) in (None, "agree")
    hypotheses = pd.read_csv(results / "model/hypotheses.csv")
    assert hypotheses["supported"].all()


def test_wlsmv_study_says_so_in_its_method_text(ordinal_run, root):
    results, _ = ordinal_run
    words = assert_own_story(results, root)
    assert "polychoric correlations (WLSMV: the items treated as ordinal" in words
    assert "@savalei2021" in words  # the robust indices for categorical data
    assert "computed from the\npolychoric correlations" in manuscript_words(results)
