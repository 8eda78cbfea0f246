# Robustness variants and measurement invariance, one job per variant and per grouping.
VARIANTS = {variant["name"]: variant for variant in config["robustness"]["variants"]}
GROUPINGS = {group["name"]: group for group in config["robustness"]["invariance"]}


wildcard_constraints:
    variant="|".join(VARIANTS) or "no-variant",
    grouping="|".join(GROUPINGS) or "no-grouping",


rule robustness_variant:
    """The hypothesized model under one alternative analytic choice."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        estimates=result("robustness/{variant}/estimates.csv"),
        fit=result("robustness/{variant}/fit.json"),
        hypotheses=report(
            result("robustness/{variant}/hypotheses.csv"),
            caption="../report/variant.rst",
            category="7 Robustness",
            subcategory="Variants",
            labels={"variant": "{variant}", "table": "hypothesis tests"},
        ),
        audit=audit_file("robustness_variant_{variant}"),
    log:
        log_file("robustness_variant_{variant}"),
    benchmark:
        benchmark_file("robustness_variant_{variant}")
    conda:
        "../../environment.yml"
    params:
        spec=lambda wildcards: VARIANTS[wildcards.variant],
        model=config["model"],
        hypotheses=config["hypotheses"],
        alpha=config["support"]["alpha"],
    script:
        "../scripts/robustness_variant.py"


rule measurement_invariance:
    """Configural, metric and scalar invariance across one grouping; paths compared."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        sequence=report(
            result("robustness/invariance_{grouping}/sequence.csv"),
            caption="../report/invariance.rst",
            category="7 Robustness",
            subcategory="Measurement invariance",
            labels={"grouping": "{grouping}", "table": "invariance sequence"},
        ),
        paths=result("robustness/invariance_{grouping}/paths.csv"),
        audit=audit_file("measurement_invariance_{grouping}"),
    log:
        log_file("measurement_invariance_{grouping}"),
    benchmark:
        benchmark_file("measurement_invariance_{grouping}")
    conda:
        "../../environment.yml"
    params:
        spec=lambda wildcards: GROUPINGS[wildcards.grouping],
        model=config["model"],
        alpha=config["support"]["alpha"],
        estimation=config["estimation"],
    script:
        "../scripts/measurement_invariance.py"


rule summarize_robustness:
    """Every variant's hypothesis tests side by side, verdicts and the forest plot."""
    input:
        main=rules.test_hypotheses.output.hypotheses,
        main_fit=rules.fit_structural.output.fit,
        variants=expand(result("robustness/{variant}/hypotheses.csv"), variant=VARIANTS),
        variant_fits=expand(result("robustness/{variant}/fit.json"), variant=VARIANTS),
    output:
        summary=report(
            result("robustness/summary.csv"),
            caption="../report/robustness.rst",
            category="7 Robustness",
            subcategory="Summary",
            labels={"table": "summary"},
        ),
        verdicts=result("robustness/verdicts.csv"),
        forest=report(
            multiext(result("figures/forest"), ".svg", ".png"),
            caption="../report/forest.rst",
            category="7 Robustness",
            subcategory="Summary",
        ),
        audit=audit_file("summarize_robustness"),
    log:
        log_file("summarize_robustness"),
    conda:
        "../../environment.yml"
    params:
        variants=list(VARIANTS),
    script:
        "../scripts/summarize_robustness.py"
