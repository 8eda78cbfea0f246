"""lavaan ``fitMeasures()`` for ML, MLR, GLS and ULS fits, from S, Sigma-hat and N.

The formulas below are those of the ML fit; MLR adds lavaan's scaled and robust measures and
GLS/ULS change the discrepancy, the sample size divisor and the GFI weight, see
:func:`fit_measures`.

Every index follows lavaan's formulas (``lav_fit_*.R``). Notation: N cases, p observed variables,
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

from itertools import combinations

import numpy as np

from surveysem.sem.estimators import least_squares
from surveysem.sem.estimators.fitting import SemFit
from surveysem.sem.estimators.ml import f_ml
from surveysem.sem.measures.indices import (
    MLR_NAMES,
    chisq_tests,
    gfi_measures,
    hoelter_cn,
    incremental_indices,
    information_criteria,
    residual_indices,
    rmsea_measures,
    scaled_measures,
    scaled_shifted_measures,
)


def fit_measures(fit: SemFit) -> dict[str, float]:
    """lavaan-compatible fit measures (names and order as lavaan 0.6.14 ``fitMeasures(fit)``).

    The set depends on ``fit.estimator``:

    * ML: npar, fmin, chisq, df, pvalue, baseline.chisq/df/pvalue, cfi, tli, nnfi, rfi, nfi,
      pnfi, ifi, rni, logl, unrestricted.logl, aic, bic, ntotal, bic2, rmsea,
      rmsea.ci.lower/upper/level, rmsea.pvalue, rmsea.close.h0, rmsea.notclose.pvalue,
      rmsea.notclose.h0, rmr, srmr (and the variants lavaan prints), cn_05, cn_01, gfi, agfi,
      pgfi, mfi, ecvi. Formulas: module docstring.
    * MLR: all ML names plus lavaan's scaled and robust ones (:data:`MLR_EXTRA`):
      ``chisq.scaled = chisq / c``, ``baseline.chisq.scaled = chisq_b / c_b`` (c, c_b the
      Yuan-Bentler scaling factors, :mod:`surveysem.sem.estimators.robust`); ``*.scaled``
      incremental indices use the scaled statistics in the usual formulas; ``cfi.robust`` =
      ``1 - max(chisq - c df, 0) / max(chisq - c df, chisq_b - c_b df_b, 0)``,
      ``tli.robust = 1 - (chisq - c df) df_b / ((chisq_b - c_b df_b) df)`` (Brosseau-Liard &
      Savalei 2014); ``rmsea.scaled = sqrt(max(chisq/(N c df) - 1/N, 0))`` with its interval
      from the noncentral chi-square with ``c df`` degrees of freedom evaluated at the
      *unscaled* chisq (lavaan ``df2 = trace.UGamma``); ``rmsea.robust =
      sqrt(max(chisq/(N df) - c/N, 0))`` with the interval ``sqrt(c lambda/(N df))`` inverted
      at ``chisq.scaled`` (Brosseau-Liard, Savalei & Li 2012); scaling.factor.h1/h0.
    * Observed covariates (lavaan ``ov.x``, ``nx`` of them): as lavaan, for ML and MLR their
      ``nx(nx+1)/2`` moments are fixed, not data, so ``df = p* - nx(nx+1)/2 - k``; the
      likelihoods are those of the other variables given the covariates (the covariates'
      own normal log-likelihood subtracted); GFI leaves their moments out of ``s'Ws``. The
      baseline model keeps the covariances among the covariates (``df_b = p* - p -
      nx(nx-1)/2``; ML: ``chisq_b = N (sum ln s_ii - ln|S| + ln|S_xx| - sum_x ln s_ii)``).
      For GLS and ULS the covariates' moments are free parameters (lavaan ``fixed.x =
      FALSE``).
    * GLS, ULS: the names of :data:`LS_NAMES` (lavaan reports no likelihood measures), with
      ``chisq = (N - 1) F``, N - 1 in place of N in RMSEA, CN, MFI and ECVI, residual
      measures against the N - 1 divisor S, and GFI weighted by the estimator's W:
      ``GFI = 1 - r'Wr / s'Ws``. For ULS ``pvalue`` and ``baseline.pvalue`` are NaN
      (lavaan: no reference distribution). See :mod:`surveysem.sem.estimators.least_squares`.

    Examples
    --------
    >>> from surveysem.sem import fit_measures, fit_model
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> fm = fit_measures(fit_model(TWO_FACTOR_MODEL, two_factor_data()))
    >>> round(fm["chisq"], 3), fm["df"], round(fm["cfi"], 3), round(fm["rmsea"], 3)
    (8.295, 8.0, 0.999, 0.011)
    >>> fm = fit_measures(fit_model(TWO_FACTOR_MODEL, two_factor_data(), estimator="MLR"))
    >>> round(fm["chisq.scaled"], 3), round(fm["chisq.scaling.factor"], 3)
    (8.352, 0.993)

    References
    ----------
    Rosseel (2012), lavaan, JSS 48(2), ``R/lav_fit_*.R``; Browne & Cudeck (1993) for the RMSEA
    interval; Yuan & Bentler (2000), Sociological Methodology 30, for the scaled test;
    Brosseau-Liard, Savalei & Li (2012), MBR 47(6), and Brosseau-Liard & Savalei (2014), MBR
    49(5), for the robust RMSEA and CFI/TLI.
    """
    if fit.estimator in least_squares.LS_ESTIMATORS:
        return _ls_fit_measures(fit)
    out = _ml_fit_measures(fit)
    if fit.estimator == "MLR":
        return _mlr_fit_measures(fit, out)
    return out


def covariate_positions(fit: SemFit) -> np.ndarray:
    """Positions in ``fit.observed`` of the observed covariates (lavaan ``ov.x``)."""
    return np.array([fit.observed.index(v) for v in fit.partable.ov_x], dtype=int)


def _normal_logl(n: int, cov: np.ndarray, s: np.ndarray) -> float:
    """Normal log-likelihood of N cases with covariance matrix S under covariance ``cov``."""
    _, logdet = np.linalg.slogdet(cov)
    p = s.shape[0]
    return float(-n / 2 * (p * np.log(2 * np.pi) + logdet + np.trace(np.linalg.solve(cov, s))))


def _ml_fit_measures(fit: SemFit) -> dict[str, float]:
    """Fit measures of an ML fit (module docstring; covariates: :func:`fit_measures`)."""
    n, k = fit.n, fit.partable.n_free
    s = fit.sample_cov
    sigma = fit.ram.moments(fit.x)[1]
    p = s.shape[0]
    pstar = p * (p + 1) // 2
    x = covariate_positions(fit)
    xx = np.ix_(x, x)
    f = f_ml(sigma, s)
    chisq = n * f
    df = pstar - len(x) * (len(x) + 1) // 2 - k  # the covariates' moments are not data
    _, logdet_s = np.linalg.slogdet(s)
    _, logdet_x = np.linalg.slogdet(s[xx])
    chisq_b = n * (np.sum(np.log(np.diag(s))) - logdet_s + logdet_x - np.sum(np.log(s[x, x])))
    df_b = pstar - p - len(x) * (len(x) - 1) // 2

    # lavaan's fixed.x likelihoods are those of the outcomes given the covariates
    logl_x = _normal_logl(n, s[xx], s[xx]) if len(x) else 0.0
    logl = _normal_logl(n, sigma, s) - logl_x
    logl_h1 = _normal_logl(n, s, s) - logl_x

    a = np.linalg.solve(sigma, s)
    data = s.copy()
    data[xx] = 0.0  # lavaan's GFI weight has no rows for the covariates' moments
    b = np.linalg.solve(sigma, data)
    gfi = 1 - np.trace((a - np.eye(p)) @ (a - np.eye(p))) / np.trace(b @ b)

    out = {
        "npar": float(k),
        "fmin": f / 2,
        **chisq_tests(chisq, df, chisq_b, df_b),
        **incremental_indices(chisq, df, chisq_b, df_b),
        **information_criteria(logl, logl_h1, k, n),
        **rmsea_measures(chisq, df, n),
        **residual_indices(s, sigma),
        **hoelter_cn(chisq, df, n),
        **gfi_measures(gfi, df, pstar),
        "mfi": float(np.exp(-0.5 * (chisq - df) / n)),
        "ecvi": chisq / n + 2 * k / n,
    }
    return {key: float(val) for key, val in out.items()}


#: Robust and scaled names that MLR adds to the ML set.
MLR_EXTRA = tuple(
    k for k in MLR_NAMES if k.endswith((".scaled", ".robust", ".factor", ".h1", ".h0"))
)

#: The names :func:`fit_measures` returns for GLS and ULS, in lavaan's order.
LS_NAMES = (
    "npar fmin chisq df pvalue baseline.chisq baseline.df baseline.pvalue cfi tli nnfi rfi nfi "
    "pnfi ifi rni rmsea rmsea.ci.lower rmsea.ci.upper rmsea.ci.level rmsea.pvalue "
    "rmsea.close.h0 rmsea.notclose.pvalue rmsea.notclose.h0 rmr rmr_nomean srmr srmr_bentler "
    "srmr_bentler_nomean crmr crmr_nomean srmr_mplus srmr_mplus_nomean cn_05 cn_01 gfi agfi "
    "pgfi mfi ecvi"
).split()


#: The names :func:`fit_measures` returns for WLSMV (DWLS) on continuous items, lavaan's order.
WLSMV_NAMES = (
    "npar fmin chisq df pvalue chisq.scaled df.scaled pvalue.scaled chisq.scaling.factor "
    "baseline.chisq baseline.df baseline.pvalue baseline.chisq.scaled baseline.df.scaled "
    "baseline.pvalue.scaled baseline.chisq.scaling.factor cfi tli cfi.scaled tli.scaled "
    "cfi.robust tli.robust nnfi rfi nfi pnfi ifi rni nnfi.scaled rfi.scaled nfi.scaled "
    "pnfi.scaled ifi.scaled rni.scaled nnfi.robust rni.robust rmsea rmsea.ci.lower "
    "rmsea.ci.upper rmsea.ci.level rmsea.pvalue rmsea.close.h0 rmsea.notclose.pvalue "
    "rmsea.notclose.h0 rmsea.scaled rmsea.ci.lower.scaled rmsea.ci.upper.scaled "
    "rmsea.pvalue.scaled rmsea.notclose.pvalue.scaled rmsea.robust rmsea.ci.lower.robust "
    "rmsea.ci.upper.robust rmsea.pvalue.robust rmsea.notclose.pvalue.robust rmr rmr_nomean "
    "srmr srmr_bentler srmr_bentler_nomean crmr crmr_nomean srmr_mplus srmr_mplus_nomean "
    "cn_05 cn_01 gfi agfi pgfi mfi ecvi"
).split()


def _mlr_fit_measures(fit: SemFit, ml: dict[str, float]) -> dict[str, float]:
    """ML measures plus lavaan's Yuan-Bentler scaled and robust measures."""
    out = {**ml, **scaled_measures(ml, fit.robust_test, fit.n)}
    return {key: float(out[key]) for key in MLR_NAMES}


