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


def _describe(error: jsonschema.ValidationError) -> str:
    path = [str(p) for p in error.absolute_path]
    if error.validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(allowed))
        keys = ", ".join("'" + ".".join([*path, key]) + "'" for key in unknown)
        return f"unknown key {keys}; allowed here: {', '.join(allowed)}"
    return f"at '{'.'.join(path) or '(top level)'}': {error.message}"


def validate_config(config: dict, schema_path: str | Path, source: str = "the config") -> dict:
    """Check `config` against the schema and return a copy with defaults filled in.

    All violations are reported together in one InputError that names the key's path, so a
    typo such as `cleaning.max_mising_share` is caught before any step runs.
    """
    schema = yaml.safe_load(Path(schema_path).read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path))
    if errors:
        lines = "\n  ".join(_describe(e) for e in errors)
        raise InputError(
            f"{source} does not match {schema_path}:\n  {lines}\n"
            "Fix these keys (see config/config.yaml for a complete example)."
        )
    filled = copy.deepcopy(config)
    _fill_defaults(schema, filled)
    return filled
