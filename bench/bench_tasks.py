"""Benchmark: what JetLag costs per task -- 100,000 trivial tasks, chained and independent.

Two tables.

1. The scheduler (the issue's goal, <= 20 us per task): 100,000 evaluations of `x + 1.0`
   on a one-element array issued straight into the scheduler (`Run.issue`, the call the
   driver makes for every primitive), each a pool task (`InlinePolicy(inline_work=-1)`),
   each depending on the previous one (a chain) or all on the same input (independent).
   This is the whole task path -- dependency registration, the ready task reaching a
   worker, the primitive call, the task event, completing the future, waking dependents,
   finishing the run -- without the interpretation of a PhySL program around it.

2. A PhySL loop doing the same 100,000 times: `x = x + 1.0` (a chain) or `y = x + 1.0`
   (independent), in four configurations, all but the first with optimize=False so the
   loop stays a loop of primitive evaluations:

   - optimized (default): what `physl(f)` does; the rewrites may compile the whole loop
     into one kernel, and then there are no tasks at all (shown for comparison).
   - adaptive: `physl(f, optimize=False)` with the default adaptive policy; the trivial work
     runs inline on the driver, so this is the cost of interpreting one evaluation.
   - array ops as tasks: a static `InlinePolicy(inline_work=0)` as the function's `policy`:
     every evaluation with an array operand is a task on the pool; the scalar loop counter
     stays inline, so the driver issues the chain ahead and the workers run it.
   - every op a task: JETLAG_INLINE_WORK=-1 and JETLAG_INLINE_NS=0, read when the function
     is compiled: the loop counter is a task too, and the loop condition makes the driver
     wait for it, so each iteration is a round trip through the pool.

   Evaluations per iteration (spawned tasks and inline ones) are counted from the task
   events of one shorter run with trace="events". Each cell is the median (min-max) of the
   runs, in microseconds per spawned task (per evaluation where none is spawned), with the
   same loop in plain Python/NumPy, timed in the same run, for comparison.

The timed runs record task events the way the trace mode chosen does (JetLag's default,
profile, records them).

    python bench/bench_tasks.py                  # 100,000 tasks, 5 runs
    python bench/bench_tasks.py --smoke          # 2,000 tasks, 1 run
    python bench/bench_tasks.py --tasks 20000 --repeats 7 --trace off
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# The checkout's own jetlag first (as bench_paper.py does): runs without `pip install`, and
# measures this tree whatever is installed.
sys.path[:0] = [str(ROOT), str(Path(__file__).resolve().parent)]

from timing import Entry, OtherLoad, machine_description, measure, runs  # noqa: E402

from jetlag import physl  # noqa: E402
from jetlag.runtime.ir.nodes import Call, Location, Program  # noqa: E402
from jetlag.runtime.measure.events import EventLog  # noqa: E402
from jetlag.runtime.primitives.parallel import default_workers  # noqa: E402
from jetlag.runtime.primitives.registry import REGISTRY  # noqa: E402
from jetlag.runtime.scheduler.evaluator import Run  # noqa: E402
from jetlag.runtime.scheduler.policy import InlinePolicy  # noqa: E402
from jetlag.runtime.scheduler.pool import shared_pool  # noqa: E402

GOAL_US = 20.0


def scheduled(shape: str, trace: str):
    """`run(x, n)`: n evaluations of `x + 1.0` issued into the scheduler, every one a task.

    "chain": each adds 1 to the previous result; "independent": each to the input.
    """
    node = Call("__add", (), loc=Location(1, 0))
    add = REGISTRY["__add"].impl
    pool = shared_pool(default_workers())

    def run(x: np.ndarray, n: int) -> np.ndarray:
        log = EventLog() if trace != "off" else None
        scheduler = Run(Program(()), pool, InlinePolicy(inline_work=-1), log)
        value = x
        for _ in range(n):
            value = scheduler.issue(node, add, [value if shape == "chain" else x, 1.0], {})
        return scheduler.finish(value)

    return run


def chain(x, n):
    i = 0
    while i < n:
        x = x + 1.0
        i = i + 1
    return x


def independent(x, n):
    i = 0
    y = x
    while i < n:
        y = x + 1.0
        i = i + 1
    return y


@contextmanager
def environment(**values: str):
    """Set environment variables for the duration (the policy reads them at compile time)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def compiled(function, policy: str, trace: str):
    """`function` compiled the way `policy` names, with the given trace mode.

    Every policy but "optimized" compiles with optimize=False: the rewrites may turn the
    whole loop into one compiled kernel, leaving no tasks to measure.
    """
    if policy == "optimized (default)":
        return physl(function, trace=trace)
    if policy == "every op a task":
        with environment(JETLAG_INLINE_WORK="-1", JETLAG_INLINE_NS="0"):
            return physl(function, optimize=False, trace=trace)
    compiled_function = physl(function, optimize=False, trace=trace)
    if policy == "array ops as tasks":
        from jetlag.runtime.scheduler.policy import InlinePolicy

        compiled_function.policy = InlinePolicy(inline_work=0)
    return compiled_function


#: Iterations of the run whose task events are counted (the count per iteration is the
#: same for any length; a shorter run keeps the event log small).
COUNTED_ITERATIONS = 2_000


