rule describe_sample:
    """Sample profile (weighted and unweighted) and early-versus-late respondents."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        profile=result("sample/profile.csv"),
        nonresponse=result("sample/nonresponse.csv"),
        audit=audit_file("describe_sample"),
    log:
        log_file("describe_sample"),
    conda:
        "../../environment.yml"
    params:
        sample=config["sample"],
        model=config["model"],
        alpha=config["support"]["alpha"],
    script:
        "../scripts/describe_sample.py"
