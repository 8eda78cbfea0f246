"""Assemble one synthetic survey: frame -> PPS sample -> answers -> fieldwork -> faults.

``generate`` is a pure function of its arguments: every random draw comes from
``numpy.random.default_rng`` streams spawned from ``seed`` (sample, answers, fieldwork, PII,
faults - independent, so changing e.g. the fault rates does not change the answers) and, for
the population frame, from ``frame_seed`` (shared by all studies, so several waves are samples
of the same population).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import fieldwork as fw
from .faults import FaultRates, apply_cell_faults, make_duplicate_answers
from .frame import FRAME_SIZE, build_frame, draw_sample, stratum_table
from .instrument import CONSTRUCTS, ITEMS, item_names
from .pii import PII_COLUMNS, fake_contacts
from .population_model import DEFAULT_MODEL, PopulationModel

__all__ = [
    "DEFAULT_FRAME_SEED",
    "DEFAULT_N",
    "DEFAULT_SEED",
    "DEFAULT_STUDY",
    "FIRM_COLUMNS",
    "RAW_COLUMNS",
    "SyntheticSurvey",
    "generate",
]

DEFAULT_STUDY = "cai2009"
DEFAULT_SEED = 20090401
DEFAULT_N = 420
DEFAULT_FRAME_SEED = 143000
FIRST_RESP_ID = 1001

FIRM_COLUMNS: tuple[str, ...] = (
    "resp_id",
    "firm_id",
    "submitted_on",
    "wave",
    "respondent_role",
    *PII_COLUMNS,
    "province",
    "region",
    "industry",
    "ownership",
    "employees",
    "revenue_mrmb",
    "incl_prob",
    "design_weight",
)
RAW_COLUMNS: tuple[str, ...] = (*FIRM_COLUMNS, *item_names())

#: Answer given by straight-liners (they favour the agreeing half of the scale).
_STRAIGHT_VALUES = (4, 5, 6, 7)
_STRAIGHT_PROBS = (0.15, 0.35, 0.30, 0.20)


@dataclass(frozen=True, eq=False)
class SyntheticSurvey:
    """A generated survey.

    ``raw`` is the raw file as a DataFrame (columns ``RAW_COLUMNS``; items nullable Int64 with
    faults in place); ``manifest`` the JSON-ready ground truth; ``latent`` the true latent
    scores of each sampled firm (index firm_id, columns CO..FP) - for tests only.
    """

    study: str
    raw: pd.DataFrame
    manifest: dict
    latent: pd.DataFrame


def generate(
    study: str = DEFAULT_STUDY,
    seed: int = DEFAULT_SEED,
    n: int = DEFAULT_N,
    *,
    frame_seed: int = DEFAULT_FRAME_SEED,
    rates: FaultRates | None = None,
    model: PopulationModel = DEFAULT_MODEL,
    fieldwork_start: dt.date = fw.DEFAULT_START,
) -> SyntheticSurvey:
    """Generate ``n`` raw rows (first submissions + duplicate submissions) for ``study``."""
    rates = FaultRates() if rates is None else rates
    if n < 60:
        raise ValueError(f"n={n} is too small: the design needs at least 2 firms per province")
    rng_sample, rng_answers, rng_fieldwork, rng_pii, rng_faults = (
        np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(5)
    )
    items = item_names()
    k = len(items)

    # --- firms: PPS sample, true answers, fieldwork, contacts -----------------------------
    n_dup = int(round(rates.duplicate * n))
    m = n - n_dup
    frame = build_frame(frame_seed)
    firms = draw_sample(frame, m, rng_sample)
    eta, cont = model.simulate_continuous(m, rng_answers)
    keyed = model.discretize(cont)
    answers = keyed.astype(float)
    reverse = np.array([it.reverse_keyed for it in ITEMS])
    answers[:, reverse] = 8 - answers[:, reverse]
    paradata = fw.fieldwork(m, rng_fieldwork)
    contacts = fake_contacts(m, rng_pii)
    firms = pd.concat([firms, paradata, contacts], axis=1)
    latent = pd.DataFrame(eta, columns=list(CONSTRUCTS), index=firms["firm_id"].to_numpy())

    # --- straight-liners (first submissions only) ----------------------------------------
    n_sl = int(round(rates.straight_liner * m))
    sl_idx = np.sort(rng_faults.choice(m, size=n_sl, replace=False))
    sl_val = rng_faults.choice(np.array(_STRAIGHT_VALUES), size=n_sl, p=_STRAIGHT_PROBS)
    answers[sl_idx, :] = sl_val[:, None]

    # --- duplicate submissions -----------------------------------------------------------
    pool = np.setdiff1d(np.flatnonzero(firms["day"].to_numpy() <= fw.FIELDWORK_DAYS - 2), sl_idx)
    if n_dup > len(pool):
        raise ValueError(f"cannot draw {n_dup} duplicates from {len(pool)} eligible firms")
    dup_idx = np.sort(rng_faults.choice(pool, size=n_dup, replace=False))
    dup_days, dup_answers, dup_info = [], [], []
    day = firms["day"].to_numpy()
    for i in dup_idx:
        new, changed, blanks = make_duplicate_answers(answers[i], rates, rng_faults)
        delay = 1 + int(np.floor(rng_faults.exponential(6.0)))
        dup_days.append(min(int(day[i]) + delay, fw.FIELDWORK_DAYS - 1))
        dup_answers.append(new)
        dup_info.append(
            {
                "firm_id": firms["firm_id"].iat[i],
                "changed_columns": [items[c] for c in changed],
                "extra_blank_columns": [items[c] for c in blanks],
            }
        )
    dups = firms.iloc[dup_idx].copy()
    dups["day"] = np.array(dup_days, dtype=np.int64)
    rows = pd.concat([firms, dups], ignore_index=True)
    all_answers = np.vstack([answers, *dup_answers]) if n_dup else answers
    is_dup = np.r_[np.zeros(m, bool), np.ones(n_dup, bool)]
    is_sl = np.zeros(m + n_dup, bool)
    is_sl[sl_idx] = True

    # --- submission order defines resp_id ------------------------------------------------
    tiebreak = rng_faults.permutation(len(rows))
    order = np.lexsort((tiebreak, rows["day"].to_numpy()))
    rows = rows.iloc[order].reset_index(drop=True)
    all_answers = all_answers[order]
    is_dup, is_sl = is_dup[order], is_sl[order]
    rows["resp_id"] = np.arange(FIRST_RESP_ID, FIRST_RESP_ID + len(rows), dtype=np.int64)
    rows["submitted_on"] = fw.to_date(rows["day"].to_numpy(), fieldwork_start)
    rows["wave"] = fw.wave_of(rows["day"].to_numpy())

    # --- cell faults ---------------------------------------------------------------------
    fp_cols = np.array([c.startswith("fp") for c in items])
    cells = apply_cell_faults(
        all_answers, ~is_sl, fp_cols, rows["ownership"].to_numpy(), rates, rng_faults
    )

    raw = rows.loc[:, list(FIRM_COLUMNS)].copy()
    for j, name in enumerate(items):
        raw[name] = pd.array(
            [pd.NA if np.isnan(v) else int(v) for v in all_answers[:, j]], dtype="Int64"
        )

    # --- ground truth ----------------------------------------------------------------------
    rid = raw["resp_id"].to_numpy()
    first_of = {}
    second_of = {}
    for r, f, d in zip(rid, raw["firm_id"], is_dup, strict=True):
        (second_of if d else first_of)[f] = int(r)
    duplicates = []
    for info in sorted(dup_info, key=lambda x: first_of[x["firm_id"]]):
        f = info["firm_id"]
        duplicates.append(
            {
                "firm_id": f,
                "first_resp_id": first_of[f],
                "second_resp_id": second_of[f],
                **{kk: v for kk, v in info.items() if kk != "firm_id"},
            }
        )
    straight = [
        {"resp_id": int(r), "value": int(all_answers[i, 0])} for i, r in enumerate(rid) if is_sl[i]
    ]
    faults = {
        "duplicates": duplicates,
        "straight_liners": straight,
        "out_of_range": [
            {"resp_id": int(rid[r]), "column": items[c], "value": v}
            for r, c, v in cells.out_of_range
        ],
        "missing_code": [
            {"resp_id": int(rid[r]), "column": items[c], "value": -99}
            for r, c in cells.missing_code
        ],
        "blank": [{"resp_id": int(rid[r]), "column": items[c]} for r, c in cells.blank],
        "pii_columns": list(PII_COLUMNS),
    }
    n_item_cells = len(raw) * k
    counts = {
        "rows": len(raw),
        "firms": m,
        "duplicate_submissions": len(duplicates),
        "straight_liners": len(straight),
        "out_of_range_cells": len(faults["out_of_range"]),
        "missing_code_cells": len(faults["missing_code"]),
        "blank_cells": len(faults["blank"]),
        "item_cells": n_item_cells,
        "blank_cell_rate": round(len(faults["blank"]) / n_item_cells, 6),
        "blank_cell_rate_fp_by_ownership": _fp_blank_rates(raw),
        "complete_item_rows": int(
            (raw[items].notna() & raw[items].isin(range(1, 8))).all(axis=1).sum()
        ),
    }
    manifest = {
        "study": study,
        "note": "Ground truth of the SYNTHETIC survey: what the generator injected. For tests "
        "only - the analysis pipeline must never read this file.",
        "generator": "surveysem.synthetic",
        "seed": int(seed),
        "frame_seed": int(frame_seed),
        "n": int(n),
        "fieldwork": {
            "start": fieldwork_start.isoformat(),
            "days": fw.FIELDWORK_DAYS,
            "reminder_day": fw.REMINDER_DAY,
            "wave_rule": "early if submitted before the reminder day, late otherwise",
        },
        "population_model": model.describe(),
        "sampling_design": {
            "frame_size": FRAME_SIZE,
            "frame_rule": "manufacturing firms with annual revenue above 5 million RMB",
            "strata": "province",
            "allocation": "proportional to stratum revenue total, at least 2 firms per stratum",
            "selection": "systematic PPS by revenue within stratum; certainty units pi=1",
            "inclusion_probability": "pi_i = n_h * revenue_i / sum_h revenue (iterated caps)",
            "design_weight": "1 / pi_i",
            "strata_table": stratum_table(frame, firms),
        },
        "fault_rates": rates.describe(),
        "counts": counts,
        "faults": faults,
    }
    return SyntheticSurvey(study=study, raw=raw, manifest=manifest, latent=latent)


def _fp_blank_rates(raw: pd.DataFrame) -> dict[str, float]:
    fp = [c for c in raw.columns if c.startswith("fp")]
    out = {}
    for own, grp in raw.groupby("ownership", sort=True):
        out[str(own)] = round(float(grp[fp].isna().to_numpy().mean()), 6)
    return out
