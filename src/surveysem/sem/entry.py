"""One entry to every estimator: lavaan's ``sem()`` arguments in, one result out.

:func:`fit` takes lavaan's options (``estimator``, ``missing``, ``group``, ``group.equal``,
``sampling.weights``, ``ordered``), refuses a combination it cannot honour with a sentence
naming the options (:func:`estimation_problems`), fits the model with the estimator module
that implements the combination (the first of :data:`BACKENDS` that takes it), and returns a
:class:`ModelFit`: the lavaan-named estimates table, fit measures and admissibility report
that every stage reads.

==========================  ======================================  ============================
options                     lavaan 0.6.14                           module
==========================  ======================================  ============================
ML, MLR, GLS, ULS; WLSMV    ``estimator =`` (WLSMV: DWLS, robust    :mod:`.estimators.fitting`
on continuous items         SEs, scaled-and-shifted test)
``sampling_weights``        ``sampling.weights`` (ML becomes MLR;   :mod:`.estimators.weights`
                            GLS, ULS, WLSMV on the weighted
                            moments; ordered: weighted
                            polychorics and Gamma)
``missing="fiml"``          ``missing = "ml"`` (ML, MLR; weights)   :mod:`.estimators.fiml`
``ordered=True``            ``ordered = <items>``, WLSMV or ULS     :mod:`.estimators.ordinal`
                            (also with ``group``,
                            ``group.equal``, weights)
``group``, ``group_equal``  ``group =``, ``group.equal =`` (ML,     :mod:`.estimators.multigroup`
                            MLR; weights or ``missing = "ml"``;
                            GLS, ULS, WLSMV on continuous items)
==========================  ======================================  ============================
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property, partial

import numpy as np
import pandas as pd

from surveysem.sem.errors import UnsupportedModelError
from surveysem.sem.estimators.fiml import fiml_estimates, fiml_fit_measures, fit_fiml
from surveysem.sem.estimators.fit_measures import fit_measures
from surveysem.sem.estimators.fitting import ESTIMATORS as COMPLETE_DATA_ESTIMATORS
from surveysem.sem.estimators.fitting import fit_model
from surveysem.sem.estimators.multigroup import (
    fit_multigroup,
    multigroup_estimates,
    multigroup_fit_measures,
)
from surveysem.sem.estimators.ordinal import fit_ordinal, ordinal_estimates
from surveysem.sem.estimators.ordinal_measures import ordinal_fit_measures
from surveysem.sem.model.syntax import parse_syntax
from surveysem.sem.results.diagnostics import estimates_report, solution_report
from surveysem.sem.results.estimates import parameter_estimates, table_moments

#: lavaan's estimator names that :func:`fit` takes.
ESTIMATORS = COMPLETE_DATA_ESTIMATORS
#: Missing-data treatments (lavaan ``missing = "listwise"`` and ``"ml"``).
MISSING = ("listwise", "fiml")
_LAVAAN_MISSING = {"listwise": "listwise", "fiml": "fiml", "ml": "fiml"}


@dataclass(frozen=True)
class Estimation:
    """How a model is estimated, in lavaan's terms (see :func:`fit`)."""

    estimator: str = "ML"
    missing: str = "listwise"
    group: str | None = None
    group_equal: tuple[str, ...] = ()
    sampling_weights: str | None = None
    ordered: bool = False

    def describe(self) -> dict:
        """The options as lavaan would print them (for audit records and the manuscript)."""
        return dataclasses.asdict(self) | {"group_equal": list(self.group_equal)}

    def problems(self) -> list[str]:
        """Why these options cannot be fitted together, one sentence each; [] if they can.

        Each sentence names the options and says whether lavaan refuses them too (and why)
        or accepts them while surveysem does not implement them; no option is ever dropped.
        """
        estimator, missing, group = self.estimator, self.missing, self.group
        ordered = self.ordered
        problems = []
        if estimator not in ESTIMATORS:
            problems.append(f"estimator {estimator!r} is not one of {', '.join(ESTIMATORS)}")
        if missing not in _LAVAAN_MISSING:
            problems.append(f"missing {missing!r} is not one of {', '.join(MISSING)}")
        if problems:
            return problems
        fiml = _LAVAAN_MISSING[missing] == "fiml"
        if fiml and estimator not in ("ML", "MLR"):
            problems.append(
                f"estimator {estimator} with missing fiml: lavaan refuses this too (FIML maximizes "
                "the case-wise likelihood, which a least-squares estimator does not have); use "
                "estimator ML or MLR, or missing listwise"
            )
        if ordered and estimator in ("ML", "MLR"):
            problems.append(
                f"ordered items with estimator {estimator}: lavaan refuses this too (0.6.14 "
                "has no ML for ordered data); use estimator WLSMV (lavaan's default for "
                "ordered data) or ULS"
            )
        if ordered and estimator == "GLS":
            problems.append(
                "ordered items with estimator GLS: lavaan accepts this but its estimation "
                "fails (it returns the starting values), and surveysem does not implement it; "
                "use estimator WLSMV (lavaan's default for ordered data) or ULS"
            )
        if self.group_equal and group is None:
            problems.append("group_equal without group: name the grouping column in group")
        return problems


