"""Thresholds, polychoric correlations and their asymptotic covariance matrix (lavaan parity).

This is lavaan's three-stage estimator for ordinal data (Muthén 1984; lavaan
``lav_samplestats_step1/step2`` and ``muthen1984``), for ordinal items without covariates:

1. **Thresholds** of every item from its marginal proportions, ``tau_k = Phi^-1(P(y <= k))``.
2. **Polychoric correlations**, two-step ML (Olsson 1979): for each pair of items the
   bivariate-normal likelihood of the two-way table, ``sum_ab n_ab ln pi_ab(rho)`` with the
   thresholds fixed at their step-1 values, is maximized in ``rho`` (Newton on the exact
   derivatives; ``rho`` is kept in [-0.999, 0.999] as lavaan's ``nlminb`` bounds).
3. **Asymptotic covariance matrix** ``Gamma`` (lavaan's ``NACOV``, ``lavTech(fit, "gamma")``)
   of ``sqrt(N) (tau, rho)``, the sandwich ``N B^-1 (S'S) B^-T`` of the stacked case-wise scores
   ``S`` of the step-1 and step-2 estimating equations (Muthén & Satorra 1995), with lavaan's
   block-triangular bread ``B = [[A11, 0], [A21, A22]]``: ``A11`` the per-item blocks of the
   threshold scores' cross-products, ``A21`` the cross-products of each correlation's score
   with the bivariate-likelihood threshold scores of its two items, ``A22`` the diagonal of
   the correlation scores' cross-products.

Categories are the sorted distinct values of each column (as lavaan's ``ordered()``), so
unused codes do not create empty categories. 2 x 2 tables get lavaan's special cases
(``zero.add = 0.5`` for one empty cell with margins kept, ``rho = +-1`` for two empty cells,
``rho = 0`` when ``ad = bc``, ``-cos(2 pi p11)`` when both thresholds are 0); larger tables
with empty cells are used as they are (lavaan's default ``zero.add = c(0.5, 0)``).

Sampling weights (lavaan ``sampling.weights``): each row counts its normalized weight ``w_i``
in the margins and two-way tables, ``N = sum w_i``, and Gamma's meat and bread become
``sum_i w_i^2 s_i s_i'`` and ``sum_i w_i s_i s_i'`` (:func:`ordinal_moments`).

Bivariate normal CDF: :func:`bvn_cdf` is Genz's (2004) vectorized double-precision version of
the Drezner-Wesolowsky (1990) method (the algorithm of R ``pbivnorm`` that lavaan calls):
Gauss-Legendre quadrature with 6/12/20 nodes by ``|rho|`` and an asymptotic expansion for
``|rho| >= 0.925``. Against adaptive quadrature of Plackett's identity its absolute error is
below 1e-15 on a grid of thresholds in [-4, 4] and correlations in [-0.999, 0.999]
(``tests/test_ordinal.py``), far below what the 1e-3 parity needs.

References
----------
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
Psychometrika, 44(4), 443-460.
Muthén, B. (1984). A general structural equation model with dichotomous, ordered categorical,
and continuous latent variable indicators. Psychometrika, 49(1), 115-132.
Muthén, B., & Satorra, A. (1995). Technical aspects of Muthén's LISCOMP approach to estimation
of latent variable relations with a comprehensive measurement model. Psychometrika, 60(4).
Genz, A. (2004). Numerical computation of rectangular bivariate and trivariate normal and t
probabilities. Statistics and Computing, 14, 251-260.
Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. JSS, 48(2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from surveysem.errors import InputError

_TWO_PI = 2.0 * np.pi
_BIG = 40.0  # stands in for +-inf: Phi(-40) ~ 4e-350 underflows to 0 in double precision
_RHO_BOUND = 0.999  # lavaan's nlminb bounds for a polychoric correlation
_PI_FLOOR = np.finfo(float).eps ** (2 / 3)  # lavaan's floor for cell probabilities


def _gauss_legendre_half(n: int) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.legendre.leggauss(n)
    keep = x < 0  # the negative half; the positive one is used by symmetry
    return x[keep], w[keep]


_GL = {n: _gauss_legendre_half(n) for n in (6, 12, 20)}


def _bvn_upper(h: np.ndarray, k: np.ndarray, r: np.ndarray) -> np.ndarray:
    """P(X > h, Y > k) for a standard bivariate normal with correlation r (Genz's BVU)."""
    out = np.empty(h.shape)
    ar = np.abs(r)
    # Part 1: |r| < 0.925, Gauss-Legendre on the arcsine form of Plackett's identity.
    low = ar < 0.925
    if low.any():
        hh, kk, rr = h[low], k[low], r[low]
        hk, hs, asr = hh * kk, (hh * hh + kk * kk) / 2, np.arcsin(rr)
        acc = np.zeros(hh.shape)
        n_nodes = np.where(np.abs(rr) < 0.3, 6, np.where(np.abs(rr) < 0.75, 12, 20))
        for n in (6, 12, 20):
            sel = n_nodes == n
            if not sel.any():
                continue
            x, w = _GL[n]
            a = asr[sel][:, None]
            hk_s, hs_s = hk[sel][:, None], hs[sel][:, None]
            for sgn in (1.0, -1.0):
                sn = np.sin(a * (sgn * x + 1) / 2)
                acc[sel] += np.sum(w * np.exp((sn * hk_s - hs_s) / (1 - sn * sn)), axis=1)
        out[low] = acc * asr / (2 * _TWO_PI) + ndtr(-hh) * ndtr(-kk)
    # Part 2: |r| >= 0.925, Drezner-Wesolowsky expansion around |r| = 1.
    high = ~low
    if high.any():
        hh, kk, rr = h[high], k[high].copy(), r[high]
        neg = rr < 0
        kk[neg] = -kk[neg]
        hk = hh * kk
        bvn = np.zeros(hh.shape)
        inner = np.abs(rr) < 1
        if inner.any():
            x, w = _GL[20]
            hi, ki, hki = hh[inner], kk[inner], hk[inner]
            as_ = (1 - rr[inner]) * (1 + rr[inner])
            a = np.sqrt(as_)
            bs = (hi - ki) ** 2
            c = (4 - hki) / 8
            d = (12 - hki) / 16
            val = (
                a
                * np.exp(-(bs / as_ + hki) / 2)
                * (1 - c * (bs - as_) * (1 - d * bs / 5) / 3 + c * d * as_ * as_ / 5)
            )
            b = np.sqrt(bs)
            with np.errstate(over="ignore", invalid="ignore"):
                corr = np.exp(-hki / 2) * np.sqrt(_TWO_PI) * ndtr(-b / a) * b
                corr = corr * (1 - c * bs * (1 - d * bs / 5) / 3)
            val = np.where(hki > -160, val - corr, val)
            a2 = (a / 2)[:, None]
            bs2, hk2, c2, d2 = bs[:, None], hki[:, None], c[:, None], d[:, None]
            xs = (a2 * (x + 1)) ** 2
            rs = np.sqrt(1 - xs)
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                t1 = np.exp(-bs2 / (2 * xs) - hk2 / (1 + rs)) / rs - np.exp(
                    -(bs2 / xs + hk2) / 2
                ) * (1 + c2 * xs * (1 + d2 * xs))
                xs = as_[:, None] * (1 - x) ** 2 / 4
                rs = np.sqrt(1 - xs)
                t2 = np.exp(-(bs2 / xs + hk2) / 2) * (
                    np.exp(-hk2 * (1 - rs) / (2 * (1 + rs))) / rs - (1 + c2 * xs * (1 + d2 * xs))
                )
            val = val + np.sum(a2 * w * (t1 + t2), axis=1)
            bvn[inner] = -val / _TWO_PI
        pos = ~neg
        bvn[pos] = bvn[pos] + ndtr(-np.maximum(hh[pos], kk[pos]))
        bvn[neg] = -bvn[neg] + np.maximum(0.0, ndtr(-hh[neg]) - ndtr(-kk[neg]))
        out[high] = bvn
    return out


def bvn_cdf(h, k, rho) -> np.ndarray:
    """Standard bivariate normal CDF ``P(X <= h, Y <= k)`` with correlation ``rho``.

    Vectorized over broadcast arrays; ``+-inf`` limits are allowed. Genz's (2004) algorithm
    (see the module docstring); absolute error below 1e-15.

    Examples
    --------
    >>> from surveysem.sem.estimators.polychoric import bvn_cdf
    >>> float(bvn_cdf(0.0, 0.0, 0.5))  # 1/4 + arcsin(0.5)/(2 pi) = 1/3
    0.3333333333333333
    """
    h, k, r = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (h, k, rho)))
    shape = h.shape
    h, k, r = (np.clip(v.ravel(), -_BIG, _BIG) for v in (h, k, r))
    r = np.clip(r, -1.0, 1.0)
    return np.clip(_bvn_upper(-h, -k, r), 0.0, 1.0).reshape(shape)


