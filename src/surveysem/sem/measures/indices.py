"""Fit indices from test statistics: lavaan 0.6.14's one set of rules for every estimator.

Every fit (ML, MLR, GLS, ULS, FIML, multi-group, WLSMV) reduces to a model statistic x2 with
df degrees of freedom, the baseline model's x2b with dfb, N and, for robust versions, the
scaling factors c and cb; the indices below turn them into lavaan's ``fitMeasures`` with
lavaan's edge-case rules (``R/lav_fit_cfi.R``, ``lav_fit_rmsea.R``, ``lav_fit_other.R``), so
that an estimator module computes its statistics and nothing else.

* CFI = 1 - max(x2 - c df, 0) / max(x2 - c df, x2b - cb dfb, 0) (1 when both are 0);
  TLI = NNFI = 1 - (x2 - c df) dfb / ((x2b - cb dfb) df) (1 without df); RNI = 1 - (x2 -
  c df) / (x2b - cb dfb). With c = cb = 1 the usual indices; with the scaling factors of a
  robust test the robust versions of Brosseau-Liard & Savalei (2014), used only when df > 0
  and neither factor is 1, as lavaan does.
* RFI = (x2b/dfb - x2/df) / (x2b/dfb), NFI = (x2b - x2) / x2b, PNFI = df/dfb NFI,
  IFI = (x2b - x2) / (x2b - df); NaN where lavaan gives NA (e.g. df > dfb).
* RMSEA = sqrt(max(x2/(N df) - c/N, 0)); its interval inverts the noncentral chi-square
  cdf at x2 (Browne & Cudeck 1993), lambda scaled by c; the p-values of close (H0: RMSEA <=
  .05) and not-close (>= .08) fit use the noncentrality N df h0^2 / c. With G groups lavaan
  multiplies RMSEA and its bounds by sqrt(G) and divides the noncentrality by G (Steiger
  1998), i.e. c = G in the interval and p-values.

Reference: Rosseel (2012), lavaan, JSS 48(2); Brosseau-Liard, Savalei & Li (2012), MBR 47(6);
Brosseau-Liard & Savalei (2014), MBR 49(5); Browne & Cudeck (1993).

Examples
--------
A hand calculation: x2 = 30 on 10 df, baseline 210 on 15 df, N = 200.

>>> round(cfi(30, 10, 210, 15), 6)  # 1 - 20 / 195
0.897436
>>> round(tli(30, 10, 210, 15), 6)  # 1 - 20 * 15 / (195 * 10)
0.846154
>>> round(rmsea(30, 10, 200), 6)  # sqrt(30 / 2000 - 1 / 200)
0.1
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

CLOSE_H0, NOTCLOSE_H0, CI_LEVEL = 0.05, 0.08, 0.90


def _zero(x: float) -> bool:
    return abs(x) < 1.5e-8  # R's isTRUE(all.equal(x, 0))


def _missing(*values) -> bool:
    return bool(np.isnan(np.asarray(values, dtype=float)).any())


def _factors(df: float, c: float, cb: float, robust: bool) -> tuple[float, float]:
    """The scaling factors an index uses: lavaan applies them only when df > 0 and neither is
    1 (its test of whether a robust version was asked for). ``robust`` says so directly: the
    baseline of a scaled-and-shifted test has ``c_b = 1`` in theory, which lavaan's rounding
    never hits exactly, so lavaan does correct the model's statistic there."""
    return (c, cb) if df > 0 and (robust or (c != 1 and cb != 1)) else (1.0, 1.0)


def cfi(x2, df, x2b, dfb, c=1.0, cb=1.0, robust=False) -> float:
    """Comparative fit index (robust with the scaling factors c, cb)."""
    if _missing(x2, df, x2b, dfb, c, cb):
        return np.nan
    c, cb = _factors(df, c, cb, robust)
    t1 = max(x2 - c * df, 0.0)
    t2 = max(x2 - c * df, x2b - cb * dfb, 0.0)
    return 1.0 if _zero(t1) and _zero(t2) else 1 - t1 / t2


