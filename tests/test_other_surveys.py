"""Surveys that do not look like ours, taken through the whole workflow by config alone.

Each study is set up as the README tells a researcher to: the raw export goes under data/raw/
as it is, `surveysem.scaffold` drafts its codebook and config, and the researcher's edits are
the ones the draft asks for (scale range, constructs, model, hypotheses, names). None has an
id, unit, submission-time or wave column, and none mentions the bundled study.

- an employee survey on a 1-10 scale, exported from SPSS (.sav) with -99 declared
  user-missing and value labels, with a reverse-keyed item, a single-item construct, an
  observed covariate (tenure, no effect in the population) and two paths from one predictor
  (no indirect effect). The data are simulated in the test from a
  known population model, so the estimates are checked against the truth (simulation check);
- the same survey exported to Excel (.xlsx), -99 as plain numbers, under a misspecified model
  (items assigned to the wrong factors) that fits badly;
- real data on which R lavaan 0.6.14 does not converge (HolzingerSwineford1939 rows from
  tests/golden/lavaan/hs_single_nonconverging_rows.csv, made by make_shapes_golden.R).

Every run must exit 0 and build a PDF whose words are the study's own, stating what was lost
(missing codes) and what is wrong (misfit, non-convergence). The manuscript's Typst source
and its tables are checked, because they hold every word the PDF shows.
"""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from lavaan_golden import read_golden
from scipy import stats
from workflow_run import copy_project, snakemake

from surveysem.scaffold import scaffold

pytestmark = pytest.mark.integration

SEED = 20261205
N = 400
TRUST_TO_ENG, TRUST_TO_REC = 0.5, 0.4  # standardized paths of the population model
LOADINGS = {"trust1": 0.8, "trust2": 0.75, "trust3": 0.7,
            "eng1": 0.8, "eng2": 0.7, "eng3": 0.75, "eng4": 0.65}  # fmt: skip
REVERSED = "eng3"  # stored as answered: 11 - x on the 1-10 scale
DEPARTMENTS = {1: "Sales", 2: "Operations", 3: "Finance"}
MODEL = """trust =~ trust1 + trust2 + trust3
eng   =~ eng1 + eng2 + eng3 + eng4
REC   =~ recommend
eng ~ trust + tenure_years
REC ~ trust
"""
# Items on the wrong factors, and a well-being factor whose three items correlate .6, .6 and
# .2: its just-identified loadings give wb1 a residual variance of 1 - .6 * .6 / .2 = -.8
# (hand calculation), a Heywood case whatever the sample.
WRONG_MODEL = """trust =~ trust1 + eng1 + eng2
eng   =~ trust2 + trust3 + eng3 + eng4
REC   =~ recommend
WB    =~ wb1 + wb2 + wb3
eng ~ trust
REC ~ trust
WB  ~ trust
"""
WB_CORRELATIONS = [[1, 0.6, 0.6], [0.6, 1, 0.2], [0.6, 0.2, 1]]
HYPOTHESES = [
    {"id": "H1", "path": "eng ~ trust", "expected": "positive",
     "label": "Trust in management raises work engagement"},
    {"id": "H2", "path": "REC ~ trust", "expected": "positive",
     "label": "Trust in management raises the willingness to recommend the employer"},
]  # fmt: skip
CONSTRUCTS = {"trust": "trust in management", "eng": "work engagement",
              "REC": "recommending the employer"}  # fmt: skip
# Words of the bundled study that no other study's manuscript may contain.
BUNDLED_WORDS = re.compile(
    r"\bCai\b|customer|\bfirms?\b|manufactur|Chinese|China|organizational", re.IGNORECASE
)


