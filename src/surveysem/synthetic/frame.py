"""Population frame of 143,000 manufacturing firms and stratified PPS sampling from it.

Sampling-design assumption (documented in data/README.md; the details of Cai's 2009 design
beyond "stratified, probability proportional to size, 143,000 firms with revenue above 5 million
RMB in 29 provinces" are not published, so this is our reconstruction):

* Frame: 143,000 firms in 29 mainland provinces/regions (the 31 provincial-level units without
  Tibet and Qinghai). Provincial frame sizes follow a fixed, stylised share table loosely shaped
  like the 2000s distribution of "above designated size" industrial firms (coastal provinces
  dominate); they are not official statistics. Annual revenue (million RMB, 2 decimals) is
  5 + lognormal, so every firm is above the 5-million threshold and the size distribution is
  heavily right-skewed. Industry, ownership and employees are attached to every frame firm.
* Strata: provinces. The sample of m firms is allocated to strata proportionally to stratum
  revenue totals (largest-remainder rounding, at least 2 firms per stratum), i.e. the overall
  design is approximately PPS by revenue.
* Within stratum h: inclusion probability pi_i = n_h * rev_i / sum_h rev. Units with pi_i >= 1
  are taken with certainty (pi_i = 1) and removed, and pi is recomputed for the rest with the
  remaining sample size, until no probability exceeds 1. The non-certainty units are drawn by
  systematic PPS (random start, frame order). Design weight = 1 / pi_i.

Every drawn firm is treated as a respondent (no unit non-response is modelled), so the design
weights are exact Horvitz-Thompson weights: sum_i w_i rev_i equals each stratum's revenue total.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "FRAME_SIZE",
    "INDUSTRIES",
    "OWNERSHIP_TYPES",
    "PROVINCES",
    "REGIONS",
    "allocate",
    "build_frame",
    "draw_sample",
    "pps_inclusion_probabilities",
    "systematic_pps",
]

FRAME_SIZE = 143_000
REVENUE_THRESHOLD_MRMB = 5.0
REGIONS: tuple[str, ...] = ("East", "Central", "West")

#: (province, region, relative frame share) in the order of the national administrative codes.
PROVINCES: tuple[tuple[str, str, float], ...] = (
    ("Beijing", "East", 3.0),
    ("Tianjin", "East", 3.5),
    ("Hebei", "East", 4.5),
    ("Shanxi", "Central", 1.8),
    ("Inner Mongolia", "West", 1.2),
    ("Liaoning", "East", 6.0),
    ("Jilin", "Central", 1.5),
    ("Heilongjiang", "Central", 1.4),
    ("Shanghai", "East", 6.0),
    ("Jiangsu", "East", 16.0),
    ("Zhejiang", "East", 17.0),
    ("Anhui", "Central", 3.0),
    ("Fujian", "East", 6.0),
    ("Jiangxi", "Central", 2.2),
    ("Shandong", "East", 12.0),
    ("Henan", "Central", 5.5),
    ("Hubei", "Central", 3.5),
    ("Hunan", "Central", 3.8),
    ("Guangdong", "East", 15.0),
    ("Guangxi", "West", 1.6),
    ("Hainan", "East", 0.4),
    ("Chongqing", "West", 1.8),
    ("Sichuan", "West", 4.0),
    ("Guizhou", "West", 1.0),
    ("Yunnan", "West", 1.0),
    ("Shaanxi", "West", 1.5),
    ("Gansu", "West", 0.7),
    ("Ningxia", "West", 0.3),
    ("Xinjiang", "West", 0.6),
)

INDUSTRIES: tuple[str, ...] = (
    "food and beverages",
    "textiles and apparel",
    "chemicals and pharmaceuticals",
    "metals and metal products",
    "general and special machinery",
    "electrical machinery and electronics",
    "transport equipment",
    "other manufacturing",
)
_INDUSTRY_PROBS: dict[str, tuple[float, ...]] = {
    "East": (0.10, 0.17, 0.12, 0.11, 0.15, 0.18, 0.07, 0.10),
    "Central": (0.15, 0.12, 0.14, 0.17, 0.15, 0.09, 0.08, 0.10),
    "West": (0.17, 0.09, 0.16, 0.19, 0.13, 0.07, 0.08, 0.11),
}

OWNERSHIP_TYPES: tuple[str, ...] = ("state-owned", "private", "foreign-invested", "collective")
_OWNERSHIP_PROBS: dict[str, tuple[float, ...]] = {
    "East": (0.10, 0.52, 0.28, 0.10),
    "Central": (0.24, 0.53, 0.08, 0.15),
    "West": (0.30, 0.50, 0.06, 0.14),
}
#: Revenue per employee relative to private firms (labour productivity differs by ownership).
_PRODUCTIVITY: dict[str, float] = {
    "state-owned": 0.8,
    "private": 1.0,
    "foreign-invested": 1.4,
    "collective": 0.85,
}
_REGION_SIZE_SHIFT: dict[str, float] = {"East": 0.0, "Central": -0.10, "West": -0.15}


def _largest_remainder(quotas: np.ndarray, total: int) -> np.ndarray:
    """Integers summing to ``total`` that round ``quotas`` (which sum to ``total``) fairly."""
    base = np.floor(quotas).astype(np.int64)
    short = total - int(base.sum())
    # stable sort: ties are broken by position, so the result is deterministic
    order = np.argsort(-(quotas - base), kind="stable")
    base[order[:short]] += 1
    return base


@lru_cache(maxsize=4)
def _build_frame_cached(frame_seed: int, size: int) -> pd.DataFrame:
    rng = np.random.default_rng(np.random.SeedSequence(frame_seed))
    shares = np.array([s for _, _, s in PROVINCES])
    counts = _largest_remainder(shares / shares.sum() * size, size)
    province = np.repeat([p for p, _, _ in PROVINCES], counts)
    region = np.repeat([r for _, r, _ in PROVINCES], counts)
    # shuffle so that the frame order (used by systematic sampling) is not sorted by size
    perm = rng.permutation(size)
    province, region = province[perm], region[perm]

    shift = np.array([_REGION_SIZE_SHIFT[r] for r in region])
    excess = np.exp(np.log(25.0) + shift + 1.5 * rng.standard_normal(size))
    revenue = np.round(REVENUE_THRESHOLD_MRMB + 0.01 + excess, 2)

    industry = np.empty(size, dtype=object)
    ownership = np.empty(size, dtype=object)
    for reg in REGIONS:
        mask = region == reg
        k = int(mask.sum())
        industry[mask] = rng.choice(np.array(INDUSTRIES), size=k, p=_INDUSTRY_PROBS[reg])
        ownership[mask] = rng.choice(np.array(OWNERSHIP_TYPES), size=k, p=_OWNERSHIP_PROBS[reg])

    productivity = np.array([_PRODUCTIVITY[o] for o in ownership])
    rev_per_employee = 0.45 * productivity * np.exp(0.5 * rng.standard_normal(size))
    employees = np.maximum(8, np.round(revenue / rev_per_employee)).astype(np.int64)

    frame = pd.DataFrame(
        {
            "firm_id": [f"F{i:06d}" for i in range(1, size + 1)],
            "province": province.astype(str),
            "region": region.astype(str),
            "industry": industry.astype(str),
            "ownership": ownership.astype(str),
            "employees": employees,
            "revenue_mrmb": revenue,
        }
    )
    return frame


def build_frame(frame_seed: int, size: int = FRAME_SIZE) -> pd.DataFrame:
    """The deterministic population frame (one row per firm, ``firm_id`` F000001...).

    Depends only on ``frame_seed`` so that several survey waves (different sample seeds) can be
    drawn from the same population. Returns a copy; the frame itself is cached.
    """
    return _build_frame_cached(int(frame_seed), int(size)).copy()


def allocate(
    stratum_revenue: pd.Series, stratum_size: pd.Series, m: int, minimum: int = 2
) -> pd.Series:
    """Allocate m sample firms to strata proportionally to stratum revenue.

    Strata whose proportional quota falls below ``minimum`` (or above their frame size) are
    fixed at that bound and the rest is re-allocated; the final quotas are rounded by the
    largest-remainder method. Returns an int Series indexed like ``stratum_revenue``.
    """
    k = len(stratum_revenue)
    cap = stratum_size.to_numpy().astype(np.int64)
    if m < minimum * k:
        raise ValueError(f"sample size {m} is below {minimum} firms in each of {k} strata")
    if m > int(cap.sum()):
        raise ValueError(f"sample size {m} exceeds the frame size {int(cap.sum())}")
    share = stratum_revenue.to_numpy(dtype=float)
    alloc = np.zeros(k, dtype=np.int64)
    fixed = np.zeros(k, dtype=bool)
    while True:
        free = ~fixed
        remaining = m - int(alloc[fixed].sum())
        quota = share[free] / share[free].sum() * remaining
        low = quota < np.minimum(minimum, cap[free])
        high = quota > cap[free]
        if not (low.any() or high.any()):
            alloc[free] = _largest_remainder(quota, remaining)
            break
        idx = np.flatnonzero(free)
        alloc[idx[low]] = np.minimum(minimum, cap[idx[low]])
        alloc[idx[high]] = cap[idx[high]]
        fixed[idx[low | high]] = True
    return pd.Series(alloc, index=stratum_revenue.index, name="n_h")


def pps_inclusion_probabilities(size: np.ndarray, n: int) -> np.ndarray:
    """pi_i = n * size_i / sum(size), with certainty units (pi >= 1) capped at 1 iteratively."""
    size = np.asarray(size, dtype=float)
    pi = np.zeros(len(size))
    certain = np.zeros(len(size), dtype=bool)
    while True:
        rest = ~certain
        n_rest = n - int(certain.sum())
        pi[rest] = n_rest * size[rest] / size[rest].sum()
        new = rest & (pi >= 1.0)
        if not new.any():
            break
        certain |= new
    pi[certain] = 1.0
    return pi


def systematic_pps(pi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Systematic PPS: indices selected with inclusion probabilities ``pi`` (in frame order).

    Certainty units (pi == 1) are always selected; for the others the cumulated probabilities
    are crossed by the points u, u + 1, u + 2, ... with u ~ U(0, 1).
    """
    pi = np.asarray(pi, dtype=float)
    certain = np.flatnonzero(pi >= 1.0)
    rest = np.flatnonzero(pi < 1.0)
    cum = np.cumsum(pi[rest])
    n_rest = int(round(cum[-1])) if len(rest) else 0
    points = rng.uniform() + np.arange(n_rest)
    picked = rest[np.searchsorted(cum, points, side="right")]
    return np.sort(np.concatenate([certain, picked]))


