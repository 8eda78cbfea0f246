"""Build a lavaan-style parameter table from parsed syntax, with lavaan ``sem()`` defaults.

The rules follow ``lavaan:::lav_partable_flat`` (lavaan 0.6.x) with the options that
``sem()``/``cfa()`` set (``auto.fix.first``, ``auto.fix.single``, ``auto.var``,
``auto.cov.lv.x``, ``auto.cov.y``; ``std.lv = FALSE``):

* the first loading of every factor is fixed to 1 (unless the user writes ``NA*x`` or a value);
* a single-indicator factor gets its indicator's residual variance fixed to 0;
* (residual) variances of all observed variables and all factors are free;
* covariances among exogenous factors (``lv.x``: not an indicator, never on the left of ``~``)
  are free;
* residual covariances among *pure* outcomes (``lv.y``/``ov.y``: on the left of ``~``, never
  on the right, not an indicator) are free. So two final latent outcomes get a residual
  covariance, but a mediator (on both sides of ``~``) gets none - e.g. no ``dem60 ~~ dem65`` in
  the PoliticalDemocracy model;
* observed exogenous covariates (``ov.x``: observed, on the right of ``~`` only, not an
  indicator, e.g. a control variable ``firm_size`` in ``FP ~ PP + firm_size``) get rows for
  their variances and covariances, marked ``exo``. With ``fixed_x=True`` (lavaan's
  ``fixed.x = TRUE``, its default for ML and MLR) these rows are fixed at the sample moments
  (:func:`with_exogenous_moments` fills them in); with ``fixed_x=False`` (lavaan's choice for
  GLS and ULS) they are free. Covariances between exogenous factors and covariates are 0,
  as in lavaan.

Row order is lavaan's: user rows in syntax order (a user covariance ``b ~~ a`` is written
``a ~~ b`` when ``a`` comes first among factors, then observed variables), then default
variances (observed variables, then factors), then factor covariances, then outcome
covariances, then the covariates' (co)variances; ``:=`` rows come last (they are kept
separately in ``definitions``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from itertools import combinations

import numpy as np
import pandas as pd

from surveysem.sem.errors import ModelSpecError, UnsupportedModelError
from surveysem.sem.model.syntax import Definition, ParsedSyntax, Statement


@dataclass
class ParRow:
    """One parameter-table row; ``free`` is 0 for fixed rows, else the 1-based free index."""

    lhs: str
    op: str
    rhs: str
    user: bool
    free: int
    value: float  # fixed value; NaN for free rows
    label: str
    line: int  # syntax line, 0 for rows lavaan adds by default
    exo: bool = False  # (co)variance of observed exogenous covariates (lavaan's exo column)


@dataclass
class ParTable:
    """Parameter table plus the variable classification used downstream."""

    rows: list[ParRow]
    definitions: tuple[Definition, ...]
    lv_names: list[str]  # latent variables, order of first `=~`
    ov_names: list[str]  # observed variables, lavaan order (indicators, outcomes, covariates)
    n_free: int

    @property
    def ov_x(self) -> list[str]:
        """Observed exogenous covariates (lavaan ``ov.x``), in ``ov_names`` order."""
        exo = {r.lhs for r in self.rows if r.exo}
        return [v for v in self.ov_names if v in exo]

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame (columns lhs, op, rhs, user, free, value, label)."""
        return pd.DataFrame([r.__dict__ for r in self.rows]).drop(columns="line")

    @property
    def endogenous(self) -> list[str]:
        """Variables with a residual variance: all observed ones and non-exogenous factors."""
        lv_x = set(_lv_x(self.rows, self.lv_names))
        return list(self.ov_names) + [v for v in self.lv_names if v not in lv_x]


def _unique(seq: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(seq))


def _lv_x(rows: list, lv_names: list[str]) -> list[str]:
    v_ind = {r.rhs for r in rows if r.op == "=~"}
    eqs_y = {r.lhs for r in rows if r.op == "~"}
    return [v for v in lv_names if v not in v_ind and v not in eqs_y]


def _where(st: Statement) -> str:
    return f"line {st.line} ('{st.text}')"


def _check_variables(statements, lv_names, columns: list[str]) -> None:
    """Every non-latent name must be a data column; say where and suggest a close match."""
    colset = set(columns)
    for st in statements:
        for name in (st.lhs, st.rhs):
            if name in lv_names or name in colset:
                continue
            lower = {c.lower(): c for c in columns}
            close = difflib.get_close_matches(name.lower(), list(lower), n=1)
            close = [lower[c] for c in close]
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            raise ModelSpecError(
                f"{_where(st)}: variable '{name}' is not a column of the data{hint}. "
                f"Fix the name in the syntax, define it as a factor with '=~', or add the column."
            )


