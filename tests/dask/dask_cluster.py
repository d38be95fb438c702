"""The Dask cluster the Dask executor's tests start: two worker processes, one thread each."""

from __future__ import annotations

import logging

from distributed import LocalCluster

#: Arguments of at least this many bytes are partitioned in the tests (the default is 32 MiB).
THRESHOLD_BYTES = 16 << 10


def start_cluster() -> LocalCluster:
    """Two worker processes with one thread each, no dashboard, quiet logs."""
    return LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        silence_logs=logging.ERROR,
    )
