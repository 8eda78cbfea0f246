"""Shared fixtures: paths of the project and of the golden reference files, the lavaan data."""

from pathlib import Path

import pytest
from lavaan_golden import read_hs_data, read_pd_data

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def golden() -> Path:
    return GOLDEN


# The lavaan example data of tests/golden/lavaan, read afresh for each test module.
@pytest.fixture(scope="module")
def hs_data():
    return read_hs_data()


@pytest.fixture(scope="module")
def pd_data():
    return read_pd_data()
