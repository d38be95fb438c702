"""Demo: the JetLag paper's two listings compiled with @physl, checked against NumPy.

Run it with `scripts/start`. It prints each listing's PhySL (head), runs logistic
regression and alternating least squares on the task runtime and on plain NumPy, and
reports the largest relative difference and the time of each.
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    """Run both listings and print what happened."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=2000, help="LRA rows = columns")
    parser.add_argument("--iterations", type=int, default=100, help="LRA iterations")
    options = parser.parse_args()

    lra = physl(listings.lra)
    als = physl(listings.ALS)
    for name, function in (("lra", lra), ("ALS", als)):
        head = function.physl.splitlines()
        print(f"--- PhySL of {name} ({len(head)} lines; first 12) ---")
        print("\n".join(head[:12]))

    x, y = data.lra_data(options.size, options.size)
    expected, numpy_s = timed(listings.lra, x, y, 1e-5, options.iterations, False)
    got, jetlag_s = timed(lra, x, y, 1e-5, options.iterations, False)
    print(
        f"\nLRA {options.size}x{options.size}, {options.iterations} iterations: "
        f"NumPy {numpy_s:.3f} s, JetLag {jetlag_s:.3f} s, "
        f"max relative difference {relative_difference(got, expected):.2e}"
    )

    ratings = data.synthetic_ratings()
    users, items = ratings.shape
    x0, y0 = data.als_start(users, items, 40)
    expected, numpy_s = timed(listings.ALS, ratings, 0.1, 40, 1, 40.0, x0.copy(), y0.copy())
    got, jetlag_s = timed(als, ratings, 0.1, 40, 1, 40.0, x0.copy(), y0.copy())
    print(
        f"ALS {users} users x {items} items, 40 factors, 1 iteration: "
        f"NumPy {numpy_s:.3f} s, JetLag {jetlag_s:.3f} s, "
        f"max relative difference {relative_difference(got, expected):.2e}"
    )
    print("(one run each; bench/ measures medians and ratios)")


if __name__ == "__main__":
    main()