def bvn_pdf(h, k, rho) -> np.ndarray:
    """Standard bivariate normal density (0 at infinite arguments)."""
    h, k, r = (np.asarray(v, dtype=float) for v in (h, k, rho))
    h, k = np.clip(h, -_BIG, _BIG), np.clip(k, -_BIG, _BIG)
    s = 1.0 - r * r
    return np.exp(-(h * h - 2 * r * h * k + k * k) / (2 * s)) / (_TWO_PI * np.sqrt(s))


# ---------------------------------------------------------------------------------------------
# data preparation and thresholds


@dataclass
class OrdinalData:
    """Items recoded to category indices 0..K-1 (sorted distinct values), complete rows only,
    with each row's sampling weight (1 when unweighted)."""

    names: list[str]
    codes: np.ndarray = field(repr=False)  # (n, p) int
    levels: list[np.ndarray] = field(repr=False)  # original values of the categories
    weights: np.ndarray = field(repr=False)  # (n,)

    @property
    def n(self) -> float:
        """lavaan's N: the sum of the weights (the number of rows when unweighted)."""
        return float(self.weights.sum())

    @property
    def n_categories(self) -> np.ndarray:
        return np.array([len(v) for v in self.levels])


def ordinal_data(
    data: pd.DataFrame, items: list[str] | None = None, weights: np.ndarray | None = None
) -> OrdinalData:
    """Validate and recode ordinal items (numeric codes or ordered categoricals); ``weights``
    one per row (normalized sampling weights), or None for unweighted rows."""
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame with one column per ordinal item")
    names = [str(c) for c in data.columns] if items is None else list(items)
    missing = [c for c in names if c not in data.columns]
    if missing:
        raise InputError(f"items {missing} are not columns of the data")
    if len(names) < 2:
        raise InputError("need at least two ordinal items")
    sub = data[names]
    nan_counts = sub.isna().sum()
    nan_counts = nan_counts[nan_counts > 0]
    if len(nan_counts):
        detail = ", ".join(f"{k} ({v})" for k, v in nan_counts.items())
        raise InputError(
            f"data has missing values in {detail}; polychoric correlations and the ordinal fit "
            "use complete cases only, so drop or impute incomplete rows first "
            "(e.g. data.dropna(subset=items))"
        )
    codes = np.empty(sub.shape, dtype=np.int64)
    levels = []
    for j, name in enumerate(names):
        col = sub[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if not col.cat.ordered:
                raise InputError(f"column '{name}' is an unordered categorical; make it ordered")
            col = col.cat.remove_unused_categories()
            codes[:, j] = col.cat.codes.to_numpy()
            levels.append(np.asarray(col.cat.categories))
        elif pd.api.types.is_numeric_dtype(col):
            vals, inv = np.unique(col.to_numpy(dtype=float), return_inverse=True)
            codes[:, j] = inv
            levels.append(vals)
        else:
            raise InputError(
                f"column '{name}' is neither numeric nor an ordered categorical; recode it"
            )
        if len(levels[-1]) < 2:
            raise InputError(f"item '{name}' has a single category; remove it from the model")
    if codes.shape[0] < 2:
        raise InputError("need at least two complete rows")
    weights = np.ones(len(codes)) if weights is None else np.asarray(weights, dtype=float)
    return OrdinalData(names, codes, levels, weights)


def _thresholds(od: OrdinalData) -> list[np.ndarray]:
    out = []
    for j in range(len(od.names)):
        counts = np.bincount(od.codes[:, j], weights=od.weights, minlength=len(od.levels[j]))
        out.append(ndtri(np.cumsum(counts)[:-1] / od.n))
    return out


def threshold_names(od: OrdinalData) -> list[str]:
    """lavaan names ``item|t1``, ``item|t2``, ... in item order."""
    return [
        f"{v}|t{k + 1}"
        for v, m in zip(od.names, od.n_categories, strict=True)
        for k in range(m - 1)
    ]


def thresholds(data: pd.DataFrame, items: list[str] | None = None) -> pd.Series:
    """Thresholds of ordinal items from their marginal proportions (lavaan step 1).

    ``tau_k = Phi^-1(P(y <= k))`` for the sorted categories of every item; these are the ML
    estimates of the univariate probit model without covariates that lavaan fits.

    Parameters
    ----------
    data : pandas.DataFrame
        Ordinal items as numeric codes (any sorted values) or ordered categoricals; complete.
    items : list of str, optional
        Columns to use (default: all).

    Returns
    -------
    pandas.Series
        Indexed by lavaan names ``item|t1``, ``item|t2``, ...

    References
    ----------
    Muthén (1984), Psychometrika 49(1); lavaan ``lavCor(..., output = "th")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from surveysem.sem.estimators.polychoric import thresholds
    >>> df = pd.DataFrame({"a": [1, 1, 2, 2, 2, 3, 3, 3], "b": [1, 2, 2, 1, 2, 2, 1, 2]})
    >>> thresholds(df).round(4)
    a|t1   -0.6745
    a|t2    0.3186
    b|t1   -0.3186
    dtype: float64
    """
    od = ordinal_data(data, items)
    return pd.Series(np.concatenate(_thresholds(od)), index=threshold_names(od))


# ---------------------------------------------------------------------------------------------
# polychoric correlations (vectorized over item pairs)


def _pairs(p: int) -> list[tuple[int, int]]:
    """lavaan's order of the correlations: vech of the lower triangle without the diagonal,
    column by column, i.e. (2,1), (3,1), ..., (p,1), (3,2), ...; as (row i, column j), i > j."""
    return [(i, j) for j in range(p) for i in range(j + 1, p)]


@dataclass
class _PairGrid:
    """Threshold grids and two-way tables of all pairs, padded to K = the largest number of
    categories: ``t1[q]`` is (-inf, tau_1, ..., tau_k, +inf, ..., +inf) of the pair's first item
    (K + 1 boundaries, +-inf stored as +-40), so padded categories have probability 0.
    """

    t1: np.ndarray  # (npairs, K + 1)
    t2: np.ndarray
    freq: np.ndarray  # (npairs, K, K)


def _pair_grid(od: OrdinalData, th: list[np.ndarray], pairs) -> _PairGrid:
    kmax = int(od.n_categories.max())
    padded = np.full((len(od.names), kmax + 1), _BIG)
    padded[:, 0] = -_BIG
    for j, t in enumerate(th):
        padded[j, 1 : len(t) + 1] = np.clip(t, -_BIG, _BIG)
    first = np.array([i for i, _ in pairs])
    second = np.array([j for _, j in pairs])
    freq = np.zeros((len(pairs), kmax, kmax))
    for q, (i, j) in enumerate(pairs):
        np.add.at(freq[q], (od.codes[:, i], od.codes[:, j]), od.weights)
    return _PairGrid(padded[first], padded[second], freq)


def _corner(x: np.ndarray) -> np.ndarray:
    """Cell values from corner values: x[a+1,b+1] - x[a,b+1] - x[a+1,b] + x[a,b]."""
    return x[:, 1:, 1:] - x[:, :-1, 1:] - x[:, 1:, :-1] + x[:, :-1, :-1]


def _cell_terms(g: _PairGrid, rho: np.ndarray, second: bool = False):
    """Cell probabilities, their first (and second) derivative in rho, for every pair."""
    h = g.t1[:, :, None]
    k = g.t2[:, None, :]
    r = rho[:, None, None]
    cdf = bvn_cdf(h, k, r)
    pdf = bvn_pdf(h, k, r)
    pi = _corner(cdf)
    dpi = _corner(pdf)
    if not second:
        return pi, dpi, None
    s = 1 - r * r
    guv = r / s + (h * k * (1 + r * r) - r * (h * h + k * k)) / (s * s)
    return pi, dpi, _corner(pdf * guv)


def _loglik(g: _PairGrid, rho: np.ndarray) -> np.ndarray:
    pi, _, _ = _cell_terms(g, rho)
    pi = np.maximum(pi, _PI_FLOOR)
    return np.sum(np.where(g.freq > 0, g.freq * np.log(pi), 0.0), axis=(1, 2))


def _special_2x2(freq: np.ndarray, t1: float, t2: float) -> tuple[np.ndarray, float | None]:
    """lavaan's treatment of 2 x 2 tables: (possibly adjusted table, closed-form rho or None)."""
    f = freq.copy()
    zeros = np.flatnonzero(f.ravel() == 0)
    if len(zeros) == 2:
        return f, 1.0 if f[0, 0] > 0 else -1.0
    if len(zeros) == 1:  # zero.add = 0.5, keeping the margins
        s = 0.5 if zeros[0] in (0, 3) else -0.5
        f += np.array([[s, -s], [-s, s]])
    if f[0, 0] * f[1, 1] == f[0, 1] * f[1, 0]:
        return f, 0.0
    if t1 == 0 and t2 == 0:
        return f, float(-np.cos(2 * np.pi * f[0, 0] / f.sum()))
    return f, None


def _fit_rho(g: _PairGrid, start: np.ndarray, tol: float = 1e-12, max_iter: int = 100):
    """Maximize every pair's log-likelihood in rho: safeguarded Newton, vectorized."""
    rho = np.clip(start, -0.95, 0.95)
    ll = _loglik(g, rho)
    active = np.ones(len(rho), dtype=bool)
    for _ in range(max_iter):
        pi, dpi, d2pi = _cell_terms(g, rho, second=True)
        pi = np.maximum(pi, _PI_FLOOR)
        f = g.freq
        grad = np.sum(f * dpi / pi, axis=(1, 2))
        hess = np.sum(f * (d2pi / pi - dpi * dpi / (pi * pi)), axis=(1, 2))
        fisher = -f.sum(axis=(1, 2)) * np.sum(dpi * dpi / pi, axis=(1, 2))
        hess = np.where(hess < 0, hess, fisher)
        step = np.where(active, -grad / hess, 0.0)
        t = np.ones_like(rho)
        for _ in range(40):  # step halving where the log-likelihood would decrease
            new = np.clip(rho + t * step, -_RHO_BOUND, _RHO_BOUND)
            ll_new = _loglik(g, new)
            bad = ll_new < ll - 1e-12 * np.abs(ll)
            if not bad.any():
                break
            t = np.where(bad, t / 2, t)
        new = np.where(bad, rho, new)  # no ascent found: keep the current value
        moved = np.abs(new - rho)
        rho, ll = new, np.where(bad, ll, ll_new)
        active = moved > tol
        if not active.any():
            break
    return rho


def _polychorics(od: OrdinalData, th: list[np.ndarray]) -> np.ndarray:
    p = len(od.names)
    pairs = _pairs(p)
    grid = _pair_grid(od, th, pairs)
    # lavaan's start: the Pearson correlation of the category codes
    codes = od.codes.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        pearson = np.corrcoef(codes, rowvar=False)
    start = np.array([pearson[i, j] for i, j in pairs])
    start = np.where(np.isfinite(start), start, 0.0)
    fixed = np.full(len(pairs), np.nan)
    for q, (i, j) in enumerate(pairs):
        if len(th[i]) == 1 and len(th[j]) == 1:
            f2, val = _special_2x2(grid.freq[q, :2, :2], th[i][0], th[j][0])
            grid.freq[q, :2, :2] = f2
            if val is not None:
                fixed[q] = val
    rho = _fit_rho(grid, start)
    rho = np.where(np.isnan(fixed), rho, fixed)
    out = np.eye(p)
    for q, (i, j) in enumerate(pairs):
        out[i, j] = out[j, i] = rho[q]
    return out


def polychoric_matrix(data: pd.DataFrame, items: list[str] | None = None) -> pd.DataFrame:
    """Two-step ML polychoric correlation matrix, as lavaan ``lavCor(data, ordered = items)``.

    For each pair of items the thresholds are fixed at their marginal values
    (:func:`thresholds`) and the bivariate normal likelihood of the two-way table is maximized
    in rho (Olsson 1979, two-step estimator). Agrees with lavaan 0.6.14 to about 1e-9 on the
    HolzingerSwineford items cut into 4 categories (``tests/test_ordinal.py``).

    Parameters
    ----------
    data : pandas.DataFrame
        Ordinal items as numeric codes or ordered categoricals; complete rows only.
    items : list of str, optional
        Columns to use (default: all).

    Returns
    -------
    pandas.DataFrame
        Symmetric correlation matrix with unit diagonal, items as index and columns.

    Raises
    ------
    surveysem.errors.InputError
        Missing values, non-numeric unordered columns, an item with one category.

    References
    ----------
    Olsson (1979), Psychometrika 44(4); Drezner & Wesolowsky (1990), J. Stat. Comput. Simul.
    35; Genz (2004), Stat. Comput. 14; lavaan ``lav_bvord.R`` (Rosseel 2012).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from surveysem.sem.estimators.polychoric import polychoric_matrix
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> df = pd.DataFrame(np.digitize(z, [-0.5, 0.3, 1.0]) + 1, columns=["a", "b"])
    >>> polychoric_matrix(df).round(2)
          a     b
    a  1.00  0.61
    b  0.61  1.00
    """
    od = ordinal_data(data, items)
    rho = _polychorics(od, _thresholds(od))
    return pd.DataFrame(rho, index=od.names, columns=od.names)


# ---------------------------------------------------------------------------------------------
# asymptotic covariance matrix (Muthén 1984 / lavaan muthen1984)


@dataclass
class OrdinalMoments:
    """Sample statistics of ordinal items for WLS-type estimation (lavaan's step 1-3).

    Attributes
    ----------
    names : item names.
    n : lavaan's N (``nobs``): the number of complete rows, with sampling weights their sum.
    thresholds : list of per-item threshold arrays.
    cor : polychoric correlation matrix (p x p).
    gamma : ``NACOV``, N times the asymptotic covariance matrix of
        ``(thresholds, vech_offdiag(cor))`` in lavaan's order (thresholds item by item, then
        correlations (2,1), (3,1), ..., (p,1), (3,2), ...).
    labels : lavaan names of the elements of that vector (``x1|t1``, ``x2~~x1``, ...).
    """

    names: list[str]
    n: float
    thresholds: list[np.ndarray] = field(repr=False)
    cor: np.ndarray = field(repr=False)
    gamma: np.ndarray = field(repr=False)
    labels: list[str] = field(repr=False)

    @property
    def n_thresholds(self) -> int:
        return int(sum(len(t) for t in self.thresholds))

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return _pairs(len(self.names))

    @property
    def wls_obs(self) -> np.ndarray:
        """Sample statistics vector: thresholds, then the correlations in lavaan's order."""
        r = np.array([self.cor[i, j] for i, j in self.pairs])
        return np.concatenate([np.concatenate(self.thresholds), r])


def _scores(od: OrdinalData, th: list[np.ndarray], cor: np.ndarray):
    """Case-wise scores of thresholds and correlations (unweighted), and lavaan's A21 block
    (weighted, through the two-way tables)."""
    n, p = od.codes.shape
    nth = [len(t) for t in th]
    start = np.concatenate([[0], np.cumsum(nth)])
    # univariate threshold scores: d ln P(y_i) / d tau_k
    sc_th = np.zeros((n, start[-1]))
    for j in range(p):
        t = th[j]
        probs = np.diff(np.concatenate([[0.0], ndtr(t), [1.0]]))
        y = od.codes[:, j]
        dens = np.exp(-0.5 * t * t) / np.sqrt(_TWO_PI)
        for k in range(nth[j]):
            sc_th[:, start[j] + k] = (y == k) * dens[k] / probs[k] - (y == k + 1) * dens[k] / probs[
                k + 1
            ]
    pairs = _pairs(p)
    grid = _pair_grid(od, th, pairs)
    rho = np.array([cor[i, j] for i, j in pairs])
    pi, dpi, _ = _cell_terms(grid, rho)
    pi = np.maximum(pi, _PI_FLOOR)
    cell_sc = dpi / pi  # d ln pi_ab / d rho
    sc_cor = np.empty((n, len(pairs)))
    a21 = np.zeros((len(pairs), start[-1]))
    r = np.sqrt(1 - rho * rho)[:, None, None]
    m = grid.freq * cell_sc / pi  # n_ab (d ln pi / d rho) / pi_ab
    for q, (i, j) in enumerate(pairs):
        sc_cor[:, q] = cell_sc[q][od.codes[:, i], od.codes[:, j]]
    # dpi_ab / d(upper bound tau_k of the first item) = D1[k, b] for category a = k, and minus
    # the same value for category a = k + 1 (tau_k is its lower bound); likewise for item two.
    for first in (True, False):
        tu = (grid.t1 if first else grid.t2)[:, 1:-1]  # finite (or padded +40) thresholds
        tv = grid.t2 if first else grid.t1
        rr = rho[:, None, None]
        arg = (tv[:, None, :] - rr * tu[:, :, None]) / r
        dens = np.exp(-0.5 * tu * tu)[:, :, None] / np.sqrt(_TWO_PI)
        d = dens * np.diff(ndtr(arg), axis=2)  # (npairs, K, K + 1) corner derivative
        mm = m if first else np.swapaxes(m, 1, 2)
        val = np.sum(d * (mm[:, :-1, :] - mm[:, 1:, :]), axis=2)  # (npairs, K)
        for q, (i, j) in enumerate(pairs):
            v = i if first else j
            a21[q, start[v] : start[v + 1]] = val[q, : nth[v]]
    return sc_th, sc_cor, a21, start


def ordinal_moments(
    data: pd.DataFrame, items: list[str] | None = None, weights: np.ndarray | None = None
) -> OrdinalMoments:
    """Thresholds, polychoric correlations and their ``Gamma`` (lavaan ``NACOV``).

    ``Gamma = N B^-1 (S'S) B^-T`` with the stacked case-wise scores ``S`` and lavaan's bread
    ``B`` (module docstring); ``1/diag(Gamma)`` is the DWLS weight matrix of WLSMV.

    With sampling ``weights`` ``w_i`` (normalized, one per row; lavaan ``sampling.weights``)
    every step is weighted as in lavaan 0.6.14 (``lav_uvord_th``, ``lav_bvord_freq``,
    ``muthen1984``): the margins and two-way tables count ``w_i`` per row, ``N = sum w_i``, the
    meat is ``sum_i w_i^2 s_i s_i'`` and the bread's blocks ``sum_i w_i s_i s_i'`` (the
    pseudo-likelihood's information).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from surveysem.sem.estimators.polychoric import ordinal_moments
    >>> rng = np.random.default_rng(1)
    >>> z = rng.multivariate_normal([0, 0, 0], 0.5 * np.eye(3) + 0.5, size=500)
    >>> m = ordinal_moments(pd.DataFrame(np.digitize(z, [-0.5, 0.5]), columns=list("abc")))
    >>> m.labels
    ['a|t1', 'a|t2', 'b|t1', 'b|t2', 'c|t1', 'c|t2', 'b~~a', 'c~~a', 'c~~b']
    >>> m.gamma.shape
    (9, 9)
    """
    od = ordinal_data(data, items, weights)
    th = _thresholds(od)
    cor = _polychorics(od, th)
    with np.errstate(divide="ignore", invalid="ignore"):  # |rho| = 1 gives non-finite Gamma
        sc_th, sc_cor, a21, start = _scores(od, th, cor)
    sc = np.hstack([sc_th, sc_cor])
    w = od.weights[:, None]
    inner = (w * w * sc).T @ sc  # the meat
    bread = (w * sc).T @ sc  # lavaan's INNER2; its blocks make A11 and A22
    nth = sc_th.shape[1]
    a11 = np.zeros((nth, nth))
    for j in range(len(od.names)):
        blk = slice(start[j], start[j + 1])
        a11[blk, blk] = bread[blk, blk]
    a22_diag = np.diag(bread)[nth:]
    a11_inv = np.linalg.inv(a11)
    a22_inv = np.diag(1.0 / a22_diag)
    b_inv = np.block(
        [
            [a11_inv, np.zeros((nth, len(a22_diag)))],
            [-a22_inv @ a21 @ a11_inv, a22_inv],
        ]
    )
    gamma = od.n * (b_inv @ inner @ b_inv.T)
    gamma = (gamma + gamma.T) / 2
    labels = threshold_names(od) + [
        f"{od.names[i]}~~{od.names[j]}" for i, j in _pairs(len(od.names))
    ]
    return OrdinalMoments(od.names, od.n, th, cor, gamma, labels)
