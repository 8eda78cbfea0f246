"""Shared fixtures: paths of the project and of the golden reference files, the lavaan data,
and the one local run of the workflow's test config that the end-to-end tests share."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from lavaan_golden import read_hs_data, read_pd_data
from workflow_run import STUDY, TEST_CONFIG, copy_project, result_digests, result_files, snakemake

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


@dataclass(frozen=True)
class LocalRun:
    """A finished local run of the test config, as it stood right after the run."""

    workdir: Path
    results: Path
    digests: dict  # result_digests(results)
    files: list  # result_files(results)


@pytest.fixture(scope="session")
def local_run(tmp_path_factory) -> LocalRun:
    """Copy the project, run the test config once on two local cores (once per session).

    Tests may change the copy afterwards; `digests` and `files` keep what the run made.
    """
    workdir = copy_project(ROOT, tmp_path_factory.mktemp("project"))
    done = snakemake(workdir, "--configfile", TEST_CONFIG)
    assert done.returncode == 0, done.stderr[-3000:]
    results = workdir / "results" / STUDY
    return LocalRun(workdir, results, result_digests(results), result_files(results))


@pytest.fixture(scope="session")
def run(local_run):
    """(project copy, its results folder) of the shared local run."""
    return local_run.workdir, local_run.results
