rule describe_sample:
    """Sample profile (weighted and unweighted) and early-versus-late respondents."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        profile=report(
            result("sample/profile.csv"),
            caption="../report/sample_profile.rst",
            category="2 Sample",
        ),
        nonresponse=report(
            result("sample/nonresponse.csv"),
            caption="../report/nonresponse.rst",
            category="2 Sample",
        ),
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