def draw_sample(frame: pd.DataFrame, m: int, rng: np.random.Generator) -> pd.DataFrame:
    """Stratified (by province) systematic PPS sample of m firms from ``frame``.

    Returns the sampled frame rows with ``incl_prob`` and ``design_weight`` (= 1 / incl_prob),
    in frame order within province order.
    """
    by = frame.groupby("province", sort=False)
    order = [p for p, _, _ in PROVINCES if p in by.groups]
    rev = by["revenue_mrmb"].sum().reindex(order)
    size = by.size().reindex(order)
    n_h = allocate(rev, size, m)
    parts = []
    for prov in order:
        stratum = frame.loc[by.groups[prov]]
        pi = pps_inclusion_probabilities(stratum["revenue_mrmb"].to_numpy(), int(n_h[prov]))
        idx = systematic_pps(pi, rng)
        part = stratum.iloc[idx].copy()
        part["incl_prob"] = pi[idx]
        parts.append(part)
    sample = pd.concat(parts, ignore_index=True)
    sample["design_weight"] = 1.0 / sample["incl_prob"]
    if len(sample) != m:  # pragma: no cover - guarded by construction
        raise RuntimeError(f"drew {len(sample)} firms instead of {m}")
    return sample


def stratum_table(frame: pd.DataFrame, sample: pd.DataFrame) -> list[dict]:
    """Per-province frame size, revenue total, sample size and certainty units (manifest)."""
    f = frame.groupby("province", sort=False).agg(
        N_h=("firm_id", "size"), revenue_total_mrmb=("revenue_mrmb", "sum")
    )
    s = sample.groupby("province", sort=False).agg(
        n_h=("firm_id", "size"), n_certainty=("incl_prob", lambda p: int((p >= 1).sum()))
    )
    rows = []
    for prov, region, _ in PROVINCES:
        rows.append(
            {
                "province": prov,
                "region": region,
                "N_h": int(f.loc[prov, "N_h"]),
                "revenue_total_mrmb": round(float(f.loc[prov, "revenue_total_mrmb"]), 2),
                "n_h": int(s.loc[prov, "n_h"]) if prov in s.index else 0,
                "n_certainty": int(s.loc[prov, "n_certainty"]) if prov in s.index else 0,
            }
        )
    return rows