def tli(x2, df, x2b, dfb, c=1.0, cb=1.0, robust=False) -> float:
    """Tucker-Lewis index = NNFI (robust with the scaling factors c, cb)."""
    if _missing(x2, df, x2b, dfb, c, cb):
        return np.nan
    c, cb = _factors(df, c, cb, robust)
    t1 = (x2 - c * df) * dfb
    t2 = (x2b - cb * dfb) * df
    return 1 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def rni(x2, df, x2b, dfb, c=1.0, cb=1.0, robust=False) -> float:
    """Relative noncentrality index (robust with the scaling factors c, cb)."""
    if _missing(x2, df, x2b, dfb, c, cb):
        return np.nan
    c, cb = _factors(df, c, cb, robust)
    t1, t2 = x2 - c * df, x2b - cb * dfb
    return np.nan if _zero(t2) else 1 - t1 / t2


def rfi(x2, df, x2b, dfb) -> float:
    """Relative fit index (Bollen 1986)."""
    if _missing(x2, df, x2b, dfb) or df > dfb:
        return np.nan
    if df > 0 and dfb > 0:
        t1, t2 = x2b / dfb - x2 / df, x2b / dfb
        return 1.0 if t1 < 0 or t2 < 0 else t1 / t2
    return 1.0


def nfi(x2, df, x2b, dfb) -> float:
    """Normed fit index (Bentler & Bonett 1980)."""
    if _missing(x2, df, x2b, dfb) or df > dfb or _zero(x2b):
        return np.nan
    return (x2b - x2) / x2b if df > 0 else 1.0


def pnfi(x2, df, x2b, dfb) -> float:
    """Parsimony normed fit index."""
    if _missing(x2, df, x2b, dfb) or not (dfb > 0 and x2b > 0):
        return np.nan
    return df / dfb * (x2b - x2) / x2b


def ifi(x2, df, x2b, dfb) -> float:
    """Incremental fit index (Bollen 1989)."""
    if _missing(x2, df, x2b, dfb):
        return np.nan
    t1, t2 = x2b - x2, x2b - df
    if t2 < 0:
        return 1.0
    return np.nan if _zero(t2) else t1 / t2


def incremental_indices(x2, df, x2b, dfb, suffix: str = "") -> dict[str, float]:
    """CFI, TLI, NNFI, RFI, NFI, PNFI, IFI and RNI of one test, named ``<index><suffix>``."""
    values = {
        "cfi": cfi(x2, df, x2b, dfb),
        "tli": tli(x2, df, x2b, dfb),
        "nnfi": tli(x2, df, x2b, dfb),
        "rfi": rfi(x2, df, x2b, dfb),
        "nfi": nfi(x2, df, x2b, dfb),
        "pnfi": pnfi(x2, df, x2b, dfb),
        "ifi": ifi(x2, df, x2b, dfb),
        "rni": rni(x2, df, x2b, dfb),
    }
    return {f"{name}{suffix}": value for name, value in values.items()}


def robust_incremental_indices(x2, df, x2b, dfb, c, cb) -> dict[str, float]:
    """The robust CFI, TLI, NNFI and RNI (Brosseau-Liard & Savalei 2014; Savalei 2018 for a
    scaled-and-shifted test, with ``c = a (df - b) / df``) of a scaled test."""
    return {
        "cfi.robust": cfi(x2, df, x2b, dfb, c, cb, robust=True),
        "tli.robust": tli(x2, df, x2b, dfb, c, cb, robust=True),
        "nnfi.robust": tli(x2, df, x2b, dfb, c, cb, robust=True),
        "rni.robust": rni(x2, df, x2b, dfb, c, cb, robust=True),
    }


def chisq_pvalue(x2: float, df: float) -> float:
    """Upper-tail chi-square p-value; NaN without degrees of freedom or a finite statistic."""
    return float(stats.chi2.sf(x2, df)) if df > 0 and np.isfinite(x2) else np.nan


def chisq_tests(x2, df, x2b, dfb, suffix: str = "") -> dict[str, float]:
    """The model's and the baseline model's statistic, df and p-value, named as lavaan."""
    return {
        f"chisq{suffix}": x2,
        f"df{suffix}": float(df),
        f"pvalue{suffix}": chisq_pvalue(x2, df),
        f"baseline.chisq{suffix}": x2b,
        f"baseline.df{suffix}": float(dfb),
        f"baseline.pvalue{suffix}": chisq_pvalue(x2b, dfb),
    }


