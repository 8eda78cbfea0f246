"""Tests of the synthetic-survey generator (surveysem.synthetic) and the committed data files.

The committed files must be reproducible byte for byte, the manifest must describe exactly the
faults present in the raw file, the sampling design must be internally consistent, and the
population model must be recoverable from a large clean sample by an independent calculation.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.synthetic import FaultRates, generate, item_names
from surveysem.synthetic.__main__ import main
from surveysem.synthetic.frame import build_frame, pps_inclusion_probabilities, systematic_pps
from surveysem.synthetic.population_model import CATEGORY_PROBABILITIES, DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
RAW = DATA / "raw" / "cai2009_survey.csv"
CODEBOOK = DATA / "codebook" / "cai2009.datapackage.json"
MANIFEST = DATA / "synthetic" / "cai2009_manifest.json"
FILES = {
    "raw/cai2009_survey.csv": RAW,
    "codebook/cai2009.datapackage.json": CODEBOOK,
    "synthetic/cai2009_manifest.json": MANIFEST,
}
ITEMS = item_names()
CONSTRUCT_ITEMS = {c: item_names(c) for c in ("CO", "CRP", "PP", "CS", "FP")}
REVERSED = ("co4", "crp5")
PII = ("resp_name", "resp_email", "resp_phone")
VALID = {str(v) for v in range(1, 8)}

# NBS East / Central / West classification, typed by hand (Tibet and Qinghai not in the frame).
EAST = {"Beijing", "Tianjin", "Hebei", "Liaoning", "Shanghai", "Jiangsu", "Zhejiang", "Fujian",
        "Shandong", "Guangdong", "Hainan"}  # fmt: skip
CENTRAL = {"Shanxi", "Jilin", "Heilongjiang", "Anhui", "Jiangxi", "Henan", "Hubei", "Hunan"}
WEST = {"Inner Mongolia", "Guangxi", "Chongqing", "Sichuan", "Guizhou", "Yunnan", "Shaanxi",
        "Gansu", "Ningxia", "Xinjiang"}  # fmt: skip


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    """The committed raw file with every cell as the literal string in the file."""
    return pd.read_csv(RAW, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def manifest() -> dict:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def firms(raw) -> pd.DataFrame:
    """First submissions only (one row per sampled firm), numeric design columns."""
    f = raw.drop_duplicates("firm_id", keep="first").copy()
    for c in ("revenue_mrmb", "incl_prob", "design_weight"):
        f[c] = f[c].astype(float)
    return f


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return build_frame(143000)


@pytest.fixture(scope="module")
def big():
    """A large clean sample from the same population (no faults), for the statistical checks."""
    return generate("big", seed=11, n=20000, rates=FaultRates.none())


def cell_set(raw: pd.DataFrame, mask_fn) -> set[tuple[int, str]]:
    out = set()
    for col in ITEMS:
        hit = raw[col].map(mask_fn).to_numpy(dtype=bool)
        out |= {(int(r), col) for r in raw.loc[hit, "resp_id"]}
    return out


# ----------------------------------------------------------------------- reproducibility
def test_cli_reproduces_committed_files_byte_for_byte(tmp_path):
    cmd = [sys.executable, "-m", "surveysem.synthetic", "--study", "cai2009"]
    cmd += ["--seed", "20090401", "--n", "420", "--data-dir", str(tmp_path)]
    subprocess.run(cmd, check=True, cwd=tmp_path, capture_output=True)
    for rel, committed in FILES.items():
        assert (tmp_path / rel).read_bytes() == committed.read_bytes(), rel


@pytest.mark.parametrize("manifest_path", sorted((DATA / "synthetic").glob("*_manifest.json")))
def test_every_committed_study_regenerates_from_its_manifest(manifest_path, tmp_path):
    """Each manifest records the generator arguments; rerunning them gives identical files."""
    recorded = json.loads(manifest_path.read_text(encoding="utf-8"))
    study = recorded["study"]
    args = ["--study", study, "--seed", str(recorded["seed"]), "--n", str(recorded["n"])]
    args += ["--frame-seed", str(recorded["frame_seed"])]
    args += ["--fieldwork-start", recorded["fieldwork"]["start"], "--data-dir", str(tmp_path)]
    assert main(args) == 0
    for rel in (f"raw/{study}_survey.csv", f"codebook/{study}.datapackage.json",
                f"synthetic/{study}_manifest.json"):  # fmt: skip
        assert (tmp_path / rel).read_bytes() == (DATA / rel).read_bytes(), rel


def test_cli_defaults_are_the_committed_study(tmp_path):
    assert main(["--data-dir", str(tmp_path)]) == 0
    for rel, committed in FILES.items():
        assert (tmp_path / rel).read_bytes() == committed.read_bytes(), rel


def test_cli_other_study_seed_and_n(tmp_path, capsys):
    assert main(["--study", "wave2", "--seed", "5", "--n", "300", "--data-dir", str(tmp_path)]) == 0
    df = pd.read_csv(tmp_path / "raw" / "wave2_survey.csv", dtype=str, keep_default_na=False)
    man = json.loads((tmp_path / "synthetic" / "wave2_manifest.json").read_text())
    assert len(df) == 300 and man["n"] == 300 and man["seed"] == 5
    assert df["resp_id"].is_unique
    pkg = json.loads((tmp_path / "codebook" / "wave2.datapackage.json").read_text())
    assert pkg["resources"][0]["path"] == "../raw/wave2_survey.csv"
    assert not (RAW.read_bytes() == (tmp_path / "raw" / "wave2_survey.csv").read_bytes())
    assert "wrote raw" in capsys.readouterr().out


def test_cli_rejects_bad_study_name(tmp_path, capsys):
    assert main(["--study", "Bad Name", "--data-dir", str(tmp_path)]) == 2
    assert "study name" in capsys.readouterr().err


def test_files_use_lf_line_endings_and_utf8():
    for path in FILES.values():
        data = path.read_bytes()
        assert b"\r" not in data and data.endswith(b"\n")
        data.decode("utf-8")


# ---------------------------------------------------------------- manifest vs raw file
def test_columns(raw):
    firm_cols = ["resp_id", "firm_id", "submitted_on", "wave", "respondent_role", *PII,
                 "province", "region", "industry", "ownership", "employees", "revenue_mrmb",
                 "incl_prob", "design_weight"]  # fmt: skip
    assert list(raw.columns) == firm_cols + ITEMS
    assert len(raw) == 420
    assert raw["resp_id"].is_unique


def test_blank_cells_are_exactly_the_manifest(raw, manifest):
    listed = {(d["resp_id"], d["column"]) for d in manifest["faults"]["blank"]}
    assert cell_set(raw, lambda v: v == "") == listed
    non_items = [c for c in raw.columns if c not in ITEMS]
    assert not (raw[non_items] == "").any().any()
    rate = len(listed) / (len(raw) * len(ITEMS))
    assert 0.02 < rate < 0.045  # "near 3%"


def test_missing_code_cells_are_exactly_the_manifest(raw, manifest):
    listed = {(d["resp_id"], d["column"]) for d in manifest["faults"]["missing_code"]}
    assert listed and cell_set(raw, lambda v: v == "-99") == listed
    assert int((raw == "-99").sum().sum()) == len(listed)


def test_out_of_range_cells_are_exactly_the_manifest(raw, manifest):
    listed = {(d["resp_id"], d["column"], d["value"]) for d in manifest["faults"]["out_of_range"]}
    found = set()
    for col in ITEMS:
        bad = ~raw[col].isin(VALID | {"", "-99"})
        found |= {
            (int(r), col, int(v))
            for r, v in zip(raw.loc[bad, "resp_id"], raw.loc[bad, col], strict=True)
        }
    assert listed and found == listed
    assert {v for _, _, v in listed} <= {0, 8, 99}


def test_straight_liners_are_exactly_the_manifest(raw, manifest):
    listed = {d["resp_id"]: str(d["value"]) for d in manifest["faults"]["straight_liners"]}
    same = raw[ITEMS].nunique(axis=1).eq(1) & raw[ITEMS[0]].isin(VALID)
    found = dict(zip(raw.loc[same, "resp_id"].astype(int), raw.loc[same, ITEMS[0]], strict=True))
    assert listed and found == listed


def test_duplicates_are_exactly_the_manifest(raw, manifest):
    dups = manifest["faults"]["duplicates"]
    counts = raw["firm_id"].value_counts()
    assert set(counts[counts > 1].index) == {d["firm_id"] for d in dups}
    assert counts.max() == 2
    firm_cols = ["firm_id", "province", "region", "industry", "ownership", "employees",
                 "revenue_mrmb", "incl_prob", "design_weight", "respondent_role", *PII]  # fmt: skip
    by_id = raw.set_index(raw["resp_id"].astype(int))
    for d in dups:
        first, second = by_id.loc[d["first_resp_id"]], by_id.loc[d["second_resp_id"]]
        assert first["firm_id"] == second["firm_id"] == d["firm_id"]
        assert second["submitted_on"] > first["submitted_on"]
        assert d["second_resp_id"] > d["first_resp_id"]
        assert (first[firm_cols] == second[firm_cols]).all()
        assert all(second[c] == "" for c in d["extra_blank_columns"])
        assert (first[ITEMS] != second[ITEMS]).any()


def test_manifest_counts_and_parameters(raw, manifest):
    c, f = manifest["counts"], manifest["faults"]
    assert manifest["seed"] == 20090401 and manifest["n"] == 420 == c["rows"] == len(raw)
    assert c["firms"] == raw["firm_id"].nunique()
    assert c["duplicate_submissions"] == len(f["duplicates"]) == len(raw) - c["firms"]
    assert c["straight_liners"] == len(f["straight_liners"])
    assert c["blank_cells"] == len(f["blank"])
    assert c["missing_code_cells"] == len(f["missing_code"])
    assert c["out_of_range_cells"] == len(f["out_of_range"])
    assert f["pii_columns"] == list(PII)
    pm = manifest["population_model"]
    assert pm["structural_paths"] == {
        "CO->CRP": 0.6, "CRP->PP": 0.5, "CRP->CS": 0.4, "PP->FP": 0.35, "CS->FP": 0.4
    }  # fmt: skip
    assert pm["departures_from_hypothesized_model"]["structural_paths"] == {"PP->CS": 0.2}
    assert pm["departures_from_hypothesized_model"]["cross_loadings"] == {"CS=~crp4": 0.2}
    assert all(0.65 <= v["loading"] <= 0.85 for v in pm["loadings"].values())


def test_financial_items_skipped_more_by_state_owned_firms(raw):
    fp = [c for c in ITEMS if c.startswith("fp")]
    other = [c for c in ITEMS if c not in fp]
    soe = raw["ownership"] == "state-owned"
    soe_fp = (raw.loc[soe, fp] == "").to_numpy().mean()
    assert soe_fp > (raw.loc[~soe, fp] == "").to_numpy().mean()
    assert soe_fp > 2 * (raw[other] == "").to_numpy().mean()


def test_pii_is_fake_unique_and_absent_from_other_files(raw, firms):
    assert firms["resp_email"].str.endswith("@example.com").all()
    assert firms["resp_phone"].str.startswith("+86 555 ").all()
    assert firms["resp_name"].str.contains(r"\(fake-\d{4}\)").all()
    for col in PII:
        assert firms[col].is_unique
    other = CODEBOOK.read_text(encoding="utf-8") + MANIFEST.read_text(encoding="utf-8")
    for col in PII:
        assert not any(v in other for v in raw[col])


# ---------------------------------------------------------------------- sampling design
def test_provinces_regions_industries_ownership(raw):
    assert raw["province"].nunique() == 29
    assert (raw.groupby("province")["region"].nunique() == 1).all()
    region = dict(zip(raw["province"], raw["region"], strict=False))
    assert {p for p, r in region.items() if r == "East"} == EAST
    assert {p for p, r in region.items() if r == "Central"} == CENTRAL
    assert {p for p, r in region.items() if r == "West"} == WEST
    assert set(raw["ownership"]) == {"state-owned", "private", "foreign-invested", "collective"}
    assert raw["industry"].nunique() >= 6
    assert set(raw["wave"]) == {"early", "late"}
    assert raw["respondent_role"].nunique() >= 4


def test_revenue_probabilities_and_weights(firms, manifest):
    assert (firms["revenue_mrmb"] > 5).all()
    p, w = firms["incl_prob"], firms["design_weight"]
    assert ((p > 0) & (p <= 1)).all()
    np.testing.assert_allclose(w * p, 1.0, rtol=1e-8)
    # PPS: within a stratum, pi / revenue is the same for every non-certainty unit
    nc = firms[p < 1]
    ratio = nc["incl_prob"] / nc["revenue_mrmb"]
    spread = ratio.groupby(nc["province"]).agg(lambda r: r.max() / r.min() - 1)
    assert (spread < 1e-6).all()
    strata = {s["province"]: s for s in manifest["sampling_design"]["strata_table"]}
    assert firms.groupby("province").size().to_dict() == {k: s["n_h"] for k, s in strata.items()}
    assert (firms.groupby("province").size() >= 2).all()


def test_sample_is_drawn_from_the_frame(firms, frame):
    f = frame.set_index("firm_id").loc[firms["firm_id"]]
    assert (f["province"].to_numpy() == firms["province"].to_numpy()).all()
    np.testing.assert_allclose(f["revenue_mrmb"].to_numpy(), firms["revenue_mrmb"].to_numpy())
    assert (f["ownership"].to_numpy() == firms["ownership"].to_numpy()).all()
    assert len(frame) == 143000 and frame["province"].nunique() == 29


def test_horvitz_thompson_estimates_frame_totals(firms, frame, manifest):
    wr = (firms["design_weight"] * firms["revenue_mrmb"]).groupby(firms["province"]).sum()
    true_rev = frame.groupby("province")["revenue_mrmb"].sum()
    # PPS by revenue: the HT estimate of a stratum's revenue total is exact
    np.testing.assert_allclose(wr.sort_index(), true_rev.sort_index(), rtol=1e-6)
    strata = manifest["sampling_design"]["strata_table"]
    assert sum(s["N_h"] for s in strata) == 143000
    assert {s["province"]: s["N_h"] for s in strata} == frame.groupby("province").size().to_dict()
    # the number of firms is estimated without bias but noisily (weights ~ 1 / revenue)
    assert firms["design_weight"].sum() == pytest.approx(143000, rel=0.25)


def test_horvitz_thompson_firm_counts_per_stratum_large_sample(big, frame):
    f = big.raw
    est = f.groupby("province")["design_weight"].sum()
    true = frame.groupby("province").size()
    ratio = est / true.loc[est.index]
    assert ratio.between(0.75, 1.3).all(), ratio.describe()
    assert est.sum() == pytest.approx(143000, rel=0.05)
    assert (f["incl_prob"] == 1).any()  # large samples contain certainty units


def test_pps_helpers_hand_example():
    size = np.array([1.0, 1.0, 2.0, 16.0])
    # n=2: 16/20*2 = 1.6 -> certainty; the remaining 1 unit spread over 1:1:2
    np.testing.assert_allclose(pps_inclusion_probabilities(size, 2), [0.25, 0.25, 0.5, 1.0])
    rng = np.random.default_rng(0)
    hits = np.zeros(4)
    for _ in range(4000):
        sel = systematic_pps(np.array([0.25, 0.25, 0.5, 1.0]), rng)
        assert len(sel) == 2
        hits[sel] += 1
    np.testing.assert_allclose(hits / 4000, [0.25, 0.25, 0.5, 1.0], atol=0.03)


def test_dates_and_waves(raw, manifest):
    start = dt.date.fromisoformat(manifest["fieldwork"]["start"])
    reminder = start + dt.timedelta(days=manifest["fieldwork"]["reminder_day"])
    dates = raw["submitted_on"].map(dt.date.fromisoformat)
    assert dates.min() >= start
    assert dates.max() < start + dt.timedelta(days=manifest["fieldwork"]["days"])
    assert ((dates < reminder) == (raw["wave"] == "early")).all()
    assert (raw["submitted_on"].to_numpy() == np.sort(raw["submitted_on"].to_numpy())).all()


# ------------------------------------------------------------------ population structure
def _clean(raw: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """Independent minimal cleaning: drop duplicates and straight-liners, recode, reverse."""
    sl = {d["resp_id"] for d in manifest["faults"]["straight_liners"]}
    df = raw.drop_duplicates("firm_id", keep="first")
    df = df[~df["resp_id"].astype(int).isin(sl)]
    x = df[ITEMS].where(df[ITEMS].isin(VALID)).astype(float)
    x[list(REVERSED)] = 8 - x[list(REVERSED)]
    return x.dropna()


def test_committed_data_carry_the_construct_structure(raw, manifest):
    x = _clean(raw, manifest)
    assert len(x) > 200
    r = x.corr().to_numpy()
    pos = {c: [ITEMS.index(i) for i in v] for c, v in CONSTRUCT_ITEMS.items()}
    for a, ia in pos.items():
        block = r[np.ix_(ia, ia)]
        within = block[np.triu_indices(len(ia), 1)].mean()
        for b, ib in pos.items():
            if a != b:
                assert within > r[np.ix_(ia, ib)].mean() + 0.15, (a, b)
    # reverse-keyed items correlate positively with their construct only after reversal
    assert np.corrcoef(8 - x["co4"], x["co1"])[0, 1] < 0 < np.corrcoef(x["co4"], x["co1"])[0, 1]


def test_responses_are_skewed_toward_agreement(raw, manifest):
    x = _clean(raw, manifest)
    assert (x.mean() > 4.5).all()
    assert (x.skew() < 0).all()
    answered = raw[list(REVERSED)].where(raw[list(REVERSED)].isin(VALID)).astype(float)
    assert (answered.mean() < 3.5).all()  # as stored: respondents disagree with them


def _implied_latent_correlations() -> dict[tuple[str, str], float]:
    """Correlations of the population model by the tracing rules (hand calculation)."""
    co_crp, crp_pp, crp_cs, pp_fp, cs_fp, pp_cs = 0.60, 0.50, 0.40, 0.35, 0.40, 0.20
    r_crp_pp = crp_pp
    r_crp_cs = crp_cs + pp_cs * r_crp_pp
    r_pp_cs = pp_cs + crp_cs * r_crp_pp
    r_crp_fp = pp_fp * r_crp_pp + cs_fp * r_crp_cs
    return {
        ("CO", "CRP"): co_crp,
        ("CO", "PP"): co_crp * r_crp_pp,
        ("CO", "CS"): co_crp * r_crp_cs,
        ("CO", "FP"): co_crp * r_crp_fp,
        ("CRP", "PP"): r_crp_pp,
        ("CRP", "CS"): r_crp_cs,
        ("CRP", "FP"): r_crp_fp,
        ("PP", "CS"): r_pp_cs,
        ("PP", "FP"): pp_fp + cs_fp * r_pp_cs,
        ("CS", "FP"): cs_fp + pp_fp * r_pp_cs,
    }


def test_model_implied_matrices_are_standardized():
    implied = _implied_latent_correlations()
    assert implied[("CO", "CRP")] == pytest.approx(0.60)
    assert implied[("CS", "FP")] == pytest.approx(0.54)
    names = ("CO", "CRP", "PP", "CS", "FP")
    phi = DEFAULT_MODEL.latent_correlation
    for (a, b), v in implied.items():
        assert phi[names.index(a), names.index(b)] == pytest.approx(v, abs=1e-12)
    np.testing.assert_allclose(np.diag(phi), 1.0)
    np.testing.assert_allclose(np.diag(DEFAULT_MODEL.item_correlation), 1.0)


def test_true_latent_scores_follow_the_population_model(big):
    eta = big.latent
    assert len(eta) == 20000
    np.testing.assert_allclose(eta.var(), 1.0, atol=0.04)
    corr = eta.corr()
    for (a, b), v in _implied_latent_correlations().items():
        assert corr.loc[a, b] == pytest.approx(v, abs=0.025), (a, b)


def test_population_model_recovered_from_discretized_items(big):
    """Disattenuated composite correlations (Cronbach's alpha) ~ implied latent correlations.

    crp4 is left out of the CRP composite because of its designed cross-loading on CS.
    """
    x = big.raw[ITEMS].astype(float)
    x[list(REVERSED)] = 8 - x[list(REVERSED)]
    comp, alpha = {}, {}
    for c, items in CONSTRUCT_ITEMS.items():
        items = [i for i in items if i != "crp4"]
        cov = np.cov(x[items].to_numpy(), rowvar=False)
        k = len(items)
        alpha[c] = k / (k - 1) * (1 - np.trace(cov) / cov.sum())
        comp[c] = x[items].sum(axis=1)
    for (a, b), v in _implied_latent_correlations().items():
        r = np.corrcoef(comp[a], comp[b])[0, 1] / np.sqrt(alpha[a] * alpha[b])
        assert r == pytest.approx(v, abs=0.04), (a, b, r)


def test_category_proportions_match_the_thresholds(big):
    x = big.raw[ITEMS].astype(int)
    x[list(REVERSED)] = 8 - x[list(REVERSED)]
    for item in ("co1", "crp5", "pp2", "fp3"):
        scale = "comparison" if item[:2] in ("pp", "fp") else "agreement"
        share = x[item].value_counts(normalize=True).reindex(range(1, 8), fill_value=0)
        np.testing.assert_allclose(share, CATEGORY_PROBABILITIES[scale], atol=0.012)


def test_clean_generation_has_no_faults(big):
    raw = big.raw
    assert raw["firm_id"].is_unique and len(raw) == 20000
    assert raw[ITEMS].notna().all().all()
    assert raw[ITEMS].isin(range(1, 8)).all().all()
    assert big.manifest["counts"]["blank_cells"] == 0


# --------------------------------------------------------------------------- documentation
def test_readme_and_licence_say_synthetic():
    readme = (DATA / "README.md").read_text(encoding="utf-8")
    head = "\n".join(readme.splitlines()[:5])
    assert "SYNTHETIC" in head
    for needed in ("python -m surveysem.synthetic", "config/config.yaml", "-99", "143,000"):
        assert needed in readme
    licence = (DATA / "LICENSE.md").read_text(encoding="utf-8")
    assert "CC0" in licence and "synthetic" in licence.lower()