def estimation_problems(*options, **keywords) -> list[str]:
    """:meth:`Estimation.problems` of lavaan's options (arguments as :class:`Estimation`).

    Examples
    --------
    >>> estimation_problems("MLR", "fiml")
    []
    >>> estimation_problems("GLS", "fiml")[0][:62]
    'estimator GLS with missing fiml: lavaan refuses this too (FIML'
    """
    return Estimation(*options, **keywords).problems()


def estimation(*options, **keywords) -> Estimation:
    """Checked :class:`Estimation` (arguments as :class:`Estimation`; the estimator is
    case-insensitive, ``missing="ml"`` is fiml); raises :class:`UnsupportedModelError` with
    every sentence of :meth:`Estimation.problems`. With sampling weights ML becomes MLR, as
    in lavaan."""
    how = Estimation(*options, **keywords)
    equal = how.group_equal
    how = dataclasses.replace(
        how,
        estimator=how.estimator.upper() if isinstance(how.estimator, str) else how.estimator,
        group_equal=(equal,) if isinstance(equal, str) else tuple(equal or ()),
    )
    if problems := how.problems():
        raise UnsupportedModelError("; ".join(problems))
    estimator = "MLR" if how.sampling_weights is not None and how.estimator == "ML" else None
    return dataclasses.replace(
        how, estimator=estimator or how.estimator, missing=_LAVAAN_MISSING[how.missing]
    )


@dataclass
class ModelFit:
    """A fitted model as every stage reads it: lavaan's tables plus what they rest on.

    Attributes
    ----------
    syntax : the lavaan syntax as given.
    estimation : the options it was fitted with (:class:`Estimation`).
    n : cases used (lavaan ``ntotal``).
    n_excluded : rows of ``data`` not used (listwise: incomplete; FIML: missing on every
        model variable; as lavaan's "used / total").
    estimates : ``parameterEstimates(fit, standardized = TRUE)``.
    measures : ``fitMeasures(fit)`` (lavaan names), computed on first use from
        ``fit_measures`` (a function of the backend, or the dict read back from a results
        file).
    solution : convergence and admissibility (``converged, message, admissible, problems,
        cautions``), judged alike for every estimator.
    sample_cov : the unrestricted (H1) covariance matrix of the observed variables the model
        was fitted to: N-divisor sample covariances (listwise), their EM estimates (FIML), the
        polychoric correlations (ordered); None for multi-group fits.
    backend : the estimator module's own fit object (for residuals, modification indices,
        refits).
    """

    syntax: str
    estimation: Estimation
    n: int
    n_excluded: int
    estimates: pd.DataFrame = field(repr=False)
    fit_measures: Callable[[], dict] | dict = field(repr=False)
    solution: dict = field(repr=False)
    sample_cov: pd.DataFrame | None = field(repr=False)
    backend: object = field(repr=False)

    @cached_property
    def measures(self) -> dict:
        """``fitMeasures(fit)`` (lavaan names), computed when first read: refits that need
        only the estimates (bootstrap draws) do not pay for the baseline and H1 models."""
        return self.fit_measures() if callable(self.fit_measures) else self.fit_measures

    @classmethod
    def from_results(
        cls,
        syntax: str,
        estimation: Estimation,
        estimates: pd.DataFrame,
        measures: dict,
        solution: dict,
        sample_cov: pd.DataFrame | None,
        n: int,
    ) -> ModelFit:
        """A fit read back from the files a stage wrote (estimates.csv, fit.json,
        solution.json, sample_cov.csv) and the number of cases it used, so later stages
        compare fits instead of refitting. It has no ``backend``; ``n_excluded`` is 0."""
        return cls(syntax, estimation, n, 0, estimates, measures, solution, sample_cov, None)

    @property
    def converged(self) -> bool:
        return bool(self.solution["converged"])

    def implied_cov(self) -> pd.DataFrame:
        """Model-implied covariance matrix of the observed variables (order of
        ``sample_cov``), from the estimates
        (:func:`~surveysem.sem.results.estimates.table_moments`)."""
        total, _, _ = table_moments(self.estimates)
        names = list(self.sample_cov.index)
        return total.loc[names, names]


