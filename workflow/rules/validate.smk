rule validate_data:
    """Record the check of data, codebook and model that common.smk ran at start."""
    input:
        data=config["data"],
        codebook=config["codebook"],
    output:
        report=result("validate/report.json"),
        audit=audit_file("validate_data"),
    log:
        log_file("validate_data"),
    conda:
        "../../environment.yml"
    params:
        study=config,
    script:
        "../scripts/validate_data.py"
