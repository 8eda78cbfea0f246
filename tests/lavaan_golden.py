"""Shared helpers of the lavaan parity tests: golden files, their models, comparisons.

The golden files in tests/golden/lavaan were made by R lavaan 0.6.14 (make_golden.R and the
make_*_golden.R scripts next to the files). The tests import these plain functions with
``from lavaan_golden import ...``; pytest puts tests/ on sys.path (rootdir conftest, no
``__init__.py``).
"""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN = Path(__file__).parent / "golden" / "lavaan"

# The HolzingerSwineford1939 three-factor CFA of make_golden.R.
HS_MODEL = """
visual  =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed   =~ x7 + x8 + x9
"""
HS_ITEMS = [f"x{i}" for i in range(1, 10)]

# The PoliticalDemocracy SEM of make_golden.R; {a}, {b} and {c} stand for the labels of its
# structural paths ("a*" ... or "" for none), PD_DEFINED for its ':=' lines.
PD_TEMPLATE = """
  ind60 =~ x1 + x2 + x3
  dem60 =~ y1 + y2 + y3 + y4
  dem65 =~ y5 + y6 + y7 + y8
  dem60 ~ {a}ind60
  dem65 ~ {c}ind60 + {b}dem60
  y1 ~~ y5
  y2 ~~ y4 + y6
  y3 ~~ y7
  y4 ~~ y8
  y6 ~~ y8
"""
PD_INDIRECT = "  indirect := a*b\n"
PD_DEFINED = PD_INDIRECT + "  total := c + a*b\n"
PD_MODEL = PD_TEMPLATE.format(a="a*", b="b*", c="c*") + PD_DEFINED

# Parameter rows are keyed by (lhs, op, rhs), multi-group ones also by block and group.
KEY = ["lhs", "op", "rhs"]
# The columns of surveysem's parameter_estimates (lavaan's parameterEstimates + standardized).
PE_COLUMNS = [*KEY, "label", "est", "se", "z", "pvalue", "ci.lower", "ci.upper"]
PE_COLUMNS += ["std.lv", "std.all"]
# Compared with an absolute tolerance; pvalue and z have their own rules.
PARAM_COLS = ["est", "se", "ci.lower", "ci.upper", "std.lv", "std.all"]
# The usual fit-measure rule: 5e-4 absolute, chi-square 1e-3 relative.
CHISQ_RELATIVE = {"chisq": 1e-3}


# --------------------------------------------------------------------------------------------
# reading golden files


def read_golden(filename: str, **read_csv_kwargs) -> pd.DataFrame:
    """A CSV file of tests/golden/lavaan, read by ``pd.read_csv``."""
    return pd.read_csv(GOLDEN / filename, **read_csv_kwargs)


def read_hs_data() -> pd.DataFrame:
    """lavaan's HolzingerSwineford1939 data."""
    return read_golden("hs_data.csv")


def read_pd_data() -> pd.DataFrame:
    """lavaan's PoliticalDemocracy data."""
    return read_golden("pd_data.csv")


def golden_estimates(name: str) -> pd.DataFrame:
    """lavaan's parameterEstimates ``<name>_estimates.csv``: "NA" is missing, empty strings
    stay strings, and a file without labels gets an empty "label" column before "est"."""
    g = read_golden(f"{name}_estimates.csv", keep_default_na=False, na_values=["NA"])
    if "label" not in g:
        g.insert(g.columns.get_loc("est"), "label", "")
    return g


def golden_fit(name: str) -> pd.Series:
    """lavaan's fitMeasures ``<name>_fit.csv`` as a Series indexed by measure name."""
    return read_golden(f"{name}_fit.csv").set_index("measure")["value"]


# --------------------------------------------------------------------------------------------
# parameter tables


def row_keys(frame: pd.DataFrame, key: Sequence[str] = KEY) -> list[list]:
    """The key of every row, e.g. [lhs, op, rhs], in the frame's order."""
    return frame[list(key)].values.tolist()


