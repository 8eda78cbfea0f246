"""The complete-data ML discrepancy and its derivatives (surveysem.sem.estimators.ml), checked by
hand calculation (F against its definition) and by finite differences (gradient, Hessian), and the
low-rank expected information against the per-parameter dSigma/dtheta of Ram.jacobian.

Models: lavaan's Political Democracy SEM (regressions among factors, residual covariances,
equality constraints) and a model with an observed covariate and an observed mediator (paths
from and to observed variables, fixed covariate moments).
"""

import numpy as np
import pytest
from lavaan_golden import PD_MODEL

from surveysem.sem import fit_model
from surveysem.sem.estimators.ml import MLObjective, f_ml
from surveysem.sem.optimizer import minimize

MEDIATION_MODEL = """
F =~ y1 + y2 + y3
F ~ x1
y5 ~ F + x1
"""


def _objective(model, data, shift, seed=1):
    fit = fit_model(model, data)
    rng = np.random.default_rng(seed)
    rows = rng.integers(0, len(data), len(data))  # another S, so the residual terms matter
    s = np.cov(data[fit.observed].to_numpy(float)[rows], rowvar=False, bias=True)
    return MLObjective(fit.ram, s), fit.x + shift, s, fit


@pytest.fixture(params=["pd", "mediation"])
def case(request, pd_data):
    if request.param == "pd":
        return _objective(PD_MODEL, pd_data, 0.01)
    return _objective(MEDIATION_MODEL, pd_data, 0.02)


def test_discrepancy_is_the_ml_fitting_function(case):
    """F = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p, computed here from Sigma directly."""
    ml, x, s, fit = case
    sigma = fit.ram.moments(x)[1]
    p = len(s)
    by_hand = (
        np.log(np.linalg.det(sigma)) + np.trace(s @ np.linalg.inv(sigma))
        - np.log(np.linalg.det(s)) - p
    )  # fmt: skip
    assert ml.value(x) == pytest.approx(by_hand, rel=1e-12)
    assert f_ml(sigma, s) == pytest.approx(by_hand, rel=1e-12)


def test_gradient_and_hessian_match_finite_differences(case):
    ml, x, _, _ = case
    grad, _ = ml.first(x)
    hess = ml.hessian(x)
    h = 1e-6
    fd_grad, fd_hess = np.empty_like(grad), np.empty_like(hess)
    for j in range(len(x)):
        e = np.zeros_like(x)
        e[j] = h
        fd_grad[j] = (ml.value(x + e) - ml.value(x - e)) / (2 * h)
        fd_hess[:, j] = (ml.first(x + e)[0] - ml.first(x - e)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd_grad, atol=1e-7 * max(1.0, np.abs(grad).max()))
    np.testing.assert_allclose(hess, fd_hess, atol=1e-6 * np.abs(hess).max())


def test_expected_information_matches_per_parameter_derivatives(case):
    """H_ij = tr(Sigma^-1 dSigma_i Sigma^-1 dSigma_j) with dSigma from Ram.jacobian."""
    ml, x, s, fit = case
    _, info = ml.first(x)
    sigma = fit.ram.moments(x)[1]
    d_sig = fit.ram.jacobian(x)[0]
    a = np.linalg.inv(sigma) @ d_sig
    np.testing.assert_allclose(info, np.einsum("ikl,jlk->ij", a, a), atol=1e-10)


def test_newton_and_scoring_reach_the_same_minimum(case):
    ml, x, _, _ = case
    newton = minimize(ml, x, newton=True)
    scoring = minimize(ml, x)
    assert newton.max_grad < 1e-10 and scoring.max_grad < 1e-10
    np.testing.assert_allclose(newton.x, scoring.x, atol=1e-8)
