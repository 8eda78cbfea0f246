"""Fake respondent contact details (the PII columns of the raw file).

Real survey exports carry the respondent's name, e-mail and phone; the pipeline must drop them
before anything is written to results/. To make that testable the synthetic file carries PII
columns that *look* realistic but are obviously fake and unique per respondent:

* ``resp_name``  e.g. ``"Wang Fang (fake-0137)"`` - pinyin name plus a fake-marker and number;
* ``resp_email`` e.g. ``"wang.fang.0137@example.com"`` - the reserved example.com domain;
* ``resp_phone`` e.g. ``"+86 555 0100 0137"`` - a 555 prefix that no Chinese mobile uses.

The number is the respondent's sequence number, so every string is unique within a file and a
test can scan pipeline outputs for any of them. A duplicate submission by the same respondent
repeats that respondent's strings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["PII_COLUMNS", "fake_contacts"]

PII_COLUMNS: tuple[str, ...] = ("resp_name", "resp_email", "resp_phone")

_SURNAMES = (
    "Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
    "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Gao", "Lin", "Luo",
)  # fmt: skip
_GIVEN = (
    "Wei", "Fang", "Min", "Jing", "Lei", "Jun", "Yan", "Yong", "Jie", "Tao",
    "Ming", "Chao", "Xiu", "Hua", "Ping", "Gang", "Hui", "Li", "Qiang", "Ning",
)  # fmt: skip


def fake_contacts(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n rows of unique, obviously fake (name, e-mail, phone) triples."""
    width = max(4, len(str(n)))
    surnames = rng.choice(np.array(_SURNAMES), size=n)
    given = rng.choice(np.array(_GIVEN), size=n)
    seq = [f"{k:0{width}d}" for k in range(1, n + 1)]
    return pd.DataFrame(
        {
            "resp_name": [
                f"{s} {g} (fake-{k})" for s, g, k in zip(surnames, given, seq, strict=True)
            ],
            "resp_email": [
                f"{s.lower()}.{g.lower()}.{k}@example.com"
                for s, g, k in zip(surnames, given, seq, strict=True)
            ],
            "resp_phone": [f"+86 555 0100 {k}" for k in seq],
        }
    )
