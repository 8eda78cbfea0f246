"""Indirect and total effects of a structural model, as lavaan ``:=`` defined parameters.

In a recursive model the indirect effect of X on Y along a chain X -> M1 -> ... -> Mk -> Y is
the product of the path coefficients on the chain; the total indirect effect of X on Y is the
sum over all chains, and the total effect adds the direct path X -> Y if the model has one
(Alwin & Hauser 1975; Bollen 1987; MacKinnon 2008, ch. 4-5). Written as ``:=`` rows, lavaan
(and :func:`surveysem.sem.parameter_estimates`) estimate them with delta-method (Sobel 1982)
standard errors; the bootstrap (:mod:`surveysem.sem.resampling.bootstrap`) gives percentile and BCa
intervals, preferred because products of coefficients are skewed (MacKinnon 2008, ch. 12).

Standardized (std.all) effects are the same products of standardized coefficients.

References
----------
Alwin, D. F., & Hauser, R. M. (1975). The decomposition of effects in path analysis. American
Sociological Review, 40(1), 37-47.
Bollen, K. A. (1987). Total, direct, and indirect effects in structural equation models.
Sociological Methodology, 17, 37-69.
MacKinnon, D. P. (2008). Introduction to Statistical Mediation Analysis. Erlbaum.
Sobel, M. E. (1982). Asymptotic confidence intervals for indirect effects in structural
equation models. Sociological Methodology, 13, 290-312.
"""

from __future__ import annotations

import re

import pandas as pd

from .sem.errors import ModelSpecError
from .sem.model.syntax import Statement, parse_syntax

ARROW = " \u2192 "  # " -> " as a Unicode arrow
EFFECT_COLUMNS = [
    "effect",
    "kind",
    "from",
    "to",
    "path",
    "est",
    "se",
    "z",
    "pvalue",
    "ci.lower",
    "ci.upper",
    "std.all",
]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", name)


def _unique_name(base: str, taken: set[str]) -> str:
    name, k = base, 2
    while name in taken:
        name, k = f"{base}_{k}", k + 1
    taken.add(name)
    return name


def _term(st: Statement, label: str) -> str:
    if st.fixed is not None:
        mod = f"{st.fixed!r}*"
    elif st.force_free:
        mod = "NA*"
    else:
        mod = ""
    if label:
        mod = f"{label}*{mod}"
    return f"{mod}{st.rhs}"


def _chains(edges: dict[str, list[str]], start: str) -> list[list[str]]:
    """All directed paths with >= 2 edges from ``start`` (depth first, in edge order)."""
    out: list[list[str]] = []

    def walk(path: list[str]) -> None:
        for nxt in edges.get(path[-1], []):
            if nxt in path:
                raise ModelSpecError(
                    f"the structural model has a feedback loop through '{nxt}' "
                    f"({ARROW.join([*path, nxt])}); indirect effects of nonrecursive models "
                    "are not enumerated. Remove the loop or define the effects with ':='."
                )
            new = [*path, nxt]
            if len(new) >= 3:
                out.append(new)
            walk(new)

    walk([start])
    return out