def rmsea(x2, df, n, c: float = 1.0) -> float:
    """RMSEA = sqrt(max(x2/(N df) - c/N, 0)); c is the scaling factor of the robust RMSEA."""
    if not df > 0:
        return 0.0
    return float(np.sqrt(max(x2 / (n * df) - c / n, 0.0)))


def _ncx2_cdf(x: float, df: float, nc: float) -> float:
    return float(stats.chi2.cdf(x, df) if nc <= 0 else stats.ncx2.cdf(x, df, nc))


def rmsea_ci(x2, df, n, c=1.0, level=CI_LEVEL) -> tuple[float, float]:
    """lavaan ``lav_fit_rmsea_ci``: invert pchisq(x2; df, lambda); df may be fractional."""
    if not np.isfinite([x2, df, n, c]).all():
        return np.nan, np.nan
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2

    def root(target: float, hi: float) -> float:
        try:
            return optimize.brentq(lambda lam: _ncx2_cdf(x2, df, lam) - target, 0.0, hi, xtol=1e-12)
        except ValueError:  # no sign change in lavaan's bracket: NA as in lavaan
            return np.nan

    if df < 1 or _ncx2_cdf(x2, df, 0.0) - upper_p < 0:
        lower = 0.0
    else:
        lower = float(np.sqrt(c * root(upper_p, x2) / (n * df)))
    n_rmsea = max(n, 4 * x2)
    if df < 1 or _ncx2_cdf(x2, df, n_rmsea) - lower_p > 0 or _ncx2_cdf(x2, df, 0.0) - lower_p < 0:
        upper = 0.0
    else:
        upper = float(np.sqrt(c * root(lower_p, n_rmsea) / (n * df)))
    return lower, upper


def rmsea_close(x2, df, n, c=1.0, h0=CLOSE_H0, close=True) -> float:
    """p-value of close fit (H0: RMSEA <= h0) or, ``close=False``, of not-close fit."""
    if not np.isfinite([x2, df, n, c]).all() or not df > 0:
        return np.nan
    cdf = _ncx2_cdf(x2, df, n * df / c * h0**2)
    return 1 - cdf if close else cdf


def rmsea_measures(x2, df, n, n_groups: int = 1) -> dict[str, float]:
    """RMSEA, its 90% interval and the p-values of close and not-close fit (G groups:
    RMSEA and bounds times sqrt(G), noncentrality divided by G, as lavaan)."""
    lower, upper = rmsea_ci(x2, df, n, n_groups)
    return {
        "rmsea": rmsea(x2, df, n) * np.sqrt(n_groups),
        "rmsea.ci.lower": lower,
        "rmsea.ci.upper": upper,
        "rmsea.ci.level": CI_LEVEL,
        "rmsea.pvalue": rmsea_close(x2, df, n, n_groups, h0=CLOSE_H0),
        "rmsea.close.h0": CLOSE_H0,
        "rmsea.notclose.pvalue": rmsea_close(x2, df, n, n_groups, h0=NOTCLOSE_H0, close=False),
        "rmsea.notclose.h0": NOTCLOSE_H0,
    }


def information_criteria(logl, logl_h1, k, n) -> dict[str, float]:
    """Log-likelihoods of the model and of the saturated model, AIC, BIC and BIC2 (SABIC)."""
    return {
        "logl": logl,
        "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * k,
        "bic": -2 * logl + k * np.log(n),
        "ntotal": float(n),
        "bic2": -2 * logl + k * np.log((n + 2) / 24),
    }


def hoelter_cn(x2, df, n) -> dict[str, float]:
    """Hoelter's critical N at alpha = 0.05 and 0.01: qchisq(1 - alpha, df) / (x2/N) + 1."""
    return {
        name: stats.chi2.ppf(1 - alpha, df) / (x2 / n) + 1 if df > 0 else np.nan
        for alpha, name in ((0.05, "cn_05"), (0.01, "cn_01"))
    }


def gfi_measures(gfi, df, n_moments) -> dict[str, float]:
    """GFI with AGFI and PGFI, which adjust it for the df out of ``n_moments`` moments."""
    return {
        "gfi": gfi,
        "agfi": 1 - n_moments / df * (1 - gfi) if df > 0 else 1.0,
        "pgfi": df / n_moments * gfi,
    }


