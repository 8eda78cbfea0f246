"""Everything about a study's inputs that can be checked before any step runs.

The Snakefile calls `check_study` while it builds the DAG, so bad input stops the run with
one message before a single file is written under results/; the validate_data rule calls
it again to record the report in the audit trail.
"""

import difflib
from pathlib import Path

from surveysem.cleaning import analysis_rows, clean_survey
from surveysem.codebook import Codebook, load_codebook
from surveysem.errors import InputError
from surveysem.hypotheses import split_path
from surveysem.sem import estimation_problems, measurement_syntax, parse_syntax
from surveysem.sem.model.ordinal_model import ordinal_model_problems
from surveysem.sem.model.partable import build_partable
from surveysem.validation import open_raw, read_raw, validate_raw

#: Table Schema types that hold numbers (the only columns a model can use).
NUMERIC_TYPES = ("integer", "number")


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def model_problems(model: str, hypotheses: list[dict], codebook: Codebook) -> list[str]:
    """Names in the model that the codebook lacks or cannot supply, and hypotheses that are
    not model paths.

    Every name that is not a factor must be a column of the codebook: an item, or an observed
    covariate (a control variable such as firm size), which must be numeric (Table Schema
    type integer or number) and not personal data (those columns never leave cleaning).
    """
    parsed = parse_syntax(model)  # raises ModelSpecError naming the line of a syntax error
    latent = {s.lhs for s in parsed.statements if s.op == "=~"}
    fields = codebook.fields.set_index("name")
    problems = []
    for statement in parsed.statements:
        where = f"model line {statement.line} ('{statement.text}')"
        for name in (statement.lhs, statement.rhs):
            if name in latent:
                continue
            if name not in fields.index:
                problems.append(
                    f"{where}: '{name}' is neither a factor of the model nor a column of codebook "
                    f"{codebook.path}{_suggest(name, codebook.columns)}; fix the model or "
                    "describe the column in the codebook"
                )
            elif fields.loc[name, "pii"]:
                problems.append(
                    f"{where}: column '{name}' is personal data (pii in codebook "
                    f"{codebook.path}), which cleaning drops; use another column"
                )
            elif fields.loc[name, "type"] not in NUMERIC_TYPES:
                problems.append(
                    f"{where}: column '{name}' has type {fields.loc[name, 'type']} in codebook "
                    f"{codebook.path}, but observed variables of a model must be numeric; "
                    "recode it as numbers (e.g. 0/1 dummy columns for categories) and declare "
                    "the column as integer or number"
                )
    regressions = {(s.lhs, s.rhs) for s in parsed.statements if s.op == "~"}
    for hypothesis in hypotheses:
        lhs, rhs = split_path(hypothesis["path"])
        if (lhs, rhs) not in regressions:
            problems.append(
                f"hypothesis {hypothesis['id']} tests '{lhs} ~ {rhs}', which is not a regression "
                "of the model; add the path to the model or correct the hypothesis"
            )
    return list(dict.fromkeys(problems))


def named_columns(config: dict) -> dict[str, list[str]]:
    """Every data column the config names, by the block that names it."""
    sample, robustness = config["sample"], config["robustness"]
    named = {
        "columns": [name for name in config["columns"].values() if name],
        "sample": [v for v in sample["profile"] if v != "size_band"] + sample["compare"],
        "robustness": [v["subset"]["column"] for v in robustness["variants"] if "subset" in v]
        + [v["weights"] for v in robustness["variants"] if "weights" in v]
        + [group["column"] for group in robustness["invariance"]],
    }
    named["sample"] += [sample[key] for key in ("size_column", "weight", "wave") if sample[key]]
    return named


def column_problems(config: dict, codebook: Codebook) -> list[str]:
    """Columns named in the config's `columns`, `sample` and `robustness` blocks that the
    codebook does not describe."""
    return [
        f"{block}: column '{name}' is not described in codebook {codebook.path}"
        f"{_suggest(name, codebook.columns)}; fix the `{block}` block of the config"
        + (" or set the key to null" if block != "robustness" else "")
        for block, names in named_columns(config).items()
        for name in dict.fromkeys(names)
        if name not in codebook.columns
    ]


def alternative_problems(config: dict, codebook: Codebook) -> list[str]:
    """Alternative structures (and variants with `add`) whose syntax or names are wrong."""
    additions = [
        (f"alternative '{a['name']}'", a["add"]) for a in config["alternatives"] if "add" in a
    ]
    additions += [
        (f"robustness variant '{v['name']}'", v["add"])
        for v in config["robustness"]["variants"]
        if "add" in v
    ]
    problems = []
    for where, added in additions:
        try:
            found = model_problems(f"{config['model']}\n{added}", [], codebook)
        except InputError as error:
            found = [str(error)]
        problems += [f"{where} adds '{added}': {problem}" for problem in found]
    return problems


def variant_conflicts(spec: dict) -> list[str]:
    """Options of one robustness variant that cannot be honoured together, each a sentence
    naming the options and why; empty when the variant runs as written. No option is ever
    dropped in silence: a variant either runs with every option it names or is refused.
    Estimation options are judged by :func:`surveysem.sem.estimation_problems` (estimator
    WLSMV treats the items as ordered).

    >>> variant_conflicts({"name": "fiml_gls", "missing": "fiml", "estimator": "GLS"})[0][:56]
    "variant 'fiml_gls': estimator GLS with missing fiml: lav"
    >>> variant_conflicts({"name": "robust", "estimator": "MLR"})
    []
    """
    estimator = spec.get("estimator", "ML")
    method = spec.get("method", "latent")
    fiml, weights = spec.get("missing", "listwise") == "fiml", "weights" in spec
    where = f"variant '{spec['name']}'"
    if method == "composite" and (estimator != "ML" or fiml or weights):
        return [
            f"{where}: method composite is OLS regression on mean scores, so it takes no "
            "estimator, missing or weights option; remove them or use method latent"
        ]
    problems = estimation_problems(
        estimator,
        spec.get("missing", "listwise"),
        sampling_weights=spec.get("weights"),
        ordered=estimator == "WLSMV",
    )
    return [f"{where}: {problem}" for problem in problems]


