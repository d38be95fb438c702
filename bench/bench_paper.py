"""Benchmark: the paper's listings on JetLag versus NumPy, measured in the same run.

Prints, per workload, the median and min-max of several timed runs for NumPy and for
JetLag, and the ratio of the medians (JetLag / NumPy; below 1 means JetLag is faster).
Each side is warmed up once first (JetLag compiles its Numba kernels then).

    python bench/bench_paper.py            # LRA 2000^2 and 10000^2, ALS on MovieLens-100k
    python bench/bench_paper.py --quick    # smaller sizes, fewer repeats
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import data  # noqa: E402
import listings  # noqa: E402

from jetlag import physl  # noqa: E402

CACHE = ROOT / "bench" / "results" / "cache"


def measure(function, args_factory, repeats: int) -> list[float]:
    """Seconds of `repeats` calls, after one warm-up call; args are rebuilt each time."""
    function(*args_factory())
    times = []
    for _ in range(repeats):
        args = args_factory()
        start = time.perf_counter()
        function(*args)
        times.append(time.perf_counter() - start)
    return times


def summary(times: list[float], per: int) -> str:
    """`median (min-max)` in milliseconds per unit of work."""
    scale = 1e3 / per
    return (
        f"{statistics.median(times) * scale:9.2f} ms "
        f"({min(times) * scale:.2f}-{max(times) * scale:.2f})"
    )


def movielens_ratings() -> tuple[np.ndarray, str]:
    """Real MovieLens-100k ratings when the recbole wheel can be had, else synthetic."""
    CACHE.mkdir(parents=True, exist_ok=True)
    wheels = list(CACHE.glob("recbole-1.2.1-*.whl"))
    if not wheels:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "recbole==1.2.1",
                "-d",
                str(CACHE),
            ],
            check=False,
        )
        wheels = list(CACHE.glob("recbole-1.2.1-*.whl"))
    if wheels:
        return data.movielens_100k(wheels[0]), "MovieLens-100k (real)"
    return data.synthetic_ratings(), "synthetic MovieLens-shaped"


def main() -> None:
    """Run the workloads and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, 3 repeats")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    options = parser.parse_args()
    repeats = 3 if options.quick else options.repeats

    lra = physl(listings.lra, threads=options.threads)
    als = physl(listings.ALS, threads=options.threads)
    rows = []

    sizes = [(1000, 20)] if options.quick else [(2000, 20), (10000, 5)]
    for size, iterations in sizes:
        x, y = data.lra_data(size, size)
        args = (x, y, 1e-5, iterations, False)
        numpy_t = measure(listings.lra, lambda args=args: args, repeats)
        jetlag_t = measure(lra, lambda args=args: args, repeats)
        rows.append((f"LRA {size}x{size} (per iteration)", numpy_t, jetlag_t, iterations))
        del x, y, args

    ratings, source = movielens_ratings()
    if options.quick:
        ratings = ratings[:200, :200]
    users, items = ratings.shape
    x0, y0 = data.als_start(users, items, 40)

    def als_args():
        return (ratings, 0.1, 40, 1, 40.0, x0.copy(), y0.copy())

    numpy_t = measure(listings.ALS, als_args, max(1, repeats))
    jetlag_t = measure(als, als_args, max(1, repeats))
    rows.append(
        (f"ALS {users}x{items}, 40 factors, {source} (per iteration)", numpy_t, jetlag_t, 1)
    )

    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()},"
        f" NumPy {np.__version__}; repeats={repeats}; median (min-max)"
    )
    print(f"{'workload':58} {'NumPy':>28} {'JetLag':>28} {'JetLag/NumPy':>13}")
    for name, numpy_t, jetlag_t, per in rows:
        ratio = statistics.median(jetlag_t) / statistics.median(numpy_t)
        print(f"{name:58} {summary(numpy_t, per):>28} {summary(jetlag_t, per):>28} {ratio:13.2f}")


if __name__ == "__main__":
    main()
