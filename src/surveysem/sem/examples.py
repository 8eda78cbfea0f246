"""A small deterministic data set for the docstring examples of :mod:`surveysem.sem`.

Two correlated factors (correlation 0.5) with three indicators each, 300 rows, normal
errors with SD 0.7; generated from a fixed seed so the examples are reproducible doctests.
"""

import numpy as np
import pandas as pd

TWO_FACTOR_MODEL = "A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3"


def two_factor_data(n: int = 300, seed: int = 7) -> pd.DataFrame:
    """Simulated items a1-a3 (factor A) and b1-b3 (factor B).

    Examples
    --------
    >>> two_factor_data().shape
    (300, 6)
    """
    rng = np.random.default_rng(seed)
    eta = rng.normal(size=(n, 2)) @ np.linalg.cholesky([[1.0, 0.5], [0.5, 1.0]]).T
    loadings = np.array([[1, 0.8, 0.7, 0, 0, 0], [0, 0, 0, 1, 0.9, 0.6]])
    items = eta @ loadings + rng.normal(scale=0.7, size=(n, 6))
    return pd.DataFrame(items, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
