"""A job with Dask workers starts its own Dask cluster inside its Slurm allocation (two
tasks of the one node of the localhost cluster), runs the function on it, and brings
back the threads executor's result and one trace holding both workers' tasks."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import job_functions
import numpy as np
import pytest
from cluster_fixtures import *  # noqa: F403 - the cluster fixtures
from cluster_fixtures import cancel_jobs_of, slurm_machine
from jobs_support import WAIT

import jetlag.remote as remote
from jetlag.runtime.jobs import JobError
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.dask_allocation import SCHEDULER_FILE, WORKERS_LOG
from jetlag.runtime.jobs.sources import bundle_function

pytest.importorskip("distributed")


def data():
    rng = np.random.default_rng(11)
    X = rng.random((3000, 12))
    return X, (X[:, 0] > 0.5).astype(np.float64)


@pytest.fixture
def dask_jobs(slurm_cluster, machines_file, tmp_path):
    """The job service with "cluster": Slurm on this host, whose jobs cut every array into
    row blocks (a machine's setup line, as a user would configure it)."""
    service = machines_file(
        {
            "cluster": slurm_machine(
                slurm_cluster,
                tmp_path / "cluster-work",
                setup=["export JETLAG_DASK_THRESHOLD=0"],
            )
        }
    )
    yield service
    service.stop_monitor()
    cancel_jobs_of(service, slurm_cluster)


def test_a_job_with_two_dask_workers_starts_its_own_cluster(store, dask_jobs):
    slurm_jobs = dask_jobs
    X, y = data()
    there = remote.run(
        job_functions.lra,
        X,
        y,
        0.01,
        6,
        machine="cluster",
        label="dask job",
        dask_workers=2,
        threads=1,
        time_limit_s=300,
    )
    assert there.wait(WAIT) == "COMPLETED", (there.info(), there.stderr)
    # The threads executor's result (docs/dask.md: to 1e-10 relative; sums run per block).
    w, iterations = there.result()
    expected_w, expected_iterations = job_functions.lra(X, y, 0.01, 6)
    np.testing.assert_allclose(w, expected_w, rtol=1e-10, atol=0)
    assert w.dtype == expected_w.dtype and iterations == expected_iterations
    assert there.stdout.endswith("lra done after 6 iterations\n")

    # The cluster's logs came home with the outputs.
    workers_log = (slurm_jobs.directory(there.id) / WORKERS_LOG).read_text()
    assert workers_log.count("Registered to:") == 2, workers_log
    folder = Path(json.loads(slurm_jobs.records.get(there.id)["backend_ref"])["dir"])
    script = (folder / "job.sh").read_text()
    assert "#SBATCH --ntasks=2" in script and "srun --ntasks=2" in script

    # One trace, from the machine, holding tasks of both workers.
    trace = there.trace()
    names = trace.workers
    assert all(name.startswith("cluster/") for name in names), names
    # "cluster/tcp://HOST:PORT/THREAD": the machine, the worker's address, its thread.
    workers = {name[len("cluster/") :].rsplit("/", 1)[0] for name in names if "tcp://" in name}
    assert len(workers) == 2, names
    assert trace.check_tree() == []

    # The scheduler and the workers stopped with the job.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _running(str(folder / SCHEDULER_FILE)):
        time.sleep(0.5)
    assert not _running(str(folder / SCHEDULER_FILE))


def _running(marker: str) -> bool:
    found = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    return bool(found.stdout.strip())


def test_a_dask_job_needs_a_machine_that_can_start_one(store, slurm_jobs):
    bundle = bundle_function(job_functions.tiny)

    def refused(machine: str, options: dict) -> JobError:
        with pytest.raises(JobError) as caught:
            slurm_jobs.submit(
                source=bundle.source,
                entry=bundle.entry,
                args_npz=encode_arguments((1,)),
                machine=machine,
                options=options,
            )
        assert caught.value.status == 400
        return caught.value

    error = refused("local", {"dask_workers": 2})
    assert error.field == "options.dask_workers"
    assert error.message.startswith("machine local (local) runs a job as one process")
    error = refused("cluster", {"nodes": 2})
    assert error.field == "options.nodes" and "its max_nodes is 1" in error.message
    assert refused("cluster", {"dask_workers": 0}).field == "options.dask_workers"
    assert slurm_jobs.list() == []


def test_a_cluster_that_does_not_come_up_fails_the_job_in_bounded_time(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    from jetlag.runtime.jobs import dask_allocation
    from jetlag.runtime.jobs.dask_allocation import (
        SCHEDULER_FILE_ENV,
        WORKERS_ENV,
        ClusterDidNotStart,
        job_cluster,
    )

    monkeypatch.setattr(dask_allocation, "START_TIMEOUT_S", 1.0)
    assert job_cluster(time.monotonic() + 60) is None  # a plain job has no cluster
    path = tmp_path / "dask-scheduler.json"
    monkeypatch.setenv(SCHEDULER_FILE_ENV, str(path))
    monkeypatch.setenv(WORKERS_ENV, "1")
    with pytest.raises(
        ClusterDidNotStart, match=r"scheduler did not start within 1 s \(see dask-scheduler.log"
    ):
        job_cluster(time.monotonic() + 60)
    # A scheduler without workers: the job names how many joined and the log to read.
    with LocalCluster(n_workers=0, processes=False, dashboard_address=None) as cluster:
        with Client(cluster) as client:
            client.write_scheduler_file(str(path))
            with pytest.raises(ClusterDidNotStart) as caught:
                job_cluster(time.monotonic() + 60)
    assert str(caught.value) == (
        "0 of the job's 1 Dask workers joined within 1 s (see dask-workers.log in the job folder)"
    )