#: The fit a report shows (:func:`reported_fit`).
REPORTED = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper")


#: lavaan's fitMeasures names of an MLR fit, in its order (ML names with the scaled and robust).
MLR_NAMES = (
    "npar fmin chisq df pvalue chisq.scaled df.scaled pvalue.scaled chisq.scaling.factor "
    "baseline.chisq baseline.df baseline.pvalue baseline.chisq.scaled baseline.df.scaled "
    "baseline.pvalue.scaled baseline.chisq.scaling.factor cfi tli cfi.scaled tli.scaled "
    "cfi.robust tli.robust nnfi rfi nfi pnfi ifi rni nnfi.scaled rfi.scaled nfi.scaled "
    "pnfi.scaled ifi.scaled rni.scaled nnfi.robust rni.robust logl unrestricted.logl aic bic "
    "ntotal bic2 scaling.factor.h1 scaling.factor.h0 rmsea rmsea.ci.lower rmsea.ci.upper "
    "rmsea.ci.level rmsea.pvalue rmsea.close.h0 rmsea.notclose.pvalue rmsea.notclose.h0 "
    "rmsea.scaled rmsea.ci.lower.scaled rmsea.ci.upper.scaled rmsea.pvalue.scaled "
    "rmsea.notclose.pvalue.scaled rmsea.robust rmsea.ci.lower.robust rmsea.ci.upper.robust "
    "rmsea.pvalue.robust rmsea.notclose.pvalue.robust rmr rmr_nomean srmr srmr_bentler "
    "srmr_bentler_nomean crmr crmr_nomean srmr_mplus srmr_mplus_nomean cn_05 cn_01 gfi agfi "
    "pgfi mfi ecvi"
).split()


def scaled_measures(ml: dict[str, float], yb, n: float, n_groups: int = 1) -> dict[str, float]:
    """lavaan's Yuan-Bentler scaled and robust fit measures, from the normal-theory measures
    ``ml`` of the same fit (complete-data ML, FIML or several groups) and its test ``yb``
    (:class:`surveysem.sem.estimators.robust.YuanBentlerTest`).

    ``chisq.scaled = chisq / c``, ``baseline.chisq.scaled = chisq_b / c_b``; ``*.scaled``
    incremental indices use the scaled statistics in the usual formulas; ``cfi.robust`` and
    ``tli.robust`` those of Brosseau-Liard & Savalei (2014); ``rmsea.scaled`` uses ``c df``
    degrees of freedom at the unscaled chisq (lavaan ``df2 = trace.UGamma``),
    ``rmsea.robust = sqrt(max(chisq/(N df) - c/N, 0))`` with its interval inverted at
    ``chisq.scaled`` (Brosseau-Liard, Savalei & Li 2012); ``scaling.factor.h1/h0``.
    """
    x2, df = ml["chisq"], ml["df"]
    x2b, dfb = ml["baseline.chisq"], ml["baseline.df"]
    c, cb = yb.scaling_factor, yb.baseline_scaling_factor
    x2s = x2 if df == 0 else x2 / c
    x2bs = x2b / cb
    df2 = yb.trace_ugamma if np.isfinite(yb.trace_ugamma) and yb.trace_ugamma != 0 else np.nan
    out = {
        "chisq.scaled": x2s,
        "df.scaled": df,
        "pvalue.scaled": chisq_pvalue(x2s, df),
        "chisq.scaling.factor": c,
        "baseline.chisq.scaled": x2bs,
        "baseline.df.scaled": dfb,
        "baseline.pvalue.scaled": chisq_pvalue(x2bs, dfb),
        "baseline.chisq.scaling.factor": cb,
        **robust_incremental_indices(x2, df, x2b, dfb, c, cb),
        "scaling.factor.h1": yb.scaling_factor_h1,
        "scaling.factor.h0": yb.scaling_factor_h0,
        "rmsea.scaled": rmsea(x2, df2, n) * np.sqrt(n_groups),
        "rmsea.pvalue.scaled": rmsea_close(x2, df2, n, n_groups, h0=0.05),
        "rmsea.notclose.pvalue.scaled": rmsea_close(x2, df2, n, n_groups, h0=0.08, close=False),
        "rmsea.robust": rmsea(x2, df, n, c) * np.sqrt(n_groups),
        "rmsea.pvalue.robust": rmsea_close(x2s, df, n, c * n_groups, h0=0.05),
        "rmsea.notclose.pvalue.robust": rmsea_close(x2s, df, n, c * n_groups, h0=0.08, close=False),
    }
    out.update(incremental_indices(x2s, df, x2bs, dfb, suffix=".scaled"))
    lo, hi = rmsea_ci(x2, df2, n, n_groups)
    out["rmsea.ci.lower.scaled"], out["rmsea.ci.upper.scaled"] = lo, hi
    lo, hi = rmsea_ci(x2s, df, n, c * n_groups)
    out["rmsea.ci.lower.robust"], out["rmsea.ci.upper.robust"] = lo, hi
    return {key: float(value) for key, value in out.items()}


