"""The Dask column of bench_paper.py: Listing 1 on `dask.array` (when Dask is installed).

The listing's x and y become row-chunked dask arrays; everything else of the benchmark
(timing, tables, checks) is bench_paper.py's and timing.py's.
"""

from __future__ import annotations

import numpy as np


def dask_array_module():
    """`dask.array`, or None when Dask is not installed."""
    try:
        import dask.array
    except ImportError:
        return None
    return dask.array


def lra_dask(x, y, alpha: float, iterations: int, threads: int) -> np.ndarray:
    """Listing 1 on Dask: x and y are row-chunked dask arrays; the weights stay in NumPy.

    Each iteration is one graph (x @ w, the sigmoid, xᵀ e summed over chunks) computed on
    the threaded scheduler; the new weights are a small NumPy vector fed to the next one.
    BLAS is held to one thread so Dask's workers and OpenBLAS's threads do not oversubscribe
    the cores (measured here: 2 BLAS threads under 2 Dask workers ran 2.3x slower).
    """
    import dask
    import dask.array as da
    from threadpoolctl import threadpool_limits

    weights = np.zeros(x.shape[1])
    with (
        dask.config.set(scheduler="threads", num_workers=threads),
        threadpool_limits(limits=1, user_api="blas"),
    ):
        for _ in range(int(iterations)):
            error = 1.0 / (1.0 + da.exp(-(x @ weights))) - y
            weights = weights - alpha * (x.T @ error).compute()
    return weights


def dask_rows(x: np.ndarray, y: np.ndarray, threads: int):
    """x and y as dask arrays chunked by rows: >= 2 chunks per thread, each at most Dask's
    default chunk size (128 MiB)."""
    da = dask_array_module()
    rows = max(1, min(-(-x.shape[0] // (2 * threads)), (128 << 20) // max(1, x.strides[0])))
    return (
        da.from_array(x, chunks=(rows, x.shape[1]), name=False),
        da.from_array(y, chunks=(rows,), name=False),
    )


def dask_version() -> str:
    """The installed Dask's version."""
    import dask

    return dask.__version__
