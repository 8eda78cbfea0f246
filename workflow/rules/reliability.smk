rule assess_reliability:
    """Cronbach's alpha with its Feldt CI, composite reliability (omega) and AVE."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        syntax=rules.fit_measurement.output.syntax,
    output:
        reliability=result("measurement/reliability.csv"),
        audit=audit_file("assess_reliability"),
    log:
        log_file("assess_reliability"),
    conda:
        "../../environment.yml"
    params:
        missing_data=config["cleaning"]["missing_data"],
    script:
        "../scripts/assess_reliability.py"
