rule fit_structural:
    """The hypothesized structural model and the test of each hypothesis."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        syntax=result("model/model.lav"),
        estimates=report(
            result("model/estimates.csv"),
            caption="../report/estimates.rst",
            category="4 Structural model",
        ),
        fit=result("model/fit.json"),
        solution=result("model/solution.json"),
        r2=result("model/r2.csv"),
        hypotheses=report(
            result("model/hypotheses.csv"),
            caption="../report/hypotheses.rst",
            category="4 Structural model",
        ),
        audit=audit_file("fit_structural"),
    log:
        log_file("fit_structural"),
    benchmark:
        benchmark_file("fit_structural")
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
        hypotheses=config["hypotheses"],
        support=config["support"],
        missing_data=config["cleaning"]["missing_data"],
    script:
        "../scripts/fit_structural.py"
