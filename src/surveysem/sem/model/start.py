"""Starting values of the free parameters, from the sample moments (lavaan's "simple" spirit).

Every factor is represented by its marker, the indicator of its first loading fixed to a
non-zero value (followed down to an observed variable for a higher-order factor). A factor's
variance starts at the mean absolute covariance of its marker with its other indicators (half
the marker's variance for a factor with one indicator; 0.05 without a marker), a free loading
of y on f at ``cov(marker(y), marker(f)) / var0(f)`` (clipped to +-10), or at
``sqrt(var(y) / 2)`` for a factor without a marker. Residual variances start at half the
observed variance, regressions and covariances at 0, intercepts at the sample means and
latent means at 0. For ordered items (lavaan WLSMV, :mod:`~surveysem.sem.estimators.ordinal`)
the moments are the polychoric correlations, thresholds start at the sample thresholds and the scale
factors of the latent responses (``~*~``) at 1. A parameter shared by several rows (an
equality constraint, or a parameter equal across groups) starts at the mean of their values.
"""

from __future__ import annotations

import numpy as np


def start_values(rows, ov_names, n_free: int, covs, means=None, thresholds=None) -> np.ndarray:
    """Starting values for ``n_free`` free parameters.

    Parameters
    ----------
    rows : parameter-table rows (``lhs, op, rhs, free, value``; ``group``, 1-based, when
        several groups are fitted).
    ov_names : observed variables, the order of the moments.
    covs, means : one sample covariance matrix (and mean vector) per group.
    thresholds : for ordered items, one mapping per group from lavaan's threshold names
        (``"x1|t1"``) to the sample thresholds.
    """
    ov = {v: i for i, v in enumerate(ov_names)}
    marker: dict[tuple[int, str], str] = {}
    indicators: dict[tuple[int, str], list[str]] = {}
    for r in rows:
        g = getattr(r, "group", 1)
        if r.op == "=~":
            indicators.setdefault((g, r.lhs), []).append(r.rhs)
            if not r.free and r.value != 0:
                marker.setdefault((g, r.lhs), r.rhs)

    def proxy(g: int, v: str) -> int | None:
        seen = set()
        while v not in ov and (g, v) in marker and v not in seen:
            seen.add(v)
            v = marker[g, v]
        return ov.get(v)

    def factor_var(g: int, f: str, s: np.ndarray) -> float:
        pm = proxy(g, marker[g, f]) if (g, f) in marker else None
        if pm is None:
            return 0.05
        others = {proxy(g, v) for v in indicators[g, f]} - {pm, None}
        if not others:
            return max(0.5 * s[pm, pm], 0.05)
        psi = float(np.mean([abs(s[pm, o]) for o in others]))
        return max(psi, 0.05 * s[pm, pm], 1e-3)

    sums, counts = np.zeros(n_free), np.zeros(n_free)
    for r in rows:
        if not r.free:
            continue
        g = getattr(r, "group", 1)
        s = covs[g - 1]
        val = 0.0
        if r.op == "~~" and r.lhs == r.rhs:
            val = 0.5 * s[ov[r.lhs], ov[r.lhs]] if r.lhs in ov else factor_var(g, r.lhs, s)
        elif r.op == "=~":
            py = proxy(g, r.rhs)
            pf = proxy(g, marker[g, r.lhs]) if (g, r.lhs) in marker else None
            if py is not None and pf is not None and py != pf:
                val = float(np.clip(s[py, pf] / factor_var(g, r.lhs, s), -10.0, 10.0))
            elif py is not None and (g, r.lhs) not in marker:
                val = float(np.sqrt(s[py, py] / 2))
            else:
                val = 1.0
        elif r.op == "~1" and r.lhs in ov and means is not None:
            val = means[g - 1][ov[r.lhs]]
        elif r.op == "|":
            val = thresholds[g - 1][f"{r.lhs}|{r.rhs}"]
        elif r.op == "~*~":
            val = 1.0
        sums[r.free - 1] += val
        counts[r.free - 1] += 1
    return sums / np.maximum(counts, 1)