def _observed(syntax: str, data: pd.DataFrame, extra: list[str]) -> list[str]:
    names = {n for s in parse_syntax(syntax).statements for n in (s.lhs, s.rhs)}
    return [str(c) for c in data.columns if str(c) in names] + extra


#: How tables and the manuscript name each estimator and missing-data treatment.
ESTIMATOR_TEXT = {
    "ML": "maximum likelihood",
    "MLR": "maximum likelihood with robust (Huber-White) standard errors and the Yuan-Bentler "
    "scaled test (MLR)",
    "GLS": "generalized least squares",
    "ULS": "unweighted least squares",
    "WLSMV": "diagonally weighted least squares on polychoric correlations (WLSMV: the items "
    "treated as ordinal, robust standard errors, a mean- and variance-adjusted test)",
}
MISSING_TEXT = {
    "listwise": "listwise deletion",
    "fiml": "full-information maximum likelihood for incomplete responses (which assumes the "
    "data are missing at random)",
}


def estimation_text(estimation: dict) -> str:
    """The estimation options of a study config in words.

    >>> estimation_text({"estimator": "ML", "missing": "listwise"})
    'maximum likelihood, with listwise deletion'
    """
    estimator, missing = estimation.get("estimator", "ML"), estimation.get("missing", "listwise")
    return f"{ESTIMATOR_TEXT[estimator]}, with {MISSING_TEXT[missing]}"


def config_options(estimation: dict) -> dict:
    """:func:`fit` keywords of a study config's ``estimation`` block (estimator WLSMV means
    the items are ordered).

    >>> config_options({"estimator": "WLSMV", "missing": "listwise"})["ordered"]
    True
    """
    estimator = estimation.get("estimator", "ML")
    return {
        "estimator": estimator,
        "missing": estimation.get("missing", "listwise"),
        "ordered": estimator == "WLSMV",
    }


def fit(
    model: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    group: str | None = None,
    group_equal=(),
    sampling_weights: str | None = None,
    ordered: bool = False,
) -> ModelFit:
    """Fit a lavaan-syntax CFA/SEM with lavaan's options, as lavaan ``sem()`` 0.6.14.

    Parameters
    ----------
    model : str
        lavaan model syntax.
    data : pandas.DataFrame
        Raw data: the model's observed variables (NaN for missing values), plus the
        ``group`` and ``sampling_weights`` columns when given.
    estimator : {"ML", "MLR", "GLS", "ULS", "WLSMV"}
        lavaan's estimator (default ML). With ``sampling_weights``, ML becomes MLR (lavaan).
    missing : {"listwise", "fiml"}
        listwise (lavaan's default): rows incomplete on a model variable are left out;
        fiml (lavaan ``missing = "ml"``; "ml" is accepted too): every row with at least one
        observed model variable enters the case-wise likelihood.
    group : str or None
        Grouping column (multi-group model; lavaan ``group``).
    group_equal : sequence of str
        lavaan ``group.equal`` (e.g. ``("loadings", "intercepts")``).
    sampling_weights : str or None
        Design-weight column (lavaan ``sampling.weights``).
    ordered : bool
        True: every observed variable of the model is ordinal (lavaan ``ordered = <all
        items>``), fitted by WLSMV or ULS on the polychoric correlations.

    Returns
    -------
    ModelFit

    Raises
    ------
    UnsupportedModelError
        A combination of options that lavaan refuses or that surveysem does not implement;
        the message names the options (:func:`estimation_problems`).
    ModelSpecError, surveysem.errors.InputError
        Bad syntax or data, as the estimator modules raise them.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. Journal of
    Statistical Software, 48(2). https://doi.org/10.18637/jss.v048.i02

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem import fit
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> data = two_factor_data()
    >>> data = data.mask(np.random.default_rng(1).random(data.shape) < 0.1)
    >>> result = fit(TWO_FACTOR_MODEL, data, estimator="MLR", missing="fiml")
    >>> result.n, result.n_excluded, result.solution["admissible"]
    (300, 0, True)
    >>> round(result.measures["chisq.scaled"], 3) > 0
    True
    >>> listwise = fit(TWO_FACTOR_MODEL, data)
    >>> listwise.n + listwise.n_excluded
    300
    >>> fit(TWO_FACTOR_MODEL, data, estimator="ULS", missing="fiml")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    surveysem.sem.errors.UnsupportedModelError: estimator ULS with missing fiml: lavaan refuses...
    """
    how = estimation(estimator, missing, group, group_equal, sampling_weights, ordered)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    extra = [c for c in (group, sampling_weights) if c is not None and c in data.columns]
    variables = [v for v in _observed(model, data, []) if v not in extra]
    used = data[[*variables, *extra]]
    if how.missing == "fiml":
        used = used.dropna(how="all", subset=variables)
    else:
        used = used.dropna()
    used = used.reset_index(drop=True)
    chosen = next(b for b in BACKENDS if b.takes(how))
    backend = chosen.fit(model, used, how)
    estimates = chosen.estimates(backend)
    solution = (
        solution_report(backend)
        if chosen.judged_by_fit
        else estimates_report(backend.converged, backend.message, estimates)
    )
    sample_cov = chosen.sample_cov(backend)
    return ModelFit(
        syntax=model,
        estimation=how,
        n=len(used),
        n_excluded=len(data) - len(used),
        estimates=estimates,
        fit_measures=partial(chosen.measures, backend),
        solution=solution,
        sample_cov=sample_cov,
        backend=backend,
    )


