"""The cluster path for real: the quick coverage study through a SLURM scheduler (`make test-slurm`).

Needs a running cluster: `make test-slurm` starts a one-node one on this machine
(profiles/slurm/local-cluster/start.sh) and sets SLURM_CONF; without it these tests are skipped.
They check that the jobs submit with the resources the profile asks for, that SLURM's
accounting lists one completed job per rule instance of the DAG, that the results equal a local
run's, and that a job killed through the scheduler comes back as a clear failure that a rerun
repairs.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import copy_repository, snakemake

pytestmark = [
    pytest.mark.workflow,
    pytest.mark.skipif("SLURM_CONF" not in os.environ, reason="no SLURM cluster (make test-slurm starts one)"),
]

#: The smallest DAG that still shows the scheduler's paths: the quick coverage study and the quick SBC (the
#: kernels' compilation, per study one replica with MCMC on 2 CPUs, one without on 1, the summary notebook).
TARGETS = ["coverage", "sbc"]
#: Quicker status polling than a production cluster needs (the profile keeps the plugin's defaults).
FAST = ["--slurm-init-seconds-before-status-checks", "2"]


def _sacct(*fields):
    out = subprocess.run(
        ["sacct", "-X", "-a", "--parsable2", "--noheader", "--starttime", "now-6hours", f"--format={','.join(fields)}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    # strict=False: `-a` lists every user's jobs, and a free-text field (JobName, Comment) of one
    # may contain the "|" delimiter; such a line must not abort the test (our jobs are picked by Comment).
    return [dict(zip(fields, line.split("|"), strict=False)) for line in out.splitlines() if line]


def _planned_jobs(repo):
    """Every job the DAG of TARGETS has from scratch, with the threads, mem_mb and runtime Snakemake
    will ask of SLURM (a dry run with the SLURM profile's resources in a clean copy; the local executor,
    whose dry run prints the threads): {(rule, wildcard values): (threads, mem_mb, runtime)}."""
    proc = snakemake(
        repo,
        "--workflow-profile",
        "profiles/slurm",
        "--executor",
        "local",
        "--cores",
        "64",
        "--dry-run",
        "--configfile",
        "config/quick.yaml",
        "--",
        *TARGETS,
    )
    jobs, current = {}, None
    for line in proc.stdout.splitlines():
        text = line.strip()
        if line.startswith(("rule ", "localrule ")) and text.endswith(":"):
            current = {
                "rule": text.split()[1].rstrip(":"),
                "wildcards": "",
                "threads": 1,
                "local": line.startswith("local"),
            }
        elif current is not None and text.startswith("wildcards:"):  # "seed=1001" -> "1001", as the plugin's comment
            current["wildcards"] = "_".join(w.split("=", 1)[1] for w in text.split(":", 1)[1].strip().split(", "))
        elif current is not None and text.startswith("threads:"):
            current["threads"] = int(text.split(":", 1)[1])
        elif current is not None and text.startswith("resources:"):
            res = dict(item.strip().split("=", 1) for item in text.split(":", 1)[1].split(","))
            if not current["local"]:
                jobs[(current["rule"], current["wildcards"])] = (
                    current["threads"],
                    int(res["mem_mb"]),
                    int(res["runtime"]),
                )
            current = None
    assert jobs, proc.stdout[-2000:]
    return jobs


@pytest.fixture(scope="module")
def cluster_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("slurm")
    repo = copy_repository(base / "repo")  # with the truth: the coverage study needs it
    expected = _planned_jobs(repo)
    start = time.time()
    proc = snakemake(
        repo,
        "--workflow-profile",
        "profiles/slurm",
        "--configfile",
        "config/quick.yaml",
        *FAST,
        "--",
        *TARGETS,
        timeout=3600,
    )
    return repo, expected, proc, time.time() - start


def test_every_rule_instance_completed_as_one_slurm_job_with_the_profiles_resources(cluster_run):
    """sacct lists one COMPLETED job per job of the DAG, with the CPUs (threads), memory and time limit
    Snakemake planned with the profile."""
    repo, expected, proc, _ = cluster_run
    jobs = [
        j
        for j in _sacct("JobID", "JobName", "Comment", "State", "AllocCPUS", "ReqMem", "Timelimit")
        if j["Comment"].startswith("rule_")
    ]
    run = jobs[0]["JobName"]  # the plugin names every job of one run by the run's UUID
    jobs = [j for j in jobs if j["JobName"] == run]
    seen = {}
    for job in jobs:
        rule, _, wildcards = job["Comment"][len("rule_") :].partition("_wildcards_")  # wildcard values, "_"-joined
        key = (rule, wildcards)
        assert key not in seen, ("two jobs for one rule instance", key)
        seen[key] = job
        assert job["State"] == "COMPLETED", job
    assert sorted(seen) == sorted(expected)
    for key, (threads, mem_mb, runtime) in expected.items():
        job = seen[key]
        assert int(job["AllocCPUS"]) == threads, (key, job)
        assert job["ReqMem"] in (f"{mem_mb}M", f"{mem_mb / 1024:g}G"), (key, job, mem_mb)
        hours, minutes = divmod(runtime, 60)
        assert job["Timelimit"] == f"{hours:02d}:{minutes:02d}:00", (key, job, runtime)


def test_results_equal_a_local_run(cluster_run, tmp_path):
    repo, _, _, _ = cluster_run
    local = copy_repository(tmp_path / "local")
    snakemake(local, "--cores", "2", "--configfile", "config/quick.yaml", "--", *TARGETS, timeout=1800)
    compared = ["coverage/summary.json", "sbc/summary.json"] + [
        str(p.relative_to(repo / "results"))
        for study in ("coverage", "sbc")
        for p in (repo / "results" / study / "replicas").rglob("*.json")
    ]
    for rel in compared:
        a, b = json.loads((repo / "results" / rel).read_text()), json.loads((local / "results" / rel).read_text())
        _assert_close(a, b, rel)


def _assert_close(a, b, where, rtol=1e-12):
    if isinstance(a, dict):
        assert a.keys() == b.keys(), where
        for k in a:
            if k in ("runtime_s", "processes"):  # wall times differ, by nature
                continue
            _assert_close(a[k], b[k], f"{where}.{k}", rtol)
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_close(x, y, f"{where}[{i}]", rtol)
    elif isinstance(a, float):
        if a != a and b != b:  # NaN in both (e.g. the pull width of a single MCMC replica)
            return
        assert a == pytest.approx(b, rel=rtol, abs=1e-300), where
    else:
        assert a == b, where


def test_a_job_killed_by_the_scheduler_is_a_clear_failure_and_a_rerun_completes(cluster_run):
    """A replica that hangs (its processes stopped through SLURM, as a stuck file system would leave
    it) is killed by SLURM at its runtime limit (1 min here): the job ends TIMEOUT, Snakemake reports
    it failed with its SLURM log named and leaves no partial output; a rerun completes the study.

    (A job ended by `scancel` itself cannot be used: SLURM 22.05's sacct reports it as
    'CANCELLED by <uid>', which snakemake-executor-plugin-slurm 2.8.0 does not recognise, so it keeps
    waiting; README, 'Running on a cluster'.)"""
    repo, _, _, _ = cluster_run
    replica = repo / "results" / "coverage" / "replicas" / "seed1001"
    shutil.rmtree(replica)  # one replica to redo, and the summary after it (with the summary present,
    for path in (repo / "results" / "coverage").glob("summary.*"):  # Snakemake would not regenerate an input)
        path.unlink()
    env = dict(
        os.environ, MPLBACKEND="Agg", PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]])
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--workflow-profile",
            "profiles/slurm",
            "--configfile",
            "config/quick.yaml",
            "--retries",
            "0",
            "--set-resources",
            "coverage_replica:runtime=1",
            *FAST,
            "--",
            *TARGETS,
        ],
        cwd=repo,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    job_id = None
    deadline = time.time() + 600
    while time.time() < deadline and job_id is None and proc.poll() is None:
        queue = subprocess.run(["squeue", "-h", "-o", "%i|%k|%T"], capture_output=True, text=True).stdout  # %k: comment
        for line in queue.splitlines():  # (sacct learns a job's comment only when it ends)
            jid, comment, state = line.split("|")
            if comment == "rule_coverage_replica_wildcards_1001" and state == "RUNNING":
                job_id = jid
        time.sleep(0.5)
    if job_id is None:
        out = proc.communicate(timeout=60)[0] if proc.poll() is not None else ""
        raise AssertionError(f"the replica's job never ran:\n{out[-3000:]}")
    # the job hangs: every process of it stopped (SIGSTOP through SLURM); its clock runs on
    subprocess.run(["scancel", "--signal=STOP", "--full", job_id], check=True)
    try:
        out, _ = proc.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode != 0
    assert "coverage_replica" in out and job_id in out, out[-3000:]
    assert ".snakemake/slurm_logs/rule_coverage_replica" in out, out[-3000:]  # the SLURM log is named
    assert not (replica / "estimate.json").exists() and not (replica / "truth.json").exists()
    state = {j["JobID"]: j["State"] for j in _sacct("JobID", "State")}
    assert state[job_id] == "TIMEOUT", state[job_id]
    snakemake(repo, "--unlock")
    snakemake(
        repo,
        "--workflow-profile",
        "profiles/slurm",
        "--configfile",
        "config/quick.yaml",
        *FAST,
        "--",
        *TARGETS,
        timeout=1800,
    )
    assert (replica / "estimate.json").is_file()
