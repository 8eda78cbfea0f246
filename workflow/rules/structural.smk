rule fit_structural:
    """The hypothesized structural model and the test of each hypothesis."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        syntax=result("model/model.lav"),
        estimates=result("model/estimates.csv"),
        fit=result("model/fit.json"),
        solution=result("model/solution.json"),
        r2=result("model/r2.csv"),
        hypotheses=result("model/hypotheses.csv"),
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
