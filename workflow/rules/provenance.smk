# Every rule that writes an audit record; gather_provenance collects them all.
AUDITED = [
    "validate_data",
    "clean_data",
    "describe_sample",
    "fit_measurement",
    "assess_reliability",
    "assess_validity",
    "summarize_measurement",
    "fit_structural",
    *[f"bootstrap_chunk_{chunk}" for chunk in CHUNKS],
    "jackknife",
    "test_hypotheses",
    "compare_models",
    "render_tables",
    "draw_figures",
    "build_manuscript",
    "write_lavaan_check",
    *(["run_lavaan_check"] if LAVAAN_CHECK else []),
    *[f"robustness_variant_{name}" for name in VARIANTS],
    *[f"measurement_invariance_{name}" for name in GROUPINGS],
    "summarize_robustness",
]


rule gather_provenance:
    """One provenance record: every step's audit, the commit, the lock hash and the config."""
    input:
        audits=[audit_file(name) for name in AUDITED],
        lock="requirements.lock",
    output:
        provenance=result("provenance.json"),
    log:
        log_file("gather_provenance"),
    conda:
        "../../environment.yml"
    params:
        study=config,
    script:
        "../scripts/gather_provenance.py"
