"""CFA/SEM of ordinal items by DWLS on polychoric correlations: lavaan's WLSMV.

:func:`fit_dwls` reproduces lavaan ``cfa()/sem(..., ordered = <all items>)`` with its defaults
(``estimator = "WLSMV"``: DWLS point estimates, ``se = "robust.sem"``,
``test = "scaled.shifted"``, ``parameterization = "delta"``):

* **Sample statistics** (:mod:`.polychoric`): thresholds ``tau`` from the margins, two-step
  polychoric correlations ``r`` (Olsson 1979) and ``Gamma``, N times the asymptotic covariance
  matrix of ``s = (tau, r)`` (Muthén 1984; lavaan ``muthen1984``).
* **Model** (delta parameterization): latent responses ``y* = Lambda eta + eps`` with
  ``eta = B eta + zeta``, so ``Sigma* = Lambda C Psi C' Lambda' + Theta`` with
  ``C = (I - B)^-1``. The residual variances are not parameters: ``theta_ii = 1 - [Lambda C Psi
  C' Lambda']_ii`` makes diag(Sigma*) = 1, and they are reported as fixed rows with se 0, as
  lavaan does. Model thresholds are free parameters (means/intercepts 0, scales 1).
* **Estimator**: DWLS, ``F = (s - sigma(theta))' W (s - sigma(theta))`` with
  ``W = diag(Gamma)^-1``. Thresholds are fitted exactly, so only the correlations enter the
  fit; minimized by Levenberg-Marquardt and polished by Gauss-Newton to a zero gradient.
* **Standard errors** (robust.sem): ``vcov = E^-1 Delta' W Gamma W Delta E^-1 / (N - 1)``,
  ``E = Delta' W Delta``, ``Delta = d sigma / d theta'`` (Muthén, du Toit & Spisic 1997;
  lavaan divides by N - 1 for non-ML estimators).
* **Test**: ``chisq = (N - 1) F`` (lavaan: ``fmin = (N - 1)/(2N) F``, ``chisq = 2 N fmin``);
  scaled-shifted ``chisq.scaled = a chisq + b`` with
  ``a = sqrt(df / tr[(U Gamma)^2])``, ``b = df - a tr(U Gamma)``,
  ``U = W - W Delta E^-1 Delta' W`` (Asparouhov & Muthén 2010); the baseline (independence)
  model keeps the thresholds and sets all correlations to 0.
* **Robust CFI/TLI/RMSEA** (Savalei 2021, lavaan's ``lav_fit_catml_dwls``): the ML discrepancy
  of ``r`` at the DWLS estimates, ``XX3 = N F_ML``, with the scaling
  ``c = tr(U' V U Gamma_rr) / df`` (``V`` the normal-theory ML weight of the correlations at
  Sigma*-hat, ``U = I - Delta E^-1 Delta' W``) and ``c0 = tr(Gamma_rr) / pstar`` for the
  baseline ``-N ln|R|``.

**What is matched** (``tests/test_ordinal.py``, against lavaan 0.6.14 on the
HolzingerSwineford items cut into 4 categories): polychorics, thresholds, all estimates,
robust SEs, standardized values, and every ``fitMeasures`` value that
:func:`ordinal_fit_measures` returns (chi-squares, scaled/shifted and robust indices, RMSEA
intervals and p-values, SRMR/CRMR/RMR, GFI/AGFI/PGFI, MFI, Hoelter CN, WRMR). Reached:
polychorics 3e-8 (lavaan's ``nlminb`` tolerance), estimates 3e-7, robust SEs 1e-7, chi-squares
2e-8 relative, fit indices 1e-8. Parity is with lavaan 0.6.14; later lavaan versions compute
``rmsea.robust`` for categorical data with N instead of N - 1.

**What differs from lavaan / is not supported**: only ordinal indicators (no continuous
items, no observed covariates or observed outcomes in ``~``: lavaan's polyserial and
``conditional.x`` paths); complete data only (lavaan drops incomplete rows,
``missing = "listwise"``; here they raise an error so that N is explicit); single group; no
``parameterization = "theta"``; no single-indicator factors; no user-written residual
variances of ordinal items (they are not parameters under delta). The robust indices are NaN
if the polychoric matrix is not positive definite (smallest eigenvalue below sqrt(machine
epsilon): lavaan 0.6.14's ``cat.check.pd = TRUE``). Log-likelihood based measures (AIC, BIC,
logl) do not exist for DWLS and are not returned (lavaan returns NA), nor is ``srmr_mplus``.

References
----------
Olsson (1979), Psychometrika 44(4); Muthén (1984), Psychometrika 49(1); Muthén, du Toit &
Spisic (1997), Robust inference using weighted least squares and quadratic estimating
equations in latent variable modeling with categorical and continuous outcomes (unpublished
technical report); Asparouhov & Muthén (2010), Simple second order chi-square correction
(Mplus technical appendix); Savalei (2021), Improving fit indices in structural equation
modeling with categorical data, Multivariate Behavioral Research 56(3); Rosseel (2012), lavaan,
JSS 48(2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pandas as pd
from scipy import optimize

from surveysem.errors import InputError

from .errors import ModelSpecError, UnsupportedModelError
from .estimates import estimates_table, standardize_rows
from .indices import (
    chisq_tests,
    corrected_robust_measures,
    gfi_measures,
    hoelter_cn,
    incremental_indices,
    rmsea,
    rmsea_ci,
    rmsea_close,
)
from .partable import ParRow, ParTable, build_partable, require_no_covariates
from .polychoric import OrdinalMoments, ordinal_moments
from .syntax import parse_syntax

# Largest |dF/dtheta| accepted as converged (F = DWLS discrepancy, unit weights ~ N).
GRAD_TOL = 1e-6


# ---------------------------------------------------------------------------------------------
# parameter table and model matrices


@dataclass
class _Slot:
    """Where a parameter-table row lives: matrix ('L', 'B', 'P', 'T', 'tau') and position."""

    mat: str
    i: int
    j: int


@dataclass
class OrdinalModel:
    """Parameter table (lavaan rows for the ordinal model) and its matrix representation."""

    rows: list[ParRow]
    slots: list[_Slot | None]  # None for rows that are not model matrix entries
    ov_names: list[str]
    lv_names: list[str]
    n_free: int
    n_th: int
    definitions: tuple = ()  # the ``:=`` parameters of the syntax

    @property
    def partable(self) -> ParTable:
        """The rows as a :class:`ParTable` (what :func:`estimates_table` reads)."""
        return ParTable(self.rows, self.definitions, self.lv_names, self.ov_names, self.n_free)

    def matrices(self, x: np.ndarray):
        """Lambda (p x m), B (m x m), Psi (m x m), Theta off-diagonal (p x p)."""
        p, m = len(self.ov_names), len(self.lv_names)
        lam, beta, psi, theta = (
            np.zeros((p, m)),
            np.zeros((m, m)),
            np.zeros((m, m)),
            np.zeros((p, p)),
        )
        mats = {"L": lam, "B": beta, "P": psi, "T": theta}
        for row, slot in zip(self.rows, self.slots, strict=True):
            if slot is None or slot.mat == "tau":
                continue
            val = x[row.free - 1] if row.free else row.value
            mats[slot.mat][slot.i, slot.j] = val
            if slot.mat in ("P", "T"):
                mats[slot.mat][slot.j, slot.i] = val
        return lam, beta, psi, theta

    def thresholds(self, x: np.ndarray) -> np.ndarray:
        out = np.empty(self.n_th)
        for row, slot in zip(self.rows, self.slots, strict=True):
            if slot is not None and slot.mat == "tau":
                out[slot.i] = x[row.free - 1] if row.free else row.value
        return out


def ordinal_model_problems(pt: ParTable) -> list[str]:
    """What of a model the ordinal (WLSMV) fit cannot estimate, one sentence per statement:
    regressions involving observed items, single-indicator factors, user-written residual
    variances of items (not parameters under the delta parameterization). Empty when it can.
    """
    ovs = set(pt.ov_names)
    n_ind = {
        f: sum(1 for r in pt.rows if r.op == "=~" and r.lhs == f and r.rhs in ovs)
        for f in pt.lv_names
    }
    problems = []
    for r in pt.rows:
        where = f"line {r.line}" if r.line else "default row"
        if r.op == "~" and (r.lhs in ovs or r.rhs in ovs):
            problems.append(
                f"{where} ('{r.lhs} ~ {r.rhs}'): regressions involving observed ordinal items "
                "are not supported by the ordinal (WLSMV) fit. Make the item an indicator of a "
                "factor and regress on the factor."
            )
        if r.op == "=~" and r.rhs in ovs and n_ind[r.lhs] == 1:
            problems.append(
                f"{where} ('{r.lhs} =~ {r.rhs}'): single-indicator factors are not supported by "
                "the ordinal (WLSMV) fit. Use the item itself or add indicators."
            )
        if r.op == "~~" and r.lhs == r.rhs and r.lhs in ovs and r.user:
            problems.append(
                f"line {r.line} ('{r.lhs} ~~ {r.rhs}'): residual variances of ordinal items are "
                "not parameters under the delta parameterization (they are 1 minus the "
                "explained variance). Remove the statement."
            )
    return problems


def _build_model(pt: ParTable, moments: OrdinalMoments) -> OrdinalModel:
    """lavaan's ordinal parameter table: user rows, thresholds, defaults, ~*~ and ~1 rows."""
    ov, lv = pt.ov_names, pt.lv_names
    ovs, lvs = set(ov), set(lv)
    ov_idx = {v: i for i, v in enumerate(ov)}
    lv_idx = {v: i for i, v in enumerate(lv)}
    if problems := ordinal_model_problems(pt):
        raise UnsupportedModelError("; ".join(problems))
    missing = [v for v in ov if v not in moments.names]
    if missing:  # pragma: no cover - fit_dwls computes the moments of exactly these items
        raise ModelSpecError(f"no sample statistics for {missing}")

    th_rows = []
    start = np.concatenate([[0], np.cumsum([len(t) for t in moments.thresholds])])
    name_pos = {v: i for i, v in enumerate(moments.names)}
    for v in ov:
        j = name_pos[v]
        for k in range(len(moments.thresholds[j])):
            th_rows.append(
                (ParRow(v, "|", f"t{k + 1}", False, 1, np.nan, "", 0), int(start[j] + k))
            )
    user = [r for r in pt.rows if r.user]
    defaults = [r for r in pt.rows if not r.user]
    rows: list[ParRow] = []
    slots: list[_Slot | None] = []
    for r in user + [None] + defaults:
        if r is None:
            for row, pos in th_rows:
                rows.append(row)
                slots.append(_Slot("tau", pos, 0))
            continue
        row = ParRow(r.lhs, r.op, r.rhs, r.user, r.free, r.value, r.label, r.line)
        if r.op == "=~":
            slot = (
                _Slot("L", ov_idx[r.rhs], lv_idx[r.lhs])
                if r.rhs in ovs
                else _Slot("B", lv_idx[r.rhs], lv_idx[r.lhs])
            )
        elif r.op == "~":
            slot = _Slot("B", lv_idx[r.lhs], lv_idx[r.rhs])
        elif r.lhs in lvs and r.rhs in lvs:
            slot = _Slot("P", lv_idx[r.lhs], lv_idx[r.rhs])
        elif r.lhs == r.rhs:  # residual variance of an item: derived, reported as fixed
            slot = None
            row.free, row.value = 0, np.nan
        else:
            slot = _Slot("T", ov_idx[r.lhs], ov_idx[r.rhs])
        rows.append(row)
        slots.append(slot)
    for v in ov:
        rows.append(ParRow(v, "~*~", v, False, 0, 1.0, "", 0))
        slots.append(None)
    for v in ov + lv:
        rows.append(ParRow(v, "~1", "", False, 0, 0.0, "", 0))
        slots.append(None)
    # renumber the free parameters in row order (shared labels keep sharing an index)
    new_index: dict[tuple, int] = {}
    for row, slot in zip(rows, slots, strict=True):
        if not row.free:
            continue
        key = ("tau", slot.i) if slot is not None and slot.mat == "tau" else ("old", row.free)
        if key not in new_index:
            new_index[key] = len(new_index) + 1
        row.free = new_index[key]
    return OrdinalModel(
        rows, slots, list(ov), list(lv), len(new_index), len(th_rows), tuple(pt.definitions)
    )