def employee_survey() -> tuple[pd.DataFrame, int]:
    """The simulated survey (numbers, NaN for blanks) and how many -99 codes it holds.

    Population: trust ~ N(0, 1); eng = .5 trust + e; REC = .4 trust + e (latent variances
    1); each item = loading * factor + error, cut into 10 categories at equally spaced normal
    quantiles; `recommend` is REC itself, cut the same way (a single item measured without
    error, as lavaan assumes for `REC =~ recommend`). 3% of item cells are -99, 1% blank.
    """
    rng = np.random.default_rng(SEED)
    trust = rng.standard_normal(N)
    factors = {
        "trust": trust,
        "eng": TRUST_TO_ENG * trust + np.sqrt(1 - TRUST_TO_ENG**2) * rng.standard_normal(N),
    }
    rec = TRUST_TO_REC * trust + np.sqrt(1 - TRUST_TO_REC**2) * rng.standard_normal(N)
    cuts = stats.norm.ppf(np.linspace(0, 1, 11)[1:-1])
    data = {"dept": rng.choice(list(DEPARTMENTS), N), "tenure_years": rng.integers(0, 30, N)}
    for item, loading in LOADINGS.items():
        latent = factors[item.rstrip("0123456789")]
        score = loading * latent + np.sqrt(1 - loading**2) * rng.standard_normal(N)
        data[item] = np.searchsorted(cuts, score) + 1.0
    data["recommend"] = np.searchsorted(cuts, rec) + 1.0
    frame = pd.DataFrame(data)
    frame[REVERSED] = 11 - frame[REVERSED]
    items = [*LOADINGS, "recommend"]
    cells = frame[items].to_numpy()
    draw = rng.random(cells.shape)
    cells[draw < 0.03] = -99
    cells[(draw >= 0.03) & (draw < 0.04)] = np.nan
    frame[items] = cells
    return frame, int((cells == -99).sum())


def with_wellbeing_items(frame: pd.DataFrame) -> pd.DataFrame:
    """The survey plus wb1-wb3 (1-10, correlations WB_CORRELATIONS, unrelated to the rest)."""
    rng = np.random.default_rng(SEED + 1)
    scores = rng.multivariate_normal(np.zeros(3), WB_CORRELATIONS, size=len(frame))
    cuts = stats.norm.ppf(np.linspace(0, 1, 11)[1:-1])
    items = {f"wb{i + 1}": np.searchsorted(cuts, scores[:, i]) + 1.0 for i in range(3)}
    return frame.assign(**items)


def write_sav(frame: pd.DataFrame, path: Path) -> Path:
    pyreadstat.write_sav(
        frame,
        path,
        column_labels={"recommend": "How likely are you to recommend us as an employer?"},
        variable_value_labels={"dept": {float(k): v for k, v in DEPARTMENTS.items()}},
        missing_ranges={item: [-99] for item in [*LOADINGS, "recommend"]},
    )
    return path


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    frame.assign(dept=frame["dept"].map(DEPARTMENTS)).to_excel(path, index=False)
    return path


def researcher_edits(workdir: Path, study: str, data: Path, **config) -> Path:
    """Draft codebook and config with surveysem.scaffold, then the edits the draft asks for."""
    codebook = workdir / f"data/codebook/{study}.datapackage.json"
    config_path = workdir / f"config/{study}.yaml"
    scaffold(data, study=study, codebook_path=codebook, config_path=config_path)
    package = json.loads(codebook.read_text())
    for field in package["resources"][0]["schema"]["fields"]:
        if field["name"] in LOADINGS or field["name"] in ("recommend", "wb1", "wb2", "wb3"):
            field["constraints"] = {"minimum": 1, "maximum": 10}  # the scale, not the range seen
            field["reverse_keyed"] = field["name"] == REVERSED
        if field["name"] == "recommend":
            field["construct"] = "REC"
    codebook.write_text(json.dumps(package, indent=2))
    draft = yaml.safe_load(config_path.read_text())
    draft.update(
        title="Trust in management and employee engagement",
        manuscript={"authors": ["A. Researcher"], "unit": {"singular": "employee",
                                                           "plural": "employees"}},
        bootstrap={"draws": 100, "chunks": 1},
    )  # fmt: skip
    draft.update(config)
    config_path.write_text(yaml.safe_dump(draft, sort_keys=False))
    return config_path


def manuscript_words(results: Path) -> str:
    """Every word the PDF shows: the rendered Typst source and the tables it includes."""
    parts = [results / "manuscript/manuscript.typ", *sorted((results / "tables").glob("*.typ"))]
    return "\n".join(path.read_text(encoding="utf-8") for path in parts)


