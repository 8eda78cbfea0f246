rule render_tables:
    """Manuscript tables rendered from the results files by Jinja2 templates."""
    input:
        hypotheses=rules.fit_structural.output.hypotheses,
        template="manuscript/templates/table.typ.j2",
    output:
        hypotheses=result("tables/hypotheses.typ"),
        audit=audit_file("render_tables"),
    log:
        log_file("render_tables"),
    conda:
        "../../environment.yml"
    params:
        alpha=config["support"]["alpha"],
        constructs=config["constructs"],
    script:
        "../scripts/render_tables.py"
