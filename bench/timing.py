"""Timing and printing shared by the benchmarks: interleaved runs, tables, checks, machine.

`measure` times every Entry of one table round by round (so drift hits all rows alike) after
one warm-up call each; `measure_first_calls` times each row's very first call (compile
included) in fresh processes; `print_table` prints median (min-max) per unit of work, the
ratio to the first row and the first calls; `check_lines` compares results; `OtherLoad`
reports how much CPU other processes used during the run, because every number here is
only as good as the quiet machine it was taken on. Nothing here knows a workload.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

TOLERANCE = 1e-10


@dataclass(eq=False)
class Entry:
    """One row to time: `function(*make_args())`, `per` units of work (iterations) a call.

    `first_command`, when set, is the argv of a fresh Python process that makes this row's
    first call and prints it with `report_first_call`; `first_times` collects those.
    """

    label: str
    function: Callable[..., Any]
    make_args: Callable[[], tuple]
    per: float = 1
    warm_args: Callable[[], tuple] | None = None
    check: bool = True
    context: Callable[[], AbstractContextManager] = nullcontext
    times: list[float] = field(default_factory=list)
    result: Any = None
    first_command: list[str] | None = None
    first_times: list[float] = field(default_factory=list)


#: Calls shorter than this are preceded by untimed calls of the same row, for at least
#: SETTLE_S seconds: longer than OpenBLAS's threads spin after NumPy's calls (2^28 cycles,
#: ~0.1 s here).
SETTLE_BELOW_S = 0.5
SETTLE_S = 0.25


def measure(name: str, entries: list[Entry], repeats: int) -> None:
    """Warm every entry up once, then time `repeats` rounds, one call of each per round.

    Rows run in a new (seeded) random order each round, so drift hits all alike and no row
    always follows the same neighbour. A short call is preceded by untimed calls of the
    same row for SETTLE_S: whatever ran before leaves the machine in its own state for a
    while -- OpenBLAS's threads spin ~0.1 s after NumPy's calls (measured: 0.1 CPU-s during
    a 0.3 s sleep), and a core that idled runs slower for tens of milliseconds -- so every
    row is timed in its own steady state rather than in its neighbour's wake. One settling
    call was not enough: a 20-iteration JetLag LRA 2000² call (20 ms) timed after NumPy's
    and one such call ran at 1.80 ms/iteration, after 0.3 s of them at 1.09. Arguments are built
    (and contexts entered) outside the timed region; the result of the last call is kept
    for the checks. Progress goes to stderr.
    """
    order = random.Random(20261121)
    # How long a full-size call takes, when the warm-up was one (else known after round 1).
    full_call: dict[int, float] = {}
    for entry in entries:
        with entry.context():
            start = time.perf_counter()
            entry.function(*(entry.warm_args or entry.make_args)())
            if entry.warm_args is None:
                full_call[id(entry)] = time.perf_counter() - start
    for round_ in range(repeats):
        print(f"  [{name}: round {round_ + 1}/{repeats}]", file=sys.stderr, flush=True)
        shuffled = entries[:]
        order.shuffle(shuffled)
        for entry in shuffled:
            with entry.context():
                last = entry.times[-1] if entry.times else full_call.get(id(entry))
                if last is not None and last < SETTLE_BELOW_S:
                    settled = time.perf_counter() + SETTLE_S
                    while True:
                        entry.function(*entry.make_args())
                        if time.perf_counter() >= settled:
                            break
                args = entry.make_args()
                start = time.perf_counter()
                entry.result = entry.function(*args)
                entry.times.append(time.perf_counter() - start)


#: The line a first-call process prints: this prefix, then the call's seconds.
FIRST_CALL_PREFIX = "first call seconds: "


def report_first_call(call: Callable[[], Any]) -> None:
    """Time `call()` -- meant to be this process's first call of what it runs -- and print
    the seconds on stdout for `measure_first_calls`. Whatever the caller did before
    (imports, building inputs) is outside the clock; what `call` does is inside it."""
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    print(f"{FIRST_CALL_PREFIX}{seconds!r}", flush=True)


def first_call_seconds(command: list[str]) -> float:
    """Run `command` (a fresh process ending in `report_first_call`) and return its time."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith(FIRST_CALL_PREFIX)]
    if done.returncode != 0 or not lines:
        raise RuntimeError(
            f"first-call process {command[1:]} failed (exit {done.returncode}):\n"
            + done.stderr[-3000:]
        )
    return float(lines[-1][len(FIRST_CALL_PREFIX) :])