def bundled_sentences(root: Path) -> list[str]:
    """Plain sentences (no Jinja) of the bundled study's own text."""
    text = " ".join(
        p.read_text(encoding="utf-8") for p in (root / "manuscript/studies/cai2009").glob("*.j2")
    )
    text = re.sub(r"\{[{%#].*?[}%#]\}", "|", text, flags=re.DOTALL)
    return [s.strip() for s in re.split(r"[.|\n]", text) if len(s.strip()) > 40]


def build(workdir: Path, config: Path, study: str):
    done = snakemake(workdir, "--configfile", str(config.relative_to(workdir)))
    assert done.returncode == 0, done.stderr[-3000:]
    results = workdir / "results" / study
    assert (results / "manuscript.pdf").read_bytes().startswith(b"%PDF")
    return results, done.stdout + done.stderr


def assert_own_story(results: Path, root: Path):
    words = manuscript_words(results)
    assert not BUNDLED_WORDS.findall(words)
    assert not [s for s in bundled_sentences(root) if s in words]
    return words


@pytest.fixture(scope="module")
def survey():
    return employee_survey()


@pytest.fixture(scope="module")
def spss_run(root, tmp_path_factory, survey):
    frame, _ = survey
    workdir = copy_project(root, tmp_path_factory.mktemp("spss"))
    data = write_sav(frame, workdir / "data/raw/employees.sav")
    config = researcher_edits(
        workdir, "employees", data, model=MODEL, hypotheses=HYPOTHESES, constructs=CONSTRUCTS,
        sample={"profile": ["dept"], "size_column": None, "weight": None, "wave": None},
    )  # fmt: skip
    return build(workdir, config, "employees")


def test_spss_export_builds_its_own_manuscript(spss_run, root):
    results, console = spss_run
    words = assert_own_story(results, root)
    assert "A. Researcher" in words and "employees" in words
    for label in DEPARTMENTS.values():  # value labels of the .sav name the categories
        assert label in (results / "tables/sample-profile.typ").read_text()
    # stages the study does not have leave no section, table, figure or reference behind:
    # no waves, no indirect effect, no robustness variants, no invariance groupings
    for label in ("tab-nonresponse", "tab-indirect", "fig-bootstrap", "tab-robustness",
                  "fig-forest", "tab-invariance"):  # fmt: skip
        assert label not in words
    assert "Mediation" not in words and "early" not in words.lower()
    assert "Weighted" not in (results / "tables/sample-profile.typ").read_text()  # no weights
    assert "alpha\\[REC\\]" in words  # statistics not applicable to the single item
    assert "Reverse-worded items, scored reversed: eng3" in words


def test_missing_codes_are_counted_and_stated(spss_run, survey):
    results, console = spss_run
    _, codes = survey
    audit = json.loads((results / "clean/audit.json").read_text())
    assert sum(audit["recoded_to_missing"]["missing_code"].values()) == codes
    assert f"missing codes {codes}" in console


def test_estimates_recover_the_population_model(spss_run):
    # simulation check: n = 400 gives standardized paths an SE of about .05; the tolerance
    # is three of them (category cuts attenuate the paths a little)
    results, _ = spss_run
    estimates = pd.read_csv(results / "model/estimates.csv").set_index(["lhs", "op", "rhs"])
    assert estimates.loc[("eng", "~", "trust"), "std.all"] == pytest.approx(TRUST_TO_ENG, abs=0.15)
    assert estimates.loc[("REC", "~", "trust"), "std.all"] == pytest.approx(TRUST_TO_REC, abs=0.15)
    assert estimates.loc[("eng", "~", "tenure_years"), "std.all"] == pytest.approx(0, abs=0.15)
    hypotheses = pd.read_csv(results / "model/hypotheses.csv")
    assert hypotheses["supported"].all()


@pytest.fixture(scope="module")
def misfit_run(root, tmp_path_factory, survey):
    frame, _ = survey
    workdir = copy_project(root, tmp_path_factory.mktemp("excel"))
    data = write_xlsx(with_wellbeing_items(frame), workdir / "data/raw/employees_wrong.xlsx")
    config = researcher_edits(
        workdir, "employees_wrong", data, model=WRONG_MODEL, hypotheses=HYPOTHESES,
        constructs=CONSTRUCTS | {"WB": "well-being"}, sample={"profile": ["dept"]},
        robustness={"variants": [{"name": "robust_fiml", "missing": "fiml", "estimator": "MLR"}]},
    )  # fmt: skip
    return build(workdir, config, "employees_wrong")


