"""The model of ordered items under lavaan's delta parameterization, in one or several groups:
parameter table, implied thresholds and polychoric correlations, and their Jacobian.

Latent responses ``y*`` underlie the items. In group g the factors and the latent responses
follow the RAM model of :mod:`surveysem.sem.model.ram` (loadings and regressions in A, factor
(co)variances and item residual covariances in S, factor means in m), with the residual
variances of the items left out of S, so that

    V_g = [B S B']_items,      mu*_g = [B m]_items,      Phi_g = [B S B']_factors

are the covariances of y* without their residual variances and the means of y*. The scale
factors ``Delta_g`` (lavaan ``~*~``) standardize y*, so the model-implied sample statistics
``sigma_g`` (thresholds item by item, then the correlations in lavaan's order) are

    tau*_gjk = (tau_jk - mu*_gj) Delta_gj,        rho_g,ij = Delta_gi Delta_gj V_g,ij  (i > j).

The residual variances of y* are not parameters: ``theta_g,jj = Delta_gj^-2 - V_g,jj`` gives
y* the variance ``Delta_gj^-2``; they are reported as fixed rows (se 0). As lavaan, the scales
are 1 and the factor means and item intercepts 0 in every group, with free thresholds; with
``"thresholds"`` in ``group.equal`` the thresholds are shared and the scales and factor means
of groups 2, 3, ... become free (Millsap & Yun-Tein 2004).

``Delta = d sigma_g / d theta'`` is analytic (:meth:`OrdinalModel.jacobian`): with ``dV`` and
``d mu*`` from :meth:`Ram.jacobian`,

* ``d tau*_jk = Delta_j d tau_jk + (tau_jk - mu*_j) d Delta_j - Delta_j d mu*_j``;
* ``d rho_ij = Delta_i Delta_j dV_ij + V_ij (Delta_j d Delta_i + Delta_i d Delta_j)``.

References
----------
Muthén, B. (1984). A general structural equation model with dichotomous, ordered categorical,
and continuous latent variable indicators. Psychometrika, 49(1), 115-132.
Millsap, R. E., & Yun-Tein, J. (2004). Assessing factorial invariance in ordered-categorical
measures. Multivariate Behavioral Research, 39(3), 479-515.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
Statistical Software, 48(2). https://doi.org/10.18637/jss.v048.i02
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from surveysem.sem.model.groups import MGRow
from surveysem.sem.model.partable import ParRow, ParTable
from surveysem.sem.model.ram import group_rams

#: ``group.equal`` types of ordinal multi-group fits.
EQUAL_TYPES = ("thresholds", "loadings", "regressions", "lv.variances", "lv.covariances")
_TIED = {"thresholds": ("|",), "loadings": ("=~",), "regressions": ("~",)}


def ordinal_model_problems(pt: ParTable) -> list[str]:
    """What of a model the ordinal (WLSMV) fit cannot estimate, one sentence per statement:
    regressions involving observed items, single-indicator factors, user-written residual
    variances of items (not parameters under the delta parameterization). Empty when it can.
    """
    ovs = set(pt.ov_names)
    n_ind = {
        f: sum(1 for r in pt.rows if r.op == "=~" and r.lhs == f and r.rhs in ovs)
        for f in pt.lv_names
    }
    problems = []
    for r in pt.rows:
        where = f"line {r.line}" if r.line else "default row"
        if r.op == "~" and (r.lhs in ovs or r.rhs in ovs):
            problems.append(
                f"{where} ('{r.lhs} ~ {r.rhs}'): regressions involving observed ordinal items "
                "are not supported by the ordinal (WLSMV) fit. Make the item an indicator of a "
                "factor and regress on the factor."
            )
        if r.op == "=~" and r.rhs in ovs and n_ind[r.lhs] == 1:
            problems.append(
                f"{where} ('{r.lhs} =~ {r.rhs}'): single-indicator factors are not supported by "
                "the ordinal (WLSMV) fit. Use the item itself or add indicators."
            )
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in ovs and r.user:
            problems.append(
                f"line {r.line} ('{r.lhs} ~~ {r.rhs}'): residual variances of ordinal items are "
                "not parameters under the delta parameterization (they are 1 minus the "
                "explained variance). Remove the statement."
            )
    return problems


# ---------------------------------------------------------------------------------------------
# parameter table


def _group_rows(pt: ParTable, n_thresholds: list[int]) -> list[ParRow]:
    """lavaan's rows of one group: the user rows, the thresholds, the default rows (item
    residual variances derived: fixed, NaN), the scales ``~*~`` (1) and the intercepts and
    factor means ``~1`` (0). ``free`` is 1 for free rows (numbered by :func:`model_rows`)."""
    thresholds = [
        ParRow(v, "|", f"t{k + 1}", False, 1, np.nan, "", 0)
        for v, count in zip(pt.ov_names, n_thresholds, strict=True)
        for k in range(count)
    ]
    user, defaults = [], []
    for r in pt.rows:
        free, value = int(bool(r.free)), r.value
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in pt.ov_names:
            free, value = 0, np.nan
        row = ParRow(r.lhs, r.op, r.rhs, r.user, free, value, r.label, r.line)
        (user if r.user else defaults).append(row)
    rows = user + thresholds + defaults
    rows += [ParRow(v, "~*~", v, False, 0, 1.0, "", 0) for v in pt.ov_names]
    rows += [ParRow(v, "~1", "", False, 0, 0.0, "", 0) for v in pt.ov_names + pt.lv_names]
    return rows


def _tied(row: MGRow, equal: set[str], lvs: set[str]) -> bool:
    if row.op in ("=~", "~", "|"):
        return any(row.op in _TIED[kind] for kind in equal if kind in _TIED)
    if row.op == "~~" and row.lhs in lvs and row.rhs in lvs:
        kind = "lv.variances" if row.lhs == row.rhs else "lv.covariances"
        return kind in equal
    return False


def model_rows(
    pt: ParTable, n_thresholds: list[int], n_groups: int, equal: tuple[str, ...] = ()
) -> tuple[list[MGRow], int]:
    """lavaan's parameter table of an ordinal model in ``n_groups`` groups and its number of
    free parameters.

    Every group has the rows of :func:`_group_rows`; with ``"thresholds"`` in ``equal`` the
    scales and factor means of groups 2, 3, ... are free. Free parameters are numbered in row
    order; rows with one user label share a parameter, and so do the rows of the groups
    covered by ``equal`` (labelled ``.pK.`` after the group-1 row K, as lavaan).
    """
    lvs = set(pt.lv_names)
    free_scales = "thresholds" in equal
    template = _group_rows(pt, n_thresholds)
    rows: list[MGRow] = []
    for g in range(1, n_groups + 1):
        for r in template:
            free, value = r.free, r.value
            if g > 1 and free_scales and (r.op == "~*~" or (r.op == "~1" and r.lhs in lvs)):
                free, value = 1, np.nan
            label = r.label if r.user else ""
            rows.append(MGRow(0, r.lhs, r.op, r.rhs, g, r.user, free, value, label))
    for i, r in enumerate(rows, start=1):
        r.id = i
    first = {(r.lhs, r.op, r.rhs): r for r in rows if r.group == 1}
    index: dict = {}
    counts: dict[int, int] = {}
    for r in rows:
        if not r.free:
            continue
        ref = first[(r.lhs, r.op, r.rhs)]
        tied = _tied(ref, set(equal), lvs)
        key = ("label", r.label) if r.label else ("row", ref.id if tied else r.id)
        r.free = index.setdefault(key, len(index) + 1)
        if key == ("row", ref.id) and tied:
            r.label = f".p{ref.id}."
        counts[r.free] = counts.get(r.free, 0) + 1
    for r in rows:
        if r.free and r.label.startswith(".p") and counts[r.free] < 2:
            r.label = ""
    return rows, len(index)


# ---------------------------------------------------------------------------------------------
# implied moments and Jacobian


class Parts(NamedTuple):
    """What the model of one group implies at a parameter vector."""

    v: np.ndarray  # covariances of y* without the item residual variances (p x p)
    phi: np.ndarray  # factor covariance matrix (m x m)
    mean: np.ndarray  # mu*, the means of y*
    scale: np.ndarray  # Delta
    tau: np.ndarray  # thresholds


class _Slot(NamedTuple):
    mat: str  # "tau" or "scale"
    a: int
    col: int  # free - 1; -1 for a fixed value
    value: float


class OrdinalModel:
    """The parameter table of :func:`model_rows` as one RAM model per group plus thresholds
    and scales (module docstring): implied statistics :meth:`implied` and their Jacobian
    :meth:`jacobian`.

    Parameters
    ----------
    rows, n_free : from :func:`model_rows`.
    ov_names, lv_names : items and factors, lavaan's order.
    pairs : item pairs (i, j) of the correlations, lavaan's order.
    definitions : the ``:=`` parameters of the syntax.
    """

    def __init__(self, rows, n_free, ov_names, lv_names, pairs, definitions=()):
        self.rows, self.n_free = rows, n_free
        self.ov_names, self.lv_names = list(ov_names), list(lv_names)
        self.definitions = tuple(definitions)
        self.n_groups = max(r.group for r in rows)
        self.ii = np.array([i for i, _ in pairs], dtype=int)
        self.jj = np.array([j for _, j in pairs], dtype=int)
        ov = {v: i for i, v in enumerate(self.ov_names)}
        self.th_item = np.array([ov[r.lhs] for r in rows if r.group == 1 and r.op == "|"], int)
        self.n_th = len(self.th_item)
        items = set(self.ov_names)
        # the item residual variances are derived, not part of S
        structural = [r for r in rows if not (r.op == "~~" and r.lhs == r.rhs and r.lhs in items)]
        self.rams = group_rams(structural, self.ov_names, self.lv_names, n_free)
        self._slots: list[list[_Slot]] = [[] for _ in range(self.n_groups)]
        n_tau = [0] * self.n_groups
        for r in rows:
            if r.op == "|":
                at = ("tau", n_tau[r.group - 1])
                n_tau[r.group - 1] += 1
            elif r.op == "~*~":
                at = ("scale", ov[r.lhs])
            else:
                continue
            self._slots[r.group - 1].append(_Slot(*at, r.free - 1, r.value))

    @property
    def partable(self) -> ParTable:
        """The rows as a single-group :class:`ParTable` (what ``estimates_table`` reads)."""
        return ParTable(self.rows, self.definitions, self.lv_names, self.ov_names, self.n_free)

    def parts(self, g: int, x: np.ndarray) -> Parts:
        """What group ``g`` (0-based) implies at ``x``."""
        p = len(self.ov_names)
        scale, tau = np.ones(p), np.zeros(self.n_th)
        for s in self._slots[g]:
            (tau if s.mat == "tau" else scale)[s.a] = x[s.col] if s.col >= 0 else s.value
        _, total, mean = self.rams[g].implied(x)
        return Parts(total[:p, :p], total[p:, p:], mean[:p], scale, tau)

    def implied(self, g: int, x: np.ndarray) -> np.ndarray:
        """sigma_g: the implied thresholds, then the implied correlations."""
        q = self.parts(g, x)
        k = self.th_item
        th = (q.tau - q.mean[k]) * q.scale[k]
        return np.concatenate([th, q.scale[self.ii] * q.scale[self.jj] * q.v[self.ii, self.jj]])

    def jacobian(self, g: int, x: np.ndarray) -> np.ndarray:
        """``Delta_g = d sigma_g / d theta'`` (analytic, module docstring)."""
        q = self.parts(g, x)
        ii, jj, k, nth = self.ii, self.jj, self.th_item, self.n_th
        s_th, s_i, s_j = q.scale[k], q.scale[ii], q.scale[jj]
        d_sig, d_mu = self.rams[g].jacobian(x)
        jac = np.empty((nth + len(ii), self.n_free))
        jac[:nth] = -(s_th[:, None] * d_mu[:, k].T)
        jac[nth:] = (s_i * s_j)[:, None] * d_sig[:, ii, jj].T
        for s in self._slots[g]:
            if s.col < 0:
                continue
            if s.mat == "tau":
                jac[s.a, s.col] += s_th[s.a]
            else:  # scale of item a
                a = s.a
                jac[:nth, s.col] += np.where(k == a, q.tau - q.mean[a], 0.0)
                jac[nth:, s.col] += q.v[ii, jj] * ((ii == a) * s_j + (jj == a) * s_i)
        return jac
