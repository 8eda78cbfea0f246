rule fit_measurement:
    """CFA of every construct in the model with all factor covariances free."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        syntax=result("measurement/model.lav"),
        estimates=report(
            result("measurement/estimates.csv"),
            caption="../report/estimates.rst",
            category="3 Measurement",
            subcategory="CFA",
        ),
        fit=result("measurement/fit.json"),
        sample_cov=result("measurement/sample_cov.csv"),
        solution=result("measurement/solution.json"),
        modindices=report(
            result("measurement/modindices.csv"),
            caption="../report/modindices.rst",
            category="3 Measurement",
            subcategory="CFA",
        ),
        audit=audit_file("fit_measurement"),
    log:
        log_file("fit_measurement"),
    benchmark:
        benchmark_file("fit_measurement")
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
        estimation=config["estimation"],
    script:
        "../scripts/fit_measurement.py"
