rule assess_reliability:
    """Item analysis, and alpha (Feldt CI), composite reliability (omega) and AVE."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        syntax=rules.fit_measurement.output.syntax,
        estimates=rules.fit_measurement.output.estimates,
        sample_cov=rules.fit_measurement.output.sample_cov,
    output:
        reliability=report(
            result("measurement/reliability.csv"),
            caption="../report/reliability.rst",
            category="3 Measurement",
            subcategory="Reliability",
        ),
        item_total=result("measurement/item_total.csv"),
        descriptives=result("measurement/item_descriptives.csv"),
        mardia=result("measurement/mardia.json"),
        audit=audit_file("assess_reliability"),
    log:
        log_file("assess_reliability"),
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
    script:
        "../scripts/assess_reliability.py"
