"""A worker killed in the middle of a run: Dask recomputes what it held (the partitioned
blocks are in the graph) and the run gives the threads executor's answer, or it fails with
a DaskExecutionError naming the lost worker -- never a wrong answer, never a hang."""

from __future__ import annotations

import os
import signal
import threading

import data
import listings
import pytest
from dask_cluster import start_cluster
from dask_compare import assert_same
from distributed import Client

from jetlag import physl
from jetlag.runtime.scheduler.dask_executor import (
    DaskExecutionError,
    DaskExecutor,
    DaskSession,
)


@pytest.fixture
def own_cluster():
    """A cluster of its own: this test kills one of its workers (its nanny restarts it)."""
    with start_cluster() as cluster, Client(cluster, set_as_default=False) as client:
        client.wait_for_workers(2, timeout=60)
        yield client


def test_a_worker_killed_mid_run_is_recovered_or_named(own_cluster, monkeypatch):
    client = own_cluster
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    computed = []
    original = DaskSession.compute

    def kill_on_third(self, values):
        computed.append(len(values))
        if len(computed) == 3:
            os.kill(pids[victim], signal.SIGKILL)  # holds half of x's blocks right now
        return original(self, values)

    monkeypatch.setattr(DaskSession, "compute", kill_on_third)
    x, y = data.lra_data(400, 40, seed=11)
    expected = physl(listings.lra)(x, y, 1e-3, 6, False)
    executor = DaskExecutor(client, threshold_bytes=16 << 10, timeout_s=60)
    f = physl(listings.lra, executor=executor)
    outcome: dict[str, object] = {}

    def call() -> None:
        try:
            outcome["value"] = f(x, y, 1e-3, 6, False)
        except BaseException as error:  # noqa: BLE001 - inspected below
            outcome["error"] = error

    runner = threading.Thread(target=call, daemon=True)
    runner.start()
    runner.join(timeout=180)
    assert not runner.is_alive(), "the run hung after a worker was killed"
    assert len(computed) >= 3, "the worker was not killed during the run"
    if "error" in outcome:
        error = outcome["error"]
        assert isinstance(error, DaskExecutionError), repr(error)
        assert victim in str(error)
    else:
        assert_same(outcome["value"], expected)
    assert victim not in client.scheduler_info()["workers"]


def test_every_wait_is_bounded_by_the_timeout(client):
    x, y = data.lra_data(400, 40, seed=12)
    executor = DaskExecutor(client, threshold_bytes=16 << 10, timeout_s=1e-6)
    with pytest.raises(DaskExecutionError, match="did not finish within 1e-06 s"):
        physl(listings.lra, executor=executor)(x, y, 1e-3, 2, False)
