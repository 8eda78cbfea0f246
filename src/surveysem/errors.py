"""The one exception type that reaches a user as a plain message instead of a traceback."""


class InputError(ValueError):
    """Bad input supplied by the user: a data file, codebook, model or config.

    The message must say which file (and row/column where it applies), what was expected and
    how to fix it. Workflow steps print it without a traceback and exit non-zero.
    """
