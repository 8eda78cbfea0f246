"""Exceptions raised by :mod:`surveysem.sem` for bad model input."""

from surveysem.errors import InputError


class ModelSpecError(InputError):
    """The model syntax is invalid or does not fit the data.

    A ``ValueError`` (via :class:`surveysem.errors.InputError`), so workflow steps report it as
    a one-line message without a traceback.

    The message is one line: it names the offending syntax line or variable and says how to
    fix it, e.g. ``line 2 ('visual =~ x1 + x22'): variable 'x22' is not a column of the data
    (did you mean 'x2'?). Fix the name or add the column.``
    """


class UnsupportedModelError(ModelSpecError, NotImplementedError):
    """The syntax is valid lavaan syntax, but this module cannot estimate it faithfully.

    Raised instead of returning numbers that would differ from lavaan, e.g. for observed
    exogenous covariates (lavaan's ``fixed.x = TRUE`` block), intercepts (``~ 1``) or
    inequality constraints. It is both a :class:`ModelSpecError` and a
    :class:`NotImplementedError`, so callers can catch either.
    """


class ConvergenceError(InputError):
    """The model did not converge where a converged fit is needed, e.g. the full-sample fit
    from which :class:`~surveysem.sem.resampling.refit.Refitter` starts every bootstrap refit."""
