#!/usr/bin/env bash
# `make test-slurm`: start a one-node SLURM cluster here, run tests/test_slurm.py through it, and
# stop the daemons again (by their pid files), whatever happened. Exit 3: the cluster could not
# be set up on this machine (no root/apt, packages not installable); the tests were not run.
#
#   profiles/slurm/local-cluster/run-tests.sh PYTHON
set -uo pipefail
PYTHON=${1:?usage: run-tests.sh PYTHON}
HERE=$(cd "$(dirname "$0")" && pwd)
STATE=$(mktemp -d /tmp/entangled-drums-slurm.XXXXXX)
trap '"$HERE/stop.sh" "$STATE"' EXIT
if ! exports=$("$HERE/start.sh" "$STATE"); then
    status=$?
    echo "test-slurm: could not start a SLURM cluster on this machine (exit $status); logs in $STATE/log" >&2
    exit 3
fi
eval "$(echo "$exports" | grep '^export SLURM_CONF=')"
echo "SLURM cluster up ($SLURM_CONF):"; sinfo -N
"$PYTHON" -m pytest -p no:cacheprovider -n 0 -rA tests/test_slurm.py
status=$?
echo "sacct of this cluster's jobs:"
sacct -X -a --starttime now-6hours --format=JobID,JobName%36,Comment%60,State,AllocCPUS,ReqMem,Timelimit,Elapsed | tail -40
exit $status
