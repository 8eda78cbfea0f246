"""The manuscript: results files -> Typst source (Jinja2) -> PDF (typst).

The template receives raw numbers and formats them with the APA filters below, so every
number in the prose is rendered from a results file and none is typed by hand. Its words
come from the study's config and from what ran: `study_stages` says which stages the study
configures (their sections and exhibits are left out otherwise), and the study's own text
(introduction, discussion, ...) comes from the folder its config names.
"""

from pathlib import Path

import typst

from surveysem import formatting as fmt
from surveysem.audit import software_versions
from surveysem.mediation import indirect_effects_syntax
from surveysem.rendering import template_environment
from surveysem.sem.entry import estimation_text
from surveysem.sem.measures.indices import reported_fit

#: Sections a study may write itself, as <name>.typ.j2 in its config's manuscript.text folder.
STUDY_SECTIONS = ("synthetic", "abstract", "introduction", "discussion", "data")

#: What the exclusions of the cleaning audit are called in the method section.
EXCLUSION_TEXT = {
    "duplicate_submission": (
        "repeated submission of the same {unit}",
        "repeated submissions of the same {unit}",
    ),
    "straightliner": ("straight-lined questionnaire", "straight-lined questionnaires"),
    "too_many_missing": (
        "questionnaire with too many unanswered items",
        "questionnaires with too many unanswered items",
    ),
    "multivariate_outlier": ("multivariate outlier", "multivariate outliers"),
}


def study_stages(config: dict) -> dict[str, bool]:
    """Which optional stages a validated study config runs (their exhibits exist only then).

    >>> config = {"model": "A =~ a1 + a2; B =~ b1 + b2; C =~ c1 + c2; B ~ A; C ~ B",
    ...     "sample": {"profile": [], "weight": None, "wave": "wave"},
    ...     "robustness": {"variants": [], "invariance": []}, "alternatives": []}
    >>> [name for name, runs in study_stages(config).items() if runs]
    ['wave', 'indirect']
    """
    sample, robustness = config["sample"], config["robustness"]
    return {
        "profile": bool(sample["profile"]),
        "weighted": bool(sample["profile"]) and bool(sample["weight"]),
        "wave": bool(sample["wave"]),
        "indirect": bool(indirect_effects_syntax(config["model"])[1]),
        "robustness": bool(robustness["variants"]),
        "invariance": bool(robustness["invariance"]),
        "alternatives": any(not a.get("measurement_model") for a in config["alternatives"]),
    }


def configured_exhibits(exhibits: list[dict], stages: dict[str, bool]) -> list[dict]:
    """The exhibits (manuscript/exhibits.yaml) whose `requires` stage the study runs."""
    return [e for e in exhibits if stages.get(e.get("requires"), True)]


def study_sections(folder: str | Path | None) -> list[str]:
    """The sections of STUDY_SECTIONS that the study's text folder writes itself."""
    if not folder:
        return []
    return [name for name in STUDY_SECTIONS if (Path(folder) / f"{name}.typ.j2").is_file()]


class Sourced(float):
    """A number that remembers the results file it was read from (relative to the PDF)."""

    source: str

    def __new__(cls, value, source: str):
        number = super().__new__(cls, value)
        number.source = source
        return number


def sourced(data, source: str):
    """`data` (JSON-like) with every number replaced by a Sourced number pointing at `source`.

    >>> data = sourced({"cfi": 0.97, "ok": True, "rows": [{"n": 3}]}, "model/fit.json")
    >>> data["rows"][0]["n"].source, data["ok"]
    ('model/fit.json', True)
    """
    if isinstance(data, dict):
        return {key: sourced(value, source) for key, value in data.items()}
    if isinstance(data, list):
        return [sourced(value, source) for value in data]
    if isinstance(data, int | float) and not isinstance(data, bool):
        return Sourced(data, source)
    return data


def _linked(text: str, value) -> str:
    """Typst markup of a formatted number: a link to its results file when it has one."""
    source = getattr(value, "source", None)
    return f'#link("{source}")[{text}]' if source else text


