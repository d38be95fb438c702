"""JetLag on Dask vs the threads executor vs `dask.array` written by hand (one run).

On a LocalCluster of 2 worker processes (1 thread each): Listing 1 (LRA, default 10000²,
so X is partitioned at the default 32 MiB threshold) and Listing 2 (ALS, optimized, on
MovieLens-shaped synthetic ratings). Each row prints the median and min-max of `--repeat`
warm calls (the first call, which compiles kernels on the client and the workers, is not
timed) and the ratio to JetLag on Dask. JetLag runs twice on Dask: given X as a NumPy array
(partitioned and sent to the workers at every call) and given X as a dask.array already
on the workers (used in place, as the hand-written version is). The hand-written LRA
reads X twice per iteration (x @ w, then xᵀ e); JetLag's glm_gradient reads it once.
Tests never assert these times.

    python bench/bench_dask.py                  # LRA 10000², 5 iterations; ALS 943 x 1000
    python bench/bench_dask.py --rows 2000 --cols 500 --repeat 3   # a quick look
    python bench/bench_dask.py --rows 40000 --memory-limit 3GB --repeat 3   # X fits no worker
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))

import data  # noqa: E402
import listings  # noqa: E402

from jetlag import physl  # noqa: E402


def timed(repeat: int, call) -> tuple[list[float], object]:
    """Seconds of `repeat` calls after one untimed warm-up call, and the last result."""
    result = call()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return times, result


def lra_by_hand(x_blocks, y_blocks, alpha: float, iterations: int) -> np.ndarray:
    """Listing 1 written with dask.array: each iteration is one graph on the cluster."""
    import dask.array as da

    weights = np.zeros(x_blocks.shape[1])
    for _ in range(iterations):
        error = 1.0 / (1.0 + da.exp(-(x_blocks @ weights))) - y_blocks
        weights = weights - alpha * (x_blocks.T @ error).compute()
    return weights


def report(title: str, rows: list[tuple[str, list[float]]]) -> None:
    """Median and min-max of each row, and its ratio to the first row's median."""
    base = statistics.median(rows[0][1])
    print(f"\n{title}")
    for label, times in rows:
        median = statistics.median(times)
        print(
            f"  {label:<34} median {median * 1e3:9.1f} ms  (min {min(times) * 1e3:.1f}, "
            f"max {max(times) * 1e3:.1f})  {median / base:5.2f}x JetLag on Dask"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--cols", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threshold", type=int, default=None, help="bytes (default 32 MiB)")
    parser.add_argument(
        "--memory-limit",
        default="auto",
        help="each worker's memory limit, e.g. 3GB (a 40000x10000 X of 3.2 GB fits no worker)",
    )
    options = parser.parse_args()

    import dask.array as da
    from distributed import Client, LocalCluster

    from jetlag.runtime.scheduler.dask_executor import DaskExecutor

    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit=options.memory_limit,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        executor = DaskExecutor(client)
        if options.threshold is not None:
            executor.threshold_bytes = options.threshold
        x, y = data.lra_data(options.rows, options.cols, seed=0)
        args = (1e-3, options.iterations, False)
        on_dask = physl(listings.lra, executor=executor, trace="off")
        on_threads = physl(listings.lra, trace="off")
        workers = client.scheduler_info()["workers"]
        rows = executor.partitioning(workers).rows_per_block(x.shape, x.itemsize)
        x_blocks = client.persist(da.from_array(x, chunks=(rows, x.shape[1])))
        y_blocks = client.persist(da.from_array(y, chunks=(rows,)))
        dask_times, dask_w = timed(options.repeat, lambda: on_dask(x, y, *args))
        in_place_times, in_place_w = timed(options.repeat, lambda: on_dask(x_blocks, y, *args))
        thread_times, thread_w = timed(options.repeat, lambda: on_threads(x, y, *args))
        hand_times, hand_w = timed(
            options.repeat, lambda: lra_by_hand(x_blocks, y_blocks, 1e-3, options.iterations)
        )
        for label, other in (
            ("threads", thread_w),
            ("dask.array", hand_w),
            ("X in place", in_place_w),
        ):
            difference = np.max(np.abs(dask_w - other)) / np.max(np.abs(other))
            print(f"LRA: JetLag on Dask vs {label}: max relative difference {difference:.1e}")
        report(
            f"LRA {options.rows}x{options.cols}, {options.iterations} iterations, "
            f"blocks of {rows} rows, 2 workers (memory limit {options.memory_limit} each)",
            [
                ("JetLag on Dask (X sent each call)", dask_times),
                ("JetLag on Dask, X a dask.array", in_place_times),
                ("JetLag threads executor", thread_times),
                ("dask.array by hand (same cluster)", hand_times),
            ],
        )

        ratings = data.synthetic_ratings(943, 1000, density=0.08, seed=0)
        x0, y0 = data.als_start(943, 1000, 40)
        als_dask = physl(listings.ALS, executor=DaskExecutor(client, threshold_bytes=1 << 20))
        als_threads = physl(listings.ALS)

        def als(f):
            return lambda: f(ratings, 1.0, 40, 1, 40.0, x0.copy(), y0.copy())

        als_dask_times, _ = timed(max(1, options.repeat // 2), als(als_dask))
        als_thread_times, _ = timed(max(1, options.repeat // 2), als(als_threads))
        report(
            "ALS 943x1000, 40 factors, 1 iteration (ratings partitioned at 1 MiB)",
            [("JetLag on Dask", als_dask_times), ("JetLag threads executor", als_thread_times)],
        )


if __name__ == "__main__":
    main()