def row_label(frame: pd.DataFrame, i: int, key: Sequence[str] = KEY) -> str:
    """'lhs op rhs ...' of the i-th row (positional), for failure messages."""
    cols = [c for c in key if c in frame]
    return " ".join(str(v) for v in frame[cols].iloc[i]).strip() if cols else f"row {i}"


def match_rows(
    ours: pd.DataFrame, gold: pd.DataFrame, key: Sequence[str] = KEY
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Our rows and lavaan's merged on ``key`` (inner join, in lavaan's order), split again into
    two frames with the same rows: (ours, lavaan's), each with its own column names."""
    key = list(key)
    merged = gold.merge(ours, on=key, suffixes=("_lavaan", ""))
    both = [c for c in gold if c in ours and c not in key]
    mine = merged[[*key, *(c for c in ours if c not in key)]]
    theirs = merged[[*key, *(f"{c}_lavaan" if c in both else c for c in gold if c not in key)]]
    return mine, theirs.rename(columns={f"{c}_lavaan": c for c in both})


def assert_same_rows(ours: pd.DataFrame, gold: pd.DataFrame, key: Sequence[str] = KEY) -> None:
    """The same rows as lavaan's, in lavaan's order."""
    mine, theirs = row_keys(ours, key), row_keys(gold, key)
    if mine != theirs:
        first = next(
            (i for i, (a, b) in enumerate(zip(mine, theirs, strict=False)) if a != b),
            min(len(mine), len(theirs)),
        )
        ours_row = mine[first] if first < len(mine) else "(none)"
        gold_row = theirs[first] if first < len(theirs) else "(none)"
        raise AssertionError(
            f"rows differ from lavaan's ({len(mine)} vs {len(theirs)} rows); first difference "
            f"at row {first}: ours {ours_row}, lavaan {gold_row}"
        )


def _num(x) -> str:
    try:
        return repr(float(x))
    except (TypeError, ValueError):
        return repr(x)


def _worst_rows(ours, gold, col, key, atol, rtol, n=5) -> str:
    """The rows of ``col`` outside atol + rtol |lavaan|, largest deviation first."""
    try:
        a = np.asarray(ours[col], dtype=float)
        b = np.asarray(gold[col], dtype=float)
        dev = np.abs(a - b)
    except (TypeError, ValueError):
        return ""
    if dev.shape != (len(ours),):
        return ""
    with np.errstate(invalid="ignore"):
        bad = np.flatnonzero(~(dev <= atol + rtol * np.abs(b)) & ~(np.isnan(a) & np.isnan(b)))
    if not len(bad):
        return ""
    bad = bad[np.argsort(-np.nan_to_num(dev[bad], nan=np.inf), kind="stable")]
    lines = [
        f"  {row_label(ours, i, key)}: ours {_num(a[i])}, lavaan {_num(b[i])}, |diff| {dev[i]:.3g}"
        for i in bad[:n]
    ]
    return f"\n{len(bad)} row(s) outside the tolerance:\n" + "\n".join(lines)


def assert_columns_close(
    ours: pd.DataFrame,
    gold: pd.DataFrame,
    columns: Iterable[str],
    *,
    atol: float = 0.0,
    rtol: float = 0.0,
    key: Sequence[str] = KEY,
) -> None:
    """``np.testing.assert_allclose(ours[col], gold[col], rtol, atol)`` for each column (rows
    matched by position; NaN only where lavaan has NaN); a failure names the column and the
    rows that deviate most."""
    for col in columns:
        try:
            np.testing.assert_allclose(ours[col], gold[col], rtol=rtol, atol=atol, err_msg=col)
        except AssertionError as err:
            worst = _worst_rows(ours, gold, col, key, atol, rtol)
            raise AssertionError(f"{err}{worst}") from None


def assert_max_abs_deviation(
    ours: pd.DataFrame,
    gold: pd.DataFrame,
    tolerances: Mapping[str, float],
    *,
    key: Sequence[str] = KEY,
) -> None:
    """For each column: NaN in exactly lavaan's rows, and max |ours - lavaan| over the other
    rows strictly below the column's tolerance (rows matched by position)."""
    for col, tol in tolerances.items():
        a, b = ours[col].to_numpy(float), gold[col].to_numpy(float)
        nan_a, nan_b = np.isnan(a), np.isnan(b)
        assert np.array_equal(nan_a, nan_b), (
            f"{col}: NaN in rows {np.flatnonzero(nan_a).tolist()}, "
            f"lavaan's in rows {np.flatnonzero(nan_b).tolist()}"
        )
        dev = np.abs(a - b)
        worst = np.nanmax(dev)
        if not worst < tol:
            i = int(np.nanargmax(dev)) if not np.isnan(dev).all() else 0
            raise AssertionError(
                f"{col}: max |ours - lavaan| = {worst:.3g}, not below {tol:g}; at "
                f"{row_label(ours, i, key)}: ours {_num(a[i])}, lavaan {_num(b[i])}"
            )


def assert_estimates_match(
    pe: pd.DataFrame,
    gold: pd.DataFrame,
    *,
    key: Sequence[str] = (*KEY, "label"),
    columns: Sequence[str] | None = None,
    tol: float = 1e-3,
) -> None:
    """lavaan parity of a parameter table: our columns are ``columns`` (when given); the same
    rows as lavaan's, in lavaan's order (by ``key``); est, se, CIs and standardized values within
    ``tol`` absolute; pvalue within ``tol`` (+ numpy's default rtol 1e-7); z within ``tol``
    relative (NaN where fixed)."""
    if columns is not None:
        assert list(pe.columns) == list(columns)
    assert_same_rows(pe, gold, key)
    assert_columns_close(pe, gold, PARAM_COLS, atol=tol, rtol=0, key=key)
    assert_columns_close(pe, gold, ["pvalue"], atol=tol, rtol=1e-7, key=key)
    assert_columns_close(pe, gold, ["z"], rtol=tol, key=key)


# --------------------------------------------------------------------------------------------
# fit measures


def missing_measures(fm: Mapping[str, float], required: Iterable[str]) -> list[str]:
    """The required measures that ``fm`` does not report."""
    return [k for k in required if k not in fm]


def common_measures(fm: Mapping[str, float], gold: pd.Series) -> list[str]:
    """The measures of ``fm`` (in its order) that lavaan reports too."""
    return [k for k in fm if k in gold.index]


def assert_measures_close(
    ours: Mapping[str, float],
    gold: pd.Series,
    keys: Iterable[str] | None = None,
    *,
    abs_tol: float | None = 5e-4,
    rel_tol: float | None = None,
    relative: Mapping[str, float] = CHISQ_RELATIVE,
    nan_matches_nan: bool = False,
) -> None:
    """Each measure of ``keys`` (default: every one of ``ours``) equals lavaan's:
    ``pytest.approx(gold, rel=relative[key])`` for the measures of ``relative``, else
    ``pytest.approx(gold, rel=rel_tol, abs=abs_tol)``. With ``nan_matches_nan`` a measure
    lavaan reports as NaN must be NaN. A failure lists every deviating measure."""
    failures = []
    for key in ours if keys is None else keys:
        value, expected = ours[key], gold[key]
        if nan_matches_nan and np.isnan(expected):
            ok, rule = np.isnan(value), "NaN"
        elif key in relative:
            ok, rule = value == pytest.approx(expected, rel=relative[key]), f"rel {relative[key]}"
        else:
            ok = value == pytest.approx(expected, rel=rel_tol, abs=abs_tol)
            rule = f"rel {rel_tol}, abs {abs_tol}"
        if not ok:
            failures.append(f"  {key}: ours {_num(value)}, lavaan {_num(expected)} ({rule})")
    assert not failures, "fit measures differ from lavaan's:\n" + "\n".join(failures)
