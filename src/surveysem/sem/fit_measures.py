"""lavaan ``fitMeasures()`` for an ML fit, computed from S, Sigma-hat and N (not semopy).

semopy's ``calc_stats`` is wrong for GFI/AGFI, log-likelihood/AIC/BIC, RMSEA (N - 1) and has
no SRMR or RMSEA interval (tooling notes, section 2), so every index is recomputed here with
lavaan's formulas (``lav_fit_*.R``). Notation: N cases, p observed variables,
``p* = p(p+1)/2`` moments, k free parameters, F the ML discrepancy.

* chisq = N F, df = p* - k; baseline = independence model (diagonal Sigma = diag S):
  chisq_b = N (sum ln s_ii - ln|S|), df_b = p* - p.
* CFI = 1 - max(chisq - df, 0) / max(chisq - df, chisq_b - df_b, 0);
  TLI = NNFI = 1 - ((chisq - df) df_b) / ((chisq_b - df_b) df);
  NFI = 1 - chisq/chisq_b; RFI, IFI, RNI, PNFI as in lavaan.
* RMSEA = sqrt(max(chisq/(N df) - 1/N, 0)) (N, not N - 1); 90% CI by inverting the
  noncentral chi-square (Browne & Cudeck 1993); p-values of close (0.05) / not-close (0.08) fit.
* logl = -N/2 (p ln 2pi + ln|Sigma| + tr(S Sigma^-1)); unrestricted.logl with Sigma = S;
  AIC = -2 logl + 2k, BIC = -2 logl + k ln N, BIC2 (SABIC) = -2 logl + k ln((N + 2)/24).
* SRMR (Bentler) = sqrt(mean over i <= j of ((s_ij - sigma_ij)/sqrt(s_ii s_jj))^2); RMR
  unstandardized; CRMR = correlation residuals without the diagonal; SRMR (Mplus) correlation
  residuals plus standardized variance residuals.
* GFI = 1 - tr[(Sigma^-1 S - I)^2] / tr[(Sigma^-1 S)^2]; AGFI = 1 - p*/df (1 - GFI);
  PGFI = df/p* GFI; MFI = exp(-(chisq - df)/(2N)); ECVI = chisq/N + 2k/N;
  Hoelter CN = qchisq(1 - alpha, df) / (chisq/N) + 1.

Reference: lavaan ``R/lav_fit_measures.R`` and friends (Rosseel 2012, JSS 48(2)).
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

from . import matrices
from .fitting import SemFit


def _rmsea_ci(chisq: float, df: int, n: int, level: float = 0.90) -> tuple[float, float]:
    """Browne-Cudeck interval: solve P(X <= chisq; df, lambda) = 1 -/+ alpha/2 for lambda."""
    if df <= 0:
        return 0.0, 0.0
    upper_p, lower_p = (1 + level) / 2, (1 - level) / 2  # 0.95 and 0.05 for a 90% CI

    def ncp_for(target: float) -> float:
        if stats.chi2.cdf(chisq, df) < target:
            return 0.0

        def f(lam: float) -> float:
            return _ncx2_cdf(chisq, df, lam) - target

        hi = max(chisq, 1.0)
        while f(hi) > 0:
            hi *= 2
        return optimize.brentq(f, 0.0, hi, xtol=1e-12)

    lam_l, lam_u = ncp_for(upper_p), ncp_for(lower_p)
    return float(np.sqrt(lam_l / (n * df))), float(np.sqrt(lam_u / (n * df)))


def _ncx2_cdf(x: float, df: int, nc: float) -> float:
    return float(stats.chi2.cdf(x, df) if nc <= 0 else stats.ncx2.cdf(x, df, nc))


def _residual_indices(s: np.ndarray, sigma: np.ndarray) -> dict[str, float]:
    p = s.shape[0]
    low = np.tril_indices(p)
    off = np.tril_indices(p, -1)
    sd = np.sqrt(np.diag(s))
    resid = s - sigma
    std_resid = resid / np.outer(sd, sd)
    sd_sig = np.sqrt(np.diag(sigma))
    cor_resid = s / np.outer(sd, sd) - sigma / np.outer(sd_sig, sd_sig)
    var_resid = (np.diag(s) - np.diag(sigma)) / np.diag(s)
    srmr = float(np.sqrt(np.mean(std_resid[low] ** 2)))
    crmr = float(np.sqrt(np.mean(cor_resid[off] ** 2))) if p > 1 else 0.0
    mplus = float(np.sqrt((np.sum(cor_resid[off] ** 2) + np.sum(var_resid**2)) / len(low[0])))
    rmr = float(np.sqrt(np.mean(resid[low] ** 2)))
    return {
        "rmr": rmr,
        "rmr_nomean": rmr,
        "srmr": srmr,
        "srmr_bentler": srmr,
        "srmr_bentler_nomean": srmr,
        "crmr": crmr,
        "crmr_nomean": crmr,
        "srmr_mplus": mplus,
        "srmr_mplus_nomean": mplus,
    }


def fit_measures(fit: SemFit) -> dict[str, float]:
    """lavaan-compatible fit measures of an ML fit (names as lavaan ``fitMeasures``).

    Returns npar, fmin, chisq, df, pvalue, baseline.chisq/df/pvalue, cfi, tli, nnfi, rfi, nfi,
    pnfi, ifi, rni, logl, unrestricted.logl, aic, bic, ntotal, bic2, rmsea,
    rmsea.ci.lower/upper/level, rmsea.pvalue, rmsea.close.h0, rmsea.notclose.pvalue,
    rmsea.notclose.h0, rmr, srmr (and the variants lavaan prints), cn_05, cn_01, gfi, agfi, pgfi,
    mfi, ecvi. Formulas: module docstring.

    Examples
    --------
    >>> from surveysem.sem import fit_measures, fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> fm = fit_measures(fit_model(TWO_FACTOR_MODEL, two_factor_data()))
    >>> round(fm["chisq"], 3), fm["df"], round(fm["cfi"], 3), round(fm["rmsea"], 3)
    (8.295, 8.0, 0.999, 0.011)
    """
    n, k = fit.n, fit.partable.n_free
    s = fit.sample_cov
    sigma = matrices.implied_cov(fit.model)
    p = s.shape[0]
    pstar = p * (p + 1) // 2
    f = matrices.f_ml(sigma, s)
    chisq = n * f
    df = pstar - k
    _, logdet_s = np.linalg.slogdet(s)
    chisq_b = n * (np.sum(np.log(np.diag(s))) - logdet_s)
    df_b = pstar - p

    def sf(x: float, d: int) -> float:
        return float(stats.chi2.sf(x, d)) if d > 0 else np.nan

    t1 = max(chisq - df, 0.0)
    t2 = max(chisq - df, chisq_b - df_b, 0.0)
    cfi = 1.0 if np.isclose(t1, 0) and np.isclose(t2, 0) else 1 - t1 / t2
    tli = 1 - ((chisq - df) * df_b) / ((chisq_b - df_b) * df) if df > 0 else 1.0
    nfi = 1 - chisq / chisq_b
    rfi = (chisq_b / df_b - chisq / df) / (chisq_b / df_b) if df > 0 else np.nan
    ifi = (chisq_b - chisq) / (chisq_b - df)
    rni = 1 - (chisq - df) / (chisq_b - df_b)

    loglik_const = p * np.log(2 * np.pi)
    _, logdet_sig = np.linalg.slogdet(sigma)
    logl = -n / 2 * (loglik_const + logdet_sig + np.trace(np.linalg.solve(sigma, s)))
    logl_h1 = -n / 2 * (loglik_const + logdet_s + p)

    rmsea = float(np.sqrt(max(chisq / (n * df) - 1 / n, 0.0))) if df > 0 else 0.0
    ci_lo, ci_hi = _rmsea_ci(chisq, df, n)
    close = 1 - _ncx2_cdf(chisq, df, n * df * 0.05**2) if df > 0 else np.nan
    notclose = _ncx2_cdf(chisq, df, n * df * 0.08**2) if df > 0 else np.nan

    a = np.linalg.solve(sigma, s)
    gfi = 1 - np.trace((a - np.eye(p)) @ (a - np.eye(p))) / np.trace(a @ a)
    agfi = 1 - pstar / df * (1 - gfi) if df > 0 else 1.0

    out = {
        "npar": float(k),
        "fmin": f / 2,
        "chisq": chisq,
        "df": float(df),
        "pvalue": sf(chisq, df),
        "baseline.chisq": chisq_b,
        "baseline.df": float(df_b),
        "baseline.pvalue": sf(chisq_b, df_b),
        "cfi": cfi,
        "tli": tli,
        "nnfi": tli,
        "rfi": rfi,
        "nfi": nfi,
        "pnfi": df / df_b * nfi,
        "ifi": ifi,
        "rni": rni,
        "logl": logl,
        "unrestricted.logl": logl_h1,
        "aic": -2 * logl + 2 * k,
        "bic": -2 * logl + k * np.log(n),
        "ntotal": float(n),
        "bic2": -2 * logl + k * np.log((n + 2) / 24),
        "rmsea": rmsea,
        "rmsea.ci.lower": ci_lo,
        "rmsea.ci.upper": ci_hi,
        "rmsea.ci.level": 0.90,
        "rmsea.pvalue": close,
        "rmsea.close.h0": 0.05,
        "rmsea.notclose.pvalue": notclose,
        "rmsea.notclose.h0": 0.08,
    }
    out.update(_residual_indices(s, sigma))
    for alpha, name in ((0.05, "cn_05"), (0.01, "cn_01")):
        out[name] = stats.chi2.ppf(1 - alpha, df) / (chisq / n) + 1 if df > 0 else np.nan
    out.update(
        {
            "gfi": gfi,
            "agfi": agfi,
            "pgfi": df / pstar * gfi,
            "mfi": float(np.exp(-0.5 * (chisq - df) / n)),
            "ecvi": chisq / n + 2 * k / n,
        }
    )
    return {key: float(val) for key, val in out.items()}