def _filters(environment) -> None:
    environment.filters.update(
        num=lambda value, digits=2, bounded=False: _linked(
            fmt.number(value, digits, bounded), value
        ),
        p=lambda value: _linked(fmt.pvalue(value), value),
        count=lambda value: _linked(fmt.count(value), value),
        ci=lambda pair, digits=2, bounded=False: _linked(
            fmt.interval(*pair, digits, bounded), pair[0]
        ),
    )


def _exclusions(sample: dict, unit: str) -> list[dict]:
    """The applied exclusion rules of the cleaning audit as counted phrases, in order."""
    found = []
    for rule, record in sample["exclusions"].items():
        if record["applied"]:
            one, many = EXCLUSION_TEXT[rule]
            text = (one if record["n"] == 1 else many).format(unit=unit)
            found.append({"n": record["n"], "text": text})
    return found


def manuscript_context(settings: dict, results: dict, warnings: list[dict]) -> dict:
    """Everything the manuscript template may print.

    `settings` holds the config values the text needs (study, title, authors, synthetic,
    unit, alpha, support_test, seed, the hypotheses with their labels, constructs, stages,
    variants, the study's own sections). `results` maps each context name to the contents
    of a results file (a dict, or a list of row dicts for a CSV), already passed through
    :func:`sourced` so that every number links to its file in the PDF. `warnings` are the
    run's warnings so far (:func:`surveysem.run_summary.collect_warnings`): cleaning's are
    stated in the method section, every other one in the warning box on page 1.
    """
    labels = {h["id"]: h.get("label", "") for h in settings["hypotheses"]}
    hypotheses = [record | {"label": labels[record["id"]]} for record in results["hypotheses"]]
    nonresponse = results["nonresponse"]
    software = software_versions()
    # the fit a report shows: scaled chi-square and robust indices for robust estimators
    results = results | {name: reported_fit(results[name]) for name in ("cfa", "sem")}
    sample, sem, checks = results["sample"], results["sem"], results["checks"]
    thresholds = checks["thresholds"]
    fits = sem["cfi"] >= thresholds["cfi"]["value"] and sem["rmsea"] <= thresholds["rmsea"]["value"]
    out_of_range = sum(sample["recoded_to_missing"]["out_of_range"].values())
    return {
        **settings,
        **results,
        "hypotheses": hypotheses,
        "n_supported": sum(bool(h["supported"]) for h in hypotheses),
        "estimation_text": estimation_text(settings["estimation"]),
        "fit_verdict": "acceptably" if fits else "less than ideally",
        "construct_names": [settings["constructs"].get(f, f) for f in settings["factors"]],
        "exclusions": _exclusions(sample, settings["unit"]["singular"]),
        "recoded_out_of_range": sourced(out_of_range, sample["rows_in"].source),
        "early_late_differ": [
            row["variable"] for row in nonresponse if row["pvalue"] < settings["alpha"]
        ],
        "warnings": {
            "cleaning": [w["warning"] for w in warnings if w["step"] == "clean_data"],
            "model": [
                f"{w['step']}: {w['warning']}" for w in warnings if w["step"] != "clean_data"
            ],
        },
        "software": {k: v for k, v in software.items() if k != "executable"},
    }


def render_manuscript(
    template: str | Path, context: dict, text_folder: str | Path | None = None
) -> str:
    """Render the Typst source of the manuscript from its Jinja2 template; the study's own
    sections are looked up in `text_folder` (config manuscript.text)."""
    template = Path(template)
    environment = template_environment([template.parent, *([text_folder] if text_folder else [])])
    _filters(environment)
    return environment.get_template(template.name).render(**context)


def compile_pdf(source: str | Path, pdf: str | Path, root: str | Path) -> None:
    """Compile Typst `source` to `pdf`; files are resolved against the project `root`.

    Only the fonts built into typst are used, so the PDF does not depend on the fonts
    installed on the machine.
    """
    typst.compile(str(source), output=str(pdf), root=str(root), ignore_system_fonts=True)
