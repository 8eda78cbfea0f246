# Monte Carlo power of the hypothesis tests at planned sample sizes (optional target, not in
# `rule all`): `snakemake power`. Replications are scattered over jobs like the bootstrap.
POWER = config["power"]
POWER_CHUNKS = range(POWER["chunks"])
# The decision rule's alpha defaults to the main analysis's.
POWER_ALPHA = POWER.get("alpha", config["support"]["alpha"])


rule power_chunk:
    """One slice of the replications at every sample size; replication r at size n is seeded
    by (seed, n, r) whatever the slice."""
    input:
        data=rules.clean_data.output.data,
        codebook=config["codebook"],
        syntax=rules.fit_structural.output.syntax,
    output:
        replications=temp(result("power/replications_{chunk}.csv")),
        audit=audit_file("power_chunk_{chunk}"),
    log:
        log_file("power_chunk_{chunk}"),
    benchmark:
        benchmark_file("power_chunk_{chunk}")
    conda:
        "../../environment.yml"
    params:
        seed=config["seed"],
        hypotheses=config["hypotheses"],
        alpha=POWER_ALPHA,
        sample_sizes=POWER["sample_sizes"],
        replications=POWER["replications"],
        chunks=POWER["chunks"],
        estimation=config["estimation"],
    script:
        "../scripts/power_chunk.py"


rule summarize_power:
    """All replications in one table, power per hypothesis and n, and the power curves."""
    input:
        replications=expand(
            result("power/replications_{chunk}.csv"), chunk=POWER_CHUNKS
        ),
        estimates=rules.fit_structural.output.estimates,
    output:
        replications=result("power/replications.csv"),
        summary=result("power/summary.csv"),
        figure=multiext(result("figures/power"), ".svg", ".png"),
        audit=audit_file("summarize_power"),
    log:
        log_file("summarize_power"),
    benchmark:
        benchmark_file("summarize_power")
    conda:
        "../../environment.yml"
    params:
        hypotheses=config["hypotheses"],
        alpha=POWER_ALPHA,
        target=0.80,
    script:
        "../scripts/summarize_power.py"


rule power:
    """Target of the power study: snakemake power --cores all."""
    input:
        rules.summarize_power.output.summary,
        rules.summarize_power.output.figure,
