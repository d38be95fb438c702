"""`%bench`: one statement timed compiled (JetLag) and as plain NumPy, in the same process.

The compiled side is the statement compiled as a cell run (runs.py) and called `repeat`
times after one warm-up, untraced, with its results not stored. The warm-up is the first
call, which compiles Numba kernels in a fresh kernel: it is left out of the medians, and
the report says how long it took and how much of that was compiling (compile_clock.py). The plain side is
IPython's own `%timeit` of the same statement while every compiled function in the
namespace is temporarily its original Python function, so a call such as
`lra(x, y, ...)` really runs NumPy. The report gives medians, min-max and the ratio
compiled / NumPy (below 1: compiled is faster). Nothing here asserts anything about time.
"""

from __future__ import annotations

import ast
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core.error import UsageError

from jetlag.kernel.cells import CANDIDATE, plan_cell
from jetlag.kernel.compile_clock import COMPILE_CLOCK
from jetlag.kernel.runner import run_program
from jetlag.kernel.runs import PreparedRun, prepare_run
from jetlag.kernel.state import KernelState
from jetlag.runtime.api import PhySLFunction
from jetlag.runtime.measure.profile import format_ns


@contextmanager
def python_functions(namespace: dict[str, Any]) -> Iterator[None]:
    """Within the block, every compiled function in `namespace` is its Python original."""
    swapped = {
        name: value
        for name, value in namespace.items()
        if isinstance(value, PhySLFunction) and not name.startswith("_")
    }
    try:
        for name, value in swapped.items():
            namespace[name] = value.__physl_python_function__
        yield
    finally:
        namespace.update(swapped)


def _summary(title: str, seconds: list[float]) -> str:
    ns = [s * 1e9 for s in seconds]
    return (
        f"  {title:<24} median {format_ns(statistics.median(ns))} "
        f"(min {format_ns(min(ns))}, max {format_ns(max(ns))}) over {len(ns)} runs"
    )


def _compile(shell: Any, statement: str) -> PreparedRun | str:
    try:
        nodes = ast.parse(statement).body
    except SyntaxError as error:
        raise UsageError(f"%bench: invalid statement: {error.msg}") from None
    plan = plan_cell(nodes, tuple(statement.splitlines()), "<bench>")
    for stmt in plan.statements:
        if stmt.kind != CANDIDATE:
            return stmt.reason or "a def cannot be benchmarked; call the function instead"
    outcome = prepare_run(plan, 0, len(nodes) - 1, shell.user_ns, "bench", "%bench")
    if isinstance(outcome, PreparedRun):
        return outcome
    return outcome.reason


def bench(shell: Any, state: KernelState, statement: str, repeat: int = 5) -> str:
    """Time `statement` compiled and as plain NumPy; the printed report."""
    prepared = _compile(shell, statement)
    lines = [f"%bench {statement}"]
    compiled: list[float] = []
    warm_up = ""
    if isinstance(prepared, PreparedRun):
        args_of = prepared.run.params
        for attempt in range(repeat + 1):
            args = tuple(shell.user_ns[name] for name in args_of)
            compiling_before = COMPILE_CLOCK.unclaimed()
            start = time.perf_counter()
            run_program(
                prepared.runs,
                prepared.entry,
                args,
                state,
                files=prepared.files,
                label="%bench",
                trace_mode="off",
            )
            elapsed = time.perf_counter() - start
            if attempt:  # the first call is the warm-up (Numba compiles, caches fill)
                compiled.append(elapsed)
            else:
                compiling = COMPILE_CLOCK.unclaimed() - compiling_before
                COMPILE_CLOCK.claim(compiling)  # said here, not again under the cell
                warm_up = (
                    f"  compiling excluded: an untimed first call took {format_ns(elapsed * 1e9)}"
                    f", of which compiling {format_ns(compiling * 1e9)}"
                )
        threads = state.threads or "default"
        lines.append(_summary(f"compiled (threads {threads}):", compiled))
    else:
        lines.append(f"  compiled: not possible: {prepared}")
    with python_functions(shell.user_ns):
        shell.run_line_magic("timeit", f"-q -n 1 -r 1 {statement}")  # warm-up
        timing = shell.run_line_magic("timeit", f"-o -q -n 1 -r {repeat} {statement}")
    plain = [total / timing.loops for total in timing.all_runs]
    lines.append(_summary("plain NumPy:", plain))
    if compiled:
        ratio = statistics.median(compiled) / statistics.median(plain)
        lines.append(f"  ratio compiled / NumPy: {ratio:.2f} (below 1: compiled is faster)")
    if warm_up:
        lines.append(warm_up)
    return "\n".join(lines)
