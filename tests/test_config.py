"""Config validation: defaults filled, typos and wrong types named by their path."""

import pytest
import yaml

from surveysem.config import validate_config
from surveysem.errors import InputError


@pytest.fixture
def schema(root):
    return root / "workflow" / "schemas" / "config.schema.yaml"


@pytest.fixture
def bundled(root):
    return yaml.safe_load((root / "config" / "config.yaml").read_text())


def test_bundled_config_is_valid_and_gets_defaults(bundled, schema):
    config = validate_config(bundled, schema)
    assert config["study"] == "cai2009"
    assert config["synthetic"] is True
    assert config["manuscript"]["authors"]  # default filled in


def test_defaults_fill_nested_blocks(bundled, schema):
    del bundled["cleaning"], bundled["support"]
    config = validate_config(bundled, schema)
    assert config["cleaning"]["max_missing_share"] == 0.2
    assert config["support"]["alpha"] == 0.05


def test_validation_does_not_modify_its_input(bundled, schema):
    del bundled["support"]
    validate_config(bundled, schema)
    assert "support" not in bundled


def test_typo_is_named_by_its_path(bundled, schema):
    bundled["cleaning"]["max_mising_share"] = 0.3
    with pytest.raises(InputError, match=r"unknown key 'cleaning\.max_mising_share'"):
        validate_config(bundled, schema, source="their.yaml")


def test_all_problems_reported_together(bundled, schema):
    bundled["seed"] = "abc"
    del bundled["model"]
    with pytest.raises(InputError) as error:
        validate_config(bundled, schema)
    assert "'model' is a required property" in str(error.value)
    assert "at 'seed'" in str(error.value)


def test_hypothesis_path_must_be_a_regression(bundled, schema):
    bundled["hypotheses"][0]["path"] = "CRP -> CO"
    sentence = r"hypothesis 1 \(H1\): path 'CRP -> CO' is not one regression"
    with pytest.raises(InputError, match=sentence):
        validate_config(bundled, schema)


def test_defaults_fill_objects_inside_arrays(bundled, schema):
    config = validate_config(bundled, schema)
    gls = next(v for v in config["robustness"]["variants"] if v["name"] == "gls")
    assert gls["method"] == "latent" and gls["exclude_outliers"] is False
