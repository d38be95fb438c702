"""Slurm jobs survive the server: a new service re-attaches to every job in flight, loses
none and submits none twice (even one whose sbatch answer was lost); and watching costs
one squeue per machine per poll, whatever the number of jobs."""

from __future__ import annotations

import subprocess

import job_functions
import pytest
from cluster_fixtures import *  # noqa: F403 - the cluster fixtures
from jobs_support import WAIT, until

import jetlag.remote as remote
from jetlag.runtime.jobs.backends.slurm_commands import job_name


def queued_names(cluster) -> list[str]:
    done = subprocess.run(
        ["squeue", "--noheader", "--states=all", "--format=%j"],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_a_restarted_service_reattaches_to_every_slurm_job(
    store, slurm_jobs, slurm_cluster, machines_file
):
    backend = slurm_jobs.backends["cluster"]
    adopt = backend._adopt

    def die_after_sbatch(*args, **kwargs):
        raise ServerDied  # the server process ends here: nothing after sbatch happens

    backend._adopt = die_after_sbatch  # the first job's Slurm id is never recorded
    with pytest.raises(ServerDied):
        remote.run(job_functions.tiny, 0, machine="cluster", trace="off")
    backend._adopt = adopt
    [row] = slurm_jobs.records.select()
    assert row["state"] == "PENDING" and row["backend_ref"] is None
    lost = remote.job(row["id"])
    tiny = [remote.run(job_functions.tiny, i, machine="cluster") for i in range(3)]
    forever = remote.run(job_functions.forever, 1.0, machine="cluster", trace="off")
    child = remote.run(job_functions.tiny, 9, machine="cluster", after=[forever], trace="off")
    submitted = [lost, *tiny, forever, child]
    # The server goes away; its jobs keep running in Slurm. A new one starts.
    again = machines_file(slurm_jobs_machines(slurm_jobs))
    assert again is not slurm_jobs
    again.reattach()
    again.start_monitor(0.05)
    for i, job in enumerate(tiny):
        assert remote.job(job.id).result(WAIT) == i + 1
    assert remote.job(lost.id).result(WAIT) == 1
    assert "found again" in " ".join(h["reason"] for h in again.get(lost.id)["history"])
    until(lambda: again.get(forever.id)["state"] == "RUNNING", "the long job to run")
    assert again.get(child.id)["state"] == "PENDING"
    again.cancel(forever.id)
    until(lambda: again.get(child.id)["state"] == "FAILED", "the child to fail")
    names = queued_names(slurm_cluster)
    assert all(names.count(job_name(job.id)) == 1 for job in submitted), names
    assert {again.get(job.id)["state"] for job in submitted} == {
        "COMPLETED",
        "CANCELLED",
        "FAILED",
    }
    again.stop_monitor()


class ServerDied(BaseException):
    """Stands for the server process being killed at that point (nothing catches it)."""


def slurm_jobs_machines(service) -> dict[str, dict]:
    """The machines table the service was configured with (to configure the next one)."""
    config = service.configs["cluster"]
    return {
        "cluster": {
            "backend": "slurm",
            "partition": config.partition,
            "cores_per_node": config.cores_per_node,
            "workdir": config.workdir,
            "python": config.python,
            "poll_interval_s": config.poll_interval_s,
            "slurm_conf": config.settings["slurm_conf"],
        }
    }


def test_one_squeue_per_poll_whatever_the_number_of_jobs(store, slurm_jobs):
    backend = slurm_jobs.backends["cluster"]
    commands: list[str] = []
    run = backend.shell.run

    def counting(command, **kwargs):
        commands.append(command.split()[0])
        return run(command, **kwargs)

    backend.shell.run = counting
    backend.poll(force=True)
    assert commands == []  # nothing in flight: Slurm is not asked
    jobs = [
        remote.run(job_functions.forever, 1.0, machine="cluster", trace="off") for _ in range(5)
    ]
    commands.clear()
    for _ in range(3):
        backend.poll(force=True)
    assert commands == ["squeue"] * 3
    backend.interval = 3600.0
    backend.poll()  # within the poll interval of the last one: not asked again
    assert commands == ["squeue"] * 3
    for job in jobs:
        job.cancel()