def build_partable(
    parsed: ParsedSyntax, columns: Iterable[str], *, fixed_x: bool = True
) -> ParTable:
    """Expand parsed syntax into a full lavaan ``sem()`` parameter table.

    Parameters
    ----------
    parsed : ParsedSyntax
        Output of :func:`surveysem.sem.model.syntax.parse_syntax`.
    columns : iterable of str
        Column names of the data the model will be fitted to.
    fixed_x : bool, keyword-only
        lavaan's ``fixed.x``: the (co)variances of observed exogenous covariates are fixed
        (True, values NaN until :func:`with_exogenous_moments`) or free (False).

    Raises
    ------
    ModelSpecError
        Unknown variables, duplicated parameters, inconsistent labels, bad ``:=`` names.
    UnsupportedModelError
        Variables that appear only in ``~~``, or covariances between an indicator and a
        factor.

    Examples
    --------
    >>> from surveysem.sem.model.syntax import parse_syntax
    >>> pt = build_partable(parse_syntax("F =~ y1 + y2 + y3\\nF ~ x"), ["y1", "y2", "y3", "x"])
    >>> pt.ov_x, [(r.lhs, r.rhs, r.free, r.exo) for r in pt.rows if r.exo]
    (['x'], [('x', 'x', 0, True)])
    """
    statements = parsed.statements
    lv_names = _unique(s.lhs for s in statements if s.op == "=~")
    _check_variables(statements, lv_names, list(columns))

    # Variable classes exactly as lavaan's lav_partable_vnames().
    v_ind = _unique(s.rhs for s in statements if s.op == "=~")
    eqs_y = _unique(s.lhs for s in statements if s.op == "~")
    eqs_x = _unique(s.rhs for s in statements if s.op == "~")
    lvs = set(lv_names)
    ov_ind = [v for v in v_ind if v not in lvs]
    ov_y = [v for v in eqs_y if v not in lvs and v not in ov_ind]
    ov_x = [v for v in eqs_x if v not in lvs and v not in ov_ind and v not in ov_y]
    ov_cov = _unique(v for s in statements if s.op == "~~" for v in (s.lhs, s.rhs) if v not in lvs)
    known = set(ov_ind) | set(ov_y) | set(ov_x)
    only_cov = [v for v in ov_cov if v not in known]

    if only_cov:
        st = next(s for s in statements if only_cov[0] in (s.lhs, s.rhs))
        raise UnsupportedModelError(
            f"{_where(st)}: observed variable '{only_cov[0]}' appears only in '~~' statements. "
            "Give it a role with '=~' or '~', or remove it."
        )
    ov_names = ov_ind + ov_y + ov_x

    # Not supported yet: covariances between an indicator and a factor or outcome, and
    # regressions on an indicator. The RAM form of every fit could represent them, but no
    # lavaan parity case checks how lavaan parametrizes them (it adds phantom variables).
    theta_block = {v for v in ov_ind if v not in eqs_x}
    for st in statements:
        if st.op == "~~" and (st.lhs in theta_block) != (st.rhs in theta_block):
            raise UnsupportedModelError(
                f"{_where(st)}: a covariance between an indicator and a factor or outcome is not "
                "supported. Remove it or model it with a regression."
            )
        if st.op == "~" and st.rhs in theta_block:
            raise UnsupportedModelError(
                f"{_where(st)}: regressing on indicator '{st.rhs}' is not supported. "
                "Regress on its factor instead."
            )

    var_order = {v: i for i, v in enumerate(lv_names + ov_names)}
    rows: list[ParRow] = []
    seen: dict[tuple[str, str, str], Statement] = {}
    for st in statements:
        key = (st.lhs, st.op, st.rhs)
        alt = (st.rhs, st.op, st.lhs) if st.op == "~~" else key
        if key in seen or alt in seen:
            raise ModelSpecError(
                f"{_where(st)}: '{st.lhs} {st.op} {st.rhs}' is specified more than once "
                f"(also on line {(seen.get(key) or seen[alt]).line}). Keep one."
            )
        if st.op in ("=~", "~") and st.lhs == st.rhs:
            raise ModelSpecError(
                f"{_where(st)}: '{st.lhs}' cannot {'load on' if st.op == '=~' else 'predict'} "
                "itself. Fix the statement."
            )
        seen[key] = st
        lhs, rhs = st.lhs, st.rhs
        if st.op == "~~" and var_order[lhs] > var_order[rhs]:
            lhs, rhs = rhs, lhs  # lavaan's lav_partable_covariance_reorder
        rows.append(ParRow(lhs, st.op, rhs, True, 1, np.nan, st.label, st.line))

    # Defaults, skipping any the user wrote (in either orientation for ~~).
    def has(a: str, b: str) -> bool:
        return (a, "~~", b) in seen or (b, "~~", a) in seen

    defaults = [(v, v) for v in ov_ind + ov_y + lv_names]
    defaults += list(combinations(_lv_x(rows, lv_names), 2))
    lv_y = [v for v in lv_names if v in eqs_y and v not in v_ind and v not in eqs_x]
    defaults += list(combinations(lv_y + [v for v in ov_y if v not in eqs_x], 2))
    for a, b in defaults:
        if not has(a, b):
            rows.append(ParRow(a, "~~", b, False, 1, np.nan, "", 0))
    for i, a in enumerate(ov_x):
        for b in ov_x[i:]:
            if not has(a, b):
                rows.append(ParRow(a, "~~", b, False, int(not fixed_x), np.nan, "", 0, True))

    _apply_fixed_defaults(rows, statements)
    n_free = _assign_free_indices(rows)
    _check_definitions(parsed.definitions, rows)
    return ParTable(rows, parsed.definitions, lv_names, ov_names, n_free)


