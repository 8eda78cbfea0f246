"""Structural equation models in lavaan syntax, estimated and reported as lavaan 0.6.14.

Public API::

    from surveysem.sem import fit                     # the one entry: lavaan's sem() options
    result = fit(model, data, estimator="MLR", missing="fiml")
    result.estimates, result.measures, result.solution, result.sample_cov

    from surveysem.sem import r_squared, implied_latent_correlations   # from estimates tables
    from surveysem.sem import measurement_syntax, factor_indicators    # syntax helpers

:func:`fit` (:mod:`.entry`) checks the combination of options (:func:`estimation_problems`)
and hands the model to the module that estimates it: complete-data ML, MLR, GLS and ULS
(:mod:`.fitting`, :mod:`.robust`, :mod:`.least_squares`, :mod:`.weights`), FIML
(:mod:`.fiml`), ordered items by WLSMV in one or several groups (:mod:`.ordinal`), several
groups by ML or MLR (:mod:`.multigroup`).
Each returns lavaan's parameter table and fit measures (one set of index rules,
:mod:`.indices`); admissibility is judged alike for all (:mod:`.diagnostics`). Parity with
lavaan 0.6.14 is tested in ``tests/test_sem_parity.py`` and ``tests/test_option_combinations.py``.
"""

from .diagnostics import (
    estimate_problems,
    estimates_report,
    solution_problems,
    solution_report,
    solution_warnings,
)
from .entry import ESTIMATORS as FIT_ESTIMATORS
from .entry import Estimation, ModelFit, estimation_problems, fit
from .errors import ModelSpecError, UnsupportedModelError
from .estimates import implied_latent_correlations, parameter_estimates, r_squared
from .fit_measures import fit_measures
from .fitting import ESTIMATORS, SemFit, fit_model
from .modindices import modification_indices
from .syntax import factor_indicators, measurement_syntax, parse_syntax

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
