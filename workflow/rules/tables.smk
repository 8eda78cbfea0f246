# Every manuscript table of this study, in Typst (PDF), LaTeX (booktabs) and HTML (report).
TABLES = [Path(e["output"]).stem for e in EXHIBITS if e["output"].startswith("tables/")]


rule render_tables:
    """Manuscript tables rendered from the results files by Jinja2 templates."""
    input:
        profile=rules.describe_sample.output.profile,
        nonresponse=rules.describe_sample.output.nonresponse,
        codebook=config["codebook"],
        measurement_estimates=rules.fit_measurement.output.estimates,
        measurement_fit=rules.fit_measurement.output.fit,
        reliability=rules.assess_reliability.output.reliability,
        fornell_larcker=rules.assess_validity.output.fornell_larcker,
        htmt=rules.assess_validity.output.htmt,
        harman=rules.assess_validity.output.harman,
        structural_fit=rules.fit_structural.output.fit,
        hypotheses=rules.test_hypotheses.output.hypotheses,
        indirect=rules.test_hypotheses.output.indirect,
        residuals=rules.fit_structural.output.largest_residuals,
        comparison=rules.compare_models.output.comparison,
        robustness=rules.summarize_robustness.output.summary,
        verdicts=rules.summarize_robustness.output.verdicts,
        invariance=expand(
            result("robustness/invariance_{grouping}/sequence.csv"), grouping=GROUPINGS
        ),
        templates="manuscript/templates",
    output:
        typ=expand(result("tables/{table}.typ"), table=TABLES),
        tex=expand(result("tables/{table}.tex"), table=TABLES),
        html=report(
            expand(result("tables/{table}.html"), table=TABLES),
            caption="../report/tables.rst",
            category="5 Tables",
        ),
        audit=audit_file("render_tables"),
    log:
        log_file("render_tables"),
    conda:
        "../../environment.yml"
    params:
        alpha=config["support"]["alpha"],
        constructs=config["constructs"],
        weighted=bool(config["sample"]["weight"]),
        thresholds=config["thresholds"],
        estimation=config["estimation"],
        descriptions={
            v["name"]: v.get("description", v["name"]) for v in VARIANTS.values()
        },
        groupings=list(GROUPINGS),
        alternatives={
            a["name"]: a.get("description", a["name"])
            for a in config["alternatives"]
            if not a["measurement_model"]
        },
    script:
        "../scripts/render_tables.py"
