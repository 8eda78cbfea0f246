"""Indirect/total effects (surveysem.mediation) against lavaan and hand enumeration."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from lavaan_golden import PD_TEMPLATE, golden_estimates

from surveysem.mediation import EFFECT_COLUMNS, effects_table, indirect_effects_syntax
from surveysem.sem import ModelSpecError, fit_model, parameter_estimates
from surveysem.sem.model.partable import build_partable
from surveysem.sem.model.syntax import parse_syntax

ROOT = Path(__file__).resolve().parents[1]

# The PoliticalDemocracy SEM of make_golden.R without its ':=' lines: the generated
# definitions must reproduce lavaan's 'indirect := a*b' and 'total := c + a*b'.
PD_PATHS = PD_TEMPLATE


@pytest.fixture(scope="module")
def golden():
    g = golden_estimates("pd_sem_ml")
    return g[g["op"] == ":="].set_index("lhs")


@pytest.fixture(scope="module")
def bundled_model():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["model"]


@pytest.mark.parametrize("labelled", [True, False])
def test_pd_effects_reproduce_lavaan(pd_data, golden, labelled):
    labels = {"a": "a*", "b": "b*", "c": "c*"} if labelled else dict.fromkeys("abc", "")
    syntax, effects = indirect_effects_syntax(PD_PATHS.format(**labels))
    assert [(e["name"], e["kind"], e["path"]) for e in effects] == [
        ("ind_ind60_dem60_dem65", "indirect", "ind60 → dem60 → dem65"),
        ("total_ind60_dem65", "total", "ind60 → dem65 + ind60 → dem60 → dem65"),
    ]
    if labelled:  # existing labels are kept
        assert [e["expr"] for e in effects] == ["a*b", "c + a*b"]
    else:
        assert effects[0]["expr"] == "b_dem60_ind60*b_dem65_dem60"
    table = effects_table(parameter_estimates(fit_model(syntax, pd_data)), effects)
    assert list(table.columns) == EFFECT_COLUMNS
    for name, gold in (("ind_ind60_dem60_dem65", "indirect"), ("total_ind60_dem65", "total")):
        row = table.set_index("effect").loc[name]
        for col in ["est", "se", "ci.lower", "ci.upper", "std.all", "pvalue"]:
            assert row[col] == pytest.approx(golden.loc[gold, col], abs=1e-3), (name, col)
        assert row["z"] == pytest.approx(golden.loc[gold, "z"], rel=1e-3)


def test_augmented_syntax_is_the_same_model(bundled_model, pd_data):
    syntax, _ = indirect_effects_syntax(bundled_model)
    cols = [f"{c}{i}" for c, k in [("co", 5), ("crp", 5), ("pp", 4), ("cs", 3), ("fp", 4)]
            for i in range(1, k + 1)]  # fmt: skip
    a = build_partable(parse_syntax(bundled_model), cols).frame()
    b = build_partable(parse_syntax(syntax), cols).frame()
    same = ["lhs", "op", "rhs", "user", "free", "value"]
    assert a[same].equals(b[same])
    assert b.loc[b["op"] == "~", "label"].tolist() == [
        "b_CRP_CO",
        "b_PP_CRP",
        "b_CS_CRP",
        "b_FP_PP",
        "b_FP_CS",
    ]


def test_bundled_model_chains_by_hand(bundled_model):
    _, effects = indirect_effects_syntax(bundled_model)
    chains = {e["path"] for e in effects if e["kind"] == "indirect"}
    assert chains == {
        "CO → CRP → PP → FP",
        "CO → CRP → CS → FP",
        "CRP → PP → FP",
        "CRP → CS → FP",
        "CO → CRP → PP",
        "CO → CRP → CS",
    }
    by_name = {e["name"]: e for e in effects}
    assert by_name["totind_CO_FP"]["kind"] == "total_indirect"
    assert by_name["totind_CO_FP"]["expr"] == (
        "b_CRP_CO*b_PP_CRP*b_FP_PP + b_CRP_CO*b_CS_CRP*b_FP_CS"
    )
    assert by_name["totind_CRP_FP"]["expr"] == "b_PP_CRP*b_FP_PP + b_CS_CRP*b_FP_CS"
    # no direct path CO -> FP etc., so no total effects; single chains get no total_indirect
    assert {e["kind"] for e in effects} == {"indirect", "total_indirect"}
    assert len(effects) == 8
    assert all(set(e) == {"name", "kind", "from", "to", "path", "expr"} for e in effects)


def test_effects_on_bundled_model_fit():
    """Products of fitted paths, in est and std.all (data simulated from the population model)."""
    rng = np.random.default_rng(5)
    n = 400
    co = rng.normal(size=n)
    crp = 0.6 * co + rng.normal(scale=0.8, size=n)
    pp = 0.5 * crp + rng.normal(scale=0.87, size=n)
    cs = 0.4 * crp + rng.normal(scale=0.92, size=n)
    fp = 0.35 * pp + 0.4 * cs + rng.normal(scale=0.8, size=n)
    data = {}
    for name, eta, k in [
        ("co", co, 5),
        ("crp", crp, 5),
        ("pp", pp, 4),
        ("cs", cs, 3),
        ("fp", fp, 4),
    ]:
        for i in range(1, k + 1):
            data[f"{name}{i}"] = eta + rng.normal(scale=0.6, size=n)
    model = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["model"]
    syntax, effects = indirect_effects_syntax(model)
    pe = parameter_estimates(fit_model(syntax, pd.DataFrame(data)))
    table = effects_table(pe, effects).set_index("effect")
    paths = pe[pe["op"] == "~"].set_index("label")
    for col in ("est", "std.all"):
        p = paths[col]
        assert table.loc["ind_CO_CRP_PP_FP", col] == pytest.approx(
            p["b_CRP_CO"] * p["b_PP_CRP"] * p["b_FP_PP"]
        )
        assert table.loc["totind_CO_FP", col] == pytest.approx(
            table.loc["ind_CO_CRP_PP_FP", col] + table.loc["ind_CO_CRP_CS_FP", col]
        )
    assert (table["pvalue"] < 1e-3).all()
    assert table.loc["totind_CO_FP", "est"] == pytest.approx(
        0.6 * (0.5 * 0.35 + 0.4 * 0.4), abs=0.06
    )


def test_labels_fixed_paths_and_name_clashes():
    model = """
    X =~ x1 + x2 + x3
    M =~ m1 + m2 + m3
    Y =~ y1 + y2 + y3
    Z =~ z1 + z2 + z3
    M ~ X
    Y ~ 0.5*M + 0*X
    Z ~ b_Z_Y*Y
    ind_X_M_Y := b_Z_Y*2
    """
    syntax, effects = indirect_effects_syntax(model)
    by_path = {e["path"]: e for e in effects}
    # a path fixed at 0.5 enters as a number, a path fixed at 0 is no path (no total X -> Y)
    assert by_path["X → M → Y"]["expr"] == "b_M_X*0.5"
    assert by_path["X → M → Y"]["name"] == "ind_X_M_Y_2"  # 'ind_X_M_Y' is already taken
    assert by_path["X → M → Y → Z"]["expr"] == "b_M_X*0.5*b_Z_Y"
    assert by_path["M → Y → Z"]["expr"] == "0.5*b_Z_Y"
    assert not [e for e in effects if e["kind"] == "total"]
    assert "Y ~ 0.5*M + 0.0*X" in syntax and "ind_X_M_Y := b_Z_Y*2" in syntax
    parse_syntax(syntax)  # valid


def test_feedback_loop_is_rejected():
    with pytest.raises(ModelSpecError, match="feedback loop"):
        indirect_effects_syntax("A =~ a1 + a2\nB =~ b1 + b2\nC =~ c1 + c2\nB ~ A + C\nC ~ B")


def test_effects_table_errors_and_bootstrap_columns(pd_data):
    syntax, effects = indirect_effects_syntax(PD_PATHS.format(a="a*", b="b*", c="c*"))
    pe = parameter_estimates(fit_model(PD_PATHS.format(a="a*", b="b*", c="c*"), pd_data))
    with pytest.raises(ValueError, match="lack the defined parameters"):
        effects_table(pe, effects)
    pe = parameter_estimates(fit_model(syntax, pd_data))
    boot = pe[["lhs", "op", "rhs"]].assign(
        **{"boot.se": 0.3, "perc.lower": 0.1, "perc.upper": 2.0, "bca.lower": 0.2},
        **{"bca.upper": 2.1},
    )
    table = effects_table(pe, effects, bootstrap=boot)
    assert table.columns.tolist()[-5:] == [
        "boot.se",
        "perc.lower",
        "perc.upper",
        "bca.lower",
        "bca.upper",
    ]
    assert table["bca.upper"].tolist() == [2.1, 2.1]
