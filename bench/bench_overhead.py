"""Benchmark: what measuring costs. LRA 2000x2000, 100 iterations, trace off/profile/events.

Prints the median and min-max of several runs for each trace mode, measured in the same
run and interleaved (so drift on a shared machine hits every mode alike), and each
mode's overhead relative to tracing off.

    python bench/bench_overhead.py [--repeats 7] [--size 2000] [--iterations 100]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "examples"))

import data  # noqa: E402
import listings  # noqa: E402

from jetlag import physl  # noqa: E402

MODES = ("off", "profile", "events")


def main() -> None:
    """Time LRA under each trace mode and print the overheads."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--size", type=int, default=2000)
    parser.add_argument("--iterations", type=int, default=100)
    options = parser.parse_args()

    x, y = data.lra_data(options.size, options.size)
    functions = {mode: physl(listings.lra, trace=mode) for mode in MODES}
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for function in functions.values():
        function(x, y, 1e-5, 5, False)  # warm-up: kernels, pool, policy
    for _ in range(options.repeats):
        for mode, function in functions.items():
            start = time.perf_counter()
            function(x, y, 1e-5, options.iterations, False)
            times[mode].append(time.perf_counter() - start)

    base = statistics.median(times["off"])
    print(
        f"LRA {options.size}x{options.size}, {options.iterations} iterations, "
        f"{options.repeats} interleaved runs; median (min-max)"
    )
    for mode in MODES:
        median = statistics.median(times[mode])
        events = functions[mode].trace
        count = (
            ""
            if events is None
            else f"  [{events.metadata.get('events_dropped', len(events.events)):,} events]"
        )
        print(
            f"  trace={mode:8} {median * 1e3:8.1f} ms ({min(times[mode]) * 1e3:.1f}-"
            f"{max(times[mode]) * 1e3:.1f})  overhead {100 * (median / base - 1):+5.1f} %{count}"
        )


if __name__ == "__main__":
    main()
