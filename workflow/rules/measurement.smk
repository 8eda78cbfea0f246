rule fit_measurement:
    """CFA of every construct in the model with all factor covariances free."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        syntax=result("measurement/model.lav"),
        estimates=result("measurement/estimates.csv"),
        fit=result("measurement/fit.json"),
        solution=result("measurement/solution.json"),
        modindices=result("measurement/modindices.csv"),
        audit=audit_file("fit_measurement"),
    log:
        log_file("fit_measurement"),
    benchmark:
        benchmark_file("fit_measurement")
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
        missing_data=config["cleaning"]["missing_data"],
    script:
        "../scripts/fit_measurement.py"
