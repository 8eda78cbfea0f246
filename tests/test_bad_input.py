"""Bad input gets one clear message, a non-zero exit, no traceback and no partial outputs.

Each case runs the real workflow (snakemake) in a temporary copy of the project on a broken
data file, codebook, model or config, and checks that nothing was written under results/
and that another study's results were left exactly as they were.
"""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.integration

RAW = Path("data/raw/cai2009_survey.csv")
CODEBOOK = Path("data/codebook/cai2009.datapackage.json")


@pytest.fixture(scope="module")
def project(root, tmp_path_factory):
    """A copy of the project with another study's results already in place."""
    workdir = tmp_path_factory.mktemp("project")
    for name in [
        "Snakefile",
        "environment.yml",
        "requirements.lock",
        "workflow",
        "config",
        "data",
        "manuscript",
    ]:
        source = root / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, workdir / name)
    other = workdir / "results" / "cai2009" / "model"
    other.mkdir(parents=True)
    (other / "estimates.csv").write_text("lhs,op,rhs,est\nCRP,~,CO,0.6\n")
    return workdir


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def tree_digest(folder: Path) -> dict:
    return {
        str(p.relative_to(folder)): sha256(p.read_bytes())
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_case(project, study, *, raw=None, fields=None, config=None, recorded_hash=None):
    """Write the case's data file, codebook and config, run snakemake, return its output.

    The codebook records the data file's own sha256 unless `recorded_hash` is given.
    """
    data = project / "data" / "raw" / f"{study}.csv"
    if raw is not None:
        data.write_bytes(raw)
    package = json.loads((project / CODEBOOK).read_text())
    resource = package["resources"][0]
    resource["path"] = f"../raw/{study}.csv"
    if data.exists():
        resource["hash"] = recorded_hash or "sha256:" + sha256(data.read_bytes())
    if fields:
        fields(resource["schema"]["fields"])
    codebook = project / "data" / "codebook" / f"{study}.datapackage.json"
    codebook.write_text(json.dumps(package))
    settings = yaml.safe_load((project / "config" / "config.yaml").read_text())
    settings |= {"study": study, "data": str(data.relative_to(project))}
    settings["codebook"] = str(codebook.relative_to(project))
    if config:
        config(settings)
    configfile = project / f"{study}.yaml"
    configfile.write_text(yaml.safe_dump(settings, sort_keys=False))

    before = tree_digest(project / "results")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "snakemake"), "--cores", "1", "--configfile",
         str(configfile)],
        cwd=project, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "Traceback" not in output, output
    assert not (project / "results" / study).exists(), "a failed run wrote results"
    assert tree_digest(project / "results") == before, "another study's results changed"
    return output


def bundled(project) -> str:
    return (project / RAW).read_text(encoding="utf-8")


def edit_column(text: str, column: str, edit) -> str:
    """Apply `edit(values) -> values` to one column of the CSV text."""
    lines = text.splitlines()
    index = lines[0].split(",").index(column)
    rows = [line.split(",") for line in lines[1:]]
    for row, value in zip(rows, edit([r[index] for r in rows]), strict=True):
        row[index] = value
    return "\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n"


def test_missing_file(project):
    output = run_case(project, "missing_file")
    assert "data/raw/missing_file.csv does not exist" in output


def test_empty_file(project):
    assert "is empty" in run_case(project, "empty", raw=b"")


def test_header_only(project):
    header = bundled(project).splitlines()[0] + "\n"
    assert "has a header but no data rows" in run_case(project, "header_only", raw=header.encode())


def test_semicolon_delimited(project):
    text = bundled(project).replace(",", ";")
    output = run_case(project, "semicolon", raw=text.encode())
    assert "semicolon-separated" in output and "dialect.delimiter" in output


def test_gbk_encoded_header_is_decoded_and_named(project):
    text = bundled(project).replace("province", "省份", 1)
    output = run_case(project, "gbk", raw=text.encode("gbk"))
    assert "省份 are not described in the codebook" in output
    assert "province are described in the codebook but absent" in output