def scaled_shifted(x2: float, df: float, u_gamma: np.ndarray) -> tuple[float, float]:
    """The scaled-and-shifted statistic ``a x2 + b`` and its scaling factor ``1 / a`` (lavaan
    ``test = "scaled.shifted"``; Asparouhov & Muthén 2010): ``a = sqrt(df / tr[(U Gamma)^2])``
    and ``b = df - a tr(U Gamma)``, where ``u_gamma`` is ``U Gamma`` (U the residual weight
    matrix of the model's estimator, Gamma the asymptotic covariance of the statistics).

    >>> x2s, c = scaled_shifted(10.0, 4.0, np.diag([0.5, 0.5, 0.5, 0.5]))
    >>> round(x2s, 6), round(c, 6)  # a = sqrt(4 / 1) = 2, b = 4 - 2 * 2 = 0
    (20.0, 0.5)
    """
    a = np.sqrt(df / np.sum(u_gamma * u_gamma.T)) if df > 0 else np.nan
    return float(a * x2 + (df - a * np.trace(u_gamma))), float(1.0 / a)


def scaled_shifted_measures(x2, df, x2b, dfb, ug, ugb, n, n_groups: int = 1) -> dict:
    """lavaan's scaled and robust measures of a DWLS fit on continuous items (``test =
    "scaled.shifted"``), one or several groups: the scaled-and-shifted statistics
    (:func:`scaled_shifted`) of the model (``U Gamma`` = ``ug``) and of the baseline
    (``ugb``), the scaled indices from them, and the robust CFI/TLI/RNI/RMSEA (Savalei 2018)
    with ``c = tr(U Gamma) / df``; ``n`` is lavaan's N for RMSEA (N - G for non-ML
    estimators), the RMSEAs and their intervals are times sqrt(G)."""
    x2s, scaling = scaled_shifted(x2, df, ug)
    x2bs, scaling_b = scaled_shifted(x2b, dfb, ugb)
    c, cb = np.trace(ug) / df, np.trace(ugb) / dfb
    scaled_tests = chisq_tests(x2s, df, x2bs, dfb)
    out = {
        "chisq.scaled": x2s,
        "df.scaled": df,
        "pvalue.scaled": scaled_tests["pvalue"],
        "chisq.scaling.factor": scaling,
        "baseline.chisq.scaled": x2bs,
        "baseline.df.scaled": dfb,
        "baseline.pvalue.scaled": scaled_tests["baseline.pvalue"],
        "baseline.chisq.scaling.factor": scaling_b,
        **incremental_indices(x2s, df, x2bs, dfb, suffix=".scaled"),
        **robust_incremental_indices(x2, df, x2b, dfb, c, cb),
        **{f"{key}.scaled": value for key, value in rmsea_measures(x2s, df, n, n_groups).items()
           if key.endswith(("rmsea", "lower", "upper", "pvalue"))},
        "rmsea.robust": rmsea(x2, df, n, c) * np.sqrt(n_groups),
        # lavaan: the interval and p-values of the robust RMSEA invert the scaled-and-shifted
        # statistic with the scaling factor (Savalei 2018)
        "rmsea.pvalue.robust": rmsea_close(x2s, df, n, scaling * n_groups, h0=0.05),
        "rmsea.notclose.pvalue.robust": rmsea_close(
            x2s, df, n, scaling * n_groups, h0=0.08, close=False
        ),
    }  # fmt: skip
    lo, hi = rmsea_ci(x2s, df, n, scaling * n_groups)
    out["rmsea.ci.lower.robust"], out["rmsea.ci.upper.robust"] = lo, hi
    return out