def _implied(model: OrdinalModel, x: np.ndarray):
    lam, beta, psi, theta = model.matrices(x)
    c = np.linalg.inv(np.eye(beta.shape[0]) - beta)
    phi = c @ psi @ c.T
    sig = lam @ phi @ lam.T + theta
    return sig, (lam, c, psi, phi)


def _sigma_vec(model: OrdinalModel, x: np.ndarray, pairs) -> np.ndarray:
    sig, _ = _implied(model, x)
    r = np.array([sig[i, j] for i, j in pairs])
    return np.concatenate([model.thresholds(x), r])


def _jacobian(model: OrdinalModel, x: np.ndarray, pairs) -> np.ndarray:
    """Delta = d(thresholds, offdiag Sigma*)/d(free parameters), analytic."""
    _, (lam, c, psi, phi) = _implied(model, x)
    p = lam.shape[0]
    ii = np.array([i for i, _ in pairs], dtype=int)
    jj = np.array([j for _, j in pairs], dtype=int)
    jac = np.zeros((model.n_th + len(pairs), model.n_free))
    lc = lam @ c
    lphi = lam @ phi
    for row, slot in zip(model.rows, model.slots, strict=True):
        if not row.free or slot is None:
            continue
        col = row.free - 1
        if slot.mat == "tau":
            jac[slot.i, col] += 1.0
            continue
        a, b = slot.i, slot.j
        if slot.mat == "L":  # Sigma = L Phi L': d = e_a (Phi L')[b] + transpose
            d = np.zeros((p, p))
            d[a, :] = lphi[:, b]
            d = d + d.T
        elif slot.mat == "B":  # dC = C e_a e_b' C; dSigma = L (dC Psi C' + C Psi dC') L'
            u, v = lc[:, a], lphi[:, b]
            d = np.outer(u, v)
            d = d + d.T
        elif slot.mat == "P":
            d = np.outer(lc[:, a], lc[:, b])
            if a != b:
                d = d + d.T
        else:  # "T", off-diagonal residual covariance
            d = np.zeros((p, p))
            d[a, b] = d[b, a] = 1.0
        jac[model.n_th :, col] += d[ii, jj]
    return jac


