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
    script:
        "../scripts/write_lavaan_check.py"


rule run_lavaan_check:
    """Optional: run the R script when R with lavaan is installed; record the agreement."""
    input:
        script=rules.write_lavaan_check.output.script,
        estimates=rules.fit_structural.output.estimates,
        fit=rules.fit_structural.output.fit,
    output:
        agreement=result("audit/lavaan_check.csv"),
    log:
        log_file("run_lavaan_check"),
    conda:
        "../envs/lavaan.yaml"
    shell:
        "Rscript {input.script} > {log} 2>&1"
