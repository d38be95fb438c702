"""Running a compiled cell run on the task pool, measured as the kernel's `%trace` says.

A run of top-level statements has no Python function behind it, so it cannot be a
`PhySLFunction`; this module optimizes its program with the runtime's pass pipeline, runs
and measures it with the runtime's `run_measured` (as `PhySLFunction` does) and turns
errors into the kernel's placed, frame-free reports. It does
not decide what runs compiled and does not publish traces.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jetlag.kernel.state import KernelState
from jetlag.kernel.tracebacks import interrupted, placed_runtime_error, renamed
from jetlag.runtime.api import Measurement, run_measured
from jetlag.runtime.errors import PhySLError, PhySLRuntimeError
from jetlag.runtime.ir.nodes import Program
from jetlag.runtime.passes import optimize


def optimized(program: Program) -> Program:
    """The program as `PhySLFunction` runs it: through the runtime's pass pipeline."""
    return optimize(program)


def run_program(
    program: Program,
    entry: str,
    args: tuple[Any, ...],
    state: KernelState,
    *,
    files: Mapping[str, str],
    label: str,
    trace_mode: str | None = None,
    texts: Mapping[str, str] | None = None,
) -> tuple[Any, Measurement | None]:
    """Call `entry` of `program` with `args`; returns (value, what was measured or None).

    `files` maps the program's function names to their files (to place errors and, with
    `texts` -- file -> text -- to show each function's source beside its trace);
    `label` names the run in an interrupt report.
    """
    mode = trace_mode or state.trace_mode
    try:
        result, measurement = run_measured(
            program,
            entry,
            args,
            threads=state.threads,
            trace=mode,
            metadata={"cell": label},
            sources=texts,
            origins=files,
            dask=state.executor,
        )
    except PhySLRuntimeError as error:
        raise renamed(placed_runtime_error(error, program, files), state) from None
    except PhySLError as error:
        raise renamed(error, state) from None
    except KeyboardInterrupt:
        raise interrupted(f"run {entry}", label) from None
    return result.value, measurement
