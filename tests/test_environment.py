"""The lock, environment.yml and pyproject name the same Python and the same pins."""

import re
import tomllib

import yaml

PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+?)(?:\s|\\|$)")


def lock_pins(root):
    text = (root / "requirements.lock").read_text()
    return {m[1].lower(): m[2] for line in text.splitlines() if (m := PIN.match(line))}


def conda_pins(root):
    env = yaml.safe_load((root / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    pins = dict(p.lower().split("==") for p in pip)
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    return pins, python


def test_environment_yml_has_exactly_the_lock_pins(root):
    pins, _ = conda_pins(root)
    assert pins == lock_pins(root)


def test_every_lock_entry_is_hashed(root):
    blocks = (root / "requirements.lock").read_text().split("\n")
    pinned = [i for i, line in enumerate(blocks) if PIN.match(line)]
    assert pinned, "the lock pins nothing"
    for i in pinned:
        assert "--hash=sha256:" in blocks[i + 1], f"{blocks[i]} has no hash"


def test_same_python_everywhere(root):
    _, python = conda_pins(root)
    requires = tomllib.loads((root / "pyproject.toml").read_text())["project"]["requires-python"]
    lock_header = (root / "requirements.lock").read_text()
    assert python == "python=3.11"
    assert requires == ">=3.11,<3.12"
    assert "with Python 3.11" in lock_header


def test_direct_dependencies_are_in_the_lock_at_their_pins(root):
    locked = lock_pins(root)
    for line in (root / "requirements.in").read_text().splitlines():
        if m := PIN.match(line):
            assert locked[m[1].lower()] == m[2], line
