rule build_manuscript:
    """Render the Typst manuscript from the results and compile it to PDF."""
    input:
        template="manuscript/manuscript.typ.j2",
        bibliography="manuscript/references.bib",
        exhibits="manuscript/exhibits.yaml",
        clean_audit=rules.clean_data.output.audit_json,
        measurement_fit=rules.fit_measurement.output.fit,
        reliability=rules.assess_reliability.output.reliability,
        measurement_summary=rules.summarize_measurement.output.summary,
        structural_fit=rules.fit_structural.output.fit,
        solution=rules.fit_structural.output.solution,
        estimates=rules.fit_structural.output.estimates,
        hypotheses=rules.test_hypotheses.output.hypotheses,
        nonresponse=rules.describe_sample.output.nonresponse,
        tables=rules.render_tables.output.typ,
        conceptual=rules.draw_figures.output.conceptual,
        path_diagram=rules.draw_figures.output.path_diagram,
        forest=rules.summarize_robustness.output.forest,
        bootstrap=rules.draw_figures.output.bootstrap,
        # every earlier step's audit: their warnings are stated in the manuscript
        audits=lambda wildcards: [
            audit_file(name)
            for name in AUDITED
            if name not in ("build_manuscript", "write_lavaan_check")
        ],
        indirect=rules.test_hypotheses.output.indirect,
        bootstrap_summary=rules.test_hypotheses.output.summary,
        robustness_verdicts=rules.summarize_robustness.output.verdicts,
        invariance=expand(
            result("robustness/invariance_{grouping}/sequence.csv"), grouping=GROUPINGS
        ),
        lavaan_check=rules.run_lavaan_check.output.verdict if LAVAAN_CHECK else [],
        lock="requirements.lock",
        text=config["manuscript"]["text"] or [],
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
        unit=config["manuscript"]["unit"],
        study_text=study_sections(config["manuscript"]["text"]),
        synthetic=config["synthetic"],
        hypotheses=config["hypotheses"],
        constructs=config["constructs"],
        factors=list(factor_indicators(config["model"])),
        stages=STAGES,
        variants=[
            {"name": name, "description": v.get("description", name)}
            for name, v in VARIANTS.items()
        ],
        alpha=config["support"]["alpha"],
        support_test=config["support"]["test"],
        estimation=config["estimation"],
        seed=config["seed"],
        data_file=config["data"],
        codebook_file=config["codebook"],
        groupings=list(GROUPINGS),
    script:
        "../scripts/build_manuscript.py"
