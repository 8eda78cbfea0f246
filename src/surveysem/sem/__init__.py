"""Structural equation models in lavaan syntax, estimated with semopy, reported as lavaan.

Public API::

    from surveysem.sem import fit_model, parameter_estimates, fit_measures, r_squared
    from surveysem.sem import solution_problems, implied_latent_correlations, ModelSpecError
    from surveysem.sem import measurement_syntax   # CFA part of a structural model

``fit_model`` parses lavaan syntax (:mod:`.syntax`), adds lavaan's ``sem()`` defaults
(:mod:`.partable`), fits by ML with semopy and polishes to lavaan's optimum
(:mod:`.fitting`). The reporting functions recompute everything that semopy 2.3.11 gets wrong
or lacks (standardized residual covariances, fit indices, ``:=`` parameters) with lavaan's
formulas. Parity with lavaan 0.6.14 is tested in ``tests/test_sem_parity.py``.
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