# ---------------------------------------------------------------------------------------------
# fitting


@dataclass
class OrdinalFit:
    """A DWLS (WLSMV) fit of ordinal items. Pass it to :func:`ordinal_estimates` and
    :func:`ordinal_fit_measures`.

    Attributes
    ----------
    syntax : the lavaan syntax as given.
    model : parameter table and matrix layout (:class:`OrdinalModel`).
    moments : thresholds, polychoric correlations and Gamma (:class:`OrdinalMoments`).
    n : number of complete rows.
    x : free parameter estimates (index ``free - 1`` of the table).
    vcov : robust (sandwich) covariance matrix of ``x``; NaN if ``E`` is singular.
    converged : optimizer success and a vanishing gradient.
    message : optimizer details.
    """

    syntax: str
    model: OrdinalModel = field(repr=False)
    moments: OrdinalMoments = field(repr=False)
    n: int
    x: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool
    message: str

    @property
    def pairs(self) -> list[tuple[int, int]]:
        return self.moments.pairs

    @property
    def weights(self) -> np.ndarray:
        """Diagonal of the DWLS weight matrix, 1 / diag(Gamma)."""
        return 1.0 / np.diag(self.moments.gamma)

    def implied_vec(self) -> np.ndarray:
        """Model-implied (thresholds, correlations) in lavaan's order."""
        return _sigma_vec(self.model, self.x, self.pairs)

    def implied_cor(self) -> pd.DataFrame:
        """Model-implied correlation matrix of the latent responses y* (unit diagonal)."""
        sig, _ = _implied(self.model, self.x)
        np.fill_diagonal(sig, 1.0)
        names = self.model.ov_names
        return pd.DataFrame(sig, index=names, columns=names)

    def jacobian(self) -> np.ndarray:
        return _jacobian(self.model, self.x, self.pairs)