def indirect_effects_syntax(model: str) -> tuple[str, list[dict]]:
    """Add every indirect, total indirect and total effect of a model as ``:=`` parameters.

    The structural part is the set of regressions (``~``; in a latent-variable model these
    are the paths among factors). Every regression is labelled (existing labels are kept;
    others get ``b_<outcome>_<predictor>``, e.g. ``b_FP_PP`` for ``FP ~ PP``; a path fixed to a
    value enters the products as that number, a path fixed to 0 is no path). Then, for every
    variable X and every variable Y reachable from X through at least one mediator:

    * each chain X -> M1 -> ... -> Y gets ``ind_X_M1_..._Y := b_M1_X*...*b_Y_Mk``
      (kind ``indirect``);
    * if there are two or more chains: ``totind_X_Y :=`` their sum (``total_indirect``);
    * if the model also has the direct path Y ~ X: ``total_X_Y := b_Y_X + <indirect>``
      (``total``).

    Effect = product of the path coefficients along a chain; total indirect = sum over chains;
    total = direct + total indirect (Alwin & Hauser 1975; MacKinnon 2008).

    The returned syntax is regenerated from the parsed model (one statement per line,
    comments dropped, ``start()`` modifiers dropped since they are ignored) and is equivalent
    to ``model`` apart from the added labels and ``:=`` lines; existing ``:=`` lines are kept.
    Names that would clash with existing labels get a suffix ``_2``, ``_3``, ...

    Parameters
    ----------
    model : str
        lavaan model syntax with a recursive structural part.

    Returns
    -------
    syntax : str
        The augmented lavaan syntax.
    effects : list of dict
        One descriptor per added ``:=`` parameter: ``name``, ``kind`` (``indirect``,
        ``total_indirect`` or ``total``), ``from``, ``to``, ``path`` (e.g. ``"CO → CRP → PP"``;
        sums joined by ``" + "``) and ``expr`` (the defining expression).

    Raises
    ------
    ModelSpecError
        Invalid syntax, or a feedback loop in the structural model.

    References
    ----------
    MacKinnon (2008), Introduction to Statistical Mediation Analysis, ch. 4-5; Bollen (1987),
    Sociological Methodology 17; Sobel (1982), Sociological Methodology 13.

    Examples
    --------
    >>> syntax, effects = indirect_effects_syntax(
    ...     "X =~ x1 + x2 + x3\\nM =~ m1 + m2 + m3\\nY =~ y1 + y2 + y3\\nM ~ X\\nY ~ M + X")
    >>> print(syntax, end="")
    X =~ x1 + x2 + x3
    M =~ m1 + m2 + m3
    Y =~ y1 + y2 + y3
    M ~ b_M_X*X
    Y ~ b_Y_M*M + b_Y_X*X
    ind_X_M_Y := b_M_X*b_Y_M
    total_X_Y := b_Y_X + b_M_X*b_Y_M
    >>> [(e["name"], e["kind"], e["path"]) for e in effects]
    [('ind_X_M_Y', 'indirect', 'X → M → Y'), ('total_X_Y', 'total', 'X → Y + X → M → Y')]
    """
    parsed = parse_syntax(model)
    taken = {st.label for st in parsed.statements if st.label}
    taken |= {d.name for d in parsed.definitions}

    labels: dict[int, str] = {}  # statement position -> label for the syntax
    coef: dict[tuple[str, str], str] = {}  # (predictor, outcome) -> label or number
    edges: dict[str, list[str]] = {}  # predictor -> outcomes, in syntax order
    nodes: list[str] = []  # variables in order of first appearance in a regression
    for pos, st in enumerate(parsed.statements):
        if st.op != "~":
            continue
        for v in (st.rhs, st.lhs):
            if v not in nodes:
                nodes.append(v)
        if st.fixed is not None and st.fixed == 0:
            continue
        if st.fixed is not None and not st.label:
            coef[(st.rhs, st.lhs)] = repr(st.fixed)
        else:
            label = st.label or _unique_name(f"b_{_safe(st.lhs)}_{_safe(st.rhs)}", taken)
            labels[pos] = label
            coef[(st.rhs, st.lhs)] = label
        edges.setdefault(st.rhs, []).append(st.lhs)

    def product(chain: list[str]) -> str:
        return "*".join(coef[(a, b)] for a, b in zip(chain, chain[1:], strict=False))

    definitions: list[str] = []
    effects: list[dict] = []

    def add(base: str, kind: str, src: str, dst: str, path: str, expr: str) -> None:
        name = _unique_name(base, taken)
        definitions.append(f"{name} := {expr}")
        effects.append(
            {"name": name, "kind": kind, "from": src, "to": dst, "path": path, "expr": expr}
        )

    for src in nodes:
        chains = _chains(edges, src)
        targets = sorted({chain[-1] for chain in chains}, key=nodes.index)
        for dst in targets:
            mine = [c for c in chains if c[-1] == dst]
            for chain in mine:
                add(
                    "ind_" + "_".join(_safe(v) for v in chain),
                    "indirect",
                    src,
                    dst,
                    ARROW.join(chain),
                    product(chain),
                )
            indirect = " + ".join(product(c) for c in mine)
            paths = " + ".join(ARROW.join(c) for c in mine)
            if len(mine) > 1:
                add(
                    f"totind_{_safe(src)}_{_safe(dst)}", "total_indirect", src, dst, paths, indirect
                )
            if (src, dst) in coef:
                add(
                    f"total_{_safe(src)}_{_safe(dst)}",
                    "total",
                    src,
                    dst,
                    f"{src}{ARROW}{dst} + {paths}",
                    f"{coef[(src, dst)]} + {indirect}",
                )

    # Regenerate the syntax: consecutive statements from one line with the same lhs and op
    # are joined with '+'.
    lines: list[str] = []
    prev: tuple | None = None
    for pos, st in enumerate(parsed.statements):
        term = _term(st, labels.get(pos, st.label))
        group = (st.line, st.lhs, st.op)
        if group == prev:
            lines[-1] += f" + {term}"
        else:
            lines.append(f"{st.lhs} {st.op} {term}")
        prev = group
    lines += [f"{d.name} := {d.expr}" for d in parsed.definitions]
    lines += definitions
    return "\n".join(lines) + "\n", effects


