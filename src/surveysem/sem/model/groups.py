"""The parameter table of several groups, with lavaan's ``group.equal`` constraints.

Each group gets the single-group table of :mod:`surveysem.sem.model.partable` plus a mean
structure; a parameter of group g > 1 that ``group.equal`` (or ``equal_params``) constrains
is the same free parameter as its group-1 counterpart and is labelled ``.pK.`` with K the
parameter-table id of the group-1 row (lavaan ``lav_partable_labels``). User labels apply to
every group, so a labelled parameter is equal across groups, as in lavaan.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveysem.sem.errors import ModelSpecError
from surveysem.sem.model.partable import ParTable

#: lavaan ``group.equal`` keywords supported here.
EQUAL_TYPES = (
    "loadings",
    "intercepts",
    "means",
    "regressions",
    "residuals",
    "residual.covariances",
    "lv.variances",
    "lv.covariances",
)


@dataclass
class MGRow:
    """One row of the multi-group parameter table (lavaan ``parTable`` semantics).

    ``free`` is 0 for fixed rows, else the 1-based index of the free parameter; rows that
    share it are constrained equal. ``label`` is the user label or lavaan's ``.pK.``.
    """

    id: int
    lhs: str
    op: str
    rhs: str
    group: int
    user: bool
    free: int
    value: float
    label: str

    @property
    def key(self) -> str:
        """``lhs op rhs`` without spaces, as lavaan's ``group.partial`` names it."""
        return f"{self.lhs}{self.op}{self.rhs}"


def _equal_flag(row: MGRow, equal: set[str], ov: set[str], lv: set[str]) -> bool:
    """lavaan ``lav_partable_labels``: is this group-1 row covered by ``group.equal``?"""
    op, lhs, rhs = row.op, row.lhs, row.rhs
    if op == "=~":
        return "loadings" in equal
    if op == "~":
        return "regressions" in equal
    if op == "~1":
        return ("intercepts" in equal and lhs in ov) or ("means" in equal and lhs in lv)
    if op == "~~":
        if lhs in ov:
            return ("residuals" in equal) if lhs == rhs else ("residual.covariances" in equal)
        if lhs in lv:
            return ("lv.variances" in equal) if lhs == rhs else ("lv.covariances" in equal)
    return False


def normalize_names(names) -> tuple[str, ...]:
    if isinstance(names, str):
        names = (names,)
    return tuple("".join(str(n).split()) for n in names)


def build_multigroup_rows(
    pt: ParTable,
    n_groups: int,
    equal: tuple[str, ...] = (),
    partial: tuple[str, ...] = (),
    equal_params: tuple[str, ...] = (),
) -> tuple[list[MGRow], int]:
    """The multi-group parameter table (lavaan row order and ``.pK.`` labels).

    Each group gets the single-group table of :func:`surveysem.sem.model.partable.build_partable`
    followed by the intercepts of the observed variables (free) and the latent means (0;
    free in groups > 1 when ``"intercepts"`` but not ``"means"`` is in ``equal``).

    Parameters
    ----------
    pt : ParTable
        Single-group table.
    n_groups : int
        Number of groups.
    equal : tuple of str
        lavaan ``group.equal`` types (see :data:`EQUAL_TYPES`).
    partial : tuple of str
        lavaan ``group.partial``: parameters (``"visual=~x2"``, ``"x1~1"``) exempted from
        ``equal``.
    equal_params : tuple of str
        Further parameters (same notation) constrained equal across groups.

    Returns
    -------
    rows, n_free
    """
    equal_set, partial_set = set(equal), set(partial)
    extra = set(equal_params)
    ov, lv = set(pt.ov_names), set(pt.lv_names)
    free_lv_means = "intercepts" in equal_set and "means" not in equal_set
    rows: list[MGRow] = []
    for g in range(1, n_groups + 1):
        for r in pt.rows:
            rows.append(
                MGRow(0, r.lhs, r.op, r.rhs, g, r.user, 1 if r.free else 0, r.value, r.label)
            )
        for v in pt.ov_names:
            rows.append(MGRow(0, v, "~1", "", g, False, 1, np.nan, ""))
        for v in pt.lv_names:
            free = g > 1 and free_lv_means
            rows.append(MGRow(0, v, "~1", "", g, False, int(free), np.nan if free else 0.0, ""))
    for i, r in enumerate(rows, start=1):
        r.id = i

    known = {r.key for r in rows}
    for name in partial_set | extra:
        if name not in known:
            raise ModelSpecError(
                f"parameter '{name}' is not in the model. Write it as lavaan does, e.g. "
                f"'visual=~x2', 'y~x', 'x1~~x1' or 'x1~1'."
            )

    # Tie keys: user label > group.equal / equal_params (to the group-1 row) > own row.
    first = {r.key: r for r in rows if r.group == 1}
    keys: list[tuple] = []
    labels: list[str] = []
    for r in rows:
        ref = first[r.key]
        tied = r.key in extra or (_equal_flag(ref, equal_set, ov, lv) and r.key not in partial_set)
        if r.label:
            keys.append(("label", r.label))
            labels.append(r.label)
        elif tied:
            keys.append(("row", ref.id))
            labels.append(f".p{ref.id}.")
        else:
            keys.append(("row", r.id))
            labels.append("")
    index: dict[tuple, int] = {}
    for r, key, label in zip(rows, keys, labels, strict=True):
        if not r.free:
            r.label = r.label if r.user else ""
            continue
        if key not in index:
            index[key] = len(index) + 1
        r.free = index[key]
        r.label = label
    # A constraint label is shown only where the parameter is shared by more than one row.
    counts = pd.Series([r.free for r in rows if r.free]).value_counts()
    for r in rows:
        if r.free and r.label.startswith(".p") and counts[r.free] < 2:
            r.label = ""
    return rows, len(index)


def check_equal(equal) -> tuple[str, ...]:
    if isinstance(equal, str):
        equal = (equal,)
    equal = tuple(equal)
    unknown = [e for e in equal if e not in EQUAL_TYPES]
    if unknown:
        raise ModelSpecError(
            f"group.equal type(s) {unknown} not supported. Use any of {list(EQUAL_TYPES)}."
        )
    return equal