def estimation_conflicts(config: dict, codebook: Codebook) -> list[str]:
    """The study's estimation options that its config cannot run with, each a sentence:
    a combination :func:`surveysem.sem.estimation_problems` refuses, FIML with observed
    covariates, a model or alternative the ordinal fit cannot estimate (WLSMV,
    :func:`surveysem.sem.model.ordinal_model.ordinal_model_problems`). Invariance groupings
    run under every estimator (multi-group models are fitted by ML or MLR, with listwise
    deletion or FIML, by GLS or ULS, or by WLSMV).
    """
    estimation = config["estimation"]
    estimator, missing = estimation["estimator"], estimation["missing"]
    where = f"estimation (estimator {estimator}, missing {missing})"
    problems = [
        f"{where}: {problem}"
        for problem in estimation_problems(estimator, missing, ordered=estimator == "WLSMV")
    ]
    items = set(measurement_syntax(config["model"]).split())
    covariates = [v for v in observed_variables(config["model"], codebook) if v not in items]
    if missing == "fiml" and covariates:
        problems.append(
            f"{where}: the model has observed covariates ({', '.join(covariates)}), which "
            "surveysem's full-information ML fit does not take (lavaan's fixed.x block); use "
            "missing listwise, or make them indicators of factors"
        )
    if estimator == "WLSMV":  # the model and every alternative structure
        models = {"the model": config["model"]} | {
            f"alternative '{a['name']}'": f"{config['model']}\n{a['add']}"
            for a in config["alternatives"]
            if "add" in a
        }
        for name, syntax in models.items():
            table = build_partable(parse_syntax(syntax), list(codebook.columns))
            problems += [f"{where}, {name}: {p}" for p in ordinal_model_problems(table)]
    return problems


def data_path_problems(config: dict, codebook: Codebook) -> list[str]:
    """The config's `data` and the codebook's resource `path` must be the same file."""
    if Path(config["data"]).resolve() == codebook.data_path:
        return []
    return [
        f"data: the config reads {config['data']}, but codebook {codebook.path} describes "
        f"{codebook.data_path}; point both at the same file (config `data`, or the resource "
        "`path` in the codebook, relative to the codebook file)"
    ]


def free_parameters(model: str, variables: list[str]) -> int:
    """Free parameters of the model or of its CFA, whichever has more (ML: the covariates'
    moments are fixed, not free)."""
    return max(
        build_partable(parse_syntax(syntax), variables).n_free
        for syntax in (model, measurement_syntax(model))
    )


def check_study(config: dict) -> dict:
    """Check a validated study config against its data, codebook and model.

    Raises InputError with every problem found; returns the validation report (file,
    encoding, delimiter, sha256, rows, columns, plus the rows left after cleaning, the
    rows the models use (``analysis_rows``: complete ones, or under FIML those with at least
    one answer) and the number of free parameters they estimate).
    """
    codebook = load_codebook(config["codebook"])
    if mismatch := data_path_problems(config, codebook):  # before the file is read at all
        raise InputError(mismatch[0])
    report = validate_raw(config["data"], codebook, config.get("encoding"))
    problems = model_problems(config["model"], config["hypotheses"], codebook)
    problems += alternative_problems(config, codebook)
    problems += column_problems(config, codebook)
    problems += [c for v in config["robustness"]["variants"] for c in variant_conflicts(v)]
    problems += estimation_conflicts(config, codebook)
    if problems:
        listing = "\n  - ".join(problems)
        raise InputError(f"the config cannot run as written:\n  - {listing}")
    raw = read_raw(open_raw(config["data"], codebook, config.get("encoding")), codebook)
    missing = config["estimation"]["missing"]
    clean, _ = clean_survey(raw, codebook, config["cleaning"], config["columns"], missing)
    variables = observed_variables(config["model"], codebook)
    usable = len(analysis_rows(clean, variables, missing))
    n_free = free_parameters(config["model"], variables)
    if usable <= n_free:
        answered = "every variable" if missing == "listwise" else "at least one variable"
        raise InputError(
            f"data file {config['data']}: after cleaning, {usable} respondents have a value for "
            f"{answered} of the model, but the model has {n_free} free parameters; estimation "
            "needs clearly more cases than parameters. Collect more data, relax the cleaning "
            "options, or simplify the model"
        )
    return {
        **report,
        "rows_after_cleaning": len(clean),
        "analysis_rows": usable,
        "free_parameters": n_free,
    }


def observed_variables(model: str, codebook: Codebook) -> list[str]:
    """The observed variables a model uses, in codebook order: its items and its observed
    covariates (every name of the model that is a codebook column; the rest are factors).

    The rows a model is fitted to are those complete on these columns, and the measurement
    stage passes its CFA syntax (:func:`surveysem.sem.measurement_syntax`, which has no
    regressions) to get the items alone.

    Examples
    --------
    >>> from surveysem.codebook import load_codebook
    >>> codebook = load_codebook("data/codebook/cai2009.datapackage.json")
    >>> observed_variables("CS =~ cs1 + cs2 + cs3\\nCS ~ employees", codebook)
    ['employees', 'cs1', 'cs2', 'cs3']
    """
    names = {n for s in parse_syntax(model).statements for n in (s.lhs, s.rhs)}
    return [column for column in codebook.columns if column in names]
