"""Figures: layout from the model, significance marks, byte-identical files."""

import pandas as pd

from surveysem.figures import conceptual_model, layout, path_diagram, save, stars


def test_layout_columns_follow_the_longest_chain():
    position = layout([("CO", "CRP"), ("CRP", "PP"), ("CRP", "CS"), ("PP", "FP"), ("CS", "FP"),
                       ("CO", "FP")])  # fmt: skip
    assert {n: x for n, (x, _) in position.items()} == {
        "CO": 0.0, "CRP": 1.0, "PP": 2.0, "CS": 2.0, "FP": 3.0
    }  # fmt: skip
    assert position["PP"][1] == -position["CS"][1] != 0


def test_stars():
    assert [stars(p) for p in (0.2, 0.04, 0.009, 0.0009)] == ["", "*", "**", "***"]


ESTIMATES = pd.DataFrame(
    {
        "lhs": ["A", "B", "B", "C"],
        "op": ["=~", "=~", "~", "~"],
        "rhs": ["a1", "b1", "A", "B"],
        "std.all": [0.8, 0.7, 0.5, 0.1],
        "pvalue": [float("nan"), float("nan"), 0.001, 0.3],
    }
)


def test_path_diagram_labels_and_dashes_non_significant_paths():
    estimates = pd.concat(
        [ESTIMATES, pd.DataFrame({"lhs": ["C"], "op": ["=~"], "rhs": ["c1"]})], ignore_index=True
    )
    figure = path_diagram(estimates, pd.DataFrame({"lhs": ["B"], "r2": [0.25]}), alpha=0.05)
    texts = {t.get_text() for t in figure.axes[0].texts}
    assert {".50**", ".10", "R² = .25"} <= texts
    arrows = [t.arrow_patch for t in figure.axes[0].texts if getattr(t, "arrow_patch", None)]
    assert [a.get_linestyle() for a in arrows] == ["-", "--"]


def test_saved_figures_are_byte_identical(tmp_path):
    hypotheses = [{"id": "H1", "path": "B ~ A", "expected": "positive"}]
    first = save(conceptual_model(hypotheses), tmp_path / "one")
    second = save(conceptual_model(hypotheses), tmp_path / "two")
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.suffix
