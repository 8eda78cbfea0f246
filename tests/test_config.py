"""Config validation: defaults filled, typos and wrong types named by their path."""

import pytest
import yaml

from surveysem.codebook import load_codebook
from surveysem.config import config_notices, validate_config
from surveysem.errors import InputError
from surveysem.preflight import estimation_conflicts, variant_conflicts


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


# --- the study's estimation -------------------------------------------------------------------


def test_estimation_defaults_to_ml_with_listwise_deletion(bundled, schema):
    del bundled["estimation"]
    config = validate_config(bundled, schema)
    assert config["estimation"] == {"estimator": "ML", "missing": "listwise"}


def test_old_missing_data_key_moves_to_estimation_with_a_notice(bundled, schema):
    del bundled["estimation"]
    bundled["cleaning"]["missing_data"] = "listwise"
    (notice,) = config_notices(bundled)
    assert notice.startswith("cleaning.missing_data is now estimation.missing")
    config = validate_config(bundled, schema)
    assert config["estimation"]["missing"] == "listwise"
    assert "missing_data" not in config["cleaning"]
    bundled["estimation"] = {"missing": "fiml"}  # old and new key disagree: say which to keep
    with pytest.raises(InputError, match="keep only the new key"):
        validate_config(bundled, schema)


def test_variants_inherit_the_study_estimation_unless_they_set_their_own(bundled, schema):
    bundled["estimation"] = {"estimator": "MLR", "missing": "fiml"}
    variants = {v["name"]: v for v in validate_config(bundled, schema)["robustness"]["variants"]}
    assert (variants["no_outliers"]["estimator"], variants["no_outliers"]["missing"]) == (
        "MLR",
        "fiml",
    )
    assert variants["gls"]["estimator"] == "GLS" and variants["gls"]["missing"] == "fiml"
    assert "estimator" not in variants["composite"]  # OLS on mean scores takes none
    # and a variant whose inherited options do not combine is refused by name
    assert variant_conflicts(variants["gls"])[0].startswith(
        "variant 'gls': estimator GLS with missing fiml"
    )


@pytest.mark.parametrize(
    ("estimation", "model_addition", "invariance", "named"),
    [
        ({"estimator": "GLS", "missing": "fiml"}, "", False, "lavaan refuses this too"),
        ({"estimator": "WLSMV", "missing": "listwise"}, "CS ~ employees", False,
         "('CS ~ employees'): regressions involving observed ordinal items"),
        ({"estimator": "WLSMV", "missing": "listwise"}, "SIZE =~ employees", False,
         "single-indicator factors are not supported"),
        ({"estimator": "ML", "missing": "fiml"}, "CS ~ employees", False, "full-information ML"),
    ],
)  # fmt: skip
def test_estimation_the_study_cannot_run_with_is_refused_at_the_start(
    bundled, schema, root, estimation, model_addition, invariance, named
):
    bundled["estimation"] = estimation
    bundled["model"] += model_addition
    if not invariance:
        bundled["robustness"]["invariance"] = []
    config = validate_config(bundled, schema)
    codebook = load_codebook(root / config["codebook"])
    problem, *others = estimation_conflicts(config, codebook)  # others: the alternatives
    assert problem.startswith(f"estimation (estimator {estimation['estimator']}")
    assert named in problem and all(named in other for other in others)


def test_ml_and_mlr_with_listwise_or_fiml_run_as_written(bundled, schema, root):
    """Invariance groupings included: several groups are fitted by FIML, GLS and ULS too."""
    codebook = load_codebook(root / bundled["codebook"])
    assert bundled["robustness"]["invariance"]
    runs = (("ML", "fiml"), ("MLR", "fiml"), ("MLR", "listwise"), ("GLS", "listwise"),
            ("ULS", "listwise"))  # fmt: skip
    for estimator, missing in runs:
        bundled["estimation"] = {"estimator": estimator, "missing": missing}
        assert estimation_conflicts(validate_config(bundled, schema), codebook) == []