def test_a_misfitting_inadmissible_model_is_reported_as_such(misfit_run, root):
    results, console = misfit_run
    words = assert_own_story(results, root)
    fit = json.loads((results / "model/fit.json").read_text())
    assert fit["cfi"] < 0.9  # items on the wrong factors
    assert re.search(r"The model fitted\s+less than ideally", words)
    assert "Measurement check failed: cfi\\[CFA\\]" in words
    assert "Measurement check failed: cfi[CFA]" in console
    solution = json.loads((results / "model/solution.json").read_text())
    assert not solution["admissible"]
    assert any("wb1" in problem for problem in solution["problems"])
    assert "The structural model is not admissible" in console
    assert "The structural model is not admissible" in words
    # robust FIML on every respondent: the robust test, as the variant says
    fiml = json.loads((results / "robustness/robust_fiml/fit.json").read_text())
    assert fiml["ntotal"] > fit["ntotal"] and fiml["chisq.scaling.factor"] > 0
    audit = json.loads((results / "audit/robustness_variant_robust_fiml.json").read_text())
    assert audit["decisions"]["estimator"] == "MLR" and not audit["decisions"]["admissible"]
    assert any("wb1" in warning for warning in audit["decisions"]["warnings"])


@pytest.fixture(scope="module")
def nonconverging_run(root, tmp_path_factory):
    workdir = copy_project(root, tmp_path_factory.mktemp("nonconverging"))
    rows = read_golden("hs_single_nonconverging_rows.csv")["row"].to_numpy() - 1
    assert not read_golden("hs_single_nonconverging_lavaan.csv")["converged"].item()
    tests = [f"x{i}" for i in range(1, 8)]
    data = workdir / "data/raw/abilities.csv"
    read_golden("hs_data.csv").iloc[rows][tests].to_csv(data, index=False)
    codebook = workdir / "data/codebook/abilities.datapackage.json"
    config = workdir / "config/abilities.yaml"
    scaffold(data, study="abilities", codebook_path=codebook, config_path=config)
    package = json.loads(codebook.read_text())
    for field in package["resources"][0]["schema"]["fields"]:
        field["construct"] = {"x1": "visual", "x2": "visual", "x3": "visual", "x7": "speed"}.get(
            field["name"], "textual"
        )
    codebook.write_text(json.dumps(package, indent=2))
    draft = yaml.safe_load(config.read_text())
    draft.update(
        title="Abilities of pupils",
        model="visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7\n"
        "textual ~ visual + speed\n",
        constructs={"visual": "visual ability", "textual": "textual ability", "speed": "speed"},
        hypotheses=[{"id": "H1", "path": "textual ~ visual", "expected": "positive"}],
        bootstrap={"draws": 60, "chunks": 1},
        manuscript={"unit": {"singular": "pupil", "plural": "pupils"}},
    )
    config.write_text(yaml.safe_dump(draft, sort_keys=False))
    return build(workdir, config, "abilities")


def test_a_model_that_does_not_converge_still_builds_and_says_so(nonconverging_run, root):
    results, console = nonconverging_run
    words = assert_own_story(results, root)
    assert json.loads((results / "model/solution.json").read_text())["converged"] is False
    assert "did not converge" in words and "did not converge" in console
    assert "pupils" in words
    assert "tab-sample-profile" not in words  # no categorical column to profile


@pytest.mark.parametrize("example", ["holzinger_swineford", "political_democracy"])
def test_shipped_examples_on_real_data_build_their_own_manuscript(example, root, tmp_path):
    workdir = copy_project(root, tmp_path)
    config = yaml.safe_load((workdir / f"config/examples/{example}.yaml").read_text())
    config["bootstrap"] = {"draws": 100, "chunks": 1}  # the shipped 1,000 take longer
    path = workdir / f"config/{example}_quick.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    results, _ = build(workdir, path, example)
    words = assert_own_story(results, root)
    assert "Synthetic data" not in words  # real data are not labelled synthetic
    assert config["title"].split()[0] in words
