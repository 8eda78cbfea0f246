"""Model matrices of a fitted semopy model: implied covariances, ML discrepancy, information.

semopy uses the LISREL-type "all-y" form with inner variables eta (factors and observed
outcomes/mediators), ``eta = B eta + zeta`` and ``y = Lambda eta + eps``, so

    Var(eta) = C Psi C',  C = (I - B)^-1,      Sigma = Lambda Var(eta) Lambda' + Theta.

The ML discrepancy is lavaan's (likelihood = "normal", N divisor):
``F = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p``; chi-square = N F.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def set_params(model, values: np.ndarray) -> None:
    """Load a vector of semopy's active parameters into the model matrices."""
    model.param_vals = np.asarray(values, dtype=float).copy()
    model.update_matrices(model.param_vals)


def implied_cov(model) -> np.ndarray:
    """Model-implied covariance matrix of the observed variables (semopy order)."""
    return model.calc_sigma()[0]


def inner_cov(model) -> pd.DataFrame:
    """Total (model-implied) covariance matrix of semopy's inner variables, C Psi C'."""
    beta, _, psi, _ = model.matrices[:4]
    c = np.linalg.inv(np.identity(beta.shape[0]) - beta)
    names = model.names_beta[0]
    return pd.DataFrame(c @ psi @ c.T, index=names, columns=names)


def theta(model) -> pd.DataFrame:
    """Residual covariance matrix of the observed indicators (semopy order)."""
    names = model.names_theta[0]
    return pd.DataFrame(model.matrices[3], index=names, columns=names)


def f_ml(sigma: np.ndarray, s: np.ndarray) -> float:
    """ML discrepancy F (not halved); ``inf`` when Sigma is not positive definite."""
    sign, logdet = np.linalg.slogdet(sigma)
    if sign <= 0:
        return np.inf
    try:
        np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        return np.inf
    _, logdet_s = np.linalg.slogdet(s)
    return float(logdet + np.trace(np.linalg.solve(sigma, s)) - logdet_s - s.shape[0])


def gradient_and_information(model, s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient of F and its expected Hessian H_ij = tr(Sigma^-1 dS_i Sigma^-1 dS_j).

    ``H`` is twice the unit expected Fisher information of lavaan's ML estimator, so the
    covariance matrix of the estimates is ``(N/2 H)^-1`` ("expected", "structured").
    """
    sigma, (m, c) = model.calc_sigma()
    sinv = np.linalg.inv(sigma)
    derivs = model.calc_sigma_grad(m, c)  # dSigma/dtheta_k, equality constraints included
    a = np.array([sinv @ d for d in derivs])  # Sigma^-1 dSigma_k
    resid = sinv - sinv @ s @ sinv
    grad = np.array([np.sum(resid * d) for d in derivs])
    # tr(A_i A_j) = sum_kl A_i[k,l] A_j[l,k]
    info = np.einsum("ikl,jlk->ij", a, a)
    return grad, info