def _start_values(model: OrdinalModel, moments: OrdinalMoments) -> np.ndarray:
    """Thresholds from the data; factor variances from the mean polychoric among a factor's
    items; free loadings 1 (0.7 for factors without a fixed loading); everything else 0.05/0."""
    x = np.zeros(model.n_free)
    cor = moments.cor
    pos = {v: i for i, v in enumerate(moments.names)}
    th = np.concatenate(moments.thresholds)
    marked = {r.lhs for r in model.rows if r.op == "=~" and not r.free}
    items = {f: [r.rhs for r in model.rows if r.op == "=~" and r.lhs == f] for f in model.lv_names}
    for row, slot in zip(model.rows, model.slots, strict=True):
        if not row.free or slot is None:
            continue
        k = row.free - 1
        if slot.mat == "tau":
            x[k] = th[slot.i]
        elif slot.mat == "L":
            x[k] = 1.0 if row.lhs in marked else 0.7
        elif slot.mat == "P" and row.lhs == row.rhs:
            obs = [pos[v] for v in items.get(row.lhs, []) if v in pos]
            if len(obs) >= 2:
                sub = cor[np.ix_(obs, obs)]
                mean_r = np.mean(sub[np.triu_indices(len(obs), 1)])
                x[k] = float(np.clip(mean_r, 0.05, 0.95))
            else:
                x[k] = 0.05
    return x


def _check_data(syntax: str, data: pd.DataFrame) -> ParTable:
    parsed = parse_syntax(syntax)
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a pandas DataFrame")
    pt = build_partable(parsed, [str(c) for c in data.columns])
    require_no_covariates(pt, "ordinal (WLSMV)")
    return pt


