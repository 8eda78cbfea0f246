"""Fast ML refits of one model to many covariance matrices (bootstrap, jackknife, Monte Carlo).

A resampling study refits the same model thousands of times to slightly different sample
covariance matrices S. :class:`Refitter` fits the model once with
:func:`~surveysem.sem.fit_model` and then refits it to any S by Newton-Raphson on lavaan's ML
discrepancy ``F = ln|Sigma| + tr(S Sigma^-1) - ln|S| - p``, starting from the full-sample
estimates (warm start; refits never chain), with the exact first and second derivatives of
:mod:`surveysem.sem.estimators.ml` and the optimizer of :mod:`surveysem.sem.optimizer`: the same
discrepancy and optimizer as the full-sample fit, with Newton steps.

Newton iterations
    The first step uses the Hessian of the full-sample fit at its optimum (computed once),
    the following ones the exact Hessian at the current point (a Fisher-scoring step where it
    is not positive definite), all with step halving, until ``max |dF/dtheta| < REFIT_TOL =
    1e-10`` (lavaan's nlminb stops around 1e-6); usually 4-6 iterations. A refit that does
    not reach ``GRAD_TOL`` (1e-4, the criterion of :func:`~surveysem.sem.fit_model`) is
    retried by Fisher scoring from the full-sample estimates; if that fails too, the refit
    is *failed*. With ``nonnegative_variances=True`` the projected Fisher scoring of
    :func:`~surveysem.sem.fit_model` is used throughout.

Admissibility
    A converged refit is *improper* when :func:`~surveysem.sem.solution_problems` reports a
    problem (e.g. a negative variance). A cheap screen decides the clear cases first (see
    :meth:`Refitter._clearly_admissible`); tests check that both agree.
"""

from __future__ import annotations

import dataclasses
from typing import NamedTuple

import numpy as np
import pandas as pd

from surveysem.sem.errors import ConvergenceError
from surveysem.sem.estimators.fitting import GRAD_TOL, fit_model, variance_mask
from surveysem.sem.estimators.ml import MLObjective
from surveysem.sem.model.partable import with_exogenous_moments
from surveysem.sem.model.ram import Ram
from surveysem.sem.optimizer import Minimum, minimize
from surveysem.sem.results.diagnostics import solution_problems
from surveysem.sem.results.estimates import (
    _definitions,
    implied_sds,
    parameter_estimates,
    standardize_rows,
)

#: Target max |dF/dtheta| of a refit.
REFIT_TOL = 1e-10


class Refit(NamedTuple):
    """One refit. Arrays are aligned with :attr:`Refitter.keys` (NaN when not converged)."""

    converged: bool
    improper: bool
    est: np.ndarray
    se: np.ndarray  # ML expected-information SEs; 0 for fixed rows, NaN for := rows
    std: np.ndarray  # std.all


def _positions(rows, names) -> tuple[np.ndarray, np.ndarray]:
    """Positions in ``names`` of the lhs and of the rhs of each row."""
    index = {v: i for i, v in enumerate(names)}
    return tuple(
        np.array([index[getattr(r, side)] for r in rows], dtype=int) for side in ("lhs", "rhs")
    )


