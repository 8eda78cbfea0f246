"""The fit indices every estimator shares (surveysem.sem.measures.indices), by hand calculation
and by lavaan 0.6.14's edge-case rules (R/lav_fit_cfi.R, lav_fit_rmsea.R): parity on real fits is in
test_sem_parity.py, test_fiml.py, test_invariance.py and test_ordinal.py."""

import math

import numpy as np
import pytest
from scipy import stats

from surveysem.sem.measures import indices

X2, DF, X2B, DFB, N = 30.0, 10, 210.0, 15, 200


def test_incremental_indices_by_hand():
    got = indices.incremental_indices(X2, DF, X2B, DFB)
    assert got["cfi"] == pytest.approx(1 - 20 / 195)
    assert got["tli"] == got["nnfi"] == pytest.approx(1 - (20 * 15) / (195 * 10))
    assert got["rni"] == pytest.approx(1 - 20 / 195)
    assert got["nfi"] == pytest.approx((210 - 30) / 210)
    assert got["pnfi"] == pytest.approx(10 / 15 * (210 - 30) / 210)
    assert got["rfi"] == pytest.approx((210 / 15 - 30 / 10) / (210 / 15))
    assert got["ifi"] == pytest.approx((210 - 30) / (210 - 10))


def test_a_saturated_model_and_lavaan_edge_rules():
    got = indices.incremental_indices(0.0, 0, X2B, DFB)
    assert got["cfi"] == got["tli"] == got["rfi"] == got["nfi"] == 1.0
    assert math.isnan(indices.rfi(X2, 20, X2B, DFB))  # df > dfb: NA in lavaan
    assert math.isnan(indices.nfi(X2, 20, X2B, DFB))
    assert indices.cfi(5.0, 10, X2B, DFB) == 1.0  # x2 below df
    assert math.isnan(indices.cfi(np.nan, DF, X2B, DFB))


def test_robust_versions_use_the_scaling_factors_only_when_lavaan_does():
    c, cb = 1.2, 2.5
    robust = indices.robust_incremental_indices(X2, DF, X2B, DFB, c, cb)
    assert robust["cfi.robust"] == pytest.approx(1 - (30 - 12) / (210 - 37.5))
    assert robust["tli.robust"] == pytest.approx(1 - (18 * 15) / (172.5 * 10))
    # a factor of exactly 1 means no robust correction at all (lavaan)
    assert indices.cfi(X2, DF, X2B, DFB, 1.0, cb) == indices.cfi(X2, DF, X2B, DFB)


def test_rmsea_interval_and_p_values_invert_the_noncentral_chi_square():
    value = indices.rmsea(X2, DF, N)
    assert value == pytest.approx(math.sqrt(30 / 2000 - 1 / 200))
    lower, upper = indices.rmsea_ci(X2, DF, N)
    # at the bounds the observed statistic is the 95th and 5th percentile
    assert stats.ncx2.cdf(X2, DF, N * DF * lower**2) == pytest.approx(0.95, abs=1e-8)
    assert stats.ncx2.cdf(X2, DF, N * DF * upper**2) == pytest.approx(0.05, abs=1e-8)
    close = indices.rmsea_close(X2, DF, N)
    assert close == pytest.approx(stats.ncx2.sf(X2, DF, N * DF * 0.05**2))


def test_groups_scale_rmsea_and_its_interval_by_the_root_of_their_number():
    one, two = indices.rmsea_measures(X2, DF, N), indices.rmsea_measures(X2, DF, N, n_groups=2)
    for key in ("rmsea", "rmsea.ci.lower", "rmsea.ci.upper"):
        assert two[key] == pytest.approx(one[key] * math.sqrt(2))
    assert two["rmsea.pvalue"] == pytest.approx(stats.ncx2.sf(X2, DF, N * DF * 0.05**2 / 2))


def test_without_degrees_of_freedom_there_is_no_interval_or_p_value():
    got = indices.rmsea_measures(0.0, 0, N)
    assert got["rmsea"] == got["rmsea.ci.lower"] == got["rmsea.ci.upper"] == 0.0
    assert math.isnan(got["rmsea.pvalue"]) and math.isnan(indices.chisq_pvalue(0.0, 0))