def fit_dwls(syntax: str, data: pd.DataFrame) -> OrdinalFit:
    """Fit a lavaan-syntax CFA/SEM to ordinal items as lavaan's WLSMV (DWLS, delta).

    Equivalent to lavaan ``cfa(syntax, data, ordered = <all model items>)`` (or ``sem()``):
    DWLS on thresholds and polychoric correlations with the diagonal of their asymptotic
    covariance matrix as weights, robust (sandwich) standard errors and the scaled-shifted
    test. See the module docstring for the formulas and for what is (not) supported.

    Parameters
    ----------
    syntax : str
        lavaan model syntax (``=~``, ``~`` between factors, ``~~``, labels, fixed values).
    data : pandas.DataFrame
        The model's items as ordinal codes (numbers or ordered categoricals); complete rows.

    Returns
    -------
    OrdinalFit

    Raises
    ------
    ModelSpecError
        Invalid syntax or unknown variables.
    UnsupportedModelError
        Model features the ordinal fit does not estimate (module docstring).
    surveysem.errors.InputError
        Missing values, single-category items, non-numeric unordered columns.

    References
    ----------
    Muthén (1984); Muthén, du Toit & Spisic (1997); Rosseel (2012), lavaan, JSS 48(2).

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.ordinal import fit_dwls, ordinal_estimates
    >>> data = two_factor_data().apply(lambda c: np.digitize(c, [-1.0, 0.0, 1.0]))
    >>> fit = fit_dwls(TWO_FACTOR_MODEL, data)
    >>> fit.converged, fit.n, fit.model.n_free
    (True, 300, 25)
    >>> est = ordinal_estimates(fit)
    >>> est.loc[est.op == "=~", ["lhs", "rhs", "est", "se", "std.all"]].round(3)
      lhs rhs    est     se  std.all
    0   A  a1  1.000  0.000    0.827
    1   A  a2  0.904  0.077    0.748
    2   A  a3  0.821  0.073    0.679
    3   B  b1  1.000  0.000    0.758
    4   B  b2  1.110  0.101    0.842
    5   B  b3  0.754  0.084    0.571
    """
    pt = _check_data(syntax, data)
    moments = ordinal_moments(data, pt.ov_names)
    bad = [(moments.names[i], moments.names[j]) for i, j in moments.pairs]
    bad = [
        pair
        for pair, r in zip(bad, moments.wls_obs[moments.n_thresholds :], strict=True)
        if abs(r) >= 0.999
    ]
    if bad or not np.all(np.isfinite(moments.gamma)):
        raise InputError(
            f"polychoric correlations of {bad} are (nearly) +-1 (e.g. two empty cells of a 2 x 2 "
            "table), so their sampling variance and the DWLS weights cannot be computed; merge "
            "sparse categories or drop one of the items"
        )
    model = _build_model(pt, moments)
    pairs = moments.pairs
    s = moments.wls_obs
    w = 1.0 / np.diag(moments.gamma)
    sw = np.sqrt(w)
    n = moments.n
    if model.n_free - model.n_th > len(pairs):
        raise ModelSpecError(
            f"the model has {model.n_free - model.n_th} structural parameters but only "
            f"{len(pairs)} polychoric correlations; it is not identified"
        )

    def resid(x):
        return sw * (s - _sigma_vec(model, x, pairs))

    def jac(x):
        return -sw[:, None] * _jacobian(model, x, pairs)

    x0 = _start_values(model, moments)
    with np.errstate(all="ignore"):
        res = optimize.least_squares(
            resid, x0, jac=jac, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000
        )
    x = res.x
    # Gauss-Newton polish: the exact DWLS optimum (the thresholds are already exact)
    for _ in range(20):
        j = jac(x)
        r = resid(x)
        grad = j.T @ r
        if np.max(np.abs(grad)) < 1e-12:
            break
        try:
            step = -np.linalg.solve(j.T @ j, grad)
        except np.linalg.LinAlgError:
            break
        f0 = r @ r
        t = 1.0
        while t > 1e-6:
            rn = resid(x + t * step)
            if rn @ rn <= f0:
                x = x + t * step
                break
            t /= 2
        else:
            break
    j = jac(x)
    max_grad = float(np.max(np.abs(2 * j.T @ resid(x))))
    converged = bool(np.isfinite(max_grad) and max_grad < GRAD_TOL)
    message = f"Levenberg-Marquardt: {res.message}; max |gradient of F| = {max_grad:.2e}"

    delta = _jacobian(model, x, pairs)
    vcov = _robust_vcov(delta, w, moments.gamma, n)
    return OrdinalFit(syntax, model, moments, n, x, vcov, converged, message)


