rule validate_data:
    """Check the raw file against its codebook and recorded sha256 before anything else."""
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
    script:
        "../scripts/validate_data.py"
