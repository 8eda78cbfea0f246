"""Parse the subset of lavaan model syntax that :mod:`surveysem.sem` estimates.

Supported (lavaan semantics, see ``?lavaan::model.syntax``):

* operators ``=~`` (measured by), ``~`` (regressed on), ``~~`` (covariance) and ``:=``
  (defined parameter, an arithmetic expression of labels);
* several left-hand sides (``y1 + y2 ~ f``) and right-hand sides (``f =~ x1 + x2``);
* modifiers ``2*x`` / ``-0.5*x`` (fixed value), ``a*x`` or ``label("a")*x`` (label; a shared
  label is an equality constraint), ``NA*x`` (free a parameter that lavaan would fix, e.g. the
  first loading) and ``start(0.5)*x`` (accepted, ignored: starting values come from the
  sample moments, :mod:`surveysem.sem.model.start`);
* comments starting with ``#`` or ``!``, statements separated by new lines or ``;``, and
  statements continued on the next line (a line without an operator continues the previous one,
  as in lavaan).

Anything else (``~ 1`` intercepts, ``==``/``<``/``>`` constraints, ``<~``, ``|`` thresholds,
multi-group modifiers ``c(...)``) raises :class:`UnsupportedModelError`; malformed text raises
:class:`ModelSpecError`. Both messages name the line and say how to fix it.

Example
-------
>>> from surveysem.sem.model.syntax import parse_syntax
>>> p = parse_syntax("f =~ x1 + a*x2 + a*x3\\n y ~ f  # outcome")
>>> [(s.lhs, s.op, s.rhs, s.label) for s in p.statements][:2]
[('f', '=~', 'x1', ''), ('f', '=~', 'x2', 'a')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from surveysem.sem.errors import ModelSpecError, UnsupportedModelError
from surveysem.sem.model.expressions import ExpressionError, expression_names, parse_expression

# Longest operators first so that "=~" is not read as "=" and "~~" not as "~".
_OP_RE = re.compile(r"=~|~~|:=|<~|~\*~|==|<=|>=|<|>|\||%|~")
_SUPPORTED = {"=~", "~", "~~", ":="}
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.]*|\.[A-Za-z_][A-Za-z0-9_.]*")
_NUM_RE = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_LABEL_CALL_RE = re.compile(r"""(label|equal)\(\s*["']([^"']+)["']\s*\)""")
_START_RE = re.compile(r"start\(\s*[^()]*\)")


@dataclass(frozen=True)
class Statement:
    """One ``lhs op rhs`` element after expanding ``+`` on both sides."""

    lhs: str
    op: str
    rhs: str
    fixed: float | None  # numeric modifier: the parameter is fixed at this value
    label: str  # "" when none
    force_free: bool  # NA* modifier
    line: int
    text: str


@dataclass(frozen=True)
class Definition:
    """A ``name := expression`` defined parameter."""

    name: str
    expr: str  # whitespace removed, as lavaan prints it in the rhs column
    names: tuple[str, ...]  # labels (or earlier definitions) used
    line: int
    text: str


@dataclass(frozen=True)
class ParsedSyntax:
    statements: tuple[Statement, ...]
    definitions: tuple[Definition, ...]


def _fail(line: int, text: str, problem: str, fix: str, cls=ModelSpecError):
    raise cls(f"line {line} ('{text}'): {problem}. {fix}")


def _split_top(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside parentheses."""
    parts, depth, cur = [], 0, []
    for ch in text:
        depth += (ch == "(") - (ch == ")")
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _logical_statements(syntax: str) -> list[tuple[int, str]]:
    """Strip comments, split on newlines and ';', join continuation lines (lavaan rule)."""
    out: list[tuple[int, str]] = []
    for lineno, raw in enumerate(syntax.splitlines(), start=1):
        code = re.split(r"[#!]", raw, maxsplit=1)[0]
        for piece in code.split(";"):
            piece = piece.strip()
            if not piece:
                continue
            continues = out and (
                not _OP_RE.search(piece)
                or piece.startswith("+")
                or out[-1][1].rstrip().endswith(("+", "*", "=~", "~", ":="))
            )
            if continues:
                out[-1] = (out[-1][0], f"{out[-1][1]} {piece}")
            else:
                out.append((lineno, piece))
    return out


def _check_name(name: str, line: int, text: str, what: str) -> str:
    if not _NAME_RE.fullmatch(name):
        _fail(
            line,
            text,
            f"'{name}' is not a valid {what} name",
            "Use letters, digits, '_' and '.', starting with a letter.",
        )
    return name


def _parse_term(term: str, line: int, text: str):
    """Return (variable, fixed, label, force_free) for one right-hand-side term."""
    parts = [p.strip() for p in _split_top(term, "*")]
    if any(not p for p in parts):
        _fail(line, text, f"empty term in '{term.strip()}'", "Remove the stray '+' or '*'.")
    if parts[-1] == "1":
        _fail(
            line,
            text,
            "intercepts ('~ 1') are not supported",
            "Remove the term: models are fitted to the covariance matrix only.",
            UnsupportedModelError,
        )
    var = _check_name(parts[-1], line, text, "variable")
    fixed, label, force_free = None, "", False
    for mod in parts[:-1]:
        if _NUM_RE.fullmatch(mod):
            fixed = float(mod)
        elif mod == "NA":
            force_free = True
        elif m := _LABEL_CALL_RE.fullmatch(mod):
            label = _check_name(m.group(2), line, text, "label")
        elif _START_RE.fullmatch(mod):
            continue
        elif _NAME_RE.fullmatch(mod) and "(" not in mod:
            label = mod
        else:
            _fail(
                line,
                text,
                f"modifier '{mod}' is not supported",
                "Use a number (fixed value), a label, NA, label('a') or start(value); "
                "multi-group modifiers c(...) are not supported.",
                UnsupportedModelError,
            )
    if fixed is not None and force_free:
        _fail(line, text, f"'{term.strip()}' is both fixed and NA", "Keep one modifier.")
    return var, fixed, label, force_free