def _robust_vcov(delta, w, gamma, n) -> np.ndarray:
    """lavaan robust.sem: E^-1 Delta'W Gamma W Delta E^-1 / (N - 1), E = Delta'W Delta."""
    e = delta.T @ (w[:, None] * delta)
    k = e.shape[0]
    eig = np.linalg.eigvalsh(e)
    if eig.min() <= 1e-10 * eig.max():
        return np.full((k, k), np.nan)
    e_inv = np.linalg.inv(e)
    wd = w[:, None] * delta
    meat = wd.T @ gamma @ wd
    return e_inv @ meat @ e_inv / (n - 1)


# ---------------------------------------------------------------------------------------------
# reporting


def _row_values(fit: OrdinalFit) -> np.ndarray:
    rows = fit.model.rows
    vals = np.array([fit.x[r.free - 1] if r.free else r.value for r in rows], dtype=float)
    sig, _ = _implied(fit.model, fit.x)
    ov_pos = {v: i for i, v in enumerate(fit.model.ov_names)}
    for k, (r, slot) in enumerate(zip(rows, fit.model.slots, strict=True)):
        if r.op == "~~" and slot is None:  # derived residual variance of an item
            i = ov_pos[r.lhs]
            vals[k] = 1.0 - sig[i, i]
    return vals


def ordinal_estimates(fit: OrdinalFit, level: float = 0.95) -> pd.DataFrame:
    """Estimates of an ordinal fit, as lavaan ``parameterEstimates(fit, standardized = TRUE)``.

    Rows in lavaan's order: user rows, thresholds (``x|t1``), residual variances of the items
    (derived, se 0), factor (co)variances, the scale rows ``x ~*~ x`` (1) and the intercepts
    and means ``~1`` (0). ``se`` is the robust (sandwich) SE; ``z = est/se``,
    ``pvalue = 2 (1 - Phi(|z|))``, Wald intervals; fixed and derived rows have se 0 and NaN
    ``z``/``pvalue``. ``std.lv`` scales by factor SDs (C Psi C'), ``std.all`` also by the SDs
    of the latent responses (1 under delta); covariances become (residual) correlations, as
    lavaan's ``cov.std = TRUE``.

    Parameters
    ----------
    fit : OrdinalFit
        Result of :func:`fit_dwls`.
    level : float
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        Columns ``lhs, op, rhs, label, est, se, z, pvalue, ci.lower, ci.upper, std.lv,
        std.all``.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.ordinal import fit_dwls, ordinal_estimates
    >>> data = two_factor_data().apply(lambda c: np.digitize(c, [-1.0, 0.0, 1.0]))
    >>> est = ordinal_estimates(fit_dwls(TWO_FACTOR_MODEL, data))
    >>> est.loc[est.op == "|", ["lhs", "rhs", "est", "se"]].head(3).round(3)
      lhs rhs    est     se
    6  a1  t1 -0.981  0.087
    7  a1  t2  0.067  0.073
    8  a1  t3  0.878  0.084
    """
    model = fit.model
    rows = model.rows
    est = _row_values(fit)
    _, (_, _, _, phi) = _implied(model, fit.x)
    # Items are scaled by the SDs of their latent responses y*, which are 1 under delta.
    sd = dict.fromkeys(model.ov_names, 1.0)
    sd.update(
        {v: np.sqrt(phi[i, i]) if phi[i, i] >= 0 else np.nan for i, v in enumerate(model.lv_names)}
    )
    # Intercepts and factor means are fixed at 0 and reported unscaled, like the thresholds.
    intercept = np.array([r.op == "~1" for r in rows])

    def standardize(level: str) -> np.ndarray:
        return np.where(intercept, est, standardize_rows(rows, est, sd, model.lv_names, level))

    table = SimpleNamespace(partable=model.partable, x=fit.x, vcov=fit.vcov)
    return estimates_table(table, est, standardize("lv"), standardize("all"), level)


def _ug_traces(delta, w, gamma) -> tuple[float, float]:
    """tr(U Gamma) and tr((U Gamma)^2), U = W - W Delta (Delta'W Delta)^-1 Delta'W."""
    wd = w[:, None] * delta
    if delta.shape[1]:
        e_inv = np.linalg.inv(delta.T @ wd)
        u = np.diag(w) - wd @ e_inv @ wd.T
    else:
        u = np.diag(w)
    ug = u @ gamma
    return float(np.trace(ug)), float(np.sum(ug * ug.T))


