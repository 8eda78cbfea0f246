"""The exhibits table (manuscript appendix) and the README name the same files and rules."""

import yaml


def test_readme_lists_every_exhibit(root):
    exhibits = yaml.safe_load((root / "manuscript" / "exhibits.yaml").read_text())
    readme = (root / "README.md").read_text()
    for exhibit in exhibits:
        cells = [exhibit["title"], *(f"`{exhibit[k]}`" for k in ("rule", "script", "output"))]
        row = "| " + " | ".join(cells) + " |"
        assert row in readme, row


def test_every_exhibit_is_made_by_an_existing_script(root):
    for exhibit in yaml.safe_load((root / "manuscript" / "exhibits.yaml").read_text()):
        assert (root / exhibit["script"]).is_file(), exhibit["script"]