def parse_syntax(syntax: str) -> ParsedSyntax:
    """Parse lavaan model syntax into statements and defined parameters.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (see the module docstring for the supported subset).

    Returns
    -------
    ParsedSyntax
        ``statements`` in syntax order (one per lhs/rhs pair) and ``definitions``.

    Raises
    ------
    ModelSpecError
        Malformed syntax; the message names the line and the fix.
    UnsupportedModelError
        Valid lavaan syntax that this module does not estimate.
    """
    if not isinstance(syntax, str) or not syntax.strip():
        raise ModelSpecError("model syntax is empty. Pass lavaan syntax such as 'f =~ x1 + x2'.")
    statements: list[Statement] = []
    definitions: list[Definition] = []
    for line, text in _logical_statements(syntax):
        m = _OP_RE.search(text)
        if m is None:
            _fail(line, text, "no operator found", "Use one of =~, ~, ~~ or :=.")
        op = m.group(0)
        lhs_text, rhs_text = text[: m.start()].strip(), text[m.end() :].strip()
        if op not in _SUPPORTED:
            _fail(
                line,
                text,
                f"operator '{op}' is not supported",
                "Only =~, ~, ~~ and := are estimated here (no equality/inequality "
                "constraints, formative '<~' or thresholds '|').",
                UnsupportedModelError,
            )
        if not lhs_text or not rhs_text:
            _fail(line, text, f"'{op}' needs a left and a right side", "Complete the statement.")
        if op == ":=":
            name = _check_name(lhs_text, line, text, "defined parameter")
            try:
                tree = parse_expression(rhs_text)
            except ExpressionError as err:
                _fail(line, text, str(err), "Use labels, numbers, + - * / ^ and sqrt/exp/log/abs.")
            names = tuple(expression_names(tree))
            expr = re.sub(r"\s+", "", rhs_text)
            definitions.append(Definition(name, expr, names, line, text))
            continue
        lhs_names = [_check_name(s.strip(), line, text, "variable") for s in lhs_text.split("+")]
        for term in _split_top(rhs_text, "+"):
            var, fixed, label, force_free = _parse_term(term, line, text)
            for lhs in lhs_names:
                statements.append(Statement(lhs, op, var, fixed, label, force_free, line, text))
    if not statements:
        raise ModelSpecError("model syntax has no =~, ~ or ~~ statement. Add the model.")
    return ParsedSyntax(tuple(statements), tuple(definitions))


def _term(st: Statement) -> str:
    if st.fixed is not None:
        mod = f"{st.fixed:g}*"
    elif st.force_free:
        mod = "NA*"
    else:
        mod = ""
    if st.label:
        mod = f"{st.label}*{mod}"
    return f"{mod}{st.rhs}"


def measurement_syntax(syntax: str) -> str:
    """The confirmatory measurement model of a structural model.

    Keeps the ``=~`` statements (with their modifiers), variance statements of factors and
    indicators (e.g. ``f ~~ 1*f`` that identifies a factor with ``NA*`` loadings) and
    covariances between indicators; drops regressions, observed covariates (variables that
    only predict), covariances involving factors and ``:=`` definitions.
    Every factor is then exogenous, so lavaan's defaults free all factor covariances: the CFA
    used for reliability and discriminant validity (two-step approach of Anderson & Gerbing
    1988, Psychological Bulletin 103(3)).

    Examples
    --------
    >>> measurement_syntax("A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\nB ~ A + size\\nsize ~~ size")
    'A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\n'
    """
    parsed = parse_syntax(syntax)
    factors = {s.lhs for s in parsed.statements if s.op == "=~"}
    if not factors:
        raise ModelSpecError("the model has no '=~' statement, so it has no measurement model.")
    indicators = {s.rhs for s in parsed.statements if s.op == "=~"} - factors
    lines: dict[str, list[str]] = {}
    covs = []
    for st in parsed.statements:
        if st.op == "=~":
            lines.setdefault(st.lhs, []).append(_term(st))
        elif st.op == "~~" and (
            {st.lhs, st.rhs} <= indicators or (st.lhs == st.rhs and st.lhs in factors)
        ):
            covs.append(f"{st.lhs} ~~ {_term(st)}")
    out = [f"{lv} =~ {' + '.join(terms)}" for lv, terms in lines.items()]
    return "\n".join(out + covs) + "\n"


def factor_indicators(syntax: str) -> dict[str, list[str]]:
    """Each factor of the model with its indicators, in syntax order.

    Examples
    --------
    >>> factor_indicators("A =~ a1 + a2\\nB =~ b1 + b2 + b3\\nB ~ A")
    {'A': ['a1', 'a2'], 'B': ['b1', 'b2', 'b3']}
    """
    factors: dict[str, list[str]] = {}
    for statement in parse_syntax(syntax).statements:
        if statement.op == "=~":
            factors.setdefault(statement.lhs, []).append(statement.rhs)
    return factors
