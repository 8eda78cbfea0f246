rule assess_validity:
    """Discriminant validity (Fornell-Larcker, HTMT) and common method variance (Harman)."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        syntax=rules.fit_measurement.output.syntax,
        estimates=rules.fit_measurement.output.estimates,
        fit=rules.fit_measurement.output.fit,
        reliability=rules.assess_reliability.output.reliability,
    output:
        fornell_larcker=report(
            result("measurement/fornell_larcker.csv"),
            caption="../report/discriminant.rst",
            category="3 Measurement",
            subcategory="Validity",
        ),
        fornell_larcker_verdicts=result("measurement/fornell_larcker_verdicts.csv"),
        htmt=report(
            result("measurement/htmt.csv"),
            caption="../report/discriminant.rst",
            category="3 Measurement",
            subcategory="Validity",
        ),
        harman=result("measurement/harman.json"),
        method_comparison=result("measurement/method_comparison.csv"),
        audit=audit_file("assess_validity"),
    log:
        log_file("assess_validity"),
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
        estimation=config["estimation"],
    script:
        "../scripts/assess_validity.py"


rule summarize_measurement:
    """Every measurement check against the thresholds of the config, in one summary."""
    input:
        reliability=rules.assess_reliability.output.reliability,
        htmt=rules.assess_validity.output.htmt,
        fornell_larcker=rules.assess_validity.output.fornell_larcker_verdicts,
        harman=rules.assess_validity.output.harman,
        fit=rules.fit_measurement.output.fit,
        solution=rules.fit_measurement.output.solution,
    output:
        checks=report(
            result("measurement/checks.csv"),
            caption="../report/checks.rst",
            category="3 Measurement",
            subcategory="Verdicts",
        ),
        summary=result("measurement/summary.json"),
        audit=audit_file("summarize_measurement"),
    log:
        log_file("summarize_measurement"),
    conda:
        "../../environment.yml"
    params:
        thresholds=config["thresholds"],
    script:
        "../scripts/summarize_measurement.py"
