# R lavaan's second opinion on the structural model: the script is always written; it runs
# only when Rscript with lavaan is on PATH (checked once per parse).
LAVAAN_CHECK = lavaan_available()


rule write_lavaan_check:
    """A standalone R script that refits the main model with lavaan and compares."""
    input:
        codebook=config["codebook"],
        data=rules.clean_data.output.data,
        estimates=rules.fit_structural.output.estimates,
        syntax=rules.fit_structural.output.syntax,
    output:
        script=result("audit/lavaan_check.R"),
        audit=audit_file("write_lavaan_check"),
    log:
        log_file("write_lavaan_check"),
    conda:
        "../../environment.yml"
    params:
        study=STUDY,
        estimation=config["estimation"],
    script:
        "../scripts/write_lavaan_check.py"


rule run_lavaan_check:
    """Optional (R with lavaan on PATH): run the R script and record its verdict.

    Never fails because of R: the verdict (agree, disagree with the largest difference, or R
    failed with the reason) is in verdict and the audit record's warnings.
    """
    input:
        script=rules.write_lavaan_check.output.script,
        estimates=rules.fit_structural.output.estimates,
        fit=rules.fit_structural.output.fit,
    output:
        agreement=result("audit/lavaan_check.csv"),
        verdict=result("model/lavaan_check.json"),
        audit=audit_file("run_lavaan_check"),
    log:
        log_file("run_lavaan_check"),
    conda:
        "../../environment.yml"
    script:
        "../scripts/run_lavaan_check.py"
