"""Parameter estimates, standardized solutions, defined parameters and R-squared (lavaan style).

Standardization follows ``lavaan:::lav_standardize_lv`` / ``lav_standardize_all`` with the
default ``cov.std = TRUE``. With s(v) the model-implied SD of v (for std.lv: factors only,
observed variables keep s = 1) and r(v) = sqrt|residual variance of v|:

* ``f =~ y`` and ``y ~ x``:  est * s(predictor) / s(outcome);
* variances ``v ~~ v``:      est / s(v)^2  (so 1 - R^2 for endogenous variables);
* covariances ``a ~~ b``:    est / (r(a) r(b)), i.e. a *residual* correlation;
* ``:=`` rows: the defining expression evaluated at the standardized values of its labels.

Defined parameters get delta-method standard errors, ``se = sqrt(J V J')``, with the Jacobian
``J`` by complex-step differentiation.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.sem.model.expressions import evaluate, parse_expression
from surveysem.sem.model.partable import ParTable
from surveysem.sem.model.ram import Ram

if TYPE_CHECKING:  # the fit types live in the layers above; only their fields are read
    from surveysem.sem.estimators.fitting import SemFit


class Estimated(Protocol):
    """What an estimates table needs of a fit, whatever the estimator (SemFit, FimlFit)."""

    partable: ParTable
    x: np.ndarray
    vcov: np.ndarray


COLUMNS = [
    "lhs",
    "op",
    "rhs",
    "label",
    "est",
    "se",
    "z",
    "pvalue",
    "ci.lower",
    "ci.upper",
    "std.lv",
    "std.all",
]


def _row_values(fit: Estimated) -> np.ndarray:
    return np.array([fit.x[r.free - 1] if r.free else r.value for r in fit.partable.rows])


def standard_errors(rows, vcov: np.ndarray) -> np.ndarray:
    """SE of every parameter-table row; fixed rows get 0, as lavaan reports them."""
    return np.array([np.sqrt(vcov[r.free - 1, r.free - 1]) if r.free else 0.0 for r in rows])


def implied_sds(sigma_diag, lv_var, observed, lv_names) -> dict[str, float]:
    """Model-implied SD of every observed variable and factor, keyed by name.

    ``sigma_diag``: diagonal of Sigma (order of ``observed``); ``lv_var``: model-implied
    factor variances, diagonal of C Psi C' (order of ``lv_names``). Negative factor variances
    and observed variances of (about) zero give NaN, as in lavaan.
    """
    sigma_diag, lv_var = np.asarray(sigma_diag, dtype=float), np.asarray(lv_var, dtype=float)
    with np.errstate(invalid="ignore"):
        ov = np.where(sigma_diag > np.finfo(float).eps, np.sqrt(sigma_diag), np.nan)
        lv = np.where(lv_var >= 0, np.sqrt(lv_var), np.nan)
    return dict(zip(observed, ov.tolist(), strict=True)) | dict(
        zip(lv_names, lv.tolist(), strict=True)
    )


def _model_sds(fit: SemFit) -> dict[str, float]:
    """Model-implied SDs of the observed variables and factors (from B S B')."""
    total = np.diag(fit.ram.implied(fit.x)[1])
    p = len(fit.observed)
    return implied_sds(total[:p], total[p:], fit.observed, fit.partable.lv_names)


def _standardize(fit: SemFit, est: np.ndarray, level: str) -> np.ndarray:
    """std.lv (level='lv') or std.all (level='all') for every parameter-table row."""
    return standardize_rows(fit.partable.rows, est, _model_sds(fit), fit.partable.lv_names, level)


def standardize_rows(rows, est: np.ndarray, sd: dict, lv_names, level: str) -> np.ndarray:
    """std.lv (``level="lv"``) or std.all (``level="all"``) of each row (module docstring).

    ``sd`` holds the model-implied SD of every variable; under std.lv only the factors are
    rescaled. The residual variances come from ``rows`` themselves, so pass the rows of one
    group at a time in multi-group models. ``~1`` rows are divided by the SD of their
    variable; rows of other operators (thresholds, scales) are returned unchanged.
    """
    lvs = set(lv_names)
    resvar = {r.lhs: e for r, e in zip(rows, est, strict=True) if r.op == "~~" and r.lhs == r.rhs}

    def s(v: str) -> float:
        return sd[v] if v in lvs or level == "all" else 1.0

    def r(v: str) -> float:
        return np.sqrt(abs(resvar[v])) if v in lvs or level == "all" else 1.0

    out = np.empty(len(rows))
    with np.errstate(divide="ignore", invalid="ignore"):
        for i, (row, e) in enumerate(zip(rows, est, strict=True)):
            if row.op == "=~":
                out[i] = e * s(row.lhs) / s(row.rhs)
            elif row.op == "~":
                out[i] = e * s(row.rhs) / s(row.lhs)
            elif row.op == "~1":
                out[i] = e / s(row.lhs)
            elif row.op == "~~" and row.lhs == row.rhs:
                out[i] = e / s(row.lhs) ** 2
            elif row.op == "~~":
                out[i] = e / (r(row.lhs) * r(row.rhs))
            else:
                out[i] = e
    return out


def _definitions(fit: Estimated, row_vals: np.ndarray) -> list:
    """Values of the ``:=`` parameters given values for every parameter-table row.

    Labels take the value of their first row (lavaan uses the first free row of a label).
    """
    names: dict = {}
    for row, val in zip(fit.partable.rows, row_vals, strict=True):
        if row.label and row.label not in names:
            names[row.label] = val
    out = []
    for d in fit.partable.definitions:
        val = evaluate(parse_expression(d.expr), names)
        names[d.name] = val
        out.append(val)
    return out


def _definition_jacobian(fit: Estimated) -> np.ndarray:
    """d(defined)/d(free parameters) by complex step (exact for analytic expressions)."""
    h = 1e-20
    pt = fit.partable
    jac = np.zeros((len(pt.definitions), pt.n_free))
    for j in range(pt.n_free):
        xc = fit.x.astype(complex)
        xc[j] += 1j * h
        vals = [xc[r.free - 1] if r.free else complex(r.value) for r in pt.rows]
        jac[:, j] = np.imag(np.array(_definitions(fit, np.array(vals)), dtype=complex)) / h
    return jac


def parameter_estimates(fit: SemFit, level: float = 0.95) -> pd.DataFrame:
    """Unstandardized and standardized estimates, as lavaan ``parameterEstimates(fit,
    standardized = TRUE)``.

    Standard errors are those of the fit's estimator (``fit.vcov``): expected information
    (ML), the Huber-White sandwich with observed-information bread (MLR), or
    ``(Delta' W Delta)^-1 / (N - 1)`` (GLS, ULS); see :func:`surveysem.sem.fit_model`.
    Standardized values depend only on the estimates, so their form is the same for every
    estimator.

    For each row: ``z = est / se``, ``pvalue = 2 (1 - Phi(|z|))`` and the Wald interval
    ``est +/- z_(1 - (1 - level)/2) se``. Fixed parameters have ``se = 0``, NaN ``z``/``pvalue``
    and ``ci.lower = ci.upper = est`` (as lavaan). ``:=`` rows carry delta-method SEs.
    Standardization is described in the module docstring.

    Parameters
    ----------
    fit : SemFit
        Result of :func:`surveysem.sem.fit_model`.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, label, est, se, z, pvalue, ci.lower, ci.upper, std.lv,
        std.all`` in lavaan's row order (user rows in syntax order, default rows, ``:=`` rows).

    References
    ----------
    lavaan ``parameterEstimates`` and ``standardizedSolution`` (Rosseel 2012, JSS 48(2));
    delta method: Sobel (1982), Sociological Methodology 13.

    Examples
    --------
    >>> from surveysem.sem import fit_model, parameter_estimates
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> fit = fit_model(TWO_FACTOR_MODEL, two_factor_data())
    >>> parameter_estimates(fit).loc[:5, ["lhs", "op", "rhs", "est", "se", "std.all"]].round(3)
      lhs  op rhs    est     se  std.all
    0   A  =~  a1  1.000  0.000    0.826
    1   A  =~  a2  0.835  0.073    0.749
    2   A  =~  a3  0.696  0.065    0.676
    3   B  =~  b1  1.000  0.000    0.765
    4   B  =~  b2  0.973  0.090    0.808
    5   B  =~  b3  0.610  0.065    0.611
    """
    est = _row_values(fit)
    return estimates_table(
        fit, est, _standardize(fit, est, "lv"), _standardize(fit, est, "all"), level
    )


def estimates_table(
    fit: Estimated,
    est: np.ndarray,
    std_lv: np.ndarray,
    std_all: np.ndarray,
    level: float,
) -> pd.DataFrame:
    """lavaan's ``parameterEstimates`` table of a single-group fit from its row values.

    The parameter-table rows, then the ``:=`` rows (values and standardized values from the
    labelled rows, delta-method SEs), then the Wald columns (:func:`add_wald_columns`).
    """
    pt = fit.partable
    frame = row_frame(pt.rows, est, standard_errors(pt.rows, fit.vcov), std_lv, std_all)
    if pt.definitions:
        jac = _definition_jacobian(fit)
        defs = pd.DataFrame(
            {
                "lhs": [d.name for d in pt.definitions],
                "op": ":=",
                "rhs": [d.expr for d in pt.definitions],
                "label": [d.name for d in pt.definitions],
                "est": np.real(_definitions(fit, est)).astype(float),
                "se": np.sqrt(np.einsum("ij,jk,ik->i", jac, fit.vcov, jac)),
                "std.lv": np.real(_definitions(fit, std_lv)).astype(float),
                "std.all": np.real(_definitions(fit, std_all)).astype(float),
            }
        )
        frame = pd.concat([frame, defs], ignore_index=True)
    add_wald_columns(frame, level)
    return frame[COLUMNS]


def row_frame(rows, est, se, std_lv, std_all) -> pd.DataFrame:
    """The columns of an estimates table that come straight from the parameter-table rows."""
    return pd.DataFrame(
        {
            "lhs": [r.lhs for r in rows],
            "op": [r.op for r in rows],
            "rhs": [r.rhs for r in rows],
            "label": [r.label for r in rows],
            "est": est,
            "se": se,
            "std.lv": std_lv,
            "std.all": std_all,
        }
    )


def add_wald_columns(frame: pd.DataFrame, level: float) -> None:
    """Adds ``z``, ``pvalue``, ``ci.lower`` and ``ci.upper`` from ``est`` and ``se``, in place.

    ``z = est / se``, ``pvalue = 2 (1 - Phi(|z|))``, interval ``est +/- z_(1 - (1 - level)/2)
    se``; rows with ``se = 0`` (fixed) get NaN ``z``/``pvalue`` and ``ci.lower = ci.upper = est``.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(frame["se"] > 0, frame["est"] / frame["se"], np.nan)
    crit = stats.norm.ppf(1 - (1 - level) / 2)
    frame["z"] = z
    frame["pvalue"] = 2 * stats.norm.sf(np.abs(z))
    frame["ci.lower"] = frame["est"] - crit * frame["se"]
    frame["ci.upper"] = frame["est"] + crit * frame["se"]


def table_moments(estimates: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Model-implied and residual covariance matrices of all variables from a single-group
    estimates table (RAM form: ``v = A v + u``, ``Cov(u) = S``, ``Cov(v) = (I-A)^-1 S
    (I-A)^-T``), and the latent variables. ``=~`` rows fill A[indicator, factor], ``~`` rows
    A[outcome, predictor] and ``~~`` rows S; other rows (means, thresholds, scales,
    definitions) do not enter.

    >>> import pandas as pd
    >>> table = pd.DataFrame({"lhs": ["F", "F", "F", "x1", "x2"], "op": ["=~", "=~", "~~",
    ...     "~~", "~~"], "rhs": ["x1", "x2", "F", "x1", "x2"], "est": [1.0, 0.5, 2.0, 1.0, 1.0]})
    >>> total, _, lvs = table_moments(table)
    >>> total.loc["x2", ["x1", "x2", "F"]].tolist(), lvs
    ([1.0, 1.5, 1.0], ['F'])
    """
    rows = estimates[estimates["op"].isin(["=~", "~", "~~"])]
    lvs = list(dict.fromkeys(rows.loc[rows["op"] == "=~", "lhs"]))
    observed = [v for v in dict.fromkeys([*rows["lhs"], *rows["rhs"]]) if v not in set(lvs)]
    fixed = [  # every row at its estimate: a model without free parameters
        SimpleNamespace(lhs=lhs, op=op, rhs=rhs, free=0, value=est)
        for lhs, op, rhs, est in zip(rows["lhs"], rows["op"], rows["rhs"], rows["est"], strict=True)
    ]
    ram = Ram(fixed, observed, lvs, 0)
    _, s, _ = ram.matrices(np.empty(0))
    _, total, _ = ram.implied(np.empty(0))
    names = observed + lvs
    frame = pd.DataFrame(total, index=names, columns=names)
    return frame, pd.DataFrame(s, index=names, columns=names), lvs


def r_squared(estimates: pd.DataFrame) -> pd.DataFrame:
    """Proportion of explained variance of every endogenous variable (lavaan ``inspect(fit,
    "r2")``): ``R^2 = 1 - residual variance / model-implied total variance``, i.e. one minus
    the ``std.all`` of its residual variance, for any estimator.

    Rows: the indicators and outcomes in the order of their residual-variance rows (lavaan's
    order: observed variables, then factors that are regressed on others); observed
    covariates and exogenous factors have no R^2.

    Examples
    --------
    >>> from surveysem.sem import fit, r_squared
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> r_squared(fit(TWO_FACTOR_MODEL, two_factor_data()).estimates).round(3)
      lhs     r2
    0  a1  0.682
    1  a2  0.560
    2  a3  0.457
    3  b1  0.585
    4  b2  0.654
    5  b3  0.373
    """
    explained = set(estimates.loc[estimates["op"] == "=~", "rhs"])
    explained |= set(estimates.loc[estimates["op"] == "~", "lhs"])
    variances = estimates[(estimates["op"] == "~~") & (estimates["lhs"] == estimates["rhs"])]
    variances = variances[variances["lhs"].isin(explained)]
    return pd.DataFrame(
        {"lhs": variances["lhs"].tolist(), "r2": (1.0 - variances["std.all"]).tolist()}
    )


def implied_latent_correlations(estimates: pd.DataFrame) -> pd.DataFrame:
    """Model-implied correlation matrix of the factors, from Var(eta) = C Psi C'.

    These are lavaan's ``lavInspect(fit, "cor.lv")``, used for the Fornell-Larcker criterion
    (sqrt(AVE_i) > |corr(F_i, F_j)|; Fornell & Larcker 1981, JMR 18(1)), computed from the
    estimates table of a single-group fit (any estimator, :func:`table_moments`). Factors
    with a negative implied variance get NaN correlations.

    Examples
    --------
    >>> from surveysem.sem import fit, implied_latent_correlations
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> implied_latent_correlations(fit(TWO_FACTOR_MODEL, two_factor_data()).estimates).round(3)
           A      B
    A  1.000  0.551
    B  0.551  1.000
    """
    total, _, lvs = table_moments(estimates)
    cov = total.loc[lvs, lvs].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        sd = np.sqrt(np.where(np.diag(cov) > 0, np.diag(cov), np.nan))
        cor = cov / np.outer(sd, sd)
    return pd.DataFrame(cor, index=lvs, columns=lvs)
