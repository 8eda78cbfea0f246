"""Modification indices against lavaan 0.6.14 ``modindices(fit, sort. = TRUE)``.

Golden file: tests/golden/lavaan/hs_cfa_modindices.csv (HolzingerSwineford1939 3-factor CFA).
Tolerance 1e-3 (absolute) for mi, epc, sepc.lv and sepc.all, as for the other parity tests.
"""

import numpy as np
import pandas as pd
import pytest
from lavaan_golden import (
    HS_MODEL,
    KEY,
    PD_TEMPLATE,
    assert_columns_close,
    match_rows,
    read_golden,
    read_hs_data,
    read_pd_data,
)

from surveysem.sem import fit_measures, fit_model, modification_indices, parameter_estimates

VALUES = ["mi", "epc", "sepc.lv", "sepc.all"]

# PoliticalDemocracy SEM of make_golden.R without labels and definitions, with and without
# dem65 ~ ind60.
PD_FULL = PD_TEMPLATE.format(a="", b="", c="")
PD_REDUCED = PD_FULL.replace("dem65 ~ ind60 + dem60", "dem65 ~ dem60")


@pytest.fixture(scope="module")
def golden_mi():
    return read_golden("hs_cfa_modindices.csv")


@pytest.fixture(scope="module")
def hs_fit():
    return fit_model(HS_MODEL, read_hs_data())


@pytest.fixture(scope="module")
def pd_fits():
    data = read_pd_data()
    full = fit_model(PD_FULL, data)
    reduced = fit_model(PD_REDUCED, data)
    assert full.converged and reduced.converged
    return full, reduced


def test_columns_and_row_set_match_lavaan(hs_fit, golden_mi):
    mi = modification_indices(hs_fit)
    assert list(mi.columns) == KEY + VALUES
    assert len(mi) == len(golden_mi) == 54
    assert set(map(tuple, mi[KEY].to_numpy())) == set(map(tuple, golden_mi[KEY].to_numpy()))


@pytest.mark.parametrize("column", VALUES)
def test_values_match_lavaan(hs_fit, golden_mi, column):
    ours, lavaan = match_rows(modification_indices(hs_fit), golden_mi, KEY)
    assert len(ours) == 54
    assert_columns_close(ours, lavaan, [column], rtol=0, atol=1e-3)


def test_sorted_like_lavaan(hs_fit, golden_mi):
    mi = modification_indices(hs_fit)
    assert mi["mi"].is_monotonic_decreasing
    # No ties in the golden file, so lavaan's order is the only descending order.
    pd.testing.assert_frame_equal(mi[KEY], golden_mi[KEY])


def test_minimum_value_and_unsorted(hs_fit, golden_mi):
    kept = modification_indices(hs_fit, minimum_value=3.84)
    expected = golden_mi.loc[golden_mi["mi"] > 3.84, KEY].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept[KEY], expected)
    unsorted = modification_indices(hs_fit, sort=False)
    # Unsorted: lavaan's table order, cross-loadings before residual covariances.
    assert list(unsorted["op"]) == ["=~"] * 18 + ["~~"] * 36


def test_removed_path_mi_approximates_chisq_difference(pd_fits):
    """Hand check: drop dem65 ~ ind60 from the PD SEM, then compare its MI with the LR test.

    The MI is the score (Lagrange multiplier) statistic of freeing the path; the LR statistic
    is the chi-square difference of the two nested fits, computed here only from fit_measures.
    Both are asymptotically equivalent chi-square(1) statistics but differ in finite samples
    by O(N^-1/2) relative terms (the likelihood is not exactly quadratic); with N = 75 a 10%
    relative tolerance is loose but still far tighter than the spread of the other
    candidates' MIs (0 to 8.4). Likewise the EPC is a one-step estimate of the freed
    path, so it should be close to its estimate in the full model (0.572, SE 0.221); 0.05 is
    under a quarter of that SE.
    """
    full, reduced = pd_fits
    lr = fit_measures(reduced)["chisq"] - fit_measures(full)["chisq"]
    mi = modification_indices(reduced).set_index(KEY)
    row = mi.loc[("dem65", "~", "ind60")]
    assert lr == pytest.approx(5.995, abs=0.01)
    assert row["mi"] == pytest.approx(lr, rel=0.10)
    est = parameter_estimates(full).set_index(KEY).loc[("dem65", "~", "ind60"), "est"]
    assert row["epc"] == pytest.approx(est, abs=0.05)


def test_structural_candidates(pd_fits):
    """lavaan's structural candidates: missing regressions among variables in '~' statements
    and (residual) covariances among factors; those not identified when freed are dropped.

    Without dem65 ~ ind60 the latent structure has one degree of freedom, and each identified
    structural candidate saturates it, so all give the same augmented model and the same
    score statistic. The reverse path ind60 ~ dem60 and ind60 ~~ dem60 duplicate dem60 ~ ind60
    (not identified). In the full model the latent structure is saturated: no structural rows.
    """
    full, reduced = pd_fits
    mi = modification_indices(reduced)
    lv = {"ind60", "dem60", "dem65"}
    structural = mi[mi["lhs"].isin(lv) & mi["rhs"].isin(lv)]
    assert set(map(tuple, structural[KEY].to_numpy())) == {
        ("dem65", "~", "ind60"),
        ("dem60", "~", "dem65"),
        ("ind60", "~", "dem65"),
        ("ind60", "~~", "dem65"),
        ("dem60", "~~", "dem65"),
    }
    np.testing.assert_allclose(structural["mi"], structural["mi"].iloc[0], rtol=1e-6)

    mi_full = modification_indices(full)
    assert not (mi_full["lhs"].isin(lv) & mi_full["rhs"].isin(lv)).any()
    # Measurement candidates: 3 factors x 11 indicators - 11 loadings; 55 pairs - 6 covariances.
    assert (mi_full["op"] == "=~").sum() == 22
    assert (mi_full["op"] == "~~").sum() == 49
