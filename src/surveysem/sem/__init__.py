"""Structural equation models in lavaan syntax, estimated and reported as lavaan 0.6.14.

Public API::

    from surveysem.sem import fit                     # the one entry: lavaan's sem() options
    result = fit(model, data, estimator="MLR", missing="fiml")
    result.estimates, result.measures, result.solution, result.sample_cov

    from surveysem.sem import r_squared, implied_latent_correlations   # from estimates tables
    from surveysem.sem import measurement_syntax, factor_indicators    # syntax helpers

Layers (each package's docstring lists its modules), each using only those below it:

* :mod:`.resampling`: the bootstrap and jackknife; their fast refits reuse the ML estimator's
  derivatives and the optimizer;
* :mod:`.entry`: :func:`fit` checks the combination of options (:func:`estimation_problems`),
  hands the model to the estimator that fits it (``entry.BACKENDS``) and returns the one
  result type, :class:`ModelFit`;
* :mod:`.estimators`: one family per discrepancy or likelihood (ML, MLR, GLS/ULS, sampling
  weights, FIML, several groups, WLSMV) with its standard errors and test statistic;
* :mod:`.results` (lavaan's ``parameterEstimates`` table, admissibility, residuals) and
  :mod:`.measures` (lavaan's fit-measure rules per test: standard, scaled, scaled-shifted,
  robust; difference tests), which every estimator fills;
* :mod:`.model` (syntax, parameter table, model matrices, starting values) and
  :mod:`.optimizer` (the one minimizer: Fisher scoring, Gauss-Newton or Newton with step
  halving).

A new estimator is one module in :mod:`.estimators`, one entry in ``entry.BACKENDS`` and one
value in the config schema. Parity with lavaan 0.6.14 is tested in
``tests/test_sem_parity.py`` and ``tests/test_option_combinations.py``.
"""

from surveysem.sem.entry import ESTIMATORS as FIT_ESTIMATORS
from surveysem.sem.entry import Estimation, ModelFit, estimation_problems, fit
from surveysem.sem.errors import ModelSpecError, UnsupportedModelError
from surveysem.sem.estimators.fit_measures import fit_measures
from surveysem.sem.estimators.fitting import ESTIMATORS, SemFit, fit_model
from surveysem.sem.estimators.modindices import modification_indices
from surveysem.sem.model.syntax import factor_indicators, measurement_syntax, parse_syntax
from surveysem.sem.results.diagnostics import (
    estimate_problems,
    estimates_report,
    solution_problems,
    solution_report,
    solution_warnings,
)
from surveysem.sem.results.estimates import (
    implied_latent_correlations,
    parameter_estimates,
    r_squared,
)

__all__ = [
    "ESTIMATORS",
    "FIT_ESTIMATORS",
    "Estimation",
    "ModelFit",
    "estimation_problems",
    "fit",
    "ModelSpecError",
    "SemFit",
    "UnsupportedModelError",
    "fit_measures",
    "fit_model",
    "implied_latent_correlations",
    "factor_indicators",
    "measurement_syntax",
    "modification_indices",
    "parameter_estimates",
    "parse_syntax",
    "r_squared",
    "solution_problems",
    "solution_report",
    "estimates_report",
    "estimate_problems",
    "solution_warnings",
]
