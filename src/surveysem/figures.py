"""Figures of the structural model: the conceptual model and the estimated path diagram.

Positions come from the model itself (each construct's column is the length of the longest
chain of paths leading to it), so a new model is drawn without code changes. Files are
written without timestamps so that the same results give byte-identical figures.
"""

from collections.abc import Collection
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import Ellipse, Rectangle

from surveysem import formatting as fmt
from surveysem.hypotheses import split_path

plt.rcParams.update({"svg.hashsalt": "surveysem", "font.family": "DejaVu Sans", "font.size": 9})
NO_METADATA = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {"Software": None}}


def layout(
    paths: list[tuple[str, str]], observed: Collection[str] = ()
) -> dict[str, tuple[float, float]]:
    """(x, y) of every construct: x = longest chain into it, y spread evenly per column.

    An `observed` variable that only predicts (a covariate) stands one column before the
    first variable it predicts, so its arrows stay short and cross no other path.

    >>> layout([("A", "B"), ("B", "C"), ("B", "D"), ("C", "E"), ("D", "E")])["E"]
    (3.0, 0.0)
    >>> layout([("A", "B"), ("B", "C"), ("x", "C")], observed={"x"})["x"]
    (1.0, -0.5)
    """
    nodes = list(dict.fromkeys(n for path in paths for n in path))
    depth = dict.fromkeys(nodes, 0)
    for _ in nodes:  # longest-path relaxation; a recursive model would not settle, bounded
        for source, target in paths:
            depth[target] = max(depth[target], depth[source] + 1)
    targets = {t for _, t in paths}
    for node in set(observed).intersection(nodes) - targets:
        depth[node] = min(depth[t] for s, t in paths if s == node) - 1
    columns: dict[int, list[str]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    return {
        node: (float(x), (len(members) - 1) / 2 - i)
        for x, members in columns.items()
        for i, node in enumerate(members)
    }


# Drawing units: columns DX apart, rows DY apart; factors are ellipses with semi-axes A and B,
# observed variables rectangles with half-sides A and B (path-diagram convention).
DX, DY, A, B = 2.4, 1.5, 0.6, 0.36


def _edge(center, towards, box: bool = False):
    """The point where the line from `center` to `towards` leaves the ellipse (or the box)."""
    (x, y), (tx, ty) = center, towards
    dx, dy = tx - x, ty - y
    if box:
        scale = 1 / max(abs(dx) / A, abs(dy) / B)
    else:
        scale = 1 / ((dx / A) ** 2 + (dy / B) ** 2) ** 0.5
    return x + dx * scale, y + dy * scale


def _draw(paths, labels, dashed, inner_text, title, observed=frozenset()) -> plt.Figure:
    position = {node: (x * DX, y * DY) for node, (x, y) in layout(paths, observed).items()}
    xs = [x for x, _ in position.values()]
    ys = [y for _, y in position.values()]
    width, height = max(xs) - min(xs) + 2 * A + 0.4, max(ys) - min(ys) + 2 * B + 0.6
    figure, ax = plt.subplots(figsize=(1.1 * width, 1.1 * height))
    for node, (x, y) in position.items():
        style = {"facecolor": "white", "edgecolor": "black", "lw": 1}
        if node in observed:
            ax.add_patch(Rectangle((x - A, y - B), 2 * A, 2 * B, **style))
        else:
            ax.add_patch(Ellipse((x, y), 2 * A, 2 * B, **style))
        ax.text(x, y + (0.06 if node in inner_text else 0), node, ha="center", va="center",
                weight="bold")  # fmt: skip
        if node in inner_text:
            ax.text(x, y - 0.12, inner_text[node], ha="center", va="center", fontsize=7)
    for (source, target), label, dash in zip(paths, labels, dashed, strict=True):
        start = _edge(position[source], position[target], source in observed)
        end = _edge(position[target], position[source], target in observed)
        ax.annotate(
            "", xy=end, xytext=start,
            arrowprops={"arrowstyle": "-|>", "lw": 1, "color": "black",
                        "linestyle": "--" if dash else "-", "shrinkA": 2, "shrinkB": 2},
        )  # fmt: skip
        ax.text((start[0] + end[0]) / 2, (start[1] + end[1]) / 2, label, ha="center", va="center",
                fontsize=8, bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})  # fmt: skip
    ax.set_xlim(min(xs) - A - 0.2, max(xs) + A + 0.2)
    ax.set_ylim(min(ys) - B - 0.2, max(ys) + B + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    return figure


def observed_in(estimates: pd.DataFrame) -> set[str]:
    """The variables of the regressions in `estimates` (lavaan columns) that no ``=~``
    defines: observed covariates and outcomes, drawn as rectangles.

    >>> estimates = pd.DataFrame({"lhs": ["F", "S", "F", "F"], "op": ["=~", "=~", "~", "~"],
    ...                           "rhs": ["f1", "s1", "S", "size"]})
    >>> sorted(observed_in(estimates))
    ['size']
    """
    latent = set(estimates.loc[estimates["op"] == "=~", "lhs"])
    regressions = estimates[estimates["op"] == "~"]
    return (set(regressions["lhs"]) | set(regressions["rhs"])) - latent


def conceptual_model(hypotheses: list[dict], observed: Collection[str] = ()) -> plt.Figure:
    """The hypothesized paths, each labelled with its hypothesis and expected sign;
    `observed` variables (e.g. covariates, :func:`observed_in`) are drawn as rectangles."""
    paths, labels = [], []
    for hypothesis in hypotheses:
        outcome, predictor = split_path(hypothesis["path"])
        paths.append((predictor, outcome))
        labels.append(
            f"{hypothesis['id']} ({'+' if hypothesis['expected'] == 'positive' else '−'})"
        )
    return _draw(paths, labels, [False] * len(paths), {}, "Hypothesized model", set(observed))


def stars(p: float) -> str:
    """Significance marks: * p < .05, ** p < .01, *** p < .001."""
    return "***" if p < 0.001 else "**" if p < 0.01 else "*" if p < 0.05 else ""


def path_diagram(estimates: pd.DataFrame, r2: pd.DataFrame, alpha: float) -> plt.Figure:
    """Estimated structural paths (std.all with significance marks; dashed if p ≥ alpha);
    observed variables (covariates, observed outcomes) are drawn as rectangles."""
    structural = estimates[estimates.op == "~"]
    paths = list(zip(structural.rhs, structural.lhs, strict=True))
    labels = [
        fmt.number(b, 2, bounded=True) + stars(p)
        for b, p in zip(structural["std.all"], structural.pvalue, strict=True)
    ]
    explained = {row.lhs: f"R² = {fmt.number(row.r2, 2, bounded=True)}" for row in r2.itertuples()}
    inner = {node: explained[node] for node in structural.lhs if node in explained}
    dashed = list(structural.pvalue >= alpha)
    return _draw(paths, labels, dashed, inner, "Estimated model", observed_in(estimates))


def save(figure: plt.Figure, stem: str | Path) -> list[Path]:
    """Write `stem`.svg (vector) and `stem`.png (300 dpi) without timestamps."""
    written = []
    for suffix, dpi in (("svg", None), ("png", 300)):
        path = Path(f"{stem}.{suffix}")
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, format=suffix, dpi=dpi, bbox_inches="tight",
                       metadata=NO_METADATA[suffix])  # fmt: skip
        written.append(path)
    plt.close(figure)
    return written