def _frame(matrix: np.ndarray, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame(matrix, index=names, columns=names)


def _complete_data_moments(backend) -> pd.DataFrame:
    order = list(backend.partable.ov_names)  # lavaan's order
    return _frame(backend.sample_cov, backend.observed).loc[order, order]


@dataclass(frozen=True)
class Backend:
    """An estimator module as :func:`fit` uses it: which options it takes, how it fits and
    what it reports (estimates table, fit measures, the H1 moments of a single group).
    ``judged_by_fit``: admissibility from the fit object itself (:func:`solution_report`,
    with cautions) rather than from the estimates table (:func:`estimates_report`)."""

    name: str
    takes: Callable[[Estimation], bool]
    fit: Callable[[str, pd.DataFrame, Estimation], object]
    estimates: Callable[[object], pd.DataFrame]
    measures: Callable[[object], dict]
    sample_cov: Callable[[object], pd.DataFrame | None]
    judged_by_fit: bool = False


#: The estimator modules, the first that takes the options fits; a new estimator is one
#: module, one entry here, one rule in :meth:`Estimation.problems` and one schema value.
BACKENDS = (
    Backend(
        "ordered items, one or several groups (ordinal)",
        lambda how: how.ordered,
        lambda model, data, how: fit_ordinal(
            model, data, how.group, how.group_equal, how.sampling_weights, how.estimator
        ),
        ordinal_estimates,
        ordinal_fit_measures,
        lambda backend: backend.polychoric(),
    ),
    Backend(
        "groups (multigroup)",
        lambda how: how.group is not None,
        lambda model, data, how: fit_multigroup(
            model,
            data,
            how.group,
            how.group_equal,
            estimator=how.estimator,
            sampling_weights=how.sampling_weights,
            missing=how.missing,
        ),
        multigroup_estimates,
        multigroup_fit_measures,
        lambda backend: None,
    ),
    Backend(
        "full-information ML (fiml)",
        lambda how: how.missing == "fiml",
        lambda model, data, how: fit_fiml(
            model, data, estimator=how.estimator, sampling_weights=how.sampling_weights
        ),
        fiml_estimates,
        fiml_fit_measures,
        lambda backend: _frame(backend.h1_cov, backend.observed),
    ),
    Backend(
        "complete data (fitting)",
        lambda how: True,
        lambda model, data, how: fit_model(
            model, data, estimator=how.estimator, sampling_weights=how.sampling_weights
        ),
        parameter_estimates,
        fit_measures,
        _complete_data_moments,
        judged_by_fit=True,
    ),
)
