"""Jobs through a real Slurm cluster on this host (slurmctld + slurmd started by a fixture):
results equal local ones, the trace comes home, Slurm's states, limits, cancel, timeout."""

from __future__ import annotations

import json
import subprocess

import job_functions
import numpy as np
from cluster_fixtures import *  # noqa: F403 - the cluster fixtures
from jobs_support import WAIT, same, until

import jetlag.remote as remote
from jetlag.runtime.jobs.backends.slurm_commands import parse_show
from jetlag.runtime.store.traces import TraceStore


def slurm_id(service, job_id: str) -> str:
    return json.loads(service.records.get(job_id)["backend_ref"])["slurm"]


def scontrol(cluster, slurm: str) -> dict[str, str]:
    done = subprocess.run(
        ["scontrol", "--oneliner", "show", "job", slurm],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_show(done.stdout)


def test_a_slurm_job_returns_the_local_result_and_its_trace_comes_home(
    store, slurm_jobs, slurm_cluster
):
    rng = np.random.default_rng(3)
    X = rng.random((30, 3))
    y = (X[:, 0] > 0.5).astype(np.float64)
    here = remote.run(job_functions.lra, X, y, 0.5, 4, label="here")
    there = remote.run(
        job_functions.lra,
        X,
        y,
        0.5,
        4,
        machine="cluster",
        label="there",
        threads=2,
        time_limit_s=90,
    )
    assert there.wait(WAIT) == "COMPLETED", there.info()
    assert same(there.result(), here.result(WAIT))
    assert there.stdout == "lra done after 4 iterations\n"
    info = slurm_jobs.get(there.id)
    states = [h["state"] for h in info["history"]]
    assert states[0] == "SUBMITTED" and states[-1] == "COMPLETED" and "RUNNING" in states
    reasons = " ".join(h["reason"] or "" for h in info["history"])
    assert "Slurm PENDING" in reasons and "Slurm RUNNING" in reasons
    assert "Slurm job" in info["reason"] and "COMPLETED" in info["reason"]
    assert "no store" not in info["reason"]
    # The time limit (the runner's own plus a minute, in minutes) and the cores.
    shown = scontrol(slurm_cluster, slurm_id(slurm_jobs, there.id))
    assert shown["TimeLimit"] == "00:03:00" and shown["JobState"] == "COMPLETED"
    assert shown["CPUs/Task"] == "2" and shown["Partition"] == "debug"
    # The trace is in the store, linked to the job, its locations named after the machine.
    trace_id = info["trace_id"]
    assert trace_id
    traces = TraceStore(store)
    try:
        row = traces.get(trace_id)
        assert row["job_id"] == there.id and row["origin"] == "job"
        assert row["location_names"] and all(
            name.startswith("cluster/") for name in row["location_names"]
        )
        assert traces.load(trace_id).function == "lra"
    finally:
        traces.close()
    assert not (slurm_jobs.directory(there.id) / "trace").exists()


def test_an_error_comes_back_with_its_place(store, slurm_jobs):
    job = remote.run(job_functions.mismatch, np.ones(3), np.ones(4), machine="cluster")
    assert job.wait(WAIT) == "FAILED"
    reason = slurm_jobs.get(job.id)["reason"]
    assert f"{job_functions.__file__}:" in reason and "broadcast" in reason
    assert "Slurm job" in reason and "FAILED" in reason
    assert "broadcast" in job.stderr


def test_the_runner_time_limit_ends_a_slurm_job_timeout(store, slurm_jobs):
    job = remote.run(job_functions.forever, 1.0, machine="cluster", time_limit_s=2, trace="off")
    assert job.wait(WAIT) == "TIMEOUT"
    info = slurm_jobs.get(job.id)
    assert "time limit of 2 s" in info["reason"] and info["exit_code"] == 124


def test_cancel_a_running_and_a_pending_slurm_job(store, slurm_jobs, slurm_cluster):
    slurm_jobs.start_monitor(0.05)
    running = remote.run(job_functions.forever, 1.0, machine="cluster", trace="off")
    until(lambda: slurm_jobs.get(running.id)["state"] == "RUNNING", "the job to run")
    waiting = remote.run(job_functions.tiny, 1, machine="cluster", after=[running.id], trace="off")
    until(lambda: slurm_jobs.records.get(waiting.id)["backend_ref"], "the child to be queued")
    shown = scontrol(slurm_cluster, slurm_id(slurm_jobs, waiting.id))
    assert shown["JobState"] == "PENDING" and shown["Dependency"].startswith("afterok:")
    assert waiting.cancel() == "CANCELLED"
    until(
        lambda: (
            scontrol(slurm_cluster, slurm_id(slurm_jobs, waiting.id))["JobState"] == "CANCELLED"
        ),
        "Slurm to cancel the pending job",
    )
    assert running.cancel() == "CANCELLED"
    until(
        lambda: (
            scontrol(slurm_cluster, slurm_id(slurm_jobs, running.id))["JobState"] == "CANCELLED"
        ),
        "Slurm to cancel the running job",
    )
    assert slurm_jobs.get(running.id)["state"] == "CANCELLED"
    assert "stopped" in slurm_jobs.get(running.id)["reason"]
