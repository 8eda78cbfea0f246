"""Robustness helpers on hand-made inputs whose right answers are computed independently."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from surveysem.preflight import variant_conflicts
from surveysem.robustness import (
    composite_paths,
    drop_item,
    leave_one_out_summary,
    robustness_summary,
    robustness_verdicts,
    run_variant,
)
from surveysem.sem import factor_indicators

ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIG = ".test/config/config.yaml"

MODEL = "A =~ a1 + a2 + a3\nB =~ b1 + b2\nC =~ c1 + c2\nB ~ A\nC ~ A + B"


def test_drop_item_keeps_the_rest_of_the_model():
    assert factor_indicators(drop_item(MODEL, "a2")) == {
        "A": ["a1", "a3"], "B": ["b1", "b2"], "C": ["c1", "c2"]
    }  # fmt: skip
    assert drop_item(MODEL, "a2").splitlines()[-3:] == ["B ~ A", "C ~ A", "C ~ B"]


def test_composite_paths_equal_ols_on_mean_scores():
    rng = np.random.default_rng(3)
    data = pd.DataFrame(
        rng.normal(size=(200, 7)), columns=["a1", "a2", "a3", "b1", "b2", "c1", "c2"]
    )
    data[["b1", "b2"]] += data[["a1"]].to_numpy()
    scores = pd.DataFrame({
        "A": data[["a1", "a2", "a3"]].mean(axis=1),
        "B": data[["b1", "b2"]].mean(axis=1),
        "C": data[["c1", "c2"]].mean(axis=1),
    })  # fmt: skip
    design = np.column_stack([np.ones(200), scores["A"], scores["B"]])
    coef, *_ = np.linalg.lstsq(design, scores["C"], rcond=None)
    residual = scores["C"] - design @ coef
    sigma2 = residual @ residual / (200 - 3)
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(design.T @ design)))
    paths = composite_paths(data, MODEL).set_index(["lhs", "rhs"])
    assert paths.loc[("C", "B"), "est"] == pytest.approx(coef[2], abs=1e-10)
    assert paths.loc[("C", "B"), "se"] == pytest.approx(se[2], abs=1e-10)
    std = coef[2] * scores["B"].std() / scores["C"].std()
    assert paths.loc[("C", "B"), "std.all"] == pytest.approx(std, abs=1e-10)


def hypothesis_tests(std, p, supported):
    return pd.DataFrame({
        "id": ["H1", "H2"], "path": ["A -> B", "B -> C"], "est": std, "ci.lower": [0.1, -0.2],
        "ci.upper": [0.9, 0.3], "std.all": std, "pvalue": p, "supported": supported,
    })  # fmt: skip


def test_verdicts_name_the_disagreeing_variants():
    main = hypothesis_tests([0.5, 0.1], [0.001, 0.3], [True, False])
    variants = {
        "same": hypothesis_tests([0.4, 0.05], [0.01, 0.6], [True, False]),
        "flipped": hypothesis_tests([0.45, -0.3], [0.01, 0.01], [True, False]),
        "weak": hypothesis_tests([0.2, 0.1], [0.2, 0.3], [False, False]),
    }
    verdicts = robustness_verdicts(robustness_summary(main, variants)).set_index("id")
    assert not verdicts.loc["H1", "robust"]
    assert verdicts.loc["H1", "disagreeing_variants"] == "weak"
    assert verdicts.loc["H2", "disagreeing_variants"] == "flipped"  # sign differs


def test_leave_one_out_summary_keeps_the_weakest_refit_and_the_range():
    refits = pd.DataFrame({
        "id": ["H1"] * 3, "std.all": [0.5, 0.3, 0.4], "pvalue": [0.001, 0.04, 0.01],
        "supported": [True, True, True], "dropped_item": ["a1", "a2", "a3"],
    })  # fmt: skip
    row = leave_one_out_summary(refits).iloc[0]
    assert row["dropped_item"] == "a2"
    assert (row["std.all.min"], row["std.all.max"], row["refits"]) == (0.3, 0.5, 3)
    assert row["supported"]


# Every combination the workflow cannot honour is refused with the options named; none is
# dropped in silence (a FIML variant with MLR once ran with ML standard errors).
@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"missing": "fiml", "estimator": "GLS"}, "estimator GLS with missing fiml"),
        ({"missing": "fiml", "estimator": "WLSMV"}, "estimator WLSMV with missing fiml"),
        ({"method": "composite", "estimator": "MLR"}, "method composite is OLS"),
        ({"method": "composite", "weights": "w"}, "method composite is OLS"),
    ],
)
def test_options_that_cannot_be_combined_are_refused(spec, named):
    (conflict,) = variant_conflicts({"name": "v", **spec})
    assert conflict.startswith("variant 'v': ") and named in conflict
    with pytest.raises(ValueError, match=named):
        run_variant({"name": "v", **spec}, pd.DataFrame(), "", None, [], 0.05)


@pytest.mark.parametrize("path", sorted(ROOT.glob("config/**/*.yaml")) + [ROOT / TEST_CONFIG])
def test_shipped_variants_run_as_written(path):
    config = yaml.safe_load(path.read_text())
    variants = config.get("robustness", {}).get("variants", [])
    assert [c for v in variants for c in variant_conflicts(v)] == []
