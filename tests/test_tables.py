"""Tables: APA formatting, Typst escaping, and a rendered table that Typst compiles."""

import pandas as pd
import pytest
import typst

from surveysem import formatting as fmt
from surveysem.hypotheses import evaluate_hypotheses
from surveysem.rendering import render_table, typst_escape
from surveysem.tables import hypotheses_table


@pytest.mark.parametrize(
    ("value", "digits", "bounded", "expected"),
    [
        (0.456, 2, True, ".46"),
        (-0.456, 2, True, "−.46"),
        (1.5, 2, False, "1.50"),
        (-0.004, 2, False, "0.00"),  # rounds to zero: no minus sign
        (0.9999, 2, True, "1.00"),
    ],
)
def test_number(value, digits, bounded, expected):
    assert fmt.number(value, digits, bounded) == expected


def test_pvalue_follows_apa():
    assert fmt.pvalue(0.00099) == "< .001"
    assert fmt.pvalue(0.001) == ".001"
    assert fmt.pvalue(0.0496) == ".050"


def test_typst_escape_neutralizes_markup():
    assert typst_escape("a*b_c #x $y$ <z> @w") == r"a\*b\_c \#x \$y\$ \<z\> \@w"


ESTIMATES = pd.DataFrame(
    {
        "lhs": ["CRP", "FP"],
        "op": ["~", "~"],
        "rhs": ["CO", "CS"],
        "est": [0.62, -0.05],
        "se": [0.05, 0.08],
        "z": [12.4, -0.625],
        "pvalue": [2.6e-35, 0.532],
        "ci.lower": [0.52, -0.21],
        "ci.upper": [0.72, 0.11],
        "std.all": [0.58, -0.04],
    }
)
BOOTSTRAP = {"boot.bca.lower": [0.5, -0.2], "boot.bca.upper": [0.8, 0.1]}
HYPOTHESES = [
    {"id": "H1", "path": "CRP ~ CO", "expected": "positive"},
    {"id": "H5", "path": "FP ~ CS", "expected": "positive"},
]


def test_hypotheses_supported_only_with_expected_sign_and_significance():
    tested = evaluate_hypotheses(ESTIMATES, HYPOTHESES, alpha=0.05)
    assert tested["supported"].tolist() == [True, False]
    assert tested["path"].tolist() == ["CO -> CRP", "CS -> FP"]
    negative = [{"id": "H1", "path": "CRP ~ CO", "expected": "negative"}]
    assert not evaluate_hypotheses(ESTIMATES, negative, alpha=0.05)["supported"].item()


def test_rendered_table_compiles_and_shows_apa_numbers(root, tmp_path):
    tested = evaluate_hypotheses(ESTIMATES, HYPOTHESES, 0.05).assign(**BOOTSTRAP)
    table = hypotheses_table(tested, 0.05, {"CO": "customer orientation"})
    assert table.rows[1][7] == "[−0.200, 0.100]"
    assert table.rows[0][5] == "< .001" and table.rows[1][5] == ".532"
    assert table.rows[1][6] == "−.04"
    assert table.note.endswith("CO = customer orientation.")
    source = render_table(table, root / "manuscript" / "templates" / "table.typ.j2")
    document = tmp_path / "table.typ"
    document.write_text(source + "\n@tab-hypotheses\n")
    pdf = typst.compile(str(document), ignore_system_fonts=True)
    assert pdf.startswith(b"%PDF")
