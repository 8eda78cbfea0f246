"""Ordinal items in several groups by DWLS (lavaan WLSMV with ``group =`` and
``group.equal =``), delta parameterization.

Each group g has its own sample statistics ``s_g`` (thresholds and polychoric correlations,
:func:`~surveysem.sem.polychoric.ordinal_moments`), weights ``W_g = diag(Gamma_g)^-1`` and
the single-group parameter table of :mod:`surveysem.sem.ordinal`. With loadings Lambda,
regressions B (``C = (I - B)^-1``), factor (co)variances Psi_g, factor means alpha_g,
residual covariances Theta_g (off the diagonal), thresholds tau and scale factors Delta_g of
the latent responses y*::

    mu*_g = Lambda C alpha_g,    V_g = Lambda C Psi_g C' Lambda' + Theta_g,
    thresholds (tau_jk - mu*_gj) Delta_gj,    correlations Delta_gi Delta_gj V_g,ij,

and the residual variances are derived, ``theta_jj = Delta_gj^-2 - [Lambda C Psi_g C'
Lambda']_jj``. As lavaan, in the first group the scales are 1 and the factor means 0; with
``"thresholds"`` in ``group.equal`` the thresholds are shared (labels ``.pK.``) and the
scales and factor means of the later groups become free; ``"loadings"`` shares the loadings.

Estimation minimizes ``F = sum_g (N_g - 1) (s_g - sigma_g)' W_g (s_g - sigma_g)`` (lavaan's
``fmin = F / (2N)``, ``chisq = F``); standard errors are the sandwich
``H^-1 J H^-1`` with ``H = sum_g (N_g - 1) Delta_g' W_g Delta_g`` and ``J = sum_g (N_g - 1)
Delta_g' W_g Gamma_g W_g Delta_g`` (Delta_g the Jacobian of sigma_g, by central differences);
the test is the scaled-and-shifted one (Asparouhov & Muthén 2010) with ``U = A - A Delta
(Delta' A Delta)^-1 Delta' A``, ``A = blockdiag((N_g - 1) W_g)`` and ``Omega =
blockdiag(Gamma_g / (N_g - 1))``: ``a = sqrt(df / tr[(U Omega)^2])``, ``b = df - a tr(U
Omega)``. The baseline keeps each group's thresholds and sets the correlations to 0.

References
----------
Muthén, du Toit & Spisic (1997); Asparouhov & Muthén (2010), Simple second order chi-square
correction; Millsap, R. E., & Yun-Tein, J. (2004). Assessing factorial invariance in
ordered-categorical measures. Multivariate Behavioral Research, 39(3), 479-515; Rosseel
(2012), lavaan, JSS 48(2).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize

from surveysem.errors import InputError

from .errors import UnsupportedModelError
from .estimates import standardize_rows
from .indices import (
    chisq_tests,
    corrected_robust_measures,
    incremental_indices,
    rmsea_measures,
)
from .multigroup import GroupedFit, MGRow, _normalize_names, group_estimates_table
from .ordinal import _build_model, ordinal_model_problems
from .partable import build_partable, require_no_covariates
from .polychoric import OrdinalMoments, ordinal_moments
from .syntax import parse_syntax

#: ``group.equal`` types of ordinal multi-group fits.
EQUAL_TYPES = ("thresholds", "loadings", "regressions", "lv.variances", "lv.covariances")
_TIED = {"thresholds": ("|",), "loadings": ("=~",), "regressions": ("~",)}
GRAD_TOL = 1e-6


@dataclass
class OrdinalGroupFit(GroupedFit):
    """A multi-group DWLS fit; pass it to :func:`ordinal_group_estimates` and
    :func:`ordinal_group_fit_measures`."""

    moments: list[OrdinalMoments] = field(repr=False)
    x: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool
    message: str
    jacobians: list[np.ndarray] = field(repr=False)  # d sigma_g / d theta at x, per group

    @property
    def nobs(self) -> list[int]:
        return [m.n for m in self.moments]


def _tied(row: MGRow, equal: set[str], lvs: set[str]) -> bool:
    if row.op in ("=~", "~", "|"):
        return any(row.op in _TIED[kind] for kind in equal if kind in _TIED)
    if row.op == "~~" and row.lhs in lvs and row.rhs in lvs:
        kind = "lv.variances" if row.lhs == row.rhs else "lv.covariances"
        return kind in equal
    return False


def _rows(syntax: str, moments: list[OrdinalMoments], data_columns, equal: tuple[str, ...]):
    """lavaan's multi-group ordinal parameter table: each group's single-group rows, free
    scales and factor means in later groups when the thresholds are equal, ``.pK.``
    labels of the equal parameters."""
    pt = build_partable(parse_syntax(syntax), data_columns)
    require_no_covariates(pt, "ordinal (WLSMV)")
    if problems := ordinal_model_problems(pt):
        raise UnsupportedModelError("; ".join(problems))
    lvs = set(pt.lv_names)
    free_scales = "thresholds" in equal
    rows: list[MGRow] = []
    for g, mom in enumerate(moments, start=1):
        model = _build_model(pt, mom)
        for r in model.rows:
            free, value = r.free, r.value
            if g > 1 and free_scales and r.op == "~*~":
                free, value = 1, np.nan
            if g > 1 and free_scales and r.op == "~1" and r.lhs in lvs:
                free, value = 1, np.nan
            label = r.label if r.user else ""
            rows.append(MGRow(0, r.lhs, r.op, r.rhs, g, r.user, int(bool(free)), value, label))
    for i, r in enumerate(rows, start=1):
        r.id = i
    first = {(r.lhs, r.op, r.rhs): r for r in rows if r.group == 1}
    index: dict = {}
    counts: dict[int, int] = {}
    for r in rows:
        if not r.free:
            continue
        ref = first[(r.lhs, r.op, r.rhs)]
        key = ("label", r.label) if r.label else (
            ("row", ref.id) if _tied(ref, set(equal), lvs) else ("row", r.id)
        )  # fmt: skip
        r.free = index.setdefault(key, len(index) + 1)
        if key[0] == "row" and key[1] == ref.id and _tied(ref, set(equal), lvs):
            r.label = f".p{ref.id}."
        counts[r.free] = counts.get(r.free, 0) + 1
    for r in rows:
        if r.free and r.label.startswith(".p") and counts[r.free] < 2:
            r.label = ""
    return rows, len(index), list(pt.ov_names), list(pt.lv_names)


class _Groups:
    """sigma_g(theta) of every group from the rows (see the module docstring)."""

    def __init__(self, rows, ov, lv, moments):
        self.ov, self.lv = ov, lv
        self.pos = {v: i for i, v in enumerate(ov)}
        self.lpos = {v: i for i, v in enumerate(lv)}
        self.groups = [[r for r in rows if r.group == g] for g in range(1, len(moments) + 1)]
        self.pairs = moments[0].pairs

    def matrices(self, grows, x):
        p, m = len(self.ov), len(self.lv)
        lam, beta, psi, theta = (
            np.zeros((p, m)),
            np.zeros((m, m)),
            np.zeros((m, m)),
            np.zeros((p, p)),
        )
        scale, alpha, tau = np.ones(p), np.zeros(m), []
        for r in grows:
            v = x[r.free - 1] if r.free else r.value
            if r.op == "=~":
                if r.rhs in self.pos:
                    lam[self.pos[r.rhs], self.lpos[r.lhs]] = v
                else:
                    beta[self.lpos[r.rhs], self.lpos[r.lhs]] = v
            elif r.op == "~":
                beta[self.lpos[r.lhs], self.lpos[r.rhs]] = v
            elif r.op == "~~" and r.lhs in self.lpos:
                psi[self.lpos[r.lhs], self.lpos[r.rhs]] = psi[
                    self.lpos[r.rhs], self.lpos[r.lhs]
                ] = v
            elif r.op == "~~" and r.lhs != r.rhs:
                theta[self.pos[r.lhs], self.pos[r.rhs]] = theta[
                    self.pos[r.rhs], self.pos[r.lhs]
                ] = v
            elif r.op == "~*~":
                scale[self.pos[r.lhs]] = v
            elif r.op == "~1" and r.lhs in self.lpos:
                alpha[self.lpos[r.lhs]] = v
            elif r.op == "|":
                tau.append((self.pos[r.lhs], v))
        return lam, beta, psi, theta, scale, alpha, tau

    def implied(self, g: int, x: np.ndarray):
        """sigma_g (thresholds, then correlations) and the latent covariance C Psi C'."""
        lam, beta, psi, theta, scale, alpha, tau = self.matrices(self.groups[g], x)
        c = np.linalg.inv(np.eye(len(self.lv)) - beta)
        phi = c @ psi @ c.T
        mean = lam @ c @ alpha
        v = lam @ phi @ lam.T + theta
        th = [(t - mean[j]) * scale[j] for j, t in tau]
        cor = [scale[i] * scale[j] * v[i, j] for i, j in self.pairs]
        return np.array(th + cor), phi, lam @ phi @ lam.T, scale

    def jacobian(self, g: int, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
        out = np.empty((len(self.implied(g, x)[0]), len(x)))
        for k in range(len(x)):
            up, down = x.copy(), x.copy()
            up[k] += h
            down[k] -= h
            out[:, k] = (self.implied(g, up)[0] - self.implied(g, down)[0]) / (2 * h)
        return out


def fit_ordinal_groups(
    syntax: str, data: pd.DataFrame, group: str, equal: tuple[str, ...] = ()
) -> OrdinalGroupFit:
    """Fit ordinal items in several groups as lavaan ``cfa()/sem(..., ordered = <items>,
    group = group, group.equal = equal)`` (WLSMV, delta); see the module docstring.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (as :func:`~surveysem.sem.ordinal.fit_dwls`).
    data : pandas.DataFrame
        Complete rows: the items (ordinal codes) and the ``group`` column.
    group : str
        Grouping column; groups in order of first appearance, as lavaan.
    equal : sequence of str
        lavaan ``group.equal`` among :data:`EQUAL_TYPES`.

    Returns
    -------
    OrdinalGroupFit
    """
    equal = _normalize_names(equal)
    unknown = [e for e in equal if e not in EQUAL_TYPES]
    if unknown:
        raise InputError(
            f"group_equal {unknown} is not one of {', '.join(EQUAL_TYPES)} for ordinal items"
        )
    labels = [v.item() if isinstance(v, np.generic) else v for v in pd.unique(data[group])]
    items = [c for c in data.columns if c != group]
    pt_items = build_partable(parse_syntax(syntax), items).ov_names
    moments = [ordinal_moments(data.loc[data[group] == lab, items], pt_items) for lab in labels]
    categories = {tuple(len(t) for t in m.thresholds) for m in moments}
    if len(categories) > 1:
        raise InputError(
            "the items do not have the same categories in every group (a category is empty "
            "in one group); merge sparse categories before comparing groups"
        )
    rows, k, ov, lv = _rows(syntax, moments, items, equal)
    engine = _Groups(rows, ov, lv, moments)
    stats = [m.wls_obs for m in moments]
    weights = [1.0 / np.diag(m.gamma) for m in moments]
    scale = [np.sqrt((m.n - 1) * w) for m, w in zip(moments, weights, strict=True)]

    def resid(x):
        return np.concatenate(
            [
                sc * (s - engine.implied(g, x)[0])
                for g, (s, sc) in enumerate(zip(stats, scale, strict=True))
            ]
        )

    x0 = _start(rows, k, moments)
    with np.errstate(all="ignore"):
        res = optimize.least_squares(
            resid, x0, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=5000
        )
    x = res.x
    jac = [engine.jacobian(g, x) for g in range(len(moments))]
    grad = sum(
        -2 * (j.T @ (sc**2 * (s - engine.implied(g, x)[0])))
        for g, (j, s, sc) in enumerate(zip(jac, stats, scale, strict=True))
    )
    max_grad = float(np.max(np.abs(grad))) / sum(m.n for m in moments)
    hess = sum(
        (m.n - 1) * j.T @ (w[:, None] * j) for m, j, w in zip(moments, jac, weights, strict=True)
    )
    meat = sum(
        (m.n - 1) * (w[:, None] * j).T @ m.gamma @ (w[:, None] * j)
        for m, j, w in zip(moments, jac, weights, strict=True)
    )
    vcov = np.full((k, k), np.nan)  # no standard errors when H is singular (not identified)
    eig = np.linalg.eigvalsh(hess)
    if eig.min() > 1e-10 * eig.max():
        bread = np.linalg.inv(hess)
        vcov = bread @ meat @ bread
    message = f"Levenberg-Marquardt: {res.message}; max |dF/dtheta|/N = {max_grad:.2e}"
    return OrdinalGroupFit(
        syntax, group, labels, equal, rows, ov, lv, k, moments, x, (vcov + vcov.T) / 2,
        bool(max_grad < GRAD_TOL), message, jac,
    )  # fmt: skip


def _start(rows, k: int, moments: list[OrdinalMoments]) -> np.ndarray:
    """Each group's sample thresholds, loadings 0.7, factor variances 0.5, scales 1,
    everything else 0 (a shared parameter starts from its first row)."""
    x = np.zeros(k)
    thresholds = [np.concatenate(m.thresholds) for m in moments]
    position = {}  # a threshold row's place among its group's thresholds
    for g in range(1, len(moments) + 1):
        group_rows = [r for r in rows if r.group == g and r.op == "|"]
        position |= {id(r): i for i, r in enumerate(group_rows)}
    seen = set()
    for r in rows:
        if not r.free or r.free in seen:
            continue
        seen.add(r.free)
        if r.op == "|":
            x[r.free - 1] = thresholds[r.group - 1][position[id(r)]]
        elif r.op == "=~":
            x[r.free - 1] = 0.7
        elif r.op == "~~" and r.lhs == r.rhs:
            x[r.free - 1] = 0.5
        elif r.op == "~*~":
            x[r.free - 1] = 1.0
    return x


def ordinal_group_estimates(fit: OrdinalGroupFit, level: float = 0.95) -> pd.DataFrame:
    """Estimates of every group, as lavaan ``parameterEstimates(fit, standardized = TRUE)``:
    derived residual variances of the items (se 0), std.lv by the factors' SDs, std.all also
    by the SDs of the latent responses (``1 / Delta``)."""
    engine = _Groups(fit.rows, fit.ov_names, fit.lv_names, fit.moments)
    est = np.array([fit.x[r.free - 1] if r.free else r.value for r in fit.rows], dtype=float)
    std_lv, std_all = np.empty(len(est)), np.empty(len(est))
    for g in range(len(fit.groups)):
        idx = [i for i, r in enumerate(fit.rows) if r.group == g + 1]
        _, phi, common, scale = engine.implied(g, fit.x)
        for i in idx:
            r = fit.rows[i]
            if r.op == "~~" and r.lhs == r.rhs and r.lhs in engine.pos:
                j = engine.pos[r.lhs]
                est[i] = 1.0 / scale[j] ** 2 - common[j, j]
        sd = {v: 1.0 / scale[engine.pos[v]] for v in fit.ov_names}
        sd |= {
            v: np.sqrt(phi[q, q]) if phi[q, q] >= 0 else np.nan for q, v in enumerate(fit.lv_names)
        }
        rows = [fit.rows[i] for i in idx]
        std_lv[idx] = standardize_rows(rows, est[idx], sd, fit.lv_names, "lv")
        std_all[idx] = standardize_rows(rows, est[idx], sd, fit.lv_names, "all")
        for k, r in zip(idx, rows, strict=True):  # scales and thresholds of y* (lavaan)
            if r.op == "~*~":
                std_all[k] = 1.0
            elif r.op == "|":
                std_all[k] = est[k] * scale[engine.pos[r.lhs]]
    return group_estimates_table(fit.rows, est, fit.vcov, std_lv, std_all, level)


def ordinal_group_fit_measures(fit: OrdinalGroupFit) -> dict[str, float]:
    """The standard and scaled-and-shifted chi-square tests of a multi-group DWLS fit and of
    its baseline, CFI and TLI from both, and RMSEA with its interval and close-fit p-value,
    plain and at the scaled statistic (N - G cases, sqrt(G), as lavaan), and the robust CFI,
    TLI, RNI and RMSEA of Savalei (2021) (:func:`_catml`). lavaan's SRMR, GFI and WRMR of
    these fits are not computed."""
    engine = _Groups(fit.rows, fit.ov_names, fit.lv_names, fit.moments)
    n = sum(fit.nobs)
    chisq, blocks_a, blocks_o, deltas, base_deltas, chisq_b = 0.0, [], [], [], [], 0.0
    n_th = [m.n_thresholds for m in fit.moments]
    for g, m in enumerate(fit.moments):
        w = 1.0 / np.diag(m.gamma)
        r = m.wls_obs - engine.implied(g, fit.x)[0]
        chisq += (m.n - 1) * r @ (w * r)
        rb = m.wls_obs[n_th[g] :]
        chisq_b += (m.n - 1) * rb @ (w[n_th[g] :] * rb)
        blocks_a.append((m.n - 1) * np.diag(w))
        blocks_o.append(m.gamma / (m.n - 1))
        deltas.append(fit.jacobians[g])
        base = np.zeros((len(w), n_th[g]))
        base[np.arange(n_th[g]), np.arange(n_th[g])] = 1.0
        base_deltas.append(base)
    a_mat = _block(blocks_a)
    omega = _block(blocks_o)
    ndat = a_mat.shape[0]
    df = float(ndat - fit.n_free)
    df_b = float(ndat - sum(n_th))

    def scaled(delta: np.ndarray, x2: float, dof: float) -> tuple[float, float]:
        ad = a_mat @ delta
        u = a_mat - ad @ np.linalg.solve(delta.T @ ad, ad.T)
        uo = u @ omega
        tr, tr2 = np.trace(uo), np.sum(uo * uo.T)
        a = np.sqrt(dof / tr2)
        return a * x2 + (dof - a * tr), 1.0 / a

    x2s, c = scaled(np.vstack(deltas), chisq, df)
    x2bs, cb = scaled(_block(base_deltas), chisq_b, df_b)
    tests, scaled_tests = chisq_tests(chisq, df, chisq_b, df_b), chisq_tests(x2s, df, x2bs, df_b)
    out = {
        "npar": float(fit.n_free),
        "fmin": chisq / (2 * n),
        **{key: tests[key] for key in ("chisq", "df", "pvalue")},
        "chisq.scaled": x2s,
        "df.scaled": df,
        "pvalue.scaled": scaled_tests["pvalue"],
        "chisq.scaling.factor": c,
        **{key: tests[key] for key in ("baseline.chisq", "baseline.df", "baseline.pvalue")},
        "baseline.chisq.scaled": x2bs,
        "baseline.df.scaled": df_b,
        "baseline.pvalue.scaled": scaled_tests["baseline.pvalue"],
        "baseline.chisq.scaling.factor": cb,
    }
    out |= {
        k: v
        for k, v in incremental_indices(chisq, df, chisq_b, df_b).items()
        if k in ("cfi", "tli")
    }
    scaled_idx = incremental_indices(x2s, df, x2bs, df_b, suffix=".scaled")
    out |= {k: v for k, v in scaled_idx.items() if k in ("cfi.scaled", "tli.scaled")}
    # lavaan's N for RMSEA of non-ML estimators: N - 1 per group; the scaled RMSEA at the
    # scaled-and-shifted statistic; the robust indices from the catML statistics
    n_rmsea, n_groups = n - len(fit.groups), len(fit.groups)
    xx3, c3, xx3_null, c3_null = _catml(fit, engine, deltas, df, df_b)
    if np.isfinite(c3):  # else not computed, as lavaan reports NA
        out |= corrected_robust_measures(xx3, c3, xx3_null, c3_null, df, df_b, n_rmsea, n_groups)
    out |= rmsea_measures(chisq, df, n_rmsea, n_groups)
    out |= {
        f"{key}.scaled": value
        for key, value in rmsea_measures(x2s, df, n_rmsea, n_groups).items()
        if key in ("rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue")
    }
    return {key: float(value) for key, value in out.items()}


def _catml(fit: OrdinalGroupFit, engine: _Groups, deltas, df: float, df_b: float):
    """Savalei (2021) statistics of the robust indices for several groups (lavaan
    ``lav_fit_catml_dwls``): with ``f_g = N_g / N``, the ML discrepancy of each group's
    polychoric matrix R_g at the implied correlations, ``xx3 = sum_g N_g F_ML``; ``c3 =
    tr(U' V U Gamma) / df`` with ``V = blockdiag(f_g V_g)`` (normal-theory ML weights of the
    correlations), ``Gamma = blockdiag(Gamma_g / f_g)``, ``U = I - Delta E^-1 Delta' W``,
    ``E = sum_g f_g Delta_g' W_g Delta_g`` over the correlation rows; the baseline
    ``xx3_null = -sum_g N_g ln|R_g|``, ``c3_null = tr(Gamma) / df_b``. NaN when a polychoric
    matrix is not positive definite (lavaan's ``cat.check.pd``) or the later groups' scales
    are free (equal thresholds), where lavaan 0.6.14 reports NA too."""
    n = sum(fit.nobs)
    nan = (np.nan,) * 4
    if any(r.free for r in fit.rows if r.op == "~*~"):
        return nan  # free scales (equal thresholds): lavaan 0.6.14's catML fit has none
    weights = [1.0 / np.diag(m.gamma) for m in fit.moments]
    info = sum(
        m.n / n * d.T @ (w[:, None] * d)
        for m, d, w in zip(fit.moments, deltas, weights, strict=True)
    )
    xx3 = xx3_null = kbs = 0.0
    v_blocks, w_blocks, g_blocks, d_blocks = [], [], [], []
    for g, (m, d, w) in enumerate(zip(fit.moments, deltas, weights, strict=True)):
        r, f, nth = m.cor, m.n / n, m.n_thresholds
        if np.linalg.eigvalsh(r).min() < np.sqrt(np.finfo(float).eps):
            return nan
        sig = np.eye(len(r))
        ii, jj = np.array(m.pairs).T
        sig[ii, jj] = sig[jj, ii] = engine.implied(g, fit.x)[0][nth:]
        sinv = np.linalg.inv(sig)
        logdet_r = np.linalg.slogdet(r)[1]
        xx3 += m.n * (np.linalg.slogdet(sig)[1] + np.trace(r @ sinv) - logdet_r - len(r))
        xx3_null += -m.n * logdet_r
        v = (
            sinv[np.ix_(ii, ii)] * sinv[np.ix_(jj, jj)]
            + sinv[np.ix_(ii, jj)] * sinv[np.ix_(jj, ii)]
        )
        gamma_r = m.gamma[nth:, nth:]
        kbs += np.trace(gamma_r) / f
        v_blocks.append(f * v)
        w_blocks.append(f * np.diag(w[nth:]))
        g_blocks.append(gamma_r / f)
        d_blocks.append(d[nth:])
    delta = np.vstack(d_blocks)
    u = np.eye(len(delta)) - delta @ np.linalg.solve(info, delta.T) @ _block(w_blocks)
    ks = np.trace(u.T @ _block(v_blocks) @ u @ _block(g_blocks))
    return float(xx3), float(ks / df), float(xx3_null), float(kbs / df_b)


def _block(blocks: list[np.ndarray]) -> np.ndarray:
    rows = sum(b.shape[0] for b in blocks)
    cols = sum(b.shape[1] for b in blocks)
    out = np.zeros((rows, cols))
    i = j = 0
    for b in blocks:
        out[i : i + b.shape[0], j : j + b.shape[1]] = b
        i, j = i + b.shape[0], j + b.shape[1]
    return out
