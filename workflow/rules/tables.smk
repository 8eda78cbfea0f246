rule render_tables:
    """Manuscript tables rendered from the results files by Jinja2 templates."""
    input:
        hypotheses=rules.fit_structural.output.hypotheses,
        profile=rules.describe_sample.output.profile,
        nonresponse=rules.describe_sample.output.nonresponse,
        template="manuscript/templates/table.typ.j2",
    output:
        hypotheses=result("tables/hypotheses.typ"),
        sample_profile=result("tables/sample_profile.typ"),
        nonresponse=result("tables/nonresponse.typ"),
        audit=audit_file("render_tables"),
    log:
        log_file("render_tables"),
    conda:
        "../../environment.yml"
    params:
        alpha=config["support"]["alpha"],
        constructs=config["constructs"],
        weighted=bool(config["sample"]["weight"]),
    script:
        "../scripts/render_tables.py"
