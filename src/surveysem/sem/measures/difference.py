"""Chi-square difference test of two nested models, as lavaan ``lavTestLRT()`` 0.6.14.

The method follows the models' test statistic, as lavaan's ``method = "default"``:

* **standard** (ML, GLS, ULS, FIML with ML)::

      delta_chisq = chisq_R - chisq_G,   delta_df = df_R - df_G,
      delta_pvalue = P(chi2(delta_df) > delta_chisq);

* **satorra.bentler.2001** (scaled tests: MLR, sampling weights, FIML with MLR), from the
  two *standard* statistics T and the scaling factors c (``chisq.scaling.factor``)::

      c_d = (df_R c_R - df_G c_G) / (df_R - df_G),   delta_chisq = (T_R - T_G) / c_d;

  a non-positive ``c_d`` (possible in small samples) leaves the test undefined (lavaan then
  suggests ``satorra.bentler.2010``, not implemented here);
* **scaled-and-shifted** tests (WLSMV) need lavaan's ``satorra.2000`` method, which works on
  the models' Jacobians rather than their fit measures: not implemented, the test is NaN and
  ``delta_note`` says why.

R is the restricted model (more df), G the general one. Assumptions (Bollen 1989, ch. 7):
the same rows of the same data, R nested in G, both at their optimum, and restrictions not on
the boundary of the parameter space (else the p-value is conservative; Stoel et al. 2006).

References
----------
Satorra, A., & Bentler, P. M. (2001). A scaled difference chi-square test statistic for
moment structure analysis. Psychometrika, 66(4), 507-514.
Bollen, K. A. (1989). Structural Equations with Latent Variables. Wiley, ch. 7.
Stoel, R. D., Garre, F. G., Dolan, C., & van den Wittenboer, G. (2006). On the likelihood
ratio test in structural equation modeling when parameters are subject to boundary
constraints. Psychological Methods, 11(4), 439-455.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats

#: The keys of :func:`chisq_difference`.
DIFFERENCE_KEYS = ("delta_chisq", "delta_df", "delta_pvalue", "delta_method", "delta_note")


def chisq_difference(
    restricted: Mapping[str, float], general: Mapping[str, float], estimator: str = "ML"
) -> dict:
    """Chi-square difference test of ``restricted`` (more df) against ``general``, from their
    fit measures (lavaan names) and the estimator both were fitted with, by the method their
    test statistic calls for (module docstring): scaled when the measures carry a
    ``chisq.scaling.factor`` (MLR, sampling weights), none for WLSMV.

    Returns ``delta_chisq, delta_df, delta_pvalue, delta_method`` ("standard" or
    "satorra.bentler.2001", "" when there is no test) and ``delta_note`` (why there is no
    test, else ""). A negative ``delta_chisq`` is kept, with p = 1, as lavaan does.

    Examples
    --------
    >>> out = chisq_difference({"chisq": 40.0, "df": 9}, {"chisq": 8.0, "df": 8})
    >>> out["delta_chisq"], out["delta_df"], out["delta_method"]
    (32.0, 1.0, 'standard')
    >>> scaled = chisq_difference({"chisq": 40.0, "df": 9, "chisq.scaling.factor": 1.2},
    ...                           {"chisq": 8.0, "df": 8, "chisq.scaling.factor": 1.1})
    >>> round(scaled["delta_chisq"], 4), scaled["delta_method"]  # 32 / (9*1.2 - 8*1.1)
    (16.0, 'satorra.bentler.2001')
    """
    ddf = float(restricted["df"] - general["df"])
    out = dict.fromkeys(DIFFERENCE_KEYS[:3], np.nan) | {"delta_method": "", "delta_note": ""}
    if ddf <= 0:
        out["delta_note"] = "the models have the same degrees of freedom: no difference test"
        return out
    out["delta_df"] = ddf
    dchi = float(restricted["chisq"] - general["chisq"])
    if estimator == "WLSMV":
        out["delta_note"] = (
            "the scaled-and-shifted (WLSMV) difference test (lavaan method satorra.2000) is not "
            "implemented in surveysem"
        )
        return out
    if "chisq.scaling.factor" in restricted and "chisq.scaling.factor" in general:
        c_d = (
            restricted["df"] * restricted["chisq.scaling.factor"]
            - general["df"] * general["chisq.scaling.factor"]
        ) / ddf
        if not c_d > 0:
            out["delta_note"] = (
                f"the Satorra-Bentler (2001) scaling correction is not positive ({c_d:.3g}), so "
                "the scaled difference test is undefined"
            )
            return out
        dchi, out["delta_method"] = dchi / c_d, "satorra.bentler.2001"
    else:
        out["delta_method"] = "standard"
    out["delta_chisq"] = dchi
    out["delta_pvalue"] = float(stats.chi2.sf(dchi, ddf)) if dchi > 0 else 1.0
    return out
