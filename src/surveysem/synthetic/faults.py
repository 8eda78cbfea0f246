"""Data problems injected into the synthetic raw file, at known rates, with a ground truth.

A real survey export is never clean. The generator injects the following faults so that the
cleaning stage of the pipeline has something real to do and can be tested against the truth
(the manifest, data/synthetic/<study>_manifest.json, which the pipeline never reads):

* duplicate submissions - a firm submits a second time (new resp_id, later date, same
  respondent); about ``duplicate_changed`` of the answers differ by one category and
  ``duplicate_extra_blanks`` additional items are left blank;
* straight-liners - the same answer on all 21 items (including the reverse-worded ones);
* item non-response - blank cells. The probability of a blank is ``nonresponse`` per item
  (MCAR across items) times a respondent propensity ~ Gamma(mean 1), so blanks cluster in
  respondents as they do in real surveys; for the financial items (fp1-fp4) the base
  probability depends on ownership (``nonresponse_fp``: state-owned firms skip them most),
  i.e. those blanks are missing at random given ownership;
* the declared missing code -99 (``missing_code`` of the answered cells);
* out-of-range codes 0, 8 or 99 (``out_of_range`` of the answered cells; keying errors).

Straight-liner rows receive no cell faults so that "same answer on all 21 items" stays exact.
PII columns (fake, see ``pii``) are not a fault that can be undone but are listed too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

__all__ = ["CellFaults", "FaultRates", "apply_cell_faults", "make_duplicate_answers"]


def _default_fp_rates() -> dict[str, float]:
    return {"state-owned": 0.12, "private": 0.05, "foreign-invested": 0.04, "collective": 0.06}


@dataclass(frozen=True)
class FaultRates:
    """Rates of the injected faults (see module docstring). ``FaultRates.none()`` = clean data."""

    duplicate: float = 0.03
    straight_liner: float = 0.02
    nonresponse: float = 0.02
    nonresponse_fp: dict[str, float] = field(default_factory=_default_fp_rates)
    nonresponse_propensity_shape: float = 0.4
    missing_code: float = 0.004
    out_of_range: float = 0.002
    out_of_range_codes: tuple[int, ...] = (0, 8, 99)
    duplicate_changed: float = 0.25
    duplicate_extra_blanks: tuple[int, int] = (2, 5)

    @classmethod
    def none(cls) -> FaultRates:
        """No faults at all: every row a distinct firm, every cell a valid answer."""
        return cls(
            duplicate=0.0,
            straight_liner=0.0,
            nonresponse=0.0,
            nonresponse_fp=dict.fromkeys(_default_fp_rates(), 0.0),
            missing_code=0.0,
            out_of_range=0.0,
        )

    def describe(self) -> dict:
        """JSON-ready copy of the rates, with a one-line meaning for each."""
        d = asdict(self)
        d["out_of_range_codes"] = list(self.out_of_range_codes)
        d["duplicate_extra_blanks"] = list(self.duplicate_extra_blanks)
        d["meaning"] = {
            "duplicate": "second submissions as a share of all raw rows",
            "straight_liner": "share of first submissions answering all 21 items identically",
            "nonresponse": "base probability of a blank item cell (items other than fp1-fp4)",
            "nonresponse_fp": "base probability of a blank fp1-fp4 cell, by ownership",
            "nonresponse_propensity_shape": "Gamma shape of the respondent propensity (mean 1)"
            " multiplying the base probabilities; small = blanks cluster in few respondents",
            "missing_code": "share of the remaining answered item cells recoded to -99",
            "out_of_range": "share of the remaining answered item cells set to 0, 8 or 99",
            "duplicate_changed": "share of answers in a second submission moved by one category",
            "duplicate_extra_blanks": "range of extra blank items in a second submission",
        }
        return d


def make_duplicate_answers(
    answers: np.ndarray, rates: FaultRates, rng: np.random.Generator
) -> tuple[np.ndarray, list[int], list[int]]:
    """A second submission's answers from the first one (1-D array of 1..7).

    Returns the new answers (float, NaN = blank), the indices of changed answers and the
    indices of the extra blanks - both relative to the first submission *before* the cell
    faults (blanks, -99, out-of-range codes), which later hit either submission independently.
    """
    new = answers.astype(float).copy()
    k = len(new)
    changed = np.flatnonzero(rng.uniform(size=k) < rates.duplicate_changed)
    step = rng.choice(np.array([-1, 1]), size=len(changed))
    for i, s in zip(changed, step, strict=True):
        v = new[i] + s
        if v < 1 or v > 7:
            v = new[i] - s
        new[i] = v
    lo, hi = rates.duplicate_extra_blanks
    n_blank = int(rng.integers(lo, hi + 1))
    blanks = np.sort(rng.choice(k, size=n_blank, replace=False))
    new[blanks] = np.nan
    return new, [int(i) for i in changed if i not in set(blanks)], [int(i) for i in blanks]


@dataclass
class CellFaults:
    """Cell-level faults applied by ``apply_cell_faults`` as (row, column-index[, value])."""

    blank: list[tuple[int, int]]
    missing_code: list[tuple[int, int]]
    out_of_range: list[tuple[int, int, int]]


def apply_cell_faults(
    answers: np.ndarray,
    eligible: np.ndarray,
    fp_columns: np.ndarray,
    ownership: np.ndarray,
    rates: FaultRates,
    rng: np.random.Generator,
) -> CellFaults:
    """Blank, -99 and out-of-range cells, applied in place to ``answers`` (float, NaN = blank).

    ``eligible`` marks rows that may receive faults (not straight-liners); ``fp_columns`` marks
    the financial items whose non-response depends on ``ownership``. Already blank cells (extra
    blanks of duplicates) stay blank; -99 and out-of-range codes replace answered cells only.
    """
    n, k = answers.shape
    base = np.full((n, k), rates.nonresponse)
    fp_rate = np.array([rates.nonresponse_fp.get(o, rates.nonresponse) for o in ownership])
    base[:, fp_columns] = fp_rate[:, None]
    shape = rates.nonresponse_propensity_shape
    propensity = rng.gamma(shape, 1.0 / shape, size=n)
    prob = np.minimum(base * propensity[:, None], 0.9)
    new_blank = (rng.uniform(size=(n, k)) < prob) & eligible[:, None]
    answers[new_blank] = np.nan

    answered = np.flatnonzero((~np.isnan(answers) & eligible[:, None]).ravel())
    n_code = int(round(rates.missing_code * len(answered)))
    code_cells = rng.choice(answered, size=n_code, replace=False) if n_code else np.array([], int)
    answers[np.divmod(code_cells, k)] = -99
    rest = np.setdiff1d(answered, code_cells)
    n_oor = int(round(rates.out_of_range * len(answered)))
    oor_cells = rng.choice(rest, size=n_oor, replace=False) if n_oor else np.array([], int)
    oor_values = rng.choice(np.array(rates.out_of_range_codes), size=n_oor)
    answers[np.divmod(oor_cells, k)] = oor_values

    blank_rc = np.argwhere(np.isnan(answers))
    return CellFaults(
        blank=[(int(r), int(c)) for r, c in blank_rc],
        missing_code=sorted((int(c // k), int(c % k)) for c in code_cells),
        out_of_range=sorted(
            (int(c // k), int(c % k), int(v)) for c, v in zip(oor_cells, oor_values, strict=True)
        ),
    )