def forest_plot(summary: pd.DataFrame) -> plt.Figure:
    """Standardized estimate of each hypothesis under every variant, with its 95% CI.

    `summary` is robustness/summary.csv (surveysem.robustness.robustness_summary): one
    panel per hypothesis, one row per variant, the main model on top and highlighted.
    """
    hypotheses = list(dict.fromkeys(summary["id"]))
    variants = list(dict.fromkeys(summary["variant"]))
    figure, axes = plt.subplots(
        1, len(hypotheses), figsize=(2.1 * len(hypotheses), 0.32 * len(variants) + 1.2),
        sharey=True,
    )  # fmt: skip
    for ax, hypothesis in zip(np.atleast_1d(axes), hypotheses, strict=True):
        rows = summary[summary["id"] == hypothesis].set_index("variant").reindex(variants)
        y = np.arange(len(variants))[::-1]
        ax.axvline(0, color="grey", lw=0.6)
        ax.hlines(y, rows["std.ci.lower"], rows["std.ci.upper"], color="black", lw=1)
        colors = ["black" if v == "main" else "dimgray" for v in variants]
        ax.scatter(rows["std.all"], y, c=colors, s=[28 if v == "main" else 14 for v in variants],
                   zorder=3)  # fmt: skip
        ax.set_title(f"{hypothesis}: {rows['path'].iloc[0].replace('->', '→')}", fontsize=8)
        ax.set_xlabel("standardized estimate", fontsize=7)
        ax.tick_params(labelsize=7)
    first = np.atleast_1d(axes)[0]
    first.set_yticks(np.arange(len(variants))[::-1])
    first.set_yticklabels(variants)
    figure.tight_layout()
    return figure


