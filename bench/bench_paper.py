"""Benchmark: the paper's listings on NumPy, JetLag, Dask and hand-written Numba, in one run.

Per workload it prints one table -- NumPy, JetLag unoptimized (`physl(f, optimize=False)`),
JetLag optimized (`physl(f)`), Dask (when `dask.array` imports), the hand-written Numba
reference (bench/references.py) and, for LRA, the read-bandwidth floor -- with the median
and min-max of the timed runs per iteration, the ratio of medians to NumPy (below 1 is
faster), for LRA the bandwidth floor as a percentage of each time (100 % would mean X is
read once per iteration at the rate this machine reads memory), and the first call (see
below). Every row is measured in the same run, interleaved round by round so drift hits
all alike, after one warm-up call each. Then it checks every result against NumPy (1e-10
relative to the largest entry) -- for ALS also against the same iteration computed in
extended precision, which tells whose rounding a difference is (bench/extended.py) -- and
prints a 1 -> 2 thread scaling table.
JetLag runs with its defaults (rewrites on, profile tracing on). The numbers are for
comparing rows, never absolute claims.

The first-call column is what a user waits for the first time: one whole call of the
listing (LRA: all its iterations) made first thing in a fresh Python process, so compiling
is included -- for JetLag `physl(f)` (Python to PhySL, rewrites) and the Numba kernels its
first call builds, for the reference Numba's compile of its kernels on first call, for
NumPy nothing. Module imports (NumPy, Numba, jetlag, the references, all imported before
the clock starts) and building the inputs are excluded for every row alike; anything a call
imports on first use is counted. Each row gets `--first-calls` fresh processes (default:
the repeats, at most 3), interleaved; the column prints their median (min-max), or the one
value when there was one process, and its header says how many. Run one by hand with
`python bench/bench_paper.py --first-call als:paper:jetlag-optimized`.

    python bench/bench_paper.py              # LRA 2000² and 10000², ALS on MovieLens-100k
    python bench/bench_paper.py --quick      # smaller sizes, 3 repeats (~1.5 min on 2 cores,
                                             # over half of it the first-call processes)
    python bench/bench_paper.py --smoke      # tiny synthetic inputs, 1 repeat, no download
    python bench/bench_paper.py --full       # LRA 10000², 1000 iterations: JetLag vs reference
    python bench/bench_paper.py --threads 1,2 --repeats 7
    python bench/bench_paper.py --first-calls 0   # without the first-call column

MovieLens-100k comes from the recbole==1.2.1 wheel, downloaded into bench/results/cache
(never committed); without it a synthetic matrix of the same shape is used.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The checkout's own jetlag first: the benchmark measures this tree, whatever is installed.
sys.path[:0] = [str(ROOT), str(ROOT / "examples"), str(Path(__file__).resolve().parent)]

import data  # noqa: E402
import extended  # noqa: E402
import listings  # noqa: E402
import references  # noqa: E402
from dask_rows import dask_array_module, dask_rows, dask_version, lra_dask  # noqa: E402
from timing import (  # noqa: E402
    Entry,
    OtherLoad,
    blas_default,
    blas_limit,
    check_lines,
    default_threads,
    exact_lines,
    machine_description,
    measure,
    measure_first_calls,
    print_scaling,
    print_table,
    runs,
)
from workloads import (  # noqa: E402
    ALPHA,
    FIRST_CALL_ROWS,
    Workload,
    als_inputs,
    als_work,
    first_call_command,
    first_call_main,
    lra_work,
)

from jetlag import physl  # noqa: E402

# -- workloads ------------------------------------------------------------------------


def contenders(work: Workload, threads: list[int]) -> tuple[list[Entry], dict[int, list[Entry]]]:
    """The table's rows (NumPy, JetLag unoptimized and optimized, reference) and, per thread
    count, the scaling rows (NumPy's BLAS, JetLag optimized, reference), sharing the table's
    entries where the configuration is the same."""
    default = default_threads()

    def entry(label: str, function: Callable, args: Callable[[bool], tuple], **extra) -> Entry:
        return Entry(label, function, lambda: args(False), work.per, lambda: args(True), **extra)

    def reference(n: int) -> Entry:
        return entry(f"Numba reference, {n} thr", work.reference, lambda w: work.ref_args(n, w))

    table = [
        entry("NumPy", work.listing, work.args),
        entry("JetLag unoptimized", physl(work.listing, optimize=False), work.args),
        entry("JetLag optimized", physl(work.listing), work.args),
        reference(default),
    ]
    for row, name in zip(table, FIRST_CALL_ROWS, strict=True):
        row.first_command = first_call_command(work, name)
    scaling = {
        n: [
            table[0]
            if n == blas_default()
            else entry(f"NumPy, {n} BLAS thr", work.listing, work.args, context=blas_limit(n)),
            table[2]
            if n == default
            else entry(f"JetLag optimized, {n} thr", physl(work.listing, threads=n), work.args),
            table[3] if n == default else reference(n),
        ]
        for n in threads
    }
    return table, scaling


SCALING_ROWS = ["NumPy (BLAS threads)", "JetLag optimized", "Numba reference"]


def first_call_note(per: int, unit: str) -> str:
    """What the first-call column holds, below a table."""
    call = f"all {per} {unit}s" if per != 1 else f"one {unit}"
    return (
        f"first call: one whole call ({call}) made first in a fresh Python process; compile "
        "included (JetLag: physl() and its Numba kernels; reference: Numba's first-call "
        "compile); imports and building the inputs excluded for every row"
    )


def lra_workload(
    size: int, iterations: int, threads: list[int], repeats: int, first_calls: int
) -> None:
    """Time Listing 1 on a size x size problem; print its table, checks and scaling."""
    work, x, y = lra_work(size, iterations)
    default = default_threads()
    table, scaling = contenders(work, threads)
    if dask_array_module() is not None:
        xd, yd = dask_rows(x, y, default)
        table.insert(
            3,
            Entry(
                f"Dask {dask_version()}, {default} thr",
                lra_dask,
                lambda: (xd, yd, ALPHA, iterations, default),
                iterations,
                lambda: (xd, yd, ALPHA, 2, default),
            ),
        )
    floor = Entry(
        f"read-bandwidth floor, {default} thr",
        references.read_seconds,
        lambda: (x, default),
        1,
        check=False,
    )
    table.append(floor)
    extra = [e for row in scaling.values() for e in row if e not in table]
    measure(f"LRA {size}x{size}", table + extra, repeats)
    measure_first_calls(f"LRA {size}x{size}", table, first_calls)

    bandwidth = x.nbytes / statistics.median(floor.times) / 1e9
    print_table(
        f"LRA {size}x{size} f64 ({x.nbytes / 1e6:.0f} MB), {iterations} iterations per "
        f"run, {runs(repeats)}: ms per iteration",
        table,
        table[0],
        floor,
        note=f"read bandwidth {bandwidth:.1f} GB/s on {default} threads, same run",
        first_note=first_call_note(iterations, "iteration"),
    )
    check_lines(table + extra, table[0])
    print_scaling(f"LRA {size}x{size}", scaling, SCALING_ROWS)


def als_workload(mode: str, threads: list[int], repeats: int, first_calls: int) -> None:
    """Time one iteration of Listing 2; print its table, checks and scaling."""
    ratings, source, factors = als_inputs(mode, download=mode != "smoke")
    users, items = ratings.shape
    x0, y0 = data.als_start(users, items, factors)
    work = als_work(ratings, factors, mode)
    table, scaling = contenders(work, threads)
    extra = [e for row in scaling.values() for e in row if e not in table]
    measure(f"ALS {users}x{items}", table + extra, repeats)
    measure_first_calls(f"ALS {users}x{items}", table, first_calls)

    print_table(
        f"ALS {users}x{items}, {factors} factors, reg 0.1, {source}, 1 iteration per "
        f"run, {runs(repeats)}: ms per iteration",
        table,
        table[0],
        first_note=first_call_note(1, "iteration"),
    )
    if dask_array_module() is not None:
        print(
            f"  (Dask: skipped. The listing is a Python loop of two small {factors}x{factors} "
            "solves per user and item; as Dask each would be a graph costing milliseconds to "
            "schedule, so the row would only measure Dask's per-graph overhead.)"
        )
    check_lines(table + extra, table[0])
    conf, identity = 40.0 * ratings, np.identity(factors)
    user = references.system_condition(conf, y0.T @ y0 + 0.1 * identity, y0)
    item = references.system_condition(conf.T, x0.T @ x0 + 0.1 * identity, table[0].result[:users])
    print(
        f"  conditioning: user systems up to {user:.1e}, item systems up to {item:.1e} (the "
        "listing pairs the old XᵀX with the new X); any evaluation order other than NumPy's "
        f"may move results by up to ~{max(user, item) * np.finfo(float).eps:.0e} relative"
    )
    if extended.available():
        exact = extended.als_extended(ratings, 0.1, factors, 1, 40.0, x0, y0)
        exact_lines(
            table + extra, exact, "same iteration in extended precision (bench/extended.py)"
        )
    else:
        print("  exact: skipped, long double is float64 on this platform")
    print_scaling(f"ALS {users}x{items}", scaling, SCALING_ROWS)


def full_lra(repeats: int) -> None:
    """The paper's full size: LRA 10000², 1000 iterations, JetLag optimized vs the reference."""
    size, iterations = 10_000, 1000
    x, y = data.lra_data(size, size)
    default = default_threads()
    jetlag = Entry(
        "JetLag optimized",
        physl(listings.lra),
        lambda: (x, y, ALPHA, iterations, False),
        1,
        lambda: (x, y, ALPHA, 2, False),
    )
    reference = Entry(
        f"Numba reference, {default} thr",
        references.lra_reference,
        lambda: (x, y, ALPHA, iterations, default),
        1,
        lambda: (x, y, ALPHA, 2, default),
    )
    floor = Entry(
        "read-bandwidth floor", references.read_seconds, lambda: (x, default), 1, check=False
    )
    measure(f"LRA {size}x{size} x {iterations}", [jetlag, reference, floor], repeats)
    print(
        f"\nLRA {size}x{size}, {iterations} iterations (the paper's full size), {runs(repeats)}"
        ": total seconds, median (min-max); NumPy is not timed at this size"
    )
    base = statistics.median(reference.times)
    for entry, factor in ((jetlag, 1), (reference, 1), (floor, iterations)):
        times = [t * factor for t in entry.times]
        median = statistics.median(times)
        print(
            f"  {entry.label:34} {median:8.1f} s ({min(times):.1f}-{max(times):.1f})"
            f" {median / base:7.2f} x reference"
        )
    check_lines([jetlag], reference, against="the Numba reference")


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the workloads and print the tables."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="smaller sizes, 3 repeats")
    mode.add_argument("--smoke", action="store_true", help="tiny synthetic inputs, no download")
    mode.add_argument("--full", action="store_true", help="only LRA 10000², 1000 iterations")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs per row (5)")
    parser.add_argument("--threads", default="1,2", help="thread counts to scale over (1,2)")
    parser.add_argument(
        "--first-calls",
        type=int,
        default=None,
        help="fresh processes per row for the first-call column (the repeats, at most 3; 0: none)",
    )
    parser.add_argument(
        "--first-call",
        metavar="SPEC:ROW",
        help="only time ROW's first call in this process (what the first-call column runs): "
        "SPEC is lra:SIZE:ITERATIONS or als:smoke|quick|paper, ROW one of "
        + ", ".join(FIRST_CALL_ROWS),
    )
    options = parser.parse_args(argv)
    if options.first_call:
        first_call_main(options.first_call)
        return
    repeats = options.repeats or (3 if options.quick else 1 if options.smoke else 5)
    first_calls = min(repeats, 3) if options.first_calls is None else options.first_calls
    threads = sorted({int(t) for t in options.threads.split(",") if t.strip()})

    load = OtherLoad()
    print(machine_description())
    print(
        "JetLag runs with its defaults (rewrites on, trace mode profile); rows of a table are "
        "measured in the same run, interleaved; vs NumPy = median / NumPy's median."
    )
    if options.full:
        full_lra(repeats)
    else:
        sizes = {"smoke": [(300, 10)], "quick": [(1000, 20), (2000, 10)]}
        chosen = "smoke" if options.smoke else "quick" if options.quick else ""
        for size, iterations in sizes.get(chosen, [(2000, 20), (10000, 5)]):
            lra_workload(size, iterations, threads, repeats, first_calls)
        als_workload(chosen or "paper", threads, repeats, first_calls)
    print(f"\n{load.report()}")


if __name__ == "__main__":
    main()