def _apply_fixed_defaults(rows: list[ParRow], statements) -> None:
    """auto.fix.first, auto.fix.single, then the user's value / NA modifiers."""
    first_seen: set[str] = set()
    loadings = [r for r in rows if r.op == "=~"]
    for r in loadings:
        if r.lhs not in first_seen:
            first_seen.add(r.lhs)
            r.free, r.value = 0, 1.0
    counts = pd.Series([r.lhs for r in loadings]).value_counts()
    rhs_counts = pd.Series([r.rhs for r in loadings]).value_counts()
    for r in loadings:
        if counts[r.lhs] == 1 and rhs_counts[r.rhs] == 1:
            for v in rows:
                if v.op == "~~" and v.lhs == v.rhs == r.rhs and not v.user:
                    v.free, v.value = 0, 0.0
    user_rows = [r for r in rows if r.user]
    for r, st in zip(user_rows, statements, strict=True):
        if st.fixed is not None:
            r.free, r.value = 0, st.fixed
        elif st.force_free:
            r.free, r.value = 1, np.nan


def _assign_free_indices(rows: list[ParRow]) -> int:
    """Number the free rows; rows sharing a label share one free parameter (equality)."""
    by_label: dict[str, int] = {}
    fixed_labels = {r.label: r for r in rows if r.label and r.free == 0}
    k = 0
    for r in rows:
        if r.free == 0:
            continue
        if r.label and r.label in fixed_labels:
            raise ModelSpecError(
                f"line {r.line}: label '{r.label}' is used for a fixed and a free parameter "
                f"(also line {fixed_labels[r.label].line}). Use different labels."
            )
        if r.label and r.label in by_label:
            r.free = by_label[r.label]
            continue
        k += 1
        r.free = k
        if r.label:
            by_label[r.label] = k
    return k


def _check_definitions(definitions: tuple[Definition, ...], rows: list[ParRow]) -> None:
    labels = {r.label for r in rows if r.label}
    known = set(labels)
    for d in definitions:
        if d.name in known:
            raise ModelSpecError(
                f"line {d.line} ('{d.text}'): '{d.name}' is already a label or defined "
                "parameter. Choose another name."
            )
        for name in d.names:
            if name not in known:
                raise ModelSpecError(
                    f"line {d.line} ('{d.text}'): '{name}' is not a parameter label. "
                    f"Label the parameter in the model (e.g. 'y ~ {name}*x') or fix the name."
                )
        known.add(d.name)


def with_exogenous_moments(pt: ParTable, cov: np.ndarray) -> ParTable:
    """The table with its fixed covariate (co)variances set to ``cov`` (lavaan ``fixed.x``).

    ``cov`` is the sample covariance matrix of ``pt.ov_names`` that the model is fitted to
    (lavaan uses the N-divisor matrix of ML, weighted with sampling weights). Free ``exo``
    rows (``fixed_x=False``) are left as they are.

    Examples
    --------
    >>> from surveysem.sem.model.syntax import parse_syntax
    >>> pt = build_partable(parse_syntax("F =~ y1 + y2 + y3\\nF ~ x"), ["y1", "y2", "y3", "x"])
    >>> [r.value for r in with_exogenous_moments(pt, 2.0 * np.eye(4)).rows if r.exo]
    [2.0]
    """
    pos = {v: i for i, v in enumerate(pt.ov_names)}
    rows = [
        replace(r, value=float(cov[pos[r.lhs], pos[r.rhs]])) if r.exo and not r.free else r
        for r in pt.rows
    ]
    return replace(pt, rows=rows)


def require_no_covariates(pt: ParTable, fit_name: str) -> None:
    """UnsupportedModelError naming the first observed covariate, for fits without fixed.x."""
    if pt.ov_x:
        raise UnsupportedModelError(
            f"observed covariate '{pt.ov_x[0]}' (a variable that predicts but is neither a factor "
            f"nor an item) is not supported by the {fit_name} fit. Use the ML-family estimators "
            "(ML, MLR, GLS, ULS) for models with covariates, or leave the covariate out."
        )
