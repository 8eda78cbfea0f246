# The hypothesized model, its bootstrap (scattered over jobs), hypothesis tests, indirect
# effects and the comparison with alternative structures.
CHUNKS = range(config["bootstrap"]["chunks"])


rule fit_structural:
    """The hypothesized model with every indirect and total effect as := parameters."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
    output:
        syntax=result("model/model.lav"),
        estimates=report(
            result("model/estimates.csv"),
            caption="../report/estimates.rst",
            category="4 Structural model",
        ),
        fit=result("model/fit.json"),
        sample_cov=result("model/sample_cov.csv"),
        solution=result("model/solution.json"),
        r2=result("model/r2.csv"),
        effects=result("model/effects.json"),
        residuals=result("model/residuals.csv"),
        largest_residuals=report(
            result("model/largest_residuals.csv"),
            caption="../report/residuals.rst",
            category="4 Structural model",
        ),
        audit=audit_file("fit_structural"),
    log:
        log_file("fit_structural"),
    benchmark:
        benchmark_file("fit_structural")
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
        estimation=config["estimation"],
    script:
        "../scripts/fit_structural.py"


rule bootstrap_chunk:
    """One slice of the bootstrap draws; draw i is seeded by (seed, i) whatever the slice."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        syntax=rules.fit_structural.output.syntax,
    output:
        draws=result("bootstrap/draws_{chunk}.csv"),
        status=result("bootstrap/status_{chunk}.json"),
        audit=audit_file("bootstrap_chunk_{chunk}"),
    log:
        log_file("bootstrap_chunk_{chunk}"),
    benchmark:
        benchmark_file("bootstrap_chunk_{chunk}")
    conda:
        "../../environment.yml"
    params:
        seed=config["seed"],
        draws=config["bootstrap"]["draws"],
        chunks=config["bootstrap"]["chunks"],
        max_failed_share=config["bootstrap"]["max_failed_share"],
        estimation=config["estimation"],
    script:
        "../scripts/bootstrap_chunk.py"


rule jackknife:
    """Jackknife refits (leave-one-out, or delete-d for large n): the BCa acceleration."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        syntax=rules.fit_structural.output.syntax,
    output:
        jackknife=result("bootstrap/jackknife.csv"),
        audit=audit_file("jackknife"),
    log:
        log_file("jackknife"),
    benchmark:
        benchmark_file("jackknife")
    conda:
        "../../environment.yml"
    params:
        estimation=config["estimation"],
        groups=config["bootstrap"]["jackknife_groups"],
        seed=config["seed"],
    script:
        "../scripts/jackknife.py"


rule test_hypotheses:
    """Hypothesis tests and indirect effects with delta-method and bootstrap intervals."""
    input:
        estimates=rules.fit_structural.output.estimates,
        effects=rules.fit_structural.output.effects,
        draws=expand(result("bootstrap/draws_{chunk}.csv"), chunk=CHUNKS),
        statuses=expand(result("bootstrap/status_{chunk}.json"), chunk=CHUNKS),
        jackknife=rules.jackknife.output.jackknife,
    output:
        hypotheses=report(
            result("model/hypotheses.csv"),
            caption="../report/hypotheses.rst",
            category="4 Structural model",
        ),
        indirect=report(
            result("model/indirect.csv"),
            caption="../report/indirect.rst",
            category="4 Structural model",
        ),
        intervals=result("bootstrap/intervals.csv"),
        summary=result("bootstrap/summary.json"),
        audit=audit_file("test_hypotheses"),
    log:
        log_file("test_hypotheses"),
    conda:
        "../../environment.yml"
    params:
        hypotheses=config["hypotheses"],
        support=config["support"],
    script:
        "../scripts/test_hypotheses.py"


rule compare_models:
    """The hypothesized model against the alternatives declared in the config."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        model_estimates=rules.fit_structural.output.estimates,
        model_fit=rules.fit_structural.output.fit,
        model_solution=rules.fit_structural.output.solution,
        model_sample_cov=rules.fit_structural.output.sample_cov,
        cfa_estimates=rules.fit_measurement.output.estimates,
        cfa_fit=rules.fit_measurement.output.fit,
        cfa_solution=rules.fit_measurement.output.solution,
        cfa_sample_cov=rules.fit_measurement.output.sample_cov,
    output:
        comparison=report(
            result("model/comparison.csv"),
            caption="../report/comparison.rst",
            category="4 Structural model",
        ),
        audit=audit_file("compare_models"),
    log:
        log_file("compare_models"),
    conda:
        "../../environment.yml"
    params:
        model=config["model"],
        alternatives=config["alternatives"],
        estimation=config["estimation"],
    script:
        "../scripts/compare_models.py"
