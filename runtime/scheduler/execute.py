"""Entry point of the scheduler: run a Program (optionally calling a function in it).

Sets up what a run needs around the driver -- the pool as this thread's chunk runner and
BLAS held to one thread while the pool owns the cores (mixing both costs up to 1.8x) --
and makes sure an interrupted or failed run leaves the pool clean.
"""

from __future__ import annotations

import sys
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from jetlag.runtime.ir.nodes import Program
from jetlag.runtime.measure.events import EventLog, TaskEvent, now_ns
from jetlag.runtime.primitives.parallel import default_workers, use_runner
from jetlag.runtime.scheduler.blas import single_threaded_blas
from jetlag.runtime.scheduler.evaluator import Run
from jetlag.runtime.scheduler.futures import Future
from jetlag.runtime.scheduler.policy import InlinePolicy
from jetlag.runtime.scheduler.pool import TaskPool, shared_pool
from jetlag.runtime.scheduler.scope import FunctionValue, Scope

#: GIL switch interval during a run. Workers and the driver hand the GIL back and forth
#: around every NumPy call; with Python's default (5 ms) each handoff can stall a small
#: task for milliseconds (measured: ALS per-row products 20x slower than alone).
RUN_SWITCH_INTERVAL_S = 1e-4


@contextmanager
def _short_gil_switches():
    previous = sys.getswitchinterval()
    sys.setswitchinterval(min(previous, RUN_SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


@dataclass
class RunResult:
    """What a run produced: the value and, when recorded, its task events."""

    value: Any
    log: EventLog | None = None
    root_guid: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


def execute(
    program: Program,
    entry: str | None = None,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    threads: int | None = None,
    pool: TaskPool | None = None,
    policy: InlinePolicy | None = None,
    record_events: bool = False,
    event_log: EventLog | None = None,
) -> RunResult:
    """Evaluate `program`; then call `entry` (or the program's function value) with args.

    With no entry and no arguments the program's last value is the result. `event_log`
    is where events go when recorded (a job's runner reads it while the run goes on).
    """
    pool = pool or shared_pool(threads or default_workers())
    log = (event_log if event_log is not None else EventLog()) if record_events else None
    return drive(Run(program, pool, policy, log), entry, args, kwargs)


def drive(
    run: Run,
    entry: str | None = None,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
) -> RunResult:
    """Run `run`'s program (and call `entry` with the arguments), as every executor does:
    its pool as this thread's chunk runner, BLAS on one thread, a failed run's tasks
    cancelled, and the root event of the GUID tree recorded."""
    program, globals_ = run.program, Scope()
    start = now_ns()
    with use_runner(run.pool), single_threaded_blas(), _short_gil_switches():
        try:
            value = run.evaluate(program, globals_)
            if entry is not None:
                value = globals_.lookup(entry)
            if entry is not None or args or kwargs:
                if isinstance(value, Future):
                    value = value.result()
                if not isinstance(value, FunctionValue):
                    raise TypeError(
                        "the PhySL program's value is not a function, so it cannot be "
                        f"called with {len(args)} argument(s)"
                    )
                value = run.call_function(value, list(args), dict(kwargs or {}), program)
            value = run.finish(value)
        except BaseException:
            run.cancel()
            raise
        finally:
            # The root of the GUID tree: the whole run, from first issue to last task.
            run.record(TaskEvent(run.guid, 0, "run", "driver", start, now_ns(), "call"))
    return RunResult(value, run.log, run.guid)
