rule validate_data:
    """Record the check of data, codebook and model that common.smk ran at start.

    Not an input of clean_data: the same check already gates every run at start, and keeping
    it off the path means a config edit does not rerun the whole study.
    """
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