def _catml(fit: OrdinalFit, delta: np.ndarray, w: np.ndarray) -> dict[str, float]:
    """Savalei (2021) ingredients of the robust CFI/RMSEA (lavaan ``lav_fit_catml_dwls``)."""
    mom = fit.moments
    n, nth = fit.n, fit.model.n_th
    r = mom.cor
    p = r.shape[0]
    nan = {k: np.nan for k in ("xx3", "c3", "xx3_null", "c3_null")}
    if np.linalg.eigvalsh(r).min() < np.sqrt(np.finfo(float).eps):
        return nan
    sig = fit.implied_cor().to_numpy()
    sinv = np.linalg.inv(sig)
    _, logdet_sig = np.linalg.slogdet(sig)
    _, logdet_r = np.linalg.slogdet(r)
    xx3 = n * (logdet_sig + np.trace(r @ sinv) - logdet_r - p)
    ii = np.array([i for i, _ in fit.pairs])
    jj = np.array([j for _, j in fit.pairs])
    # normal-theory ML weight of the correlations at Sigma-hat: a_ik a_jl + a_il a_jk
    v = sinv[np.ix_(ii, ii)] * sinv[np.ix_(jj, jj)] + sinv[np.ix_(ii, jj)] * sinv[np.ix_(jj, ii)]
    e_inv = np.linalg.inv(delta.T @ (w[:, None] * delta))
    d_r = delta[nth:]
    w_r = w[nth:]
    gamma_r = mom.gamma[nth:, nth:]
    u = np.eye(len(w_r)) - d_r @ e_inv @ d_r.T * w_r[None, :]
    df = len(fit.pairs) + nth - fit.model.n_free
    k = float(np.trace(u.T @ v @ u @ gamma_r))
    return {
        "xx3": float(xx3),
        "c3": k / df if df > 0 else np.nan,
        "xx3_null": float(-n * logdet_r),
        "c3_null": float(np.trace(gamma_r)) / len(fit.pairs),
    }


