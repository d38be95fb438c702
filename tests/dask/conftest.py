"""A real Dask cluster for the Dask executor's tests: two worker processes, one thread each.

`cluster`/`client` are started once per session (about 2 s); `executor` partitions every
array argument of at least `THRESHOLD_BYTES`, so the small data of the tests is cut into
row blocks on both workers. Tests that kill a worker start a cluster of their own. Dask
comes with the test extra (`pip install -e '.[test]'` installs `jetlag[dask]`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dask_cluster import THRESHOLD_BYTES, start_cluster
from distributed import Client

from jetlag.runtime.scheduler.dask_executor import DaskExecutor

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))


@pytest.fixture(scope="session")
def cluster():
    with start_cluster() as started:
        yield started


@pytest.fixture(scope="session")
def client(cluster):
    with Client(cluster, set_as_default=False) as connected:
        connected.wait_for_workers(2, timeout=60)
        yield connected


@pytest.fixture
def executor(client):
    return DaskExecutor(client, threshold_bytes=THRESHOLD_BYTES, timeout_s=120)