def bootstrap_distributions(draws: pd.DataFrame, indirect: pd.DataFrame) -> plt.Figure:
    """Histogram of the bootstrap draws of every indirect effect, with the estimate and the
    percentile interval marked (`draws`: bootstrap draws; `indirect`: model/indirect.csv).

    A model without indirect effects gives a figure that says so in one sentence.
    """
    effects = indirect[indirect["kind"] != "total"]
    if effects.empty:
        figure, ax = plt.subplots(figsize=(4.4, 0.8))
        message = "The model has no indirect effects, so there are no bootstrap distributions."
        ax.text(0.5, 0.5, message, ha="center", va="center", fontsize=8)
        ax.axis("off")
        return figure
    columns = min(4, len(effects))
    rows = -(-len(effects) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.2 * columns, 1.7 * rows), squeeze=False)
    for ax, effect in zip(axes.flat, effects.to_dict("records"), strict=False):
        values = draws.loc[(draws["op"] == ":=") & (draws["lhs"] == effect["effect"]), "est"]
        ax.hist(values.dropna(), bins=40, color="lightgray", edgecolor="gray", lw=0.3)
        ax.axvline(effect["est"], color="black", lw=1)
        for bound in (effect["perc.lower"], effect["perc.upper"]):
            ax.axvline(bound, color="black", lw=0.8, ls="--")
        ax.axvline(0, color="gray", lw=0.6, ls=":")
        ax.set_title(effect["path"], fontsize=7)
        ax.tick_params(labelsize=6)
        ax.set_yticks([])
    for ax in list(axes.flat)[len(effects) :]:
        ax.axis("off")
    figure.tight_layout()
    return figure


def power_curves(summary: pd.DataFrame, target: float = 0.80) -> plt.Figure:
    """Monte Carlo power of each hypothesis against the sample size (log scale), with a band
    of +/- 1.96 Monte Carlo standard errors and a dashed line at the `target` power.

    `summary` is power/summary.csv (surveysem.power.power_summary): one panel per hypothesis.
    """
    hypotheses = list(dict.fromkeys(summary["id"]))
    columns = min(3, len(hypotheses))
    rows = -(-len(hypotheses) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(2.4 * columns, 2.0 * rows),
                                squeeze=False, sharey=True)  # fmt: skip
    sizes = sorted(set(summary["n"]))
    for ax, hypothesis in zip(axes.flat, hypotheses, strict=False):
        rows_h = summary[summary["id"] == hypothesis].sort_values("n")
        n, power, half = rows_h["n"], rows_h["power"], 1.96 * rows_h["mc_se"]
        ax.fill_between(n, (power - half).clip(0, 1), (power + half).clip(0, 1),
                        color="lightgray", lw=0)  # fmt: skip
        ax.plot(n, power, color="black", marker="o", ms=3, lw=1)
        ax.axhline(target, color="black", lw=0.8, ls="--")
        ax.set_xscale("log")
        ax.set_xticks(sizes, [str(size) for size in sizes], rotation=90)
        ax.minorticks_off()
        ax.set_ylim(0, 1.02)
        ax.set_title(f"{hypothesis}: {rows_h['path'].iloc[0].replace('->', '→')}", fontsize=8)
        ax.set_xlabel("sample size n", fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes[:, 0]:
        ax.set_ylabel("power", fontsize=7)
    for ax in list(axes.flat)[len(hypotheses) :]:
        ax.axis("off")
    figure.suptitle(f"Monte Carlo power (band: ±1.96 Monte Carlo SE; dashed line: {target:.2f})",
                    fontsize=8)  # fmt: skip
    figure.tight_layout()
    return figure