def ordinal_fit_measures(fit: OrdinalFit) -> dict[str, float]:
    """lavaan ``fitMeasures()`` of a WLSMV fit (names as lavaan; formulas: module docstring).

    Returned (all reproduce lavaan 0.6.14): npar, fmin, chisq, df, pvalue, chisq.scaled,
    df.scaled, pvalue.scaled, chisq.scaling.factor, baseline.chisq
    (/df/pvalue and the .scaled versions with their scaling factor), cfi, tli, nnfi, rfi, nfi,
    pnfi, ifi, rni (plain and .scaled), cfi.robust, tli.robust, nnfi.robust, rni.robust,
    rmsea with CI and close/not-close p-values (plain, .scaled and .robust), rmr, rmr_nomean,
    srmr, srmr_bentler, srmr_bentler_nomean, crmr, crmr_nomean, cn_05, cn_01, gfi, agfi, pgfi,
    mfi, wrmr. As lavaan for DWLS: chisq = (N - 1) F, and RMSEA, MFI and CN use N - 1; the
    robust (catML) chi-square uses N.

    Examples
    --------
    >>> import numpy as np
    >>> from surveysem.sem.examples import TWO_FACTOR_MODEL, two_factor_data
    >>> from surveysem.sem.ordinal import fit_dwls, ordinal_fit_measures
    >>> data = two_factor_data().apply(lambda c: np.digitize(c, [-1.0, 0.0, 1.0]))
    >>> fm = ordinal_fit_measures(fit_dwls(TWO_FACTOR_MODEL, data))
    >>> {k: round(fm[k], 3) for k in ("chisq", "df", "chisq.scaled", "cfi.scaled", "rmsea")}
    {'chisq': 3.894, 'df': 8.0, 'chisq.scaled': 7.544, 'cfi.scaled': 1.0, 'rmsea': 0.0}
    """
    n = fit.n
    n1 = n - 1  # lavaan's N for RMSEA/MFI/CN under non-ML estimators
    w = fit.weights
    gamma = fit.moments.gamma
    s = fit.moments.wls_obs
    sigma = fit.implied_vec()
    delta = fit.jacobian()
    nth, npair = fit.model.n_th, len(fit.pairs)
    nel = nth + npair
    k = fit.model.n_free
    df = nel - k
    f = float(np.sum(w * (s - sigma) ** 2))
    x2 = n1 * f  # lavaan: fmin = (N - 1)/N F/2 for WLS-type estimators, chisq = 2 N fmin
    # baseline: thresholds free, correlations 0
    x2b = n1 * float(np.sum(w[nth:] * s[nth:] ** 2))
    dfb = npair
    tr1, tr2 = _ug_traces(delta, w, gamma)
    a = np.sqrt(df / tr2) if df > 0 else np.nan
    shift = df - a * tr1
    x2s = a * x2 + shift
    delta_b = np.zeros((nel, nth))
    delta_b[:nth, :nth] = np.eye(nth)
    tr1b, tr2b = _ug_traces(delta_b, w, gamma)
    ab = np.sqrt(dfb / tr2b)
    x2bs = ab * x2b + (dfb - ab * tr1b)

    cat = _catml(fit, delta, w)
    plain = incremental_indices(x2, df, x2b, dfb)
    scaled = incremental_indices(x2s, df, x2bs, dfb, suffix=".scaled")
    robust = corrected_robust_measures(
        cat["xx3"], cat["c3"], cat["xx3_null"], cat["c3_null"], df, dfb, n1
    )
    # lavaan's order: tests, then CFI/TLI plain, scaled and robust, then the other indices
    tests, scaled_tests = chisq_tests(x2, df, x2b, dfb), chisq_tests(x2s, df, x2bs, dfb)
    out: dict[str, float] = {
        "npar": float(k),
        "fmin": x2 / (2 * n),
        **{key: tests[key] for key in ("chisq", "df", "pvalue")},
        "chisq.scaled": x2s,
        "df.scaled": float(df),
        "pvalue.scaled": scaled_tests["pvalue"],
        "chisq.scaling.factor": 1 / a,
        **{key: tests[key] for key in ("baseline.chisq", "baseline.df", "baseline.pvalue")},
        "baseline.chisq.scaled": x2bs,
        "baseline.df.scaled": float(dfb),
        "baseline.pvalue.scaled": scaled_tests["baseline.pvalue"],
        "baseline.chisq.scaling.factor": 1 / ab,
        "cfi": plain["cfi"],
        "tli": plain["tli"],
        "cfi.scaled": scaled["cfi.scaled"],
        "tli.scaled": scaled["tli.scaled"],
        "cfi.robust": robust["cfi.robust"],
        "tli.robust": robust["tli.robust"],
        **{key: val for key, val in plain.items() if key not in ("cfi", "tli")},
        **{key: val for key, val in scaled.items() if key not in ("cfi.scaled", "tli.scaled")},
        "nnfi.robust": robust["nnfi.robust"],
        "rni.robust": robust["rni.robust"],
    }

    def close(x):
        return rmsea_close(x, df, n1, h0=0.05)

    def notclose(x):
        return rmsea_close(x, df, n1, h0=0.08, close=False)

    ci = rmsea_ci(x2, df, n1)
    ci_s = rmsea_ci(x2s, df, n1)
    out.update(
        {
            "rmsea": rmsea(x2, df, n1),
            "rmsea.ci.lower": ci[0],
            "rmsea.ci.upper": ci[1],
            "rmsea.ci.level": 0.90,
            "rmsea.pvalue": close(x2),
            "rmsea.close.h0": 0.05,
            "rmsea.notclose.pvalue": notclose(x2),
            "rmsea.notclose.h0": 0.08,
            "rmsea.scaled": rmsea(x2s, df, n1),
            "rmsea.ci.lower.scaled": ci_s[0],
            "rmsea.ci.upper.scaled": ci_s[1],
            "rmsea.pvalue.scaled": close(x2s),
            "rmsea.notclose.pvalue.scaled": notclose(x2s),
            **{key: value for key, value in robust.items() if key.startswith("rmsea")},
        }
    )
    # residual-based: residuals of the correlations (thresholds are fitted exactly)
    ss = float(np.sum((s[nth:] - sigma[nth:]) ** 2))
    p = len(fit.model.ov_names)
    srmr_nomean = np.sqrt(ss / (npair + p))
    srmr = np.sqrt(ss / (npair + p + nth))
    out.update(
        {
            "rmr": srmr,
            "rmr_nomean": srmr_nomean,
            "srmr": srmr_nomean,
            "srmr_bentler": srmr,
            "srmr_bentler_nomean": srmr_nomean,
            "crmr": np.sqrt(ss / (npair + nth)),
            "crmr_nomean": np.sqrt(ss / npair),
        }
    )
    out.update(hoelter_cn(x2, df, n1))
    out.update(gfi_measures(1 - f / float(np.sum(w * s**2)), df, nel))
    out.update({"mfi": float(np.exp(-0.5 * (x2 - df) / n1)), "wrmr": float(np.sqrt(x2 / nel))})
    return {key: float(val) for key, val in out.items()}
