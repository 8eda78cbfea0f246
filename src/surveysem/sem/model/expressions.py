"""Safe arithmetic for lavaan ``:=`` defined parameters (no ``eval`` of user text).

A defined parameter such as ``indirect := a*b`` is parsed with Python's :mod:`ast` and only a
whitelist of nodes is accepted: numbers, names (parameter labels), ``+ - * / ^ **``, unary
minus and the functions ``sqrt``, ``exp``, ``log``, ``abs``. R's power operator ``^`` is
accepted and means ``**``.

:func:`evaluate` accepts complex values, so callers can differentiate by complex step,
``df/dx_j = Im f(x + i h e_j) / h`` (exact to machine precision for these analytic functions;
Squire & Trapp 1998, SIAM Review 40(1)). lavaan differentiates ``def.function`` numerically.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Mapping

import numpy as np

_BINOPS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}


def _cabs(z):
    # abs() that keeps the complex-step derivative: sign(Re z) * z instead of the modulus.
    return -z if np.real(z) < 0 else z


_FUNCS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": _cabs}


class ExpressionError(ValueError):
    """The text is not a supported arithmetic expression."""


# lavaan names may contain dots ("a.1"), which Python would read as attribute access.
_DOTTED = re.compile(r"\b[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+")
_DOT = "__dot__"


@functools.lru_cache(maxsize=1024)  # resampling evaluates the same few expressions many times
def parse_expression(text: str) -> ast.Expression:
    """Parse and validate ``text``; raise :class:`ExpressionError` if it is not allowed.

    The tree is cached and shared between calls: do not modify it.
    """
    src = _DOTTED.sub(lambda m: m.group(0).replace(".", _DOT), text.replace("^", "**"))
    try:
        tree = ast.parse(src.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"cannot parse expression '{text}'") from err
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            if not (isinstance(node.func, ast.Name) and node.func.id in _FUNCS):
                raise ExpressionError(
                    f"only the functions {sorted(_FUNCS)} are allowed in '{text}'"
                )
            if len(node.args) != 1 or node.keywords:
                raise ExpressionError(f"functions take exactly one argument in '{text}'")
        elif isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or not isinstance(node.value, int | float):
                raise ExpressionError(f"only numeric constants are allowed in '{text}'")
        elif isinstance(node, ast.BinOp):
            if type(node.op) not in _BINOPS:
                raise ExpressionError(f"operator not allowed in '{text}'")
        elif isinstance(node, ast.UnaryOp):
            if not isinstance(node.op, ast.USub | ast.UAdd):
                raise ExpressionError(f"operator not allowed in '{text}'")
        elif not isinstance(node, ast.Expression | ast.Name | ast.Load | ast.operator):
            raise ExpressionError(f"'{type(node).__name__}' is not allowed in '{text}'")
    return tree


def expression_names(tree: ast.Expression) -> list[str]:
    """Names (labels) used in a parsed expression, excluding function names, in order."""
    funcs = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    out: list[str] = []
    for node in ast.walk(tree):
        name = getattr(node, "id", "").replace(_DOT, ".")
        if isinstance(node, ast.Name) and id(node) not in funcs and name not in out:
            out.append(name)
    return out


def evaluate(tree: ast.Expression, values: Mapping[str, complex | float]):
    """Evaluate a parsed expression with ``values`` for the names (real or complex)."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant):
            return float(node.value)
        if isinstance(node, ast.Name):
            return values[node.id.replace(_DOT, ".")]
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            val = ev(node.operand)
            return -val if isinstance(node.op, ast.USub) else val
        if isinstance(node, ast.Call):
            return _FUNCS[node.func.id](ev(node.args[0]))
        raise ExpressionError(f"unexpected node {type(node).__name__}")  # pragma: no cover

    with np.errstate(all="ignore"):
        return ev(tree)
