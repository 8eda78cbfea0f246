"""Study configuration: validated against the JSON Schema before anything runs."""

import copy
from pathlib import Path

import jsonschema
import yaml

from surveysem.errors import InputError


def _fill_defaults(schema: dict, instance: dict) -> None:
    """Insert the schema's `default` values for absent keys, recursing into objects and
    into the objects of arrays."""
    for key, subschema in schema.get("properties", {}).items():
        if key not in instance and "default" in subschema:
            instance[key] = copy.deepcopy(subschema["default"])
        value = instance.get(key)
        if isinstance(value, dict):
            _fill_defaults(subschema, value)
        elif isinstance(value, list) and "properties" in subschema.get("items", {}):
            for element in value:
                if isinstance(element, dict):
                    _fill_defaults(subschema["items"], element)


def _describe_hypothesis(error: jsonschema.ValidationError, config: dict) -> str | None:
    """A schema error inside `hypotheses` as a sentence about that hypothesis."""
    path = list(error.absolute_path)
    if len(path) < 2 or not isinstance(path[1], int):
        return None
    entry = config["hypotheses"][path[1]]
    name = f"hypothesis {path[1] + 1}"
    if isinstance(entry, dict) and isinstance(entry.get("id"), str):
        name += f" ({entry['id']})"
    if error.validator == "required":
        key = error.message.split("'")[1]
        return f"{name} has no '{key}'; every hypothesis needs an id, a path and expected"
    if path[2:] == ["path"]:
        return (
            f"{name}: path {error.instance!r} is not one regression of the model; write it "
            "as 'outcome ~ predictor' with lavaan names, e.g. 'CRP ~ CO'"
        )
    if path[2:] == ["expected"]:
        return f"{name}: expected is {error.instance!r}; write positive or negative"
    return None


def _describe(error: jsonschema.ValidationError, config: dict) -> str:
    path = [str(p) for p in error.absolute_path]
    if path[:1] == ["hypotheses"] and isinstance(config.get("hypotheses"), list):
        sentence = _describe_hypothesis(error, config)
        if sentence:
            return sentence
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        keys = ", ".join("'" + ".".join([*path, key]) + "'" for key in unknown)
        return f"unknown key {keys}; allowed here: {', '.join(allowed)}"
    return f"at '{'.'.join(path) or '(top level)'}': {error.message}"


#: Keys that moved: old path -> new path (the value is carried over, with a notice).
MOVED_KEYS = {("cleaning", "missing_data"): ("estimation", "missing")}


def config_notices(config: dict) -> list[str]:
    """Sentences about keys of an older config that :func:`validate_config` moves.

    >>> config_notices({"cleaning": {"missing_data": "listwise"}})[0][:58]
    'cleaning.missing_data is now estimation.missing (it applie'
    """
    return [
        f"{'.'.join(old)} is now {'.'.join(new)} (it applies to every model of the study); "
        f"this run uses {'.'.join(new)}: {config[old[0]][old[1]]}. Move the key in the config "
        "to silence this notice"
        for old, new in MOVED_KEYS.items()
        if isinstance(config.get(old[0]), dict) and old[1] in config[old[0]]
    ]


def _move_keys(config: dict) -> dict:
    """A copy of `config` with the keys of :data:`MOVED_KEYS` at their new place; a value at
    both places must agree."""
    config = copy.deepcopy(config)
    for old, new in MOVED_KEYS.items():
        block = config.get(old[0])
        if not isinstance(block, dict) or old[1] not in block:
            continue
        value = block.pop(old[1])
        target = config.setdefault(new[0], {})
        if isinstance(target, dict):
            if target.get(new[1], value) != value:
                raise InputError(
                    f"the config sets {'.'.join(old)}: {value} and {'.'.join(new)}: "
                    f"{target[new[1]]}; {'.'.join(old)} is the old name of {'.'.join(new)}, so "
                    "keep only the new key"
                )
            target[new[1]] = value
    return config


def _inherit_estimation(config: dict) -> None:
    """Robustness variants estimate as the main analysis unless they say otherwise (composite
    variants are OLS on mean scores: they take no estimation options)."""
    for variant in config["robustness"]["variants"]:
        if variant.get("method") == "composite":
            continue
        for key in ("estimator", "missing"):
            variant.setdefault(key, config["estimation"][key])


def validate_config(config: dict, schema_path: str | Path, source: str = "the config") -> dict:
    """Check `config` against the schema and return a copy with defaults filled in.

    All violations are reported together in one InputError that names the key's path, so a
    typo such as `cleaning.max_mising_share` is caught before any step runs. Keys that moved
    (:data:`MOVED_KEYS`, see :func:`config_notices`) are read at their old place too, and
    robustness variants take the study's estimation unless they set their own.
    """
    config = _move_keys(config)
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = "\n  ".join(_describe(e, config) for e in errors)
        raise InputError(
            f"{source} does not match {schema_path}:\n  {lines}\n"
            "Fix these keys (see config/config.yaml for a complete example)."
        )
    filled = copy.deepcopy(config)
    _fill_defaults(schema, filled)
    _inherit_estimation(filled)
    return filled