def effects_table(
    estimates: pd.DataFrame, effects: list[dict], bootstrap: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per effect, with its estimate, delta-method test and standardized value.

    Takes the ``:=`` rows of :func:`surveysem.sem.parameter_estimates` for a model fitted with
    the syntax of :func:`indirect_effects_syntax`: ``est``, delta-method ``se``
    (``se = sqrt(J V J')``, Sobel 1982), ``z = est/se``, two-sided normal ``pvalue``, Wald
    interval ``ci.lower/ci.upper`` and ``std.all`` (product of standardized paths).

    Parameters
    ----------
    estimates : pandas.DataFrame
        ``parameter_estimates(fit)`` of the augmented model.
    effects : list of dict
        The descriptors returned by :func:`indirect_effects_syntax`.
    bootstrap : pandas.DataFrame, optional
        :func:`surveysem.sem.resampling.bootstrap.bootstrap_ci` output for the same model; adds its
        ``boot.se, perc.lower, perc.upper, bca.lower, bca.upper`` columns.

    Returns
    -------
    pandas.DataFrame
        Columns ``effect, kind, from, to, path, est, se, z, pvalue, ci.lower, ci.upper,
        std.all`` (plus the bootstrap columns), in the order of ``effects``.

    References
    ----------
    Sobel (1982), Sociological Methodology 13; MacKinnon (2008), ch. 4.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import two_factor_data
    >>> data = two_factor_data()
    >>> noise = np.random.default_rng(1).normal(size=(300, 2))
    >>> data["y1"], data["y2"] = data.b1 + noise[:, 0], data.b2 + noise[:, 1]
    >>> syntax, effects = indirect_effects_syntax(
    ...     "A =~ a1 + a2 + a3\\nB =~ b1 + b2 + b3\\nB ~ A\\ny1 ~ B\\ny2 ~ B")
    >>> pe = fit(syntax, data).estimates
    >>> effects_table(pe, effects)[["effect", "path", "est", "se", "std.all"]].round(3)
           effect        path    est     se  std.all
    0  ind_A_B_y1  A → B → y1  0.606  0.090    0.369
    1  ind_A_B_y2  A → B → y2  0.510  0.078    0.335
    """
    defined = estimates[estimates["op"] == ":="].set_index("lhs")
    missing = [e["name"] for e in effects if e["name"] not in defined.index]
    if missing:
        raise ValueError(
            f"estimates lack the defined parameters {missing}; fit the syntax returned by "
            "indirect_effects_syntax() and pass parameter_estimates() of that fit"
        )
    rows = []
    for e in effects:
        r = defined.loc[e["name"]]
        rows.append(
            {
                "effect": e["name"],
                "kind": e["kind"],
                "from": e["from"],
                "to": e["to"],
                "path": e["path"],
                **{c: float(r[c]) for c in EFFECT_COLUMNS[5:]},
            }
        )
    out = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    if bootstrap is not None:
        cols = ["boot.se", "perc.lower", "perc.upper", "bca.lower", "bca.upper"]
        boot = bootstrap[bootstrap["op"] == ":="].set_index("lhs")
        for c in cols:
            out[c] = [float(boot[c].get(name, float("nan"))) for name in out["effect"]]
    return out