def measure_first_calls(name: str, entries: list[Entry], processes: int) -> None:
    """Time the first call of every entry with a `first_command` in `processes` fresh
    processes each, one process of each entry per round in a new (seeded) random order,
    as `measure` interleaves its rounds. A first call can be made once per process only:
    it includes compiling, which every later call of the process skips."""
    order = random.Random(20261122)
    timed = [entry for entry in entries if entry.first_command is not None]
    for round_ in range(processes):
        print(
            f"  [{name}: first calls, round {round_ + 1}/{processes}]", file=sys.stderr, flush=True
        )
        shuffled = timed[:]
        order.shuffle(shuffled)
        for entry in shuffled:
            assert entry.first_command is not None
            entry.first_times.append(first_call_seconds(entry.first_command))


def runs(count: int) -> str:
    """`1 run`, `5 runs`."""
    return f"{count} run{'s' if count != 1 else ''}"


def ratio(value: float) -> str:
    """A ratio with two decimals, or three significant digits when below 0.1."""
    return f"{value:.2f}" if value >= 0.1 else f"{value:.3g}"


def milliseconds(value: float) -> str:
    """A time in ms with about three significant digits."""
    digits = 0 if value >= 100 else 1 if value >= 10 else 2 if value >= 1 else 3
    return f"{value:.{digits}f}"


def spread(entry: Entry) -> tuple[float, str]:
    """(median ms per unit, `median (min-max)` text) of an entry's times."""
    scale = 1e3 / entry.per
    median = statistics.median(entry.times) * scale
    low, high = min(entry.times) * scale, max(entry.times) * scale
    return median, f"{milliseconds(median)} ({milliseconds(low)}-{milliseconds(high)})"


def first_call_header(entries: list[Entry]) -> str:
    """The first-call column's header, naming how many fresh processes each cell took."""
    count = max((len(entry.first_times) for entry in entries), default=0)
    return f"first call ms ({count} process{'es' if count != 1 else ''}, imports excl.)"


def first_call_text(entry: Entry) -> str:
    """`median (min-max)` ms of an entry's first calls, the one value of a single process,
    or `-` when it has none."""
    times = [t * 1e3 for t in entry.first_times]
    if not times:
        return "-"
    if len(times) == 1:
        return milliseconds(times[0])
    low, high = milliseconds(min(times)), milliseconds(max(times))
    return f"{milliseconds(statistics.median(times))} ({low}-{high})"


def print_table(
    title: str,
    entries: list[Entry],
    numpy: Entry,
    floor: Entry | None = None,
    note: str = "",
    first_note: str = "",
) -> None:
    """Rows of median (min-max) ms per unit, ratio to NumPy, with a floor % of it, and,
    when any row has first-call times, its first call (whole call, compile included)."""
    print(f"\n{title}")
    base = spread(numpy)[0]
    first = any(entry.first_times for entry in entries)
    first_header = first_call_header(entries)
    width = max([len(first_header)] + [len(first_call_text(e)) for e in entries])
    header = f"  {'implementation':34} {'median (min-max) ms':>28} {'vs NumPy':>9}"
    header += f" {'read-bw floor / time':>21}" if floor else ""
    print(header + (f" {first_header:>{width}}" if first else ""))
    for entry in entries:
        median, text = spread(entry)
        line = f"  {entry.label:34} {text:>28} {ratio(median / base):>9}"
        if floor is not None:
            line += f" {100 * spread(floor)[0] / median:20.0f}%"
        if first:
            line += f" {first_call_text(entry):>{width}}"
        print(line)
    if note:
        print(f"  ({note})")
    if first and first_note:
        print(textwrap.fill(f"({first_note})", 98, initial_indent="  ", subsequent_indent="   "))


def relative_difference(got: Any, expected: Any) -> float:
    """max |got - expected| / max |expected| (the tests' measure)."""
    got, expected = np.asarray(got, dtype=float), np.asarray(expected, dtype=float)
    if got.shape != expected.shape:
        return float("inf")
    return float(np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-300))


def _numpy_row(entry: Entry) -> bool:
    """Whether `entry` times NumPy itself (any BLAS thread count): the problem's own rounding."""
    return entry.label.startswith("NumPy")


def check_lines(entries: list[Entry], baseline: Entry, against: str = "NumPy") -> None:
    """Print, for each checked entry, its difference from `baseline` and OK / ABOVE.

    NumPy's own other rows (other BLAS thread counts) are printed as the problem's rounding
    spread, and every difference from them too: a result may differ from NumPy by less
    than NumPy differs from itself.
    """
    others = [e for e in entries if e is not baseline and _numpy_row(e)]
    for entry in entries:
        if entry is baseline or not entry.check:
            continue
        difference = relative_difference(entry.result, baseline.result)
        if entry in others:
            print(
                f"  spread: {entry.label} vs {baseline.label}: {difference:.1e} "
                "(NumPy against itself: this problem's rounding sensitivity)"
            )
            continue
        verdict = "OK" if difference <= TOLERANCE else f"ABOVE {TOLERANCE:.0e}"
        also = "".join(
            f" (vs {other.label}: {relative_difference(entry.result, other.result):.1e})"
            for other in others
        )
        print(
            f"  check: {entry.label} equal to {against} to {TOLERANCE:.0e} relative: "
            f"{difference:.1e} {verdict}{also}"
        )


