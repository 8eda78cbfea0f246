"""lavaan's ``fitMeasures()`` of a WLSMV fit
(:func:`~surveysem.sem.estimators.ordinal.fit_ordinal`), in one or several groups.

With G groups, N = sum N_g, sample statistics ``s_g`` (thresholds and polychoric correlations),
implied ``sigma_g``, weights ``W_g = diag(Gamma_g)^-1`` and Jacobians ``Delta_g``:

* **Test**: ``chisq = sum_g (N_g - 1) (s_g - sigma_g)' W_g (s_g - sigma_g)`` (lavaan:
  ``fmin = chisq / (2N)``), df = statistics - free parameters; the scaled-and-shifted
  ``chisq.scaled = a chisq + b`` with ``a = sqrt(df / tr[(U Omega)^2])``, ``b = df - a tr(U
  Omega)``, ``U = A - A Delta (Delta' A Delta)^-1 Delta' A``, ``A = blockdiag((N_g - 1)
  W_g)``, ``Omega = blockdiag(Gamma_g / (N_g - 1))`` (Asparouhov & Muthén 2010; in one group
  ``U Omega = (W - W Delta E^-1 Delta' W) Gamma``, ``E = Delta' W Delta``). The baseline
  (independence) model keeps each group's thresholds and sets the correlations to 0.
* **Indices** (:mod:`.indices`): CFI, TLI and the other incremental indices, plain and
  scaled; RMSEA, MFI and Hoelter's CN with lavaan's N - G for non-ML estimators, RMSEA and
  its interval times sqrt(G).
* **Robust CFI/TLI/RNI/RMSEA** (Savalei 2021, lavaan ``lav_fit_catml_dwls``): from the ML
  discrepancy of each polychoric matrix at the DWLS estimates (:func:`_catml`).
* **Residuals** per group (:func:`~.indices.residual_indices`): the polychoric against the
  implied correlations, with the thresholds in the place of means (their residuals are 0 in
  one group, where they are fitted exactly); ``srmr`` is SRMR without the thresholds
  (``srmr_bentler_nomean``), as lavaan's for categorical data. Averaged with weights N_g / N
  as lavaan's ``lav_residuals_summary``.
* **GFI** (Tanaka & Huba 1985, lavaan ``lav_fit_gfi``): ``1 - e' W_g e / s_g' W_g s_g`` per
  group, averaged with weights N_g / N; AGFI and PGFI count the statistics of all groups.
  ``wrmr = sqrt(chisq / n_s)`` with n_s the statistics of one group (lavaan 0.6.14's count).

The robust indices are NaN if a polychoric matrix is not positive definite (smallest
eigenvalue below sqrt(machine epsilon): lavaan 0.6.14's ``cat.check.pd = TRUE``) and absent
when the later groups' scales are free (equal thresholds), where lavaan 0.6.14 does not
compute them. Log-likelihood based measures (AIC, BIC, logl) do not exist for DWLS and are not
returned (lavaan returns NA), nor is ``srmr_mplus``. Later lavaan versions compute
``rmsea.robust`` for categorical data with N instead of N - 1.

References
----------
Asparouhov & Muthén (2010), Simple second order chi-square correction (Mplus technical
appendix); Tanaka & Huba (1985), A fit index for covariance structure models under arbitrary
GLS estimation, BJMSP 38(2); Savalei (2021), Improving fit indices in structural equation
modeling with categorical data, Multivariate Behavioral Research 56(3); Rosseel (2012), lavaan,
JSS 48(2).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import block_diag

from surveysem.sem.estimators.least_squares import u_gamma
from surveysem.sem.estimators.ordinal import OrdinalFit
from surveysem.sem.measures.indices import (
    chisq_tests,
    corrected_robust_measures,
    gfi_measures,
    hoelter_cn,
    incremental_indices,
    residual_indices,
    rmsea_measures,
    scaled_shifted,
)

# lavaan's residual summaries of categorical data (no Mplus SRMR)
_RESIDUALS = (
    "rmr", "rmr_nomean", "srmr", "srmr_bentler", "srmr_bentler_nomean", "crmr", "crmr_nomean"
)  # fmt: skip


def ordinal_fit_measures(fit: OrdinalFit) -> dict[str, float]:
    """lavaan ``fitMeasures()`` of a WLSMV fit in one or several groups (names as lavaan,
    formulas in the module docstring).

    Returned (all reproduce lavaan 0.6.14): npar, fmin, chisq, df, pvalue, chisq.scaled,
    df.scaled, pvalue.scaled, chisq.scaling.factor, baseline.chisq (/df/pvalue and the
    .scaled versions with their scaling factor), cfi, tli, nnfi, rfi, nfi, pnfi, ifi, rni
    (plain and .scaled), cfi.robust, tli.robust, nnfi.robust, rni.robust, rmsea with CI and
    close/not-close p-values (plain, .scaled and .robust), rmr, rmr_nomean, srmr,
    srmr_bentler, srmr_bentler_nomean, crmr, crmr_nomean, cn_05, cn_01, gfi, agfi, pgfi, mfi,
    wrmr.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.estimators.ordinal import fit_ordinal
    >>> from surveysem.sem.estimators.ordinal_measures import ordinal_fit_measures
    >>> data = two_factor_data().apply(lambda c: np.digitize(c, [-1.0, 0.0, 1.0]))
    >>> fm = ordinal_fit_measures(fit_ordinal(TWO_FACTOR_MODEL, data))
    >>> {k: round(fm[k], 3) for k in ("chisq", "df", "chisq.scaled", "cfi.scaled", "rmsea")}
    {'chisq': 3.894, 'df': 8.0, 'chisq.scaled': 7.544, 'cfi.scaled': 1.0, 'rmsea': 0.0}
    """
    n, n_groups = fit.n, len(fit.moments)
    n_rmsea = n - n_groups  # lavaan's N for RMSEA, MFI and CN of non-ML estimators
    x2 = x2b = 0.0
    residuals: dict[str, float] = {}
    gfi = 0.0
    base = []
    for g, m in enumerate(fit.moments):
        s, w, nth = m.wls_obs, fit.weights(g), m.n_thresholds
        sigma = fit.implied(g)
        e = s - sigma
        x2 += (m.n - 1) * float(e @ (w * e))
        x2b += (m.n - 1) * float(s[nth:] @ (w[nth:] * s[nth:]))
        gfi += m.n / n * (1 - float(e @ (w * e)) / float(s @ (w * s)))
        summary = residual_indices(
            m.cor, fit.implied_cor(g).to_numpy(), s[:nth], sigma[:nth], fit.model.th_item
        )
        summary["srmr"] = summary["srmr_bentler_nomean"]  # lavaan: without the thresholds
        for key in _RESIDUALS:
            residuals[key] = residuals.get(key, 0.0) + m.n / n * summary[key]
        base.append(np.eye(len(s), nth))  # baseline: the thresholds only
    n_stats = sum(len(m.wls_obs) for m in fit.moments)
    df = float(n_stats - fit.n_free)
    dfb = float(n_stats - sum(b.shape[1] for b in base))
    plain = incremental_indices(x2, df, x2b, dfb)
    tests = chisq_tests(x2, df, x2b, dfb)
    if fit.estimator == "ULS":  # lavaan: the ULS statistic has no reference distribution
        tests |= {"pvalue": np.nan, "baseline.pvalue": np.nan}
    # lavaan's order: tests, then CFI/TLI plain, scaled and robust, then the other indices
    parts = {
        "test": {"npar": float(fit.n_free), "fmin": x2 / (2 * n)}
        | {key: tests[key] for key in ("chisq", "df", "pvalue")},
        "baseline": {key: tests[key] for key in ("baseline.chisq", "baseline.df")}
        | {"baseline.pvalue": tests["baseline.pvalue"]},
        "cfi": {key: plain[key] for key in ("cfi", "tli")},
        "indices": {key: val for key, val in plain.items() if key not in ("cfi", "tli")},
        "rmsea": rmsea_measures(x2, df, n_rmsea, n_groups),
    }
    if fit.estimator == "WLSMV":
        _add_scaled_and_robust(parts, fit, x2, x2b, df, dfb, base, n_rmsea)
    out = {key: val for part in parts.values() for key, val in part.items()}
    out |= residuals
    out |= hoelter_cn(x2, df, n_rmsea)
    out |= gfi_measures(gfi, df, n_stats)
    out["mfi"] = float(np.exp(-0.5 * (x2 - df) / n_rmsea))
    out["wrmr"] = float(np.sqrt(x2 / len(fit.moments[0].wls_obs)))
    return {key: float(val) for key, val in out.items()}


def _add_scaled_and_robust(parts, fit, x2, x2b, df, dfb, base, n_rmsea) -> None:
    """WLSMV's scaled-and-shifted test and indices and Savalei's robust indices, each after
    its plain counterpart in ``parts`` (lavaan's order)."""
    n_groups = len(fit.moments)
    x2s, c = _scaled_shifted(np.vstack(fit.jacobians), fit, x2, df)
    x2bs, cb = _scaled_shifted(block_diag(*base), fit, x2b, dfb)
    scaled = incremental_indices(x2s, df, x2bs, dfb, suffix=".scaled")
    scaled_tests = chisq_tests(x2s, df, x2bs, dfb)
    cat = _catml(fit, df, dfb)
    robust = {} if cat is None else corrected_robust_measures(*cat, df, dfb, n_rmsea, n_groups)
    parts["test"] |= {
        "chisq.scaled": x2s,
        "df.scaled": df,
        "pvalue.scaled": scaled_tests["pvalue"],
        "chisq.scaling.factor": c,
    }
    parts["baseline"] |= {"baseline.chisq.scaled": x2bs, "baseline.df.scaled": dfb,
                          "baseline.pvalue.scaled": scaled_tests["baseline.pvalue"],
                          "baseline.chisq.scaling.factor": cb}  # fmt: skip
    parts["cfi"] |= {key: scaled[key] for key in ("cfi.scaled", "tli.scaled")}
    parts["cfi"] |= {key: robust[key] for key in ("cfi.robust", "tli.robust") if key in robust}
    parts["indices"] |= {
        key: val for key, val in scaled.items() if key not in ("cfi.scaled", "tli.scaled")
    }
    parts["indices"] |= {key: robust[key] for key in ("nnfi.robust", "rni.robust") if key in robust}
    parts["rmsea"] |= {
        f"{key}.scaled": value
        for key, value in rmsea_measures(x2s, df, n_rmsea, n_groups).items()
        if key.endswith(("rmsea", "lower", "upper", "pvalue"))
    }
    parts["rmsea"] |= {key: value for key, value in robust.items() if key.startswith("rmsea")}


def _scaled_shifted(delta: np.ndarray, fit: OrdinalFit, x2: float, df: float):
    """The scaled-and-shifted statistic of ``x2`` and its scaling factor ``1 / a`` for a model
    with the stacked Jacobian ``delta`` (module docstring)."""
    gammas, ns = [m.gamma for m in fit.moments], [m.n for m in fit.moments]
    return scaled_shifted(x2, df, u_gamma(delta, gammas, ns))


def _catml(fit: OrdinalFit, df: float, dfb: float) -> tuple[float, ...] | None:
    """Savalei (2021) statistics of the robust indices (lavaan ``lav_fit_catml_dwls``): with
    ``f_g = N_g / N``, the ML discrepancy of each group's polychoric matrix R_g at the implied
    correlations, ``xx3 = sum_g N_g F_ML``; ``c3 = tr(U' V U Gamma) / df`` with ``V =
    blockdiag(f_g V_g)`` (normal-theory ML weights of the correlations at the implied ones,
    ``v_ij,kl = a_ik a_jl + a_il a_jk`` from Sigma^-1), ``Gamma = blockdiag(Gamma_g / f_g)``,
    ``U = I - Delta E^-1 Delta' W``, ``E = sum_g f_g Delta_g' W_g Delta_g`` and the correlation
    rows of ``Delta`` and ``W = blockdiag(f_g W_g)``; the baseline ``xx3_null = -sum_g N_g
    ln|R_g|``, ``c3_null = tr(Gamma) / dfb``. NaN when a polychoric matrix is not positive
    definite; None when the later groups' scales are free (lavaan 0.6.14's catML model has
    no scales)."""
    if any(r.free for r in fit.rows if r.op == "~*~"):
        return None
    n = fit.n
    weights = [fit.weights(g) for g in range(len(fit.moments))]
    info = sum(
        m.n / n * d.T @ (w[:, None] * d)
        for m, d, w in zip(fit.moments, fit.jacobians, weights, strict=True)
    )
    xx3 = xx3_null = kbs = 0.0
    v_blocks, w_blocks, g_blocks, d_blocks = [], [], [], []
    for g, (m, d, w) in enumerate(zip(fit.moments, fit.jacobians, weights, strict=True)):
        r, f, nth = m.cor, m.n / n, m.n_thresholds
        if np.linalg.eigvalsh(r).min() < np.sqrt(np.finfo(float).eps):
            return (np.nan,) * 4
        sig = fit.implied_cor(g).to_numpy()
        sinv = np.linalg.inv(sig)
        logdet_r = np.linalg.slogdet(r)[1]
        xx3 += m.n * (np.linalg.slogdet(sig)[1] + np.trace(r @ sinv) - logdet_r - len(r))
        xx3_null -= m.n * logdet_r
        ii, jj = np.ix_(fit.model.ii, fit.model.ii), np.ix_(fit.model.jj, fit.model.jj)
        ij, ji = np.ix_(fit.model.ii, fit.model.jj), np.ix_(fit.model.jj, fit.model.ii)
        v = sinv[ii] * sinv[jj] + sinv[ij] * sinv[ji]
        gamma_r = m.gamma[nth:, nth:]
        kbs += np.trace(gamma_r) / f
        v_blocks.append(f * v)
        w_blocks.append(f * np.diag(w[nth:]))
        g_blocks.append(gamma_r / f)
        d_blocks.append(d[nth:])
    delta = np.vstack(d_blocks)
    u = np.eye(len(delta)) - delta @ np.linalg.solve(info, delta.T) @ block_diag(*w_blocks)
    ks = np.trace(u.T @ block_diag(*v_blocks) @ u @ block_diag(*g_blocks))
    return float(xx3), float(ks / df) if df > 0 else np.nan, float(xx3_null), float(kbs / dfb)