class Refitter:
    """Refits one model by ML to other covariance matrices, reusing the full-sample fit.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``:=`` rows included in the results).
    data : pandas.DataFrame
        Complete data of the full-sample fit (as for :func:`~surveysem.sem.fit_model`).
    nonnegative_variances : bool, keyword-only
        Bound variances at 0 in every refit (default False, as lavaan).

    Attributes
    ----------
    fit : the full-sample :class:`~surveysem.sem.SemFit` (the starting point of every refit).
    keys : DataFrame ``lhs, op, rhs, label``: the parameter-table rows, then the ``:=`` rows,
        in :func:`~surveysem.sem.parameter_estimates` order; every :class:`Refit` array is
        aligned with it.
    values : the complete data as a float array, columns in ``fit.observed`` order.

    Examples
    --------
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> engine = Refitter(TWO_FACTOR_MODEL, two_factor_data())
    >>> half = np.cov(engine.values[:150], rowvar=False, bias=True)
    >>> out = engine.refit(half, 150)
    >>> out.converged, out.improper, round(float(out.est[1]), 3), round(float(out.se[1]), 3)
    (True, False, 0.908, 0.108)
    """

    def __init__(self, syntax: str, data: pd.DataFrame, *, nonnegative_variances: bool = False):
        fit = fit_model(syntax, data, nonnegative_variances=nonnegative_variances)
        if not fit.converged:
            raise ConvergenceError(
                "the model did not converge on the full sample, so it cannot be refitted to "
                f"resamples: {fit.message}"
            )
        self.fit = fit
        self.values = data[fit.observed].to_numpy(dtype=float)
        self._nonneg = nonnegative_variances
        pt = fit.partable
        self._rows = pt.rows
        self._mask = variance_mask(pt)
        self._x0 = fit.x.copy()
        self._ml = MLObjective(fit.ram, fit.sample_cov)
        self._ml.pin(self._x0)
        self._start_hessian = self._ml.hessian(self._x0)
        self._free_rows = np.array([i for i, r in enumerate(pt.rows) if r.free], dtype=int)
        self._free_idx = np.array([pt.rows[i].free - 1 for i in self._free_rows], dtype=int)
        self._fixed_values = np.array([0.0 if r.free else r.value for r in pt.rows])
        # the covariates' fixed (co)variances follow each S, as lavaan's fixed.x (_use_moments)
        exo = [r for r in pt.rows if r.exo and not r.free]
        self._exo_rows = np.array([i for i, r in enumerate(pt.rows) if r.exo and not r.free])
        self._exo_pos = _positions(exo, fit.observed)  # in S and in the RAM (observed first)
        self._var_rows = np.array(
            [i for i, r in enumerate(pt.rows) if r.op == "~~" and r.lhs == r.rhs and r.free],
            dtype=int,
        )
        self._cov_rows = np.array(
            [i for i, r in enumerate(pt.rows) if r.op == "~~" and r.lhs != r.rhs], dtype=int
        )
        p = len(fit.observed)
        self._lv_pos = np.arange(p, p + len(pt.lv_names))
        zero = {r.lhs for r in pt.rows if r.op == "~~" and r.lhs == r.rhs and r.value == 0}
        skip = zero | set(pt.ov_x)  # fixed zeros and fixed covariate moments are no Heywood case
        self._theta_pos = [i for i, v in enumerate(fit.observed) if v not in skip]
        self._no_definitions = dataclasses.replace(
            fit, partable=dataclasses.replace(pt, definitions=())
        )
        self.keys = parameter_estimates(fit)[["lhs", "op", "rhs", "label"]]

    def _use_moments(self, s: np.ndarray) -> None:
        """Fit to ``s``, the covariates' (co)variances fixed at their values in ``s`` (lavaan
        ``fixed.x``)."""
        if len(self._exo_rows):
            values = s[self._exo_pos]
            self._ml.set_fixed_cov(*self._exo_pos, values)
            self._ml.pin(self._x0)
            self._fixed_values[self._exo_rows] = values
        self._ml.use(s)

    def _solve(self, s: np.ndarray) -> Minimum:
        """Newton from the full-sample estimates; Fisher scoring if that fails."""
        ml, x0 = self._ml, self._x0
        if not self._nonneg:
            try:
                found = minimize(
                    ml, x0, newton=True, first_hessian=self._start_hessian, tol=REFIT_TOL,
                    max_iter=200,
                )  # fmt: skip
                if found.max_grad < GRAD_TOL:
                    return found
            except (np.linalg.LinAlgError, ValueError, FloatingPointError):
                pass
        return minimize(ml, x0, variance_mask=self._mask, nonnegative=self._nonneg, max_iter=300)

    # -- results -----------------------------------------------------------------------------
    def refit(self, s: np.ndarray, n: int) -> Refit:
        """Refit to the covariance matrix ``s`` (divisor n) of ``n`` rows.

        Returns a :class:`Refit`; a failed refit (singular ``s``, no convergence) has
        ``converged = False`` and NaN values.
        """
        nan = np.full(len(self.keys), np.nan)
        failed = Refit(False, False, nan, nan, nan)
        eig = np.linalg.eigvalsh(s)
        if not np.all(np.isfinite(eig)) or eig.min() <= 1e-12 * eig.max():
            return failed
        self._use_moments(s)
        try:
            return self._results(s, n) or failed
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return failed
        finally:
            self._use_moments(self.fit.sample_cov)

    def _results(self, s: np.ndarray, n: int) -> Refit | None:
        """The refit to ``s`` (the covariates' moments already set); None if not converged."""
        x, max_grad, info, _ = self._solve(s)
        if not max_grad < GRAD_TOL:
            return None
        pt = self._ml.point_cached(x)
        est = self._fixed_values.copy()
        est[self._free_rows] = x[self._free_idx]
        vcov = np.full((len(x), len(x)), np.nan)
        eig = np.linalg.eigvalsh(info)
        if eig.min() > 1e-10 * eig.max():
            vcov = np.linalg.inv(info) * 2.0 / n
        se = np.zeros(len(self._rows))
        se[self._free_rows] = np.sqrt(np.diag(vcov))[self._free_idx]
        lv = self._lv_pos
        phi = pt.total_cov()[np.ix_(lv, lv)]
        lv_names = self.fit.partable.lv_names
        sd = implied_sds(np.diag(pt.sigma), np.diag(phi), self.fit.observed, lv_names)
        std = standardize_rows(self._rows, est, sd, lv_names, "all")
        identified = not np.isnan(vcov).all()
        theta = pt.s[np.ix_(self._theta_pos, self._theta_pos)]
        if identified and self._clearly_admissible(est, std, pt.sigma, phi, theta):
            improper = False
        else:
            improper = self._improper(x, s, n, vcov)
        if self.fit.partable.definitions:
            n_defs = len(self.fit.partable.definitions)
            est = np.concatenate([est, np.real(_definitions(self.fit, est)).astype(float)])
            std = np.concatenate([std, np.real(_definitions(self.fit, std)).astype(float)])
            se = np.concatenate([se, np.full(n_defs, np.nan)])
        return Refit(True, improper, est, se, std)

    def refit_rows(self, rows: np.ndarray) -> Refit:
        """:meth:`refit` to the rows ``rows`` of :attr:`values` (repeats allowed)."""
        return self.refit(np.cov(self.values[rows], rowvar=False, bias=True), len(rows))

    def _improper(self, x: np.ndarray, s: np.ndarray, n: int, vcov: np.ndarray) -> bool:
        """:func:`solution_problems` of the refit."""
        pt = self._no_definitions.partable
        if len(self._exo_rows):  # the covariates' moments of this S
            pt = with_exogenous_moments(pt, s)
        refit = dataclasses.replace(
            self._no_definitions,
            partable=pt,
            ram=Ram.from_partable(pt),
            sample_cov=s,
            n=n,
            x=x,
            vcov=vcov,
            converged=True,
            message="refit",
        )
        return bool(solution_problems(refit))

    def _clearly_admissible(self, est, std, sigma, lv_cov, theta) -> bool:
        """True only when none of :func:`solution_problems`' conditions can hold (with margins).

        Free variances clearly positive, finite standardized covariances clearly inside
        (-1, 1), and clearly positive definite Sigma, factor covariance matrix and Theta.
        Anything else is decided by ``solution_problems`` itself.
        """
        if len(self._var_rows) and not np.all(est[self._var_rows] > 1e-5):
            return False
        if len(self._cov_rows):
            sc = std[self._cov_rows]
            if not np.all(np.isfinite(sc) & (np.abs(sc) < 1 - 1e-6)):
                return False
        for mat in (sigma, lv_cov, theta):
            if mat.size:
                eig = np.linalg.eigvalsh((mat + mat.T) / 2)
                if not eig.min() > 1e-8 * max(eig.max(), 1.0):
                    return False
        return True
