rule clean_data:
    """Missing codes, out-of-range values, duplicates, straight-liners, reverse keys, PII."""
    input:
        data=config["data"],
        codebook=config["codebook"],
    output:
        data=result("clean/data.csv"),
        audit_json=result("clean/audit.json"),
        audit_table=report(
            result("clean/audit.csv"),
            caption="../report/cleaning_audit.rst",
            category="1 Data",
        ),
        audit=audit_file("clean_data"),
    log:
        log_file("clean_data"),
    conda:
        "../../environment.yml"
    params:
        options=config["cleaning"],
        columns=config["columns"],
        missing=config["estimation"]["missing"],
        encoding=config.get("encoding"),
    script:
        "../scripts/clean_data.py"
