rule draw_figures:
    """The conceptual model and the estimated path diagram (matplotlib, SVG and PNG)."""
    input:
        estimates=rules.fit_structural.output.estimates,
        r2=rules.fit_structural.output.r2,
        draws=expand(result("bootstrap/draws_{chunk}.csv"), chunk=CHUNKS),
        indirect=rules.test_hypotheses.output.indirect,
    output:
        conceptual=multiext(result("figures/conceptual_model"), ".svg", ".png"),
        path_diagram=report(
            multiext(result("figures/path_diagram"), ".svg", ".png"),
            caption="../report/path_diagram.rst",
            category="4 Structural model",
        ),
        # only when the model implies indirect effects
        bootstrap=(
            report(
                multiext(result("figures/bootstrap_indirect"), ".svg", ".png"),
                caption="../report/bootstrap.rst",
                category="4 Structural model",
            )
            if STAGES["indirect"]
            else []
        ),
        audit=audit_file("draw_figures"),
    log:
        log_file("draw_figures"),
    conda:
        "../../environment.yml"
    params:
        hypotheses=config["hypotheses"],
        alpha=config["support"]["alpha"],
    script:
        "../scripts/draw_figures.py"
