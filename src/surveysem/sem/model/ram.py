"""The model of one group in RAM form: what FIML, multi-group fits and score tests share.

All variables ``v = (observed, latent)`` (observed first) satisfy ``v = A v + u`` with
``Cov(u) = S`` and ``E(u) = m`` (McArdle & McDonald 1984), so with ``B = (I - A)^-1``

    Cov(v) = B S B',   E(v) = B m,   Sigma = [B S B']_oo,   mu = [B m]_o.

A holds the directed paths (``f =~ y``: A[y, f]; ``y ~ x``: A[y, x]), S the (residual)
variances and covariances (``~~``), m the intercepts and means (``~1``). Each entry is a free
parameter (rows sharing an index are one parameter: equality constraints) or a fixed value.

References
----------
McArdle, J. J., & McDonald, R. P. (1984). Some algebraic properties of the Reticular Action
Model for moment structures. British Journal of Mathematical and Statistical Psychology,
37(2), 234-251.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


class Ram:
    """RAM matrices A (directed), S (undirected) and m (intercepts) of one group.

    Parameters
    ----------
    rows : iterable
        Parameter-table rows with ``lhs, op, rhs, free, value`` (``free``: 1-based index of
        the free parameter, 0 for a fixed row); rows with other operators are ignored.
    ov_names, lv_names : list of str
        Observed and latent variables (observed first in every matrix).
    n_free : int
        Number of free parameters (the length of ``theta``).
    """

    def __init__(self, rows: Iterable, ov_names, lv_names, n_free: int):
        names = list(ov_names) + list(lv_names)
        idx = {v: i for i, v in enumerate(names)}
        self.p, self.nv, self.k = len(ov_names), len(names), n_free
        a, s, m = [], [], []
        for r in rows:
            free, val = r.free - 1, (0.0 if r.free else float(r.value))
            if r.op == "=~":
                a.append((idx[r.rhs], idx[r.lhs], free, val))
            elif r.op == "~":
                a.append((idx[r.lhs], idx[r.rhs], free, val))
            elif r.op == "~~":
                s.append((idx[r.lhs], idx[r.rhs], free, val))
            elif r.op == "~1":
                m.append((idx[r.lhs], 0, free, val))

        def arr(entries):
            e = np.array(entries, dtype=float).reshape(-1, 4)
            return e[:, 0].astype(int), e[:, 1].astype(int), e[:, 2].astype(int), e[:, 3]

        self.a, self.s, self.m = arr(a), arr(s), arr(m)

    @classmethod
    def from_partable(cls, pt) -> Ram:
        """The model of a single-group :class:`~surveysem.sem.model.partable.ParTable`."""
        return cls(pt.rows, pt.ov_names, pt.lv_names, pt.n_free)

    @staticmethod
    def _values(entries, theta):
        _, _, free, val = entries
        out, free_rows = val.copy(), free >= 0
        out[free_rows] = theta[free[free_rows]]
        return out

    def matrices(self, theta: np.ndarray):
        """A, S and m at ``theta``."""
        nv = self.nv
        a_mx = np.zeros((nv, nv))
        ai, aj, _, _ = self.a
        a_mx[ai, aj] = self._values(self.a, theta)
        s_mx = np.zeros((nv, nv))
        si, sj, _, _ = self.s
        sv = self._values(self.s, theta)
        s_mx[si, sj] = sv
        s_mx[sj, si] = sv
        m_vec = np.zeros(nv)
        m_vec[self.m[0]] = self._values(self.m, theta)
        return a_mx, s_mx, m_vec

    def implied(self, theta: np.ndarray):
        """B, total covariance and mean of all variables (observed first)."""
        a_mx, s_mx, m_vec = self.matrices(theta)
        b = np.linalg.inv(np.eye(self.nv) - a_mx)
        return b, b @ s_mx @ b.T, b @ m_vec

    def moments(self, theta: np.ndarray):
        """Model-implied mean vector and covariance matrix of the observed variables."""
        _, cov, mean = self.implied(theta)
        p = self.p
        return mean[:p], cov[:p, :p]

    def jacobian(self, theta: np.ndarray):
        """dSigma/dtheta (k, p, p) and dmu/dtheta (k, p), equality constraints summed."""
        b, cov, mean = self.implied(theta)
        p, k = self.p, self.k
        fb = b[:p]  # (p, nv)
        q = cov[:, :p]  # (nv, p) = B S B' F'
        d_sig = np.zeros((k, p, p))
        d_mu = np.zeros((k, p))
        ai, aj, af, _ = self.a
        sel = af >= 0
        if sel.any():
            i, j, f = ai[sel], aj[sel], af[sel]
            left = fb[:, i].T[:, :, None] * q[j][:, None, :]
            np.add.at(d_sig, f, left + left.transpose(0, 2, 1))
            np.add.at(d_mu, f, fb[:, i].T * mean[j][:, None])
        si, sj, sf, _ = self.s
        sel = sf >= 0
        if sel.any():
            i, j, f = si[sel], sj[sel], sf[sel]
            term = fb[:, i].T[:, :, None] * fb[:, j].T[:, None, :]
            term = term + np.where((i != j)[:, None, None], term.transpose(0, 2, 1), 0.0)
            np.add.at(d_sig, f, term)
        mi, _, mf, _ = self.m
        sel = mf >= 0
        if sel.any():
            np.add.at(d_mu, mf[sel], fb[:, mi[sel]].T)
        return d_sig, d_mu


def group_rams(rows, ov_names, lv_names, n_free: int) -> list[Ram]:
    """One :class:`Ram` per group of a multi-group parameter table (rows with ``group``,
    1-based), all indexing the one vector of ``n_free`` parameters."""
    n_groups = max(r.group for r in rows)
    return [
        Ram([r for r in rows if r.group == g], ov_names, lv_names, n_free)
        for g in range(1, n_groups + 1)
    ]