def evaluations(function, policy: str) -> dict[str, float]:
    """Spawned ("task") and "inline" evaluations per iteration, from one run's task events."""
    counted = compiled(function, policy, "events")
    counted(np.zeros(1), 50)  # warm-up: kernels, and the adaptive policy's first decisions
    counted(np.zeros(1), COUNTED_ITERATIONS)
    kinds = Counter(event.kind for event in counted.trace.events)
    return {kind: kinds[kind] / COUNTED_ITERATIONS for kind in ("task", "inline")}


POLICIES = ("optimized (default)", "adaptive", "array ops as tasks", "every op a task")


def per_unit(entry: Entry, tasks: int, counts: dict[str, float] | None) -> str:
    """Median (min-max) us per spawned task, else per evaluation, else per iteration."""
    units = 1.0
    if counts is not None:
        units = counts["task"] if counts["task"] >= 0.5 else counts["task"] + counts["inline"]
        if units < 0.5:
            return "no evaluations"
    scale = 1e6 / tasks / units
    median, low, high = (f(entry.times) * scale for f in (statistics.median, min, max))
    return f"{median:.2f} ({low:.2f}-{high:.2f})"


def main(argv: list[str] | None = None) -> None:
    """Time the loops under each policy and print microseconds per task."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tasks", type=int, default=100_000, help="loop iterations (100000)")
    parser.add_argument("--repeats", type=int, default=None, help="timed runs (5)")
    parser.add_argument("--trace", default="profile", choices=("off", "profile", "events"))
    parser.add_argument("--smoke", action="store_true", help="2,000 tasks, 1 run")
    options = parser.parse_args(argv)
    tasks = 2_000 if options.smoke else options.tasks
    repeats = options.repeats or (1 if options.smoke else 5)

    load = OtherLoad()
    print(machine_description())
    scheduler_rows = [
        Entry(
            f"{shape}: {label}",
            function,
            lambda: (np.zeros(1), tasks),
            tasks,
            lambda: (np.zeros(1), 50),
        )
        for shape in ("chain", "independent")
        for label, function in (
            ("plain Python/NumPy", chain if shape == "chain" else independent),
            ("JetLag scheduler, every op a task", scheduled(shape, options.trace)),
        )
    ]
    measure(f"{tasks:,} scheduler tasks", scheduler_rows, repeats)
    print(
        f"\nThe scheduler: {tasks:,} tasks of x + 1.0 on a 1-element array issued through "
        f"Run.issue, {runs(repeats)}, trace mode {options.trace}: median (min-max)"
    )
    print(f"  {'tasks':44} {'us per task':>28} {'vs Python':>10}")
    python_us = 1.0
    for entry in scheduler_rows:
        us = statistics.median(entry.times) * 1e6 / tasks
        python_us = us if "plain" in entry.label else python_us
        print(f"  {entry.label:44} {per_unit(entry, tasks, None):>28} {us / python_us:10.1f}")
    for entry in scheduler_rows:
        if entry.label.startswith("chain: JetLag"):
            per_task = statistics.median(entry.times) * 1e6 / tasks
            verdict = "meets" if per_task <= GOAL_US else "misses"
            print(
                f"  goal <= {GOAL_US:.0f} us per task, {entry.label}: {per_task:.1f} us "
                f"({verdict} it on this machine, this run)"
            )

    rows: list[tuple[Entry, dict[str, float] | None]] = []
    for shape, function in (("chain", chain), ("independent", independent)):
        for policy in ("plain Python/NumPy", *POLICIES):
            python = policy.startswith("plain")
            rows.append(
                (
                    Entry(
                        f"{shape}: {policy if python else 'JetLag, ' + policy}",
                        function if python else compiled(function, policy, options.trace),
                        lambda: (np.zeros(1), tasks),
                        tasks,
                        lambda: (np.zeros(1), 50),
                    ),
                    None if python else evaluations(function, policy),
                )
            )
    measure(f"{tasks:,} loop iterations", [entry for entry, _ in rows], repeats)

    print(
        f"\n{tasks:,} iterations of a trivial array op on a 1-element array, {runs(repeats)}, "
        f"JetLag trace mode {options.trace}: median (min-max)"
    )
    print(
        f"  {'loop: how it runs':44} {'tasks/iter':>10} {'inline/iter':>11} "
        f"{'us per task (or evaluation)':>28} {'us per iteration':>17} {'vs Python':>10}"
    )
    python_us: dict[str, float] = {}
    for entry, counts in rows:
        shape = entry.label.split(":")[0]
        us = statistics.median(entry.times) * 1e6 / tasks
        python_us.setdefault(shape, us)  # the plain Python row comes first
        spawned, inline = (counts["task"], counts["inline"]) if counts else (0.0, 0.0)
        print(
            f"  {entry.label:44} {spawned:10.2f} {inline:11.2f} "
            f"{per_unit(entry, tasks, counts):>28} {us:17.2f} {us / python_us[shape]:10.1f}"
        )
    print(
        "  (in a loop, a spawned evaluation costs the scheduler's per-task time plus the\n"
        "   driver and the worker taking turns with the GIL; the adaptive policy inlines\n"
        "   trivial evaluations, and the default rewrites compile such loops outright)"
    )
    print(f"\n{load.report()}")


if __name__ == "__main__":
    main()
