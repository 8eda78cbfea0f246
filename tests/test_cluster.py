"""The workflow through Snakemake's cluster code path gives the same bytes as a local run.

Every job is submitted with the generic cluster executor to tools/local_submit.sh, a
stand-in for `sbatch` that runs the jobscript in the background on this machine, so each
job is its own Snakemake process, as on a SLURM node. The results are compared with the
session's one local run of the same config (fixture `local_run` in tests/conftest.py).
"""

import hashlib
import json
import shlex

import pytest
from workflow_run import (
    RULES,
    STUDY,
    TEST_CONFIG,
    copy_project,
    result_digests,
    result_files,
    snakemake,
)

pytestmark = pytest.mark.integration

# What a compute node might export; the jobs must still run with one BLAS thread.
NODE_ENVIRONMENT = {"OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


@pytest.fixture(scope="module")
def cluster_run(root, tmp_path_factory):
    workdir = copy_project(root, tmp_path_factory.mktemp("cluster"))
    job_logs = tmp_path_factory.mktemp("cluster_job_logs")
    submit = f"bash {shlex.quote(str(root / 'tools' / 'local_submit.sh'))}"
    done = snakemake(
        workdir,
        "--executor",
        "cluster-generic",
        "--cluster-generic-submit-cmd",
        submit,
        "--jobs",
        "2",
        "--seconds-between-status-checks",
        "1",
        "--latency-wait",
        "30",
        "--configfile",
        TEST_CONFIG,
        env={**NODE_ENVIRONMENT, "LOCAL_SUBMIT_LOGDIR": str(job_logs)},
    )
    jobs = sorted(job_logs.iterdir())
    failed = "\n".join(f"--- {log.name}\n{log.read_text()[-1500:]}" for log in jobs)
    assert done.returncode == 0, done.stderr[-3000:] + failed
    return workdir, workdir / "results" / STUDY, jobs, done.stdout + done.stderr


def test_every_job_went_through_the_submit_script(cluster_run):
    _, results, jobs, output = cluster_run
    submitted = output.count("with external jobid")
    audited = len(list((results / "audit").glob("*.json")))
    assert submitted == len(jobs) >= audited >= len(RULES)


def test_results_are_byte_identical_to_the_local_run(cluster_run, local_run):
    _, results, _, _ = cluster_run
    digests = result_digests(results)
    assert digests.keys() == local_run.digests.keys()
    differ = [name for name, digest in digests.items() if digest != local_run.digests[name]]
    assert not differ, f"differ from the local run: {differ}"


def test_cluster_jobs_write_complete_logs_and_audit_records(cluster_run, local_run):
    workdir, results, _, _ = cluster_run
    assert result_files(results) == local_run.files  # every log, audit record, benchmark
    for rule in RULES:
        assert (results / "logs" / f"{rule}.log").stat().st_size > 0, rule
        record = json.loads((results / "audit" / f"{rule}.json").read_text())
        assert rule == "_".join([record["step"], *record["wildcards"].values()])
        assert record["outputs"], f"{rule} recorded no outputs"
        for output in record["outputs"]:
            written = hashlib.sha256((workdir / output["path"]).read_bytes()).hexdigest()
            assert output["sha256"] == written, f"{rule}: {output['path']}"
    provenance = json.loads((results / "provenance.json").read_text())
    audits = {path.stem for path in (results / "audit").glob("*.json")}
    assert set(provenance["steps"]) == audits


def test_a_second_cluster_run_has_nothing_to_do(cluster_run):
    workdir, _, _, _ = cluster_run
    dry = snakemake(workdir, "--configfile", TEST_CONFIG, "-n")
    assert dry.returncode == 0
    assert "Nothing to be done" in dry.stdout + dry.stderr