def exact_lines(entries: list[Entry], exact: Any, source: str) -> None:
    """Print every result's distance from `exact` (computed more precisely than float64).

    Where results differ from NumPy's by more than the tolerance, this says which one is
    off: NumPy's rows are printed for comparison, every other checked row gets OK / ABOVE.
    """
    print(f"  exact: distance from the {source}, max |x - exact| / max |exact|:")
    for entry in entries:
        numpy_row = _numpy_row(entry)
        if not (entry.check or numpy_row) or entry.result is None:
            continue
        difference = relative_difference(entry.result, exact)
        if numpy_row:
            verdict = "(NumPy's own rounding error)"
        else:
            verdict = "OK" if difference <= TOLERANCE else f"ABOVE {TOLERANCE:.0e}"
        print(f"  exact: {entry.label:34} {difference:.1e} {verdict}")


def print_scaling(name: str, scaling: dict[int, list[Entry]], rows: list[str]) -> None:
    """One row per implementation, one column per thread count, and the speed-up."""
    counts = sorted(scaling)
    print(f"\n{name} thread scaling: median (min-max) ms per iteration")
    cells = "".join(f"{f'{n} thread' + ('s' if n > 1 else ''):>26}" for n in counts)
    print(f"  {'implementation':24}{cells} {f'{counts[0]} -> {counts[-1]}':>9}")
    for index, row in enumerate(rows):
        texts = "".join(f"{spread(scaling[n][index])[1]:>26}" for n in counts)
        first, last = spread(scaling[counts[0]][index])[0], spread(scaling[counts[-1]][index])[0]
        print(f"  {row:24}{texts} {first / last:8.2f}x")


def default_threads() -> int:
    """Threads JetLag and the references use by default: JETLAG_THREADS, else the cores."""
    env = os.environ.get("JETLAG_THREADS")
    return max(1, int(env)) if env else len(os.sched_getaffinity(0))


def blas_default() -> int:
    """BLAS threads NumPy uses when nobody limits them."""
    from threadpoolctl import threadpool_info

    counts = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return counts[0] if counts else 1


def blas_limit(threads: int) -> Callable[[], AbstractContextManager]:
    """A context factory holding NumPy's BLAS to `threads` threads."""
    from threadpoolctl import threadpool_limits

    return lambda: threadpool_limits(limits=threads, user_api="blas")


def machine_description() -> str:
    """CPU model, cores, Python, NumPy, Numba, Dask and BLAS of this run."""
    import numba
    from threadpoolctl import threadpool_info

    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    blas = next((i for i in threadpool_info() if i["user_api"] == "blas"), None)
    blas_text = (
        f"{blas['internal_api']} {blas['version']} ({blas.get('architecture')}, "
        f"{blas['num_threads']} threads)"
        if blas
        else "none found"
    )
    try:
        dask = importlib.metadata.version("dask")
    except importlib.metadata.PackageNotFoundError:
        dask = "not installed"
    return (
        f"machine: {model}, {os.cpu_count()} logical CPUs ({len(os.sched_getaffinity(0))} "
        f"usable); Python {platform.python_version()}, NumPy {np.__version__}, Numba "
        f"{numba.__version__}, Dask {dask}; BLAS {blas_text}"
    )


class OtherLoad:
    """CPU time other processes used while this benchmark ran (from /proc/stat).

    The benchmark's own child processes (first calls) count as its own, not as others'.

    Timings taken while something else competes for the cores are not comparable run to
    run (and punish spinning thread pools, such as OpenBLAS's, far more than others), so
    each script prints how busy the machine was besides itself.
    """

    def __init__(self) -> None:
        self.start = self._sample()

    @staticmethod
    def _sample() -> tuple[float, float, float]:
        try:
            fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return (0.0, 0.0, 0.0)
        # user nice system idle iowait irq softirq steal: everything but idle/iowait is busy.
        ticks = [int(value) for value in fields[:8]]
        busy = (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")
        # Its own CPU time and that of the children it waited for (first-call processes).
        mine = os.times()
        own = mine.user + mine.system + mine.children_user + mine.children_system
        return busy, own, time.perf_counter()

    def report(self) -> str:
        """`other processes used X CPU-s of the Y available (Z %)` since construction."""
        busy, mine, now = self._sample()
        others = max(0.0, (busy - self.start[0]) - (mine - self.start[1]))
        available = (now - self.start[2]) * len(os.sched_getaffinity(0))
        share = 100 * others / available if available else 0.0
        warning = " -- timings disturbed, compare rows of one table only" if share > 10 else ""
        return (
            f"other processes used {others:.1f} CPU-s of the {available:.1f} available "
            f"during this run ({share:.0f} %){warning}"
        )