def residual_indices(cov, sigma, mean=None, mu=None, mean_of=None) -> dict[str, float]:
    """lavaan's residual summaries (``lav_residuals_summary``) of sample moments ``cov``
    (and ``mean``) against the model-implied ``sigma`` (and ``mu``).

    With ``d = diag(cov)^1/2``: RMR is the root mean square of the residuals ``cov - sigma``
    (lower triangle), SRMR (Bentler) of ``(cov - sigma) / d d'``, CRMR of the correlation
    residuals off the diagonal and SRMR (Mplus) of the correlation residuals plus the
    variance residuals ``(cov_jj - sigma_jj) / cov_jj``. With a mean structure each also
    averages over the mean residuals (``mean - mu``; scaled by d, or ``mean/d - mu/sigma^1/2``
    for Mplus), and the ``*_nomean`` versions leave them out; without one both are equal.
    ``mean_of`` gives the variable (index) of each element of ``mean`` when there is not one
    per variable: the thresholds of ordered items, which lavaan summarizes in the place of
    means (on the scale of the polychoric correlations, d = 1).
    """
    cov, sigma = np.asarray(cov, dtype=float), np.asarray(sigma, dtype=float)
    p = cov.shape[0]
    low, off = np.tril_indices(p), np.tril_indices(p, -1)
    sd, sd_sig = np.sqrt(np.diag(cov)), np.sqrt(np.diag(sigma))
    resid = cov - sigma
    std_resid = resid / np.outer(sd, sd)
    cor_resid = cov / np.outer(sd, sd) - sigma / np.outer(sd_sig, sd_sig)
    var_resid = (np.diag(cov) - np.diag(sigma)) / np.diag(cov)

    def rms(*parts) -> float:
        vals = np.concatenate([np.ravel(v) for v in parts])
        return float(np.sqrt(np.mean(vals**2))) if len(vals) else 0.0

    nomean = {
        "rmr": rms(resid[low]),
        "srmr_bentler": rms(std_resid[low]),
        "crmr": rms(cor_resid[off]),
        "srmr_mplus": rms(cor_resid[off], var_resid),
    }
    if mean is None:
        withmean = nomean
    else:
        of = np.arange(p) if mean_of is None else np.asarray(mean_of)
        m_resid = np.asarray(mean, dtype=float) - mu
        m_std = m_resid / sd[of]
        withmean = {
            "rmr": rms(resid[low], m_resid),
            "srmr_bentler": rms(std_resid[low], m_std),
            "crmr": rms(cor_resid[off], m_std),
            "srmr_mplus": rms(cor_resid[off], var_resid, mean / sd[of] - mu / sd_sig[of]),
        }
    return {
        "rmr": withmean["rmr"],
        "rmr_nomean": nomean["rmr"],
        "srmr": withmean["srmr_bentler"],
        "srmr_bentler": withmean["srmr_bentler"],
        "srmr_bentler_nomean": nomean["srmr_bentler"],
        "crmr": withmean["crmr"],
        "crmr_nomean": nomean["crmr"],
        "srmr_mplus": withmean["srmr_mplus"],
        "srmr_mplus_nomean": nomean["srmr_mplus"],
    }


def group_residual_indices(samples, implied, sizes) -> dict[str, float]:
    """lavaan's residual summaries of several groups: :func:`residual_indices` of each
    group's (covariance matrix, mean vector) in ``samples`` against its ``implied`` ones,
    averaged with weights N_g/N (``sizes``: N_g); one group is :func:`residual_indices`."""
    w = np.asarray(sizes, dtype=float) / np.sum(sizes)
    acc: dict[str, float] = {}
    for w_g, (cov, mean), (sigma, mu) in zip(w, samples, implied, strict=True):
        for key, val in residual_indices(cov, sigma, mean, mu).items():
            acc[key] = acc.get(key, 0.0) + w_g * val
    return acc