def _ls_fit_measures(fit: SemFit) -> dict[str, float]:
    """Fit measures of a GLS or ULS fit (lavaan conventions, see :func:`fit_measures`)."""
    est = fit.estimator
    n1 = fit.n - 1  # lavaan lav_utils_get_ntotal: N - 1 for estimators other than ML
    k = fit.partable.n_free
    s = fit.ls_cov
    sigma = fit.ram.moments(fit.x)[1]
    p = s.shape[0]
    pstar = p * (p + 1) // 2
    disc = least_squares.Discrepancy(est, s, fit.gamma)
    f = disc.value(sigma)
    x = covariate_positions(fit)  # free under GLS, ULS and WLSMV, so df = p* - k as usual
    x2, df = n1 * f, float(pstar - k)
    x2b = n1 * least_squares.baseline_discrepancy(est, s, x, fit.gamma)
    dfb = float(pstar - p - len(x) * (len(x) - 1) // 2)
    has_p = est != "ULS"  # lavaan: ULS statistic has no reference distribution
    gfi = 1 - f / float(disc.inner(s[None], s[None])[0, 0])
    out = {
        "npar": float(k),
        "fmin": 0.5 * n1 / fit.n * f,
        **chisq_tests(x2, df, x2b, dfb),
        **incremental_indices(x2, df, x2b, dfb),
        **rmsea_measures(x2, df, n1),
    }
    if not has_p:
        out["pvalue"] = out["baseline.pvalue"] = np.nan
    out.update(residual_indices(s, sigma))
    out.update(hoelter_cn(x2, df, n1))
    out.update(gfi_measures(gfi, df, pstar))
    out.update({"mfi": float(np.exp(-0.5 * (x2 - df) / n1)), "ecvi": x2 / n1 + 2 * k / n1})
    if est != "WLSMV":
        return {key: float(out[key]) for key in LS_NAMES}
    out.update(_scaled_shifted_measures(fit, x2, df, x2b, dfb, x, n1))
    return {key: float(out[key]) for key in WLSMV_NAMES}


def _scaled_shifted_measures(fit: SemFit, x2, df, x2b, dfb, covariates, n1) -> dict:
    """WLSMV's scaled and robust measures (:func:`~surveysem.sem.measures.indices.
    scaled_shifted_measures`) from ``U Gamma`` of the model and of the baseline (free
    variances and the covariates' covariances)."""
    p = len(fit.sample_cov)
    i, j = np.tril_indices(p)
    delta = fit.ram.jacobian(fit.x)[0][:, i, j].T
    ug = least_squares.u_gamma(delta, [fit.gamma], [fit.n])
    position = {pair: row for row, pair in enumerate(zip(i.tolist(), j.tolist(), strict=True))}
    pairs = [(a, a) for a in range(p)] + [(b, a) for a, b in combinations(sorted(covariates), 2)]
    delta_b = np.zeros((len(i), len(pairs)))
    delta_b[[position[pair] for pair in pairs], np.arange(len(pairs))] = 1.0
    ugb = least_squares.u_gamma(delta_b, [fit.gamma], [fit.n])
    return scaled_shifted_measures(x2, df, x2b, dfb, ug, ugb, n1)