def test_r_row_names(project):
    lines = bundled(project).splitlines()
    rows = [f'"",{lines[0]}', *(f'"{i}",{line}' for i, line in enumerate(lines[1:], start=1))]
    output = run_case(project, "row_names", raw=("\n".join(rows) + "\n").encode())
    assert "the first column has no name; this is what R's write.csv writes for row names" in output


def test_missing_item_column(project):
    text = bundled(project)
    lines = [
        ",".join(c for i, c in enumerate(line.split(",")) if i != 18) for line in text.splitlines()
    ]
    output = run_case(project, "no_co3", raw=("\n".join(lines) + "\n").encode())
    assert "co3 are described in the codebook but absent" in output


def test_duplicated_column(project):
    text = bundled(project).replace(",co3,", ",co2,", 1)
    assert "co2 appear more than once" in run_case(project, "dup_col", raw=text.encode())


def test_text_in_item_column(project):
    text = edit_column(bundled(project), "pp2", lambda v: ["agree", *v[1:3], "n/a", *v[4:]])
    output = run_case(project, "text_item", raw=text.encode())
    assert "column pp2: 2 value(s) are not integers" in output
    assert "data row(s) 1, 4" in output


def test_item_all_missing(project):
    text = edit_column(bundled(project), "cs2", lambda v: [""] * len(v))
    assert "column cs2: every value is missing" in run_case(
        project, "empty_item", raw=text.encode()
    )


def test_zero_variance_item(project):
    text = edit_column(bundled(project), "fp3", lambda v: ["5"] * len(v))
    assert "column fp3: every answered row has the same value (5)" in run_case(
        project, "flat_item", raw=text.encode()
    )


def test_fewer_usable_rows_than_free_parameters(project):
    text = "\n".join(bundled(project).splitlines()[:41]) + "\n"
    output = run_case(project, "too_few", raw=text.encode())
    assert "free parameters" in output
    assert "respondents have a value for every variable of the model" in output


def test_codebook_names_unknown_columns(project):
    def add_field(fields):
        fields.append({"name": "innovation1", "type": "integer", "construct": "INN"})

    output = run_case(project, "extra_field", raw=bundled(project).encode(), fields=add_field)
    assert "innovation1 are described in the codebook but absent from the file" in output


def test_model_names_items_missing_from_codebook(project):
    def typo(settings):
        settings["model"] = settings["model"].replace("fp4", "fp5")

    output = run_case(project, "model_item", raw=bundled(project).encode(), config=typo)
    assert "'fp5' is neither a factor of the model nor a column of codebook" in output
    assert "did you mean 'fp4'" in output


def test_model_covariate_must_be_numeric(project):
    def text_covariate(settings):
        settings["model"] = settings["model"].replace("FP  ~ PP + CS", "FP  ~ PP + CS + industry")

    output = run_case(project, "covariate", raw=bundled(project).encode(), config=text_covariate)
    assert "column 'industry' has type string" in output and "recode it as numbers" in output


def test_model_syntax_error(project):
    def broken(settings):
        settings["model"] = settings["model"].replace("PP  ~ CRP", "PP  ~ CRP +")

    output = run_case(project, "syntax", raw=bundled(project).encode(), config=broken)
    assert "line 9" in output


def test_config_key_typo(project):
    def typo(settings):
        settings["cleaning"]["max_mising_share"] = settings["cleaning"].pop("max_missing_share")

    output = run_case(project, "typo", raw=bundled(project).encode(), config=typo)
    assert "unknown key 'cleaning.max_mising_share'" in output


def test_variant_options_that_cannot_be_combined(project):
    def fiml_uls(settings):
        settings["robustness"]["variants"].append(
            {"name": "fiml_uls", "missing": "fiml", "estimator": "ULS"}
        )

    output = run_case(project, "combined", raw=bundled(project).encode(), config=fiml_uls)
    assert "variant 'fiml_uls': estimator ULS with missing fiml: lavaan refuses this too" in output


def test_changed_raw_file(project):
    original = (project / RAW).read_bytes()
    changed = original.replace(b"\n1001,", b"\n1000,", 1)
    output = run_case(project, "changed", raw=changed, recorded_hash="sha256:" + sha256(original))
    assert "the raw data changed" in output
