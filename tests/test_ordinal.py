"""Ordinal items: thresholds, polychoric correlations and WLSMV (DWLS) fits vs lavaan 0.6.14.

Golden files (tests/golden/lavaan, made by make_golden.R): the HolzingerSwineford items x1-x9 cut
at their quartiles into 1..4 (hs_ordinal_data.csv), ``lavCor(ordered = all)``
(hs_ordinal_polychoric.csv) and ``cfa(..., ordered = all)`` = WLSMV
(hs_cfa_ordinal_wlsmv_estimates.csv / _fit.csv); in two schools (make_golden_combos.R:
hs_ordinal_group_data.csv, hs_mi_ordinal_*), whose estimates test_option_combinations.py checks.

Tolerances are set from what is actually reached, not from lavaan's 3 printed decimals: lavaan's
polychorics come from ``nlminb`` (converged to ~3e-8), ours from Newton to 1e-12, so the
polychorics agree to ~3e-8 and everything downstream to ~1e-6: estimates 3e-7, robust SEs 1e-7,
chi-squares 2e-8 relative, fit indices 1e-8.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    HS_MODEL,
    KEY,
    assert_max_abs_deviation,
    assert_measures_close,
    assert_same_rows,
    golden_estimates,
    read_golden,
)
from lavaan_golden import golden_fit as read_golden_fit
from scipy import integrate, optimize, stats

from surveysem.errors import InputError
from surveysem.sem.errors import ModelSpecError, UnsupportedModelError
from surveysem.sem.estimators.ordinal import fit_ordinal, ordinal_estimates
from surveysem.sem.estimators.ordinal_measures import ordinal_fit_measures
from surveysem.sem.estimators.polychoric import (
    _loglik,
    _pair_grid,
    _pairs,
    _thresholds,
    bvn_cdf,
    ordinal_data,
    ordinal_moments,
    polychoric_matrix,
    thresholds,
)


@pytest.fixture(scope="module")
def hs_ord() -> pd.DataFrame:
    return read_golden("hs_ordinal_data.csv")


@pytest.fixture(scope="module")
def hs_fit(hs_ord):
    return fit_ordinal(HS_MODEL, hs_ord)


@pytest.fixture(scope="module")
def golden_est() -> pd.DataFrame:
    return golden_estimates("hs_cfa_ordinal_wlsmv")


@pytest.fixture(scope="module")
def golden_fit() -> pd.Series:
    return read_golden_fit("hs_cfa_ordinal_wlsmv")


@pytest.fixture(scope="module")
def survey21():
    """21 items x 390 rows, 7 categories: three correlated factors, seeded."""
    rng = np.random.default_rng(42)
    n = 390
    phi = np.array([[1, 0.4, 0.3], [0.4, 1, 0.5], [0.3, 0.5, 1]])
    eta = rng.multivariate_normal(np.zeros(3), phi, size=n)
    lam = rng.uniform(0.55, 0.85, size=21)
    cols = {}
    for j in range(21):
        ystar = lam[j] * eta[:, j // 7] + np.sqrt(1 - lam[j] ** 2) * rng.normal(size=n)
        cuts = np.sort(rng.normal(0, 0.2, 6) + np.array([-1.6, -1.0, -0.4, 0.2, 0.8, 1.4]))
        cols[f"q{j + 1}"] = np.digitize(ystar, cuts) + 1
    model = "\n".join(
        f"F{f + 1} =~ " + " + ".join(f"q{j + 1}" for j in range(7 * f, 7 * f + 7)) for f in range(3)
    )
    return pd.DataFrame(cols), model, lam


# --------------------------------------------------------------------------------------------
# bivariate normal CDF


def _plackett(h: float, k: float, rho: float) -> float:
    """Phi2(h, k; rho) = Phi(h) Phi(k) + int_0^rho phi2(h, k; r) dr, by adaptive quadrature."""

    def dens(r: float) -> float:
        s = 1 - r * r
        return np.exp(-(h * h - 2 * r * h * k + k * k) / (2 * s)) / (2 * np.pi * np.sqrt(s))

    val, _ = integrate.quad(dens, 0.0, rho, epsabs=1e-15, epsrel=1e-13, limit=200)
    return stats.norm.cdf(h) * stats.norm.cdf(k) + val


def test_bvn_cdf_accuracy():
    grid = np.linspace(-4, 4, 7)
    rhos = [-0.999, -0.93, -0.8, -0.5, -0.1, 0.0, 0.2, 0.6, 0.9, 0.924, 0.926, 0.99, 0.999]
    h, k, r = (a.ravel() for a in np.meshgrid(grid, grid, rhos, indexing="ij"))
    ours = bvn_cdf(h, k, r)
    with np.errstate(all="ignore"):
        ref = np.array([_plackett(*v) for v in zip(h, k, r, strict=True)])
    assert np.max(np.abs(ours - ref)) < 1e-14


def test_bvn_cdf_limits():
    z = np.array([-1.3, 0.0, 0.7])
    assert np.allclose(bvn_cdf(z, 0.4, 0.0), stats.norm.cdf(z) * stats.norm.cdf(0.4), atol=1e-16)
    assert np.allclose(bvn_cdf(z, np.inf, 0.5), stats.norm.cdf(z), atol=1e-15)
    assert np.allclose(bvn_cdf(z, -np.inf, 0.5), 0.0)
    assert np.allclose(bvn_cdf(z, z, 1.0), stats.norm.cdf(z), atol=1e-15)
    # rho = -1: Y = -X, so P(X <= z, -X <= z) = max(0, Phi(z) - Phi(-z))
    assert np.allclose(bvn_cdf(z, z, -1.0), np.maximum(0, 2 * stats.norm.cdf(z) - 1), atol=1e-15)


# --------------------------------------------------------------------------------------------
# thresholds and polychoric correlations


def test_thresholds_match_lavaan(hs_ord, golden_est):
    th = thresholds(hs_ord)
    g = golden_est[golden_est.op == "|"]
    assert list(th.index) == [f"{a}|{b}" for a, b in zip(g.lhs, g.rhs, strict=True)]
    assert np.max(np.abs(th.to_numpy() - g.est.to_numpy())) < 1e-12


def test_polychoric_matches_lavaan(hs_ord):
    gold = read_golden("hs_ordinal_polychoric.csv", index_col=0)
    ours = polychoric_matrix(hs_ord)
    assert list(ours.index) == list(gold.index) and list(ours.columns) == list(gold.columns)
    # lavaan's nlminb converges to ~3e-8; the brief's parity requirement is 1e-3.
    assert np.max(np.abs(ours.to_numpy() - gold.to_numpy())) < 1e-6


def test_polychoric_is_the_ml_estimate(survey21):
    """Each rho maximizes its two-way table likelihood (checked by bounded Brent on 6 pairs)."""
    data, _, _ = survey21
    od = ordinal_data(data)
    th = _thresholds(od)
    rho = polychoric_matrix(data).to_numpy()
    pairs = _pairs(len(od.names))
    for q in (0, 5, 40, 100, 150, 209):
        grid = _pair_grid(od, th, [pairs[q]])
        res = optimize.minimize_scalar(
            lambda r, g=grid: -_loglik(g, np.array([r]))[0],
            bounds=(-0.99, 0.99),
            method="bounded",
            options={"xatol": 1e-10},
        )
        assert abs(res.x - rho[pairs[q]]) < 1e-7


def test_polychoric_recoding_invariant(hs_ord):
    recoded = hs_ord.copy()
    recoded["x1"] = recoded["x1"] * 10 + 3  # other codes, same order
    recoded["x2"] = pd.Categorical(
        recoded["x2"].map({1: "a", 2: "b", 3: "c", 4: "d"}), categories=list("abcd"), ordered=True
    )
    diff = polychoric_matrix(recoded).to_numpy() - polychoric_matrix(hs_ord).to_numpy()
    assert np.max(np.abs(diff)) < 1e-12


def test_integer_weights_count_as_repeated_rows(hs_ord):
    """Known truth: a row of weight k enters the margins and two-way tables k times, so the
    weighted thresholds and polychorics equal those of the data with each row repeated k
    times (lavaan's weighted step 1 and 2); Gamma does not (the weighted rows stay N
    independent draws)."""
    k = 1 + np.arange(len(hs_ord)) % 3
    weighted = ordinal_moments(hs_ord, weights=k)
    repeated = ordinal_moments(hs_ord.loc[hs_ord.index.repeat(k)])
    np.testing.assert_allclose(weighted.wls_obs, repeated.wls_obs, rtol=0, atol=1e-9)
    assert weighted.n == repeated.n == k.sum()
    assert not np.allclose(weighted.gamma, repeated.gamma, rtol=1e-3)


def test_binary_special_cases():
    # ad = bc: rho = 0 (lavaan's closed form)
    t = pd.DataFrame({"a": [0] * 50 + [1] * 50, "b": ([0] * 25 + [1] * 25) * 2})
    assert polychoric_matrix(t).iloc[0, 1] == 0.0
    # one empty cell: lavaan adds 0.5 keeping the margins, so rho stays below 1
    t = pd.DataFrame({"a": [0] * 30 + [1] * 70, "b": [0] * 50 + [1] * 50})
    assert 0.9 < polychoric_matrix(t).iloc[0, 1] < 0.999


def test_gamma_structure(hs_ord):
    m = ordinal_moments(hs_ord)
    assert m.gamma.shape == (27 + 36, 27 + 36)
    assert np.allclose(m.gamma, m.gamma.T)
    assert np.linalg.eigvalsh(m.gamma).min() > 0
    assert m.labels[:2] == ["x1|t1", "x1|t2"] and m.labels[27:29] == ["x2~~x1", "x3~~x1"]


# --------------------------------------------------------------------------------------------
# WLSMV fit vs lavaan


def test_wlsmv_estimates_match_lavaan(hs_fit, golden_est):
    assert hs_fit.converged
    ours = ordinal_estimates(hs_fit)
    # same rows in lavaan's order: loadings, thresholds, residual variances, factor
    # (co)variances, ~*~ scales, ~1 intercepts
    assert_same_rows(ours, golden_est, KEY)
    tolerances = {"est": 1e-6, "se": 1e-6, "z": 1e-5, "ci.lower": 1e-6, "ci.upper": 1e-6}
    tolerances |= {"std.lv": 1e-6, "std.all": 1e-6, "pvalue": 1e-8}
    assert_max_abs_deviation(ours, golden_est, tolerances)


def test_wlsmv_fit_measures_match_lavaan(hs_fit, golden_fit):
    fm = ordinal_fit_measures(hs_fit)
    # never a number under a lavaan name that lavaan does not report
    assert set(fm) <= set(golden_fit.index)
    assert not [k for k in fm if np.isnan(golden_fit[k])]
    chisqs = [k for k in fm if "chisq" in k and "scaling" not in k]
    relative = dict.fromkeys(chisqs, 1e-7)
    assert_measures_close(fm, golden_fit, rel_tol=1e-6, abs_tol=1e-7, relative=relative)
    for key in ("chisq.scaled", "cfi.scaled", "cfi.robust", "rmsea.scaled", "rmsea.robust"):
        assert key in fm


def test_jacobian_matches_finite_differences(hs_ord):
    """All matrix slots: loadings, equality label, second-order loading, regression, residual
    covariance; also checks the fit converges for such a model."""
    syntax = """
    visual  =~ x1 + a*x2 + a*x3
    textual =~ x4 + x5 + x6
    speed   =~ x7 + x8 + x9
    g =~ visual + textual
    speed ~ g
    x7 ~~ x8
    """
    fit = fit_ordinal(syntax, hs_ord)
    assert fit.converged
    x = fit.x
    jac = fit.model.jacobian(0, x)
    num = np.empty_like(jac)
    for k in range(len(x)):
        e = np.zeros_like(x)
        e[k] = 1e-6
        up = fit.model.implied(0, x + e)
        down = fit.model.implied(0, x - e)
        num[:, k] = (up - down) / 2e-6
    assert np.max(np.abs(jac - num)) < 1e-8
    est = ordinal_estimates(fit)
    x2, x3 = est[(est.op == "=~") & est.rhs.isin(["x2", "x3"])].est
    assert x2 == x3


@pytest.fixture(scope="module")
def hs_groups() -> pd.DataFrame:
    return read_golden("hs_ordinal_group_data.csv")


@pytest.mark.parametrize(
    ("equal", "case"),
    [((), "hs_mi_ordinal_configural"),
     (("thresholds", "loadings"), "hs_mi_ordinal_thresholds_loadings")],
)  # fmt: skip
def test_groups_report_every_lavaan_fit_measure(hs_groups, equal, case):
    """Two groups: every measure lavaan reports (residual indices, GFI, CN, MFI and WRMR too),
    in lavaan's order, and nothing lavaan does not report (no robust indices with free
    scales). Tolerances from what is reached: the estimates of these fits agree with lavaan's
    to ~1e-5 (1e-7 in one group), and so do the measures."""
    fm = ordinal_fit_measures(fit_ordinal(HS_MODEL, hs_groups, "school", equal))
    gold = read_golden_fit(case)
    assert list(fm) == [k for k in gold.index if np.isfinite(gold[k])]
    chisqs = {k: 1e-5 for k in fm if "chisq" in k and "scaling" not in k}
    assert_measures_close(fm, gold, rel_tol=1e-5, abs_tol=5e-5, relative=chisqs)


def test_group_jacobian_matches_finite_differences(hs_groups):
    """Two groups with equal thresholds and loadings: shared thresholds and labels, free
    scales and factor means of the second group (through a second-order factor and a
    regression), a residual covariance."""
    syntax = """
    visual  =~ x1 + a*x2 + a*x3
    textual =~ x4 + x5 + x6
    speed   =~ x7 + x8 + x9
    g =~ visual + textual
    speed ~ g
    x7 ~~ x8
    """
    fit = fit_ordinal(syntax, hs_groups, "school", ("thresholds", "loadings"))
    assert fit.converged
    assert any(r.free for r in fit.rows if r.op == "~*~")
    for g in (0, 1):
        jac = fit.model.jacobian(g, fit.x)
        num = np.empty_like(jac)
        for k in range(len(fit.x)):
            e = np.zeros_like(fit.x)
            e[k] = 1e-6
            num[:, k] = (fit.model.implied(g, fit.x + e) - fit.model.implied(g, fit.x - e)) / 2e-6
        assert np.max(np.abs(jac - num)) < 1e-8


def test_defined_parameters_refused_in_groups(hs_groups):
    syntax = HS_MODEL.replace("x1 + x2 + x3", "x1 + a*x2 + b*x3") + "ratio := a/b\n"
    with pytest.raises(UnsupportedModelError, match="defined parameters"):
        fit_ordinal(syntax, hs_groups, "school")


# --------------------------------------------------------------------------------------------
# a survey-sized problem and input handling


def test_survey_sized_fit(survey21):
    data, model, lam = survey21
    fit = fit_ordinal(model, data)
    assert fit.converged
    est = ordinal_estimates(fit)
    std = est.loc[est.op == "=~", "std.all"].to_numpy()
    assert np.max(np.abs(std - lam)) < 0.12  # recovers the generating loadings
    fm = ordinal_fit_measures(fit)
    assert fm["df"] == 21 * 20 / 2 - (18 + 6)
    assert 0.9 < fm["cfi.scaled"] <= 1 and 0.9 < fm["cfi.robust"] <= 1


def test_missing_values_rejected(hs_ord):
    bad = hs_ord.astype(float)
    bad.iloc[0, 0] = np.nan
    with pytest.raises(InputError, match="missing values"):
        fit_ordinal(HS_MODEL, bad)
    with pytest.raises(InputError, match="missing values"):
        polychoric_matrix(bad)


@pytest.mark.parametrize(
    ("syntax", "match"),
    [
        ("f =~ x1 + x2 + x3\nx4 ~ f", "regressions involving observed"),
        ("f =~ x1 + x2 + x3\ns =~ x4\ns ~~ f", "single-indicator"),
        ("f =~ x1 + x2 + x3\nx1 ~~ x1", "delta parameterization"),
    ],
)
def test_unsupported_models(hs_ord, syntax, match):
    with pytest.raises(UnsupportedModelError, match=match):
        fit_ordinal(syntax, hs_ord)


def test_unknown_item(hs_ord):
    with pytest.raises(ModelSpecError, match="x10"):
        fit_ordinal("f =~ x1 + x2 + x10", hs_ord)


def test_single_category_item_rejected(hs_ord):
    bad = hs_ord.copy()
    bad["x3"] = 2
    with pytest.raises(InputError, match="single category"):
        fit_ordinal(HS_MODEL, bad)


def test_defined_parameters_are_estimated_not_dropped(hs_ord):
    # A ':=' parameter of an ordinal model: value from the labelled loadings and a delta-method
    # SE from the analytic gradient of a/b (hand calculation on the fit's own covariance matrix).
    syntax = HS_MODEL.replace("x1 + x2 + x3", "x1 + a*x2 + b*x3") + "ratio := a/b\n"
    fit = fit_ordinal(syntax, hs_ord)
    pe = ordinal_estimates(fit)
    a_row = pe[(pe.lhs == "visual") & (pe.rhs == "x2")].index[0]
    b_row = pe[(pe.lhs == "visual") & (pe.rhs == "x3")].index[0]
    a, b = pe.loc[a_row, "est"], pe.loc[b_row, "est"]
    defined = pe[pe.op == ":="].iloc[0]
    assert defined["lhs"] == "ratio"
    assert defined["est"] == pytest.approx(a / b, rel=1e-12)
    free = {r.label: r.free - 1 for r in fit.model.rows if r.label}
    grad = np.zeros(len(fit.x))
    grad[free["a"]], grad[free["b"]] = 1 / b, -a / b**2
    assert defined["se"] == pytest.approx(np.sqrt(grad @ fit.vcov @ grad), rel=1e-6)
    assert defined["std.all"] == pytest.approx(
        pe.loc[a_row, "std.all"] / pe.loc[b_row, "std.all"], rel=1e-10
    )
