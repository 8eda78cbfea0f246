"""Population model of the synthetic survey: a standardized recursive SEM plus ordinal items.

Assumption (documented in data/README.md): the synthetic respondents are drawn from a population
in which Cai's (2009) hypothesized chain holds with these standardized path coefficients

    CO -> CRP .60,  CRP -> PP .50,  CRP -> CS .40,  PP -> FP .35,  CS -> FP .40

plus two deliberate departures from the hypothesized model, so that fitting the hypothesized
model to the data gives realistic (not perfect) fit:

    PP -> CS .20                       (an unhypothesized structural path)
    crp4 also loads .20 on CS          (a cross-loading)

All latent variables and all continuous item responses have variance 1 in the population:
structural disturbance variances and item residual variances are *derived* from the coefficients
(``1 - explained variance``), not chosen. Standardized loadings lie between .65 and .85.

The continuous item responses are cut into seven ordered categories with thresholds taken from
fixed category probabilities that are skewed toward agreement / "better than competitors", the
usual pattern of self-reports by managers. Reverse-worded items are generated on the construct
scale and then stored as the respondent would have answered, i.e. reversed (8 - x).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import stats

from .instrument import CONSTRUCTS, ITEMS, item_names

__all__ = ["CATEGORY_PROBABILITIES", "DEFAULT_MODEL", "PopulationModel"]

#: Population proportions of the seven categories per response format (sum to 1). The mode is
#: 5-6 ("somewhat agree"/"agree", "somewhat better"/"better"): the agreement skew of self-reports.
CATEGORY_PROBABILITIES: dict[str, tuple[float, ...]] = {
    "agreement": (0.02, 0.04, 0.08, 0.16, 0.28, 0.27, 0.15),
    "comparison": (0.01, 0.03, 0.08, 0.22, 0.30, 0.24, 0.12),
}


def _default_paths() -> dict[tuple[str, str], float]:
    return {
        ("CO", "CRP"): 0.60,
        ("CRP", "PP"): 0.50,
        ("CRP", "CS"): 0.40,
        ("PP", "FP"): 0.35,
        ("CS", "FP"): 0.40,
    }


def _default_departures() -> dict[tuple[str, str], float]:
    return {("PP", "CS"): 0.20}


def _default_loadings() -> dict[str, float]:
    return {
        "co1": 0.78,
        "co2": 0.82,
        "co3": 0.75,
        "co4": 0.65,
        "co5": 0.70,
        "crp1": 0.80,
        "crp2": 0.77,
        "crp3": 0.73,
        "crp4": 0.68,
        "crp5": 0.66,
        "pp1": 0.76,
        "pp2": 0.80,
        "pp3": 0.74,
        "pp4": 0.67,
        "cs1": 0.85,
        "cs2": 0.80,
        "cs3": 0.75,
        "fp1": 0.84,
        "fp2": 0.81,
        "fp3": 0.79,
        "fp4": 0.70,
    }


def _default_cross_loadings() -> dict[tuple[str, str], float]:
    return {("crp4", "CS"): 0.20}


@dataclass(frozen=True)
class PopulationModel:
    """Standardized population SEM and its ordinal measurement model.

    ``paths`` are the hypothesized structural paths (cause, effect) -> coefficient;
    ``departures`` are extra structural paths not in the hypothesized model; ``loadings`` are the
    primary loadings of each item on its own construct; ``cross_loadings`` map (item, construct)
    to an additional loading. Everything else (disturbance and residual variances, implied
    correlations, thresholds) is derived so that the population is standardized.
    """

    paths: dict[tuple[str, str], float] = field(default_factory=_default_paths)
    departures: dict[tuple[str, str], float] = field(default_factory=_default_departures)
    loadings: dict[str, float] = field(default_factory=_default_loadings)
    cross_loadings: dict[tuple[str, str], float] = field(default_factory=_default_cross_loadings)
    category_probabilities: dict[str, tuple[float, ...]] = field(
        default_factory=lambda: dict(CATEGORY_PROBABILITIES)
    )

    # ------------------------------------------------------------------ structural part
    @cached_property
    def beta(self) -> np.ndarray:
        """B with B[effect, cause] = coefficient (all structural paths, incl. departures)."""
        idx = {c: i for i, c in enumerate(CONSTRUCTS)}
        b = np.zeros((len(CONSTRUCTS), len(CONSTRUCTS)))
        for (cause, effect), coef in {**self.paths, **self.departures}.items():
            if idx[cause] >= idx[effect]:
                raise ValueError(f"path {cause}->{effect} is not recursive in {CONSTRUCTS}")
            b[idx[effect], idx[cause]] = coef
        return b

    @cached_property
    def disturbance_variances(self) -> np.ndarray:
        """psi_j = 1 - R^2_j, so that every latent variable has unit variance.

        Solved in causal order: var(eta_j) = b_j' Sigma b_j + psi_j with Sigma the (already
        standardized) covariance of the causes.
        """
        k = len(CONSTRUCTS)
        sigma = np.eye(k)
        psi = np.ones(k)
        for j in range(k):
            b = self.beta[j, :j]
            if not b.any():
                continue
            explained = float(b @ sigma[:j, :j] @ b)
            if explained >= 1:
                raise ValueError(f"paths into {CONSTRUCTS[j]} explain >= 100% of its variance")
            psi[j] = 1.0 - explained
            cov = sigma[:j, :j] @ b
            sigma[j, :j] = cov
            sigma[:j, j] = cov
        return psi

    @cached_property
    def latent_correlation(self) -> np.ndarray:
        """Model-implied covariance (= correlation) matrix of the five latent variables."""
        inv = np.linalg.inv(np.eye(len(CONSTRUCTS)) - self.beta)
        return inv @ np.diag(self.disturbance_variances) @ inv.T

    # ---------------------------------------------------------------- measurement part
    @cached_property
    def lambda_matrix(self) -> np.ndarray:
        """21 x 5 loading matrix (primary loadings and cross-loadings)."""
        idx = {c: i for i, c in enumerate(CONSTRUCTS)}
        names = item_names()
        lam = np.zeros((len(names), len(CONSTRUCTS)))
        for i, item in enumerate(ITEMS):
            lam[i, idx[item.construct]] = self.loadings[item.name]
        for (name, construct), value in self.cross_loadings.items():
            lam[names.index(name), idx[construct]] = value
        return lam

    @cached_property
    def residual_variances(self) -> np.ndarray:
        """theta_i = 1 - lambda_i' Phi lambda_i, so that every continuous item has variance 1."""
        lam = self.lambda_matrix
        common = np.einsum("ij,jk,ik->i", lam, self.latent_correlation, lam)
        if (common >= 1).any():
            raise ValueError("loadings imply an item variance above 1")
        return 1.0 - common

    @cached_property
    def item_correlation(self) -> np.ndarray:
        """Model-implied correlation matrix of the 21 continuous (pre-discretization) items."""
        lam = self.lambda_matrix
        return lam @ self.latent_correlation @ lam.T + np.diag(self.residual_variances)

    def thresholds(self, scale: str) -> np.ndarray:
        """Six standard-normal thresholds reproducing ``category_probabilities[scale]``."""
        probs = np.asarray(self.category_probabilities[scale], dtype=float)
        return stats.norm.ppf(np.cumsum(probs)[:-1])

    # ---------------------------------------------------------------------- simulation
    def simulate_latent(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n x 5 latent scores: eta = (I - B)^-1 zeta with zeta ~ N(0, diag(psi))."""
        zeta = rng.standard_normal((n, len(CONSTRUCTS))) * np.sqrt(self.disturbance_variances)
        inv = np.linalg.inv(np.eye(len(CONSTRUCTS)) - self.beta)
        return zeta @ inv.T

    def simulate_continuous(self, n: int, rng: np.random.Generator):
        """Latent scores (n x 5) and continuous item responses x* = Lambda eta + eps (n x 21)."""
        eta = self.simulate_latent(n, rng)
        eps = rng.standard_normal((n, len(ITEMS))) * np.sqrt(self.residual_variances)
        return eta, eta @ self.lambda_matrix.T + eps

    def discretize(self, continuous: np.ndarray) -> np.ndarray:
        """Cut continuous responses into categories 1..7 (construct-keyed, not yet reversed)."""
        out = np.empty(continuous.shape, dtype=np.int64)
        for i, item in enumerate(ITEMS):
            out[:, i] = 1 + np.searchsorted(self.thresholds(item.scale), continuous[:, i])
        return out

    def simulate_items(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """n answered questionnaires as they appear in the raw file (reverse items reversed).

        Returns an int64 DataFrame with one column per item, values 1..7, no faults.
        """
        _, cont = self.simulate_continuous(n, rng)
        keyed = self.discretize(cont)
        for i, item in enumerate(ITEMS):
            if item.reverse_keyed:
                keyed[:, i] = 8 - keyed[:, i]
        return pd.DataFrame(keyed, columns=item_names())

    # ------------------------------------------------------------------------ reporting
    def describe(self) -> dict:
        """JSON-ready summary of every population parameter (for the manifest and README)."""
        corr = self.latent_correlation

        def r(x: float) -> float:
            return round(float(x), 6)

        return {
            "scale": "standardized: every latent variable and continuous item has variance 1",
            "structural_paths": {f"{a}->{b}": v for (a, b), v in self.paths.items()},
            "departures_from_hypothesized_model": {
                "structural_paths": {f"{a}->{b}": v for (a, b), v in self.departures.items()},
                "cross_loadings": {f"{c}=~{i}": v for (i, c), v in self.cross_loadings.items()},
            },
            "loadings": {
                it.name: {"construct": it.construct, "loading": self.loadings[it.name]}
                for it in ITEMS
            },
            "disturbance_variances": {
                c: r(v) for c, v in zip(CONSTRUCTS, self.disturbance_variances, strict=True)
            },
            "residual_variances": {
                it.name: r(v) for it, v in zip(ITEMS, self.residual_variances, strict=True)
            },
            "implied_latent_correlations": {
                f"{a}~~{b}": r(corr[i, j])
                for i, a in enumerate(CONSTRUCTS)
                for j, b in enumerate(CONSTRUCTS)
                if i < j
            },
            "category_probabilities": {k: list(v) for k, v in self.category_probabilities.items()},
            "thresholds": {
                k: [r(t) for t in self.thresholds(k)] for k in self.category_probabilities
            },
            "reverse_keyed_items": [it.name for it in ITEMS if it.reverse_keyed],
            "reverse_keyed_storage": "raw value = 8 - construct-keyed value",
        }


DEFAULT_MODEL = PopulationModel()
