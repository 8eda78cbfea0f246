"""The cleaner finds exactly the faults the generator injected into the bundled survey.

The expected results are derived here from the generator's manifest (the ground truth, which
the package never reads) and the raw file, independently of surveysem.cleaning.
"""

import json
from collections import Counter

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from surveysem.cleaning import clean_survey
from surveysem.codebook import load_codebook
from surveysem.config import validate_config
from surveysem.validation import read_raw


@pytest.fixture(scope="module")
def manifest(root):
    return json.loads((root / "data" / "synthetic" / "cai2009_manifest.json").read_text())


@pytest.fixture(scope="module")
def options(root):
    """The cleaning block as the workflow gets it when the config leaves it out: defaults."""
    config = yaml.safe_load((root / "config" / "config.yaml").read_text())
    del config["cleaning"]
    schema = root / "workflow" / "schemas" / "config.schema.yaml"
    return validate_config(config, schema)["cleaning"]


@pytest.fixture(scope="module")
def codebook(root):
    return load_codebook(root / "data" / "codebook" / "cai2009.datapackage.json")


@pytest.fixture(scope="module")
def raw(codebook):
    return read_raw(codebook.data_path, codebook)


@pytest.fixture(scope="module")
def result(raw, codebook, options, root):
    columns = yaml.safe_load((root / "config" / "config.yaml").read_text())["columns"]
    return clean_survey(raw, codebook, options, columns)


@pytest.fixture(scope="module")
def missing_cells(manifest):
    """Per resp_id, the item cells the manifest says hold no valid answer."""
    faults = manifest["faults"]
    cells = faults["blank"] + faults["missing_code"] + faults["out_of_range"]
    return Counter(cell["resp_id"] for cell in cells)


@pytest.fixture(scope="module")
def expected_duplicate_losers(manifest, missing_cells, raw, options) -> set:
    """The submission of each duplicate pair that the documented rule drops."""
    assert options["duplicates"] == "keep_most_complete"
    submitted = dict(zip(raw["resp_id"].astype(int), raw["submitted_on"], strict=True))
    losers = set()
    for pair in manifest["faults"]["duplicates"]:
        ids = (pair["first_resp_id"], pair["second_resp_id"])
        # fewest missing items first, then earliest date, then lowest id
        losers.add(max(ids, key=lambda i: (missing_cells[i], submitted[i], i)))
    return losers


def test_defaults_are_the_ones_documented(options):
    assert options["max_missing_share"] == 0.2
    assert (options["outliers"], options["outlier_alpha"]) == ("flag", 0.001)


def test_duplicates(result, manifest, expected_duplicate_losers):
    _, audit = result
    dropped = audit["exclusions"]["duplicate_submission"]
    assert dropped["ids"] == sorted(expected_duplicate_losers)
    assert dropped["n"] == manifest["counts"]["duplicate_submissions"] == 13
    assert "more missing items" in dropped["reason"]
    for pair in manifest["faults"]["duplicates"]:  # exactly one of each pair dropped
        assert len({pair["first_resp_id"], pair["second_resp_id"]} & set(dropped["ids"])) == 1


def _all_excluded(audit) -> list:
    return [i for e in audit["exclusions"].values() for i in e["ids"]]


def test_straightliners(result, manifest, raw, codebook):
    _, audit = result
    expected = sorted(s["resp_id"] for s in manifest["faults"]["straight_liners"])
    assert audit["exclusions"]["straightliner"]["ids"] == expected
    assert len(expected) == manifest["counts"]["straight_liners"] == 8
    by_id = raw.set_index(raw["resp_id"].astype(int))
    for s in manifest["faults"]["straight_liners"]:  # the raw file shows the manifest value
        assert set(by_id.loc[s["resp_id"], codebook.items()]) == {str(s["value"])}


@pytest.mark.parametrize("kind", ["missing_code", "out_of_range"])
def test_recoded_cells(result, manifest, codebook, kind):
    _, audit = result
    injected = manifest["faults"][kind]
    expected = Counter(cell["column"] for cell in injected)
    assert audit["recoded_to_missing"][kind] == {i: expected[i] for i in codebook.items()}
    found = {(c["id"], c["column"], int(c["value"])) for c in audit["recoded_cells"][kind]}
    assert found == {(c["resp_id"], c["column"], c["value"]) for c in injected}
    assert len(found) == manifest["counts"][f"{kind}_cells"]


def test_blank_cells(result, manifest, codebook):
    _, audit = result
    expected = Counter(cell["column"] for cell in manifest["faults"]["blank"])
    assert audit["blank_cells"] == {i: expected[i] for i in codebook.items()}
    assert sum(audit["blank_cells"].values()) == manifest["counts"]["blank_cells"] == 271


def test_too_many_missing(result, manifest, missing_cells, options, expected_duplicate_losers):
    _, audit = result
    k = len(manifest["population_model"]["loadings"])
    over = {i for i, n in missing_cells.items() if n / k > options["max_missing_share"]}
    expected = sorted(over - set(expected_duplicate_losers))  # earlier rules go first
    assert audit["exclusions"]["too_many_missing"]["ids"] == expected


def test_rows_and_personal_data(result, manifest, missing_cells):
    clean, audit = result
    excluded = _all_excluded(audit)
    assert audit["rows_in"] == manifest["counts"]["rows"]
    assert audit["rows_out"] == len(clean) == audit["rows_in"] - len(excluded)
    assert not set(clean.columns) & set(manifest["faults"]["pii_columns"])
    complete = [i for i in clean["resp_id"] if missing_cells[i] == 0]
    assert audit["complete_cases"] == len(complete)


def test_reverse_keyed_items(result, manifest, raw):
    clean, _ = result
    by_id = raw.set_index(raw["resp_id"].astype(int)).loc[clean["resp_id"]]
    for item in manifest["population_model"]["reverse_keyed_items"]:
        stored = pd.to_numeric(by_id[item].where(by_id[item].isin(list("1234567"))))
        np.testing.assert_array_equal(clean[item], 8 - stored.to_numpy())


def test_outliers_match_an_independent_calculation(result, codebook):
    """numpy: centroid and N - 1 covariance of the complete cleaned rows, d2 = z'S^-1 z."""
    clean, audit = result
    items = codebook.items()
    complete = clean.dropna(subset=items)
    x = complete[items].to_numpy(float)
    z = x - x.mean(axis=0)
    s_inv = np.linalg.inv(z.T @ z / (len(x) - 1))
    d2 = np.einsum("ij,jk,ik->i", z, s_inv, z)
    np.testing.assert_allclose(complete["mahalanobis_d2"], d2, rtol=1e-9)
    flagged = complete.loc[stats.chi2.sf(d2, len(items)) < 0.001, "resp_id"].tolist()
    assert audit["outliers"]["ids"] == flagged == clean.loc[clean["mv_outlier"], "resp_id"].tolist()
    assert clean.loc[clean[items].isna().any(axis=1), "mahalanobis_d2"].isna().all()
    assert pd.api.types.is_bool_dtype(clean["mv_outlier"])
