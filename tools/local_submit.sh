#!/usr/bin/env bash
# A stand-in for `sbatch` on one machine, for Snakemake's generic cluster executor:
#   snakemake --executor cluster-generic --cluster-generic-submit-cmd tools/local_submit.sh --jobs 2
# Snakemake calls it with the path of a jobscript as the last argument; the script starts that
# jobscript in the background, detached from the caller, and prints a job id (its process id)
# as the first line of stdout, as a batch system does. The jobscript itself tells Snakemake
# whether it succeeded (marker files under .snakemake/), so no status command is needed.
# Each job's output goes to $LOCAL_SUBMIT_LOGDIR (default .snakemake/local_submit/).
# tests/test_cluster.py uses it to run the workflow through the cluster code path.
set -euo pipefail

jobscript="${!#}"
if [[ $# -lt 1 || ! -f "$jobscript" ]]; then
    echo "usage: $0 JOBSCRIPT" >&2
    exit 2
fi
logdir="${LOCAL_SUBMIT_LOGDIR:-.snakemake/local_submit}"
mkdir -p "$logdir"
log="$logdir/$(basename "$jobscript").$$.log"

# No inherited stdin/stdout/stderr: the caller reads our stdout until it closes, and must get
# the job id at once rather than wait for the job. Like a batch job, it runs in a session of
# its own where setsid exists (Linux), so a Ctrl-C to Snakemake does not reach it.
if command -v setsid >/dev/null; then
    setsid /bin/sh "$jobscript" </dev/null >"$log" 2>&1 &
else
    /bin/sh "$jobscript" </dev/null >"$log" 2>&1 &
fi
echo "$!"
