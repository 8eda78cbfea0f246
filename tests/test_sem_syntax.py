"""lavaan syntax parsing and the lavaan sem() defaults of the parameter table."""

import pytest

from surveysem.sem import ModelSpecError, UnsupportedModelError, parse_syntax
from surveysem.sem.model.partable import build_partable

COLS = [f"x{i}" for i in range(1, 10)]


def table(syntax, columns=COLS):
    return build_partable(parse_syntax(syntax), columns)


def test_statements_modifiers_comments_and_continuation():
    p = parse_syntax(
        """# a comment line
        f =~ x1 + 0.5*x2 + a*x3 +   ! lavaan comment
             NA*x4 + label("b")*x5 + start(0.7)*x6 ; g =~ x7 + x8
        f ~~ -1e-1*g
        ind := a*b^2 + sqrt(a)"""
    )
    got = [(s.lhs, s.op, s.rhs, s.fixed, s.label, s.force_free) for s in p.statements]
    assert got == [
        ("f", "=~", "x1", None, "", False),
        ("f", "=~", "x2", 0.5, "", False),
        ("f", "=~", "x3", None, "a", False),
        ("f", "=~", "x4", None, "", True),
        ("f", "=~", "x5", None, "b", False),
        ("f", "=~", "x6", None, "", False),
        ("g", "=~", "x7", None, "", False),
        ("g", "=~", "x8", None, "", False),
        ("f", "~~", "g", -0.1, "", False),
    ]
    assert p.statements[0].line == 2 and p.statements[-1].line == 4
    (d,) = p.definitions
    assert (d.name, d.expr, set(d.names)) == ("ind", "a*b^2+sqrt(a)", {"a", "b"})


def test_multiple_left_hand_sides():
    p = parse_syntax("f =~ x1 + x2 + x3\nx4 + x5 ~ f")
    assert [(s.lhs, s.rhs) for s in p.statements if s.op == "~"] == [("x4", "f"), ("x5", "f")]


def test_lavaan_defaults_in_parameter_table():
    pt = table("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\nh =~ x7")
    rows = {(r.lhs, r.op, r.rhs): r for r in pt.rows}
    assert rows[("f", "=~", "x1")].free == 0 and rows[("f", "=~", "x1")].value == 1.0
    assert rows[("f", "=~", "x2")].free > 0
    # single indicator: residual variance fixed at 0 (auto.fix.single)
    assert rows[("x7", "~~", "x7")].free == 0 and rows[("x7", "~~", "x7")].value == 0.0
    # exogenous factor covariances, in lavaan order after the variances
    tail = [(r.lhs, r.rhs) for r in pt.rows[-3:]]
    assert tail == [("f", "g"), ("f", "h"), ("g", "h")]
    assert [r.lhs for r in pt.rows if r.op == "~~" and r.lhs == r.rhs] == [
        *[f"x{i}" for i in range(1, 8)],
        "f",
        "g",
        "h",
    ]


def test_na_frees_first_loading_and_value_fixes_it():
    pt = table("f =~ NA*x1 + x2 + 2*x3\nf ~~ 1*f")
    rows = {(r.lhs, r.op, r.rhs): r for r in pt.rows}
    assert rows[("f", "=~", "x1")].free > 0
    assert (rows[("f", "=~", "x3")].free, rows[("f", "=~", "x3")].value) == (0, 2.0)
    assert (rows[("f", "~~", "f")].free, rows[("f", "~~", "f")].value) == (0, 1.0)


@pytest.mark.parametrize(
    ("syntax", "pattern"),
    [
        ("f =~ x1 + + x2", r"line 1 .*empty term"),
        ("f x1 x2", r"line 1 .*no operator"),
        ("f =~ x1 + x2\nf =~ x2", r"line 2 .*more than once.*line 1"),
        ("f =~ x1 + x2 + x3\nd := a*b", r"line 2 .*'a' is not a parameter label"),
        ("f =~ x1 + a*x2\nd := __import__('os').system('ls')", r"line 2 .*only the functions"),
        ("f =~ x1 + x2 + x3\ny =~ x4 + x5\nf ~ y\ny ~ f\nf =~ 2x", r"'2x' is not a valid"),
        ("f =~ x1 + x2 + x3 + X10", r"'X10' is not a column.*did you mean 'x1'"),
        ("", r"empty"),
    ],
)
def test_model_spec_errors(syntax, pattern):
    with pytest.raises(ModelSpecError, match=pattern):
        table(syntax)


@pytest.mark.parametrize(
    ("syntax", "pattern"),
    [
        ("f =~ x1 + x2\nx1 ~ 1", "intercepts"),
        ("f =~ x1 + x2\nf == 1", "'=='"),
        ("f =~ c(a, b)*x1 + x2", "c\\(a, b\\)"),
        ("f =~ x1 + x2\nx3 ~~ x4", "only in '~~'"),
    ],
)
def test_unsupported_models(syntax, pattern):
    with pytest.raises(UnsupportedModelError, match=pattern):
        table(syntax)


def test_error_is_one_line_and_a_value_error():
    with pytest.raises(ValueError) as info:
        table("f =~ x1 + x2 + x33")
    assert "\n" not in str(info.value)
    assert "line 1" in str(info.value) and "x33" in str(info.value)


def test_measurement_syntax_keeps_the_measurement_part():
    from surveysem.sem import measurement_syntax

    structural = """A =~ a1 + a2 + a3   # comment
                    B =~ NA*b1 + lab*b2 + 0.5*b3
                    B ~~ 1*B
                    a1 ~~ a2
                    B ~ A
                    A ~~ B
                    d := lab^2"""
    assert measurement_syntax(structural) == (
        "A =~ a1 + a2 + a3\nB =~ NA*b1 + lab*b2 + 0.5*b3\nB ~~ 1*B\na1 ~~ a2\n"
    )
    with pytest.raises(ModelSpecError, match="no '=~'"):
        measurement_syntax("y ~ x")


def test_user_covariances_are_put_in_variable_order():
    pt = table("f =~ x1 + x2 + x3\ng =~ x4 + x5 + x6\nx5 ~~ x2\ng ~~ f")
    user_cov = [(r.lhs, r.rhs) for r in pt.rows if r.user and r.op == "~~"]
    assert user_cov == [("x2", "x5"), ("f", "g")]
    assert sum(r.op == "~~" and {r.lhs, r.rhs} == {"f", "g"} for r in pt.rows) == 1
