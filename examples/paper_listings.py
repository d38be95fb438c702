"""Demo: the JetLag paper's two listings compiled with @physl, checked against NumPy.

Run it with `python3 examples/paper_listings.py` in the project's environment. It prints
each listing's PhySL (head), runs logistic regression and alternating least squares on the
task runtime and on plain NumPy, and reports the largest relative difference and the times.
JetLag's first call of a function compiles its generated Numba kernels, so it is reported
on its own ("first call, compiling included"); the comparison with NumPy uses the median of
the warm calls after it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import data  # noqa: E402
import listings  # noqa: E402

from jetlag import physl  # noqa: E402


def relative_difference(a: np.ndarray, b: np.ndarray) -> float:
    """max |a - b| / max |b|."""
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


def timed(function, *args):
    """(result, seconds) of one call."""
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


def warm_median(function, repeats, *args):
    """(result, median seconds) of `repeats` calls; copies array arguments for each call."""
    seconds = []
    for _ in range(repeats):
        copies = [np.copy(a) if isinstance(a, np.ndarray) else a for a in args]
        result, spent = timed(function, *copies)
        seconds.append(spent)
    return result, statistics.median(seconds)


def main() -> None:
    """Run both listings and print what happened."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2000, help="LRA rows = columns")
    parser.add_argument("--iterations", type=int, default=100, help="LRA iterations")
    parser.add_argument("--repeats", type=int, default=3, help="warm calls timed per listing")
    options = parser.parse_args()

    lra = physl(listings.lra)
    als = physl(listings.ALS)
    for name, function in (("lra", lra), ("ALS", als)):
        head = function.physl.splitlines()
        print(f"--- PhySL of {name} ({len(head)} lines; first 12) ---")
        print("\n".join(head[:12]))

    x, y = data.lra_data(options.size, options.size)
    lra_args = (x, y, 1e-5, options.iterations, False)
    _, first_s = timed(lra, *lra_args)
    got, jetlag_s = warm_median(lra, options.repeats, *lra_args)
    expected, numpy_s = warm_median(listings.lra, options.repeats, *lra_args)
    print(
        f"\nLRA {options.size}x{options.size}, {options.iterations} iterations: "
        f"JetLag first call (compiling included) {first_s:.3f} s; warm medians of "
        f"{options.repeats}: NumPy {numpy_s:.3f} s, JetLag {jetlag_s:.3f} s; "
        f"max relative difference {relative_difference(got, expected):.2e}"
    )

    ratings = data.synthetic_ratings()
    users, items = ratings.shape
    x0, y0 = data.als_start(users, items, 40)
    als_args = (ratings, 0.1, 40, 1, 40.0, x0, y0)
    _, first_s = timed(als, *[np.copy(a) if isinstance(a, np.ndarray) else a for a in als_args])
    got, jetlag_s = warm_median(als, options.repeats, *als_args)
    expected, numpy_s = warm_median(listings.ALS, 1, *als_args)
    print(
        f"ALS {users} users x {items} items, 40 factors, 1 iteration: "
        f"JetLag first call (compiling included) {first_s:.3f} s; warm: "
        f"NumPy {numpy_s:.3f} s (one call), JetLag {jetlag_s:.3f} s (median of "
        f"{options.repeats}); max relative difference {relative_difference(got, expected):.2e}"
    )
    print("(bench/ measures medians, min-max and ratios properly)")


if __name__ == "__main__":
    main()