def reported_fit(measures: dict, version: str | None = None) -> dict:
    """The fit values a report shows, chosen from lavaan's ``fitMeasures`` of any estimator.

    With the standard test (ML, GLS, ULS, FIML with ML) these are the measures themselves.
    With a scaled test (MLR, sampling weights, WLSMV) the chi-square is the scaled one
    (``chisq.scaled``, ``df.scaled``, ``pvalue.scaled``) and CFI, TLI and RMSEA with its
    interval are the robust versions (``*.robust``: Brosseau-Liard, Savalei & Li 2012;
    Brosseau-Liard & Savalei 2014; Savalei 2021 for categorical data; Zhang & Savalei 2023
    under FIML), or the scaled ones where a robust version could not be computed. SRMR, AIC, BIC and
    ``ntotal`` are copied when present. ``indices`` says which version was chosen:
    "standard", "robust" or "scaled"; a dict that already says (a row of
    :func:`surveysem.comparison.compare_models`) is returned as it is. ``version="scaled"``
    takes the scaled indices even where robust ones exist (a comparison of models of which
    only some have robust indices).

    >>> reported_fit({"chisq": 10.0, "df": 5, "pvalue": 0.08, "cfi": 0.97, "tli": 0.95,
    ...               "rmsea": 0.04, "rmsea.ci.lower": 0.0, "rmsea.ci.upper": 0.09})["indices"]
    'standard'
    >>> robust = {"chisq": 10.0, "chisq.scaled": 8.0, "df.scaled": 5, "pvalue.scaled": 0.16,
    ...           "cfi": 0.97, "cfi.robust": 0.98, "tli.robust": 0.96, "rmsea.robust": 0.03,
    ...           "rmsea.ci.lower.robust": 0.0, "rmsea.ci.upper.robust": 0.08, "df": 5}
    >>> {k: reported_fit(robust)[k] for k in ("chisq", "cfi", "indices")}
    {'chisq': 8.0, 'cfi': 0.98, 'indices': 'robust'}
    """
    if "indices" in measures:
        return dict(measures)
    if "chisq.scaled" not in measures:
        return {
            k: measures[k] for k in (*REPORTED, "srmr", "aic", "bic", "ntotal") if k in measures
        } | {"indices": "standard"}
    robust = "cfi.robust" in measures and np.isfinite(measures["cfi.robust"])
    suffix = ".robust" if robust and version != "scaled" else ".scaled"
    out = {
        "chisq": measures["chisq.scaled"],
        "df": measures["df.scaled"],
        "pvalue": measures["pvalue.scaled"],
    }
    for key in REPORTED[3:]:
        out[key] = measures.get(key + suffix, np.nan)
    out |= {k: measures[k] for k in ("srmr", "aic", "bic", "ntotal") if k in measures}
    return out | {"indices": suffix[1:]}


def corrected_robust_measures(
    xx3: float,
    c3: float,
    xx3_null: float,
    c3_null: float,
    df: float,
    df_b: float,
    n: float,
    n_groups: int = 1,
) -> dict[str, float]:
    """lavaan's robust CFI, TLI, NNFI, RNI and RMSEA (interval, p-values) from corrected
    statistics ``xx3`` (model) and ``xx3_null`` (baseline) with their scalings ``c3`` and
    ``c3_null``: FIML (Zhang & Savalei 2023) and categorical data (Savalei 2021). RMSEA
    ``sqrt(G) sqrt(max(xx3/(N df) - c3/N, 0))``, its interval and p-values at ``xx3 / c3``.
    """  # fmt: skip
    scaled = xx3 / c3
    out = robust_incremental_indices(xx3, df, xx3_null, df_b, c3, c3_null)
    lower, upper = rmsea_ci(scaled, df, n, c3 * n_groups)
    return out | {
        "rmsea.robust": rmsea(xx3, df, n, c3) * np.sqrt(n_groups),
        "rmsea.ci.lower.robust": lower,
        "rmsea.ci.upper.robust": upper,
        "rmsea.pvalue.robust": rmsea_close(scaled, df, n, c3 * n_groups, h0=CLOSE_H0),
        "rmsea.notclose.pvalue.robust": rmsea_close(
            scaled, df, n, c3 * n_groups, h0=NOTCLOSE_H0, close=False
        ),
    }
