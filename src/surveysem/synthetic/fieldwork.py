"""Fieldwork paradata: who answered (respondent role) and when (submission date, wave).

Assumption: a 16-week fieldwork period (default start 2006-09-04; the real dates of Cai's survey
are not published). Questionnaires went to a senior manager of each sampled firm; a reminder was
sent after 6 weeks. ``wave`` is ``"early"`` for submissions before the reminder and ``"late"``
after it, the usual split for an Armstrong-Overton style non-response-bias check (late
respondents as a proxy for non-respondents). In the synthetic population the late and early
respondents do not differ, so such a check should find no bias.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

__all__ = ["FIELDWORK_DAYS", "REMINDER_DAY", "ROLES", "fieldwork", "wave_of"]

FIELDWORK_DAYS = 112
REMINDER_DAY = 42
DEFAULT_START = dt.date(2006, 9, 4)

ROLES: tuple[str, ...] = (
    "general manager",
    "marketing manager",
    "quality manager",
    "production manager",
    "sales manager",
)
_ROLE_PROBS = (0.34, 0.20, 0.20, 0.16, 0.10)
_SHARE_EARLY = 0.65


def wave_of(day: np.ndarray) -> np.ndarray:
    """'early' for fieldwork days before the reminder, 'late' from the reminder day on."""
    return np.where(np.asarray(day) < REMINDER_DAY, "early", "late")


def fieldwork(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Respondent role and fieldwork day (0-based, < FIELDWORK_DAYS) for n firms.

    Returns are front-loaded after the mailing and after the reminder (exponential decay).
    """
    role = rng.choice(np.array(ROLES), size=n, p=_ROLE_PROBS)
    early = rng.uniform(size=n) < _SHARE_EARLY
    u = rng.uniform(size=n)
    length = np.where(early, REMINDER_DAY, FIELDWORK_DAYS - REMINDER_DAY)
    # exponential(scale 12 days) truncated to the length of the period (inverse CDF)
    gap = np.floor(-12.0 * np.log1p(-u * (1.0 - np.exp(-length / 12.0)))).astype(np.int64)
    day = np.where(early, 0, REMINDER_DAY) + np.minimum(gap, length - 1)
    return pd.DataFrame({"respondent_role": role.astype(str), "day": day})


def to_date(day: np.ndarray, start: dt.date = DEFAULT_START) -> list[str]:
    """ISO dates (YYYY-MM-DD) of fieldwork days counted from ``start``."""
    return [(start + dt.timedelta(days=int(d))).isoformat() for d in day]
