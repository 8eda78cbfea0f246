rule build_manuscript:
    """Render the Typst manuscript from the results and compile it to PDF."""
    input:
        template="manuscript/manuscript.typ.j2",
        bibliography="manuscript/references.bib",
        clean_audit=rules.clean_data.output.audit_json,
        measurement_fit=rules.fit_measurement.output.fit,
        reliability=rules.assess_reliability.output.reliability,
        measurement_summary=rules.summarize_measurement.output.summary,
        structural_fit=rules.fit_structural.output.fit,
        estimates=rules.fit_structural.output.estimates,
        hypotheses=rules.fit_structural.output.hypotheses,
        nonresponse=rules.describe_sample.output.nonresponse,
        tables=rules.render_tables.output.typ,
        conceptual=rules.draw_figures.output.conceptual,
        path_diagram=rules.draw_figures.output.path_diagram,
        forest=rules.summarize_robustness.output.forest,
        robustness_verdicts=rules.summarize_robustness.output.verdicts,
        invariance=expand(
            result("robustness/invariance_{grouping}/sequence.csv"), grouping=GROUPINGS
        ),
        lock="requirements.lock",
    output:
        source=result("manuscript/manuscript.typ"),
        pdf=report(
            result("manuscript.pdf"),
            caption="../report/manuscript.rst",
            category="6 Manuscript",
        ),
        audit=audit_file("build_manuscript"),
    log:
        log_file("build_manuscript"),
    benchmark:
        benchmark_file("build_manuscript")
    conda:
        "../../environment.yml"
    params:
        study=STUDY,
        title=config["title"],
        authors=config["manuscript"]["authors"],
        synthetic=config["synthetic"],
        hypotheses=config["hypotheses"],
        alpha=config["support"]["alpha"],
        seed=config["seed"],
        sample_weighted=bool(config["sample"]["weight"]),
        groupings=list(GROUPINGS),
    script:
        "../scripts/build_manuscript.py"
