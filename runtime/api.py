"""The public face of the runtime: the `@physl` decorator and `run_physl`.

A decorated function is compiled once, at decoration time (so unsupported Python fails
right there, naming file:line:col); each call runs the execution tree on the task pool.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jetlag.runtime.errors import PhySLError
from jetlag.runtime.frontend import CompiledSource, compile_function
from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.ir.nodes import Program
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.measure.events import EventLog
from jetlag.runtime.measure.otf2_writer import clock_offset_now
from jetlag.runtime.measure.sampler import CounterSampler
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.passes import Optimization, explain
from jetlag.runtime.passes.annotate import annotate
from jetlag.runtime.passes.pipeline import select_passes
from jetlag.runtime.scheduler import RunResult, execute, loop_notes
from jetlag.runtime.scheduler.dask_executor import (
    DaskExecutor,
    execute_on_dask,
    is_dask_executor,
    resolve_executor,
)
from jetlag.runtime.scheduler.policy import AdaptivePolicy, InlinePolicy
from jetlag.runtime.scheduler.pool import TaskPool
from jetlag.runtime.settings import one_of

TRACE_MODES = ("off", "profile", "events")


def default_trace_mode() -> str:
    """The trace mode when none is given: JETLAG_TRACE, else "profile"."""
    return one_of("JETLAG_TRACE", "profile", TRACE_MODES, "what each run records")


def _check_options(threads: int | None, trace: str, executor: Any) -> None:
    if threads is not None and (not isinstance(threads, int) or threads < 1):
        raise ValueError(f"threads must be a positive integer, got {threads!r}")
    if trace not in TRACE_MODES:
        raise ValueError(f"trace must be one of {', '.join(TRACE_MODES)}; got {trace!r}")
    if not _is_threads(executor) and not is_dask_executor(executor):
        raise ValueError(
            "executor must be 'threads', a TaskPool, a dask.distributed Client or "
            f"'dask://HOST:PORT', got {executor!r}"
        )


def _is_threads(executor: Any) -> bool:
    return executor in (None, "threads") or isinstance(executor, TaskPool)


def _dask_executor(executor: Any) -> DaskExecutor | None:
    """The DaskExecutor `executor` names (connecting to a dask:// address), or None."""
    return None if _is_threads(executor) else resolve_executor(executor)


class Measurement:
    """What one traced call measured; `trace()` assembles its Trace on first use."""

    def __init__(
        self,
        result: RunResult,
        program: Program,
        sampler: CounterSampler,
        entry: str | None,
        mode: str,
        metadata: dict[str, Any],
        sources: Mapping[str, str] | None = None,
        origins: Mapping[str, str] | None = None,
    ) -> None:
        self.result, self.program, self.sampler = result, program, sampler
        self.entry, self.mode, self.metadata = entry, mode, metadata
        self.sources, self.origins = dict(sources or {}), dict(origins or {})
        # Taken now: the wall clock may be stepped before the trace is assembled.
        self.clock_offset_ns = clock_offset_now()
        self._trace: Trace | None = None

    def trace(self) -> Trace:
        """The call's Trace: "profile" keeps the profile and counters, "events" every task."""
        if self._trace is None:
            self._trace = Trace.from_run(
                self.result,
                tree=ExecutionTree(self.program),
                counters=self.sampler,
                function=self.entry,
                metadata=self.metadata,
                clock_offset_ns=self.clock_offset_ns,
                sources=self.sources,
                origins=self.origins,
            )
            if self.mode == "profile":
                self._trace.keep_profile_only()
        return self._trace


def run_measured(
    program: Program,
    entry: str | None = None,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    threads: int | None = None,
    pool: TaskPool | None = None,
    policy: InlinePolicy | None = None,
    trace: str = "profile",
    metadata: dict[str, Any] | None = None,
    sources: Mapping[str, str] | None = None,
    origins: Mapping[str, str] | None = None,
    event_log: EventLog | None = None,
    dask: DaskExecutor | None = None,
) -> tuple[RunResult, Measurement | None]:
    """Run `program` (calling `entry` with the arguments) and measure it as `trace` says.

    Returns the scheduler's result and what was measured (None with trace="off"); its
    `trace()` is the Trace ("profile": profile and counters, "events": every task too),
    assembled when asked for. PhySLFunction and the kernel run through this. `sources`
    (file -> text) and `origins` (function -> file) go into the trace for its source view.
    `event_log` receives the events as they are recorded (for a live view of the run).
    With `dask` the program runs on that Dask cluster (and its trace holds every worker's
    block tasks).
    """
    tracing = trace != "off"
    sampler = CounterSampler().start() if tracing else None
    try:
        if dask is not None:
            result = execute_on_dask(
                program,
                dask,
                entry,
                args,
                kwargs,
                policy=policy,
                record_events=tracing,
                event_log=event_log,
            )
        else:
            result = execute(
                program,
                entry=entry,
                args=args,
                kwargs=kwargs,
                threads=threads,
                pool=pool,
                policy=policy,
                record_events=tracing,
                event_log=event_log,
            )
    finally:
        if sampler is not None:
            sampler.stop()
    if sampler is None:
        return result, None
    # The policy's decisions change with the next call: taken now.
    info: dict[str, Any] = {"trace_mode": trace, **result.extra}
    if policy is not None:
        info["inlining"] = policy.decisions()
    info.update(metadata or {})
    return result, Measurement(result, program, sampler, entry, trace, info, sources, origins)


class PhySLFunction:
    """A Python function compiled to PhySL; call it like the original.

    Attributes: `physl` (PhySL text), `physl_optimized` (what runs, with the rewrites
    named), `tree` (ExecutionTree of what runs: .dot(), .newick(),
    .to_json()), `trace` (the Trace of the latest call: profile and counters, plus every
    task event with trace="events"), `last_run` (the scheduler's raw result).
    """

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        optimize: bool | Sequence[str] = True,
        threads: int | None = None,
        executor: Any = None,
        trace: str | None = None,
    ) -> None:
        trace = trace or default_trace_mode()
        _check_options(threads, trace, executor)
        functools.update_wrapper(self, function)
        self.__physl_python_function__ = function
        self.optimize = optimize
        self.threads = threads
        self.executor = executor
        self.trace_mode = trace
        self.last_run: RunResult | None = None
        self._measurement: Measurement | None = None
        # One policy per function, so what it learns about its primitives carries over
        # from call to call.
        self.policy = AdaptivePolicy.from_environment()
        self._compiled_loops: list[Any] | None = None
        self._refused: list[dict[str, Any]] | None = None
        self._warned_compile_time = False
        self._dask: DaskExecutor | None = None
        self._dask_for: Any = None  # the `executor` that _dask was resolved from
        try:
            self.compiled: CompiledSource = compile_function(function)
        except PhySLError as error:
            raise error.with_traceback(None) from error.__cause__
        chosen = select_passes(optimize)
        self.optimization: Optimization | None = (
            explain(self.compiled.program, chosen) if chosen else None
        )

    @property
    def program(self) -> Program:
        """The program that runs: the optimized tree, or the compiled one with optimize=False."""
        if self.optimization is not None:
            return self.optimization.program
        return self.compiled.program

    @property
    def physl(self) -> str:
        """The PhySL text compiled from this function (and the functions it calls)."""
        return print_physl(self.compiled.program)

    @property
    def physl_optimized(self) -> str:
        """The PhySL that runs, with a `# rewrite: ...` comment above each rewritten statement
        and a `# not compiled: ...` / `# fallback: ...` one above each loop that runs in the
        interpreter (refused by the compile-loops pass, or by Numba in a call so far)."""
        if self.optimization is None:
            return self.physl
        notes = loop_notes.annotations(self.program, self._loops(), self._original())
        return annotate(self.program, (*self.optimization.applied, *notes))

    def _original(self) -> Program | None:
        """The program before the passes when compile-loops ran (whose refusals are then
        worth telling), else None."""
        if self.optimization is None or "compile-loops" not in self.optimization.passes:
            return None
        return self.optimization.original

    def _loops(self) -> list[Any]:
        """The compiled loops of what runs (found once)."""
        if self._compiled_loops is None:
            self._compiled_loops = loop_notes.compiled_loops(self.program)
        return self._compiled_loops

    def loop_fallbacks(self) -> list[dict[str, Any]]:
        """Each loop that runs in the interpreter and why: refused by the compile-loops pass
        ("when": "compile") or, in a call so far, at run time ("when": "run", with counts)."""
        original = self._original()
        if self._refused is None:
            self._refused = (
                [] if original is None else loop_notes.compile_time_notes(self.program, original)
            )
        return [*self._refused, *loop_notes.runtime_fallbacks(self._loops())]

    def _report_fallbacks(self, measurement: Measurement | None) -> None:
        """Warn once per loop and reason; put them in the trace's metadata."""
        fallbacks = self.loop_fallbacks()
        if measurement is not None and fallbacks:
            measurement.metadata["loop_fallbacks"] = fallbacks
        original = self._original()
        if not self._warned_compile_time and original is not None:
            self._warned_compile_time = True
            for loop, reason in loop_notes.refused_loops(self.program, original):
                loop_notes.warn_once(loop, reason, stacklevel=4)
        for node in self._loops():
            for reason in loop_notes.history(node).fallbacks:
                loop_notes.warn_once(node.args[0], reason, stacklevel=4)

    @property
    def tree(self) -> ExecutionTree:
        """The execution tree that runs, exportable as DOT, Newick and JSON."""
        return ExecutionTree(self.program)

    def _dask_executor(self) -> DaskExecutor | None:
        """The Dask executor (connected on first use) when `executor` names one, else None."""
        if self._dask is None or self._dask_for is not self.executor:
            self._dask = _dask_executor(self.executor)
            self._dask_for = self.executor
        return self._dask

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        pool = self.executor if isinstance(self.executor, TaskPool) else None
        try:
            result, measurement = run_measured(
                self.program,
                self.compiled.entry,
                args,
                kwargs,
                threads=self.threads,
                pool=pool,
                policy=self.policy,
                trace=self.trace_mode,
                sources=dict(self.compiled.texts),
                origins=dict(self.compiled.origins),
                dask=self._dask_executor(),
            )
        except PhySLError as error:
            raise error.with_traceback(None) from error.__cause__
        self.last_run = result
        self._report_fallbacks(measurement)
        # Assembled when f.trace is read: ~0.1-0.4 ms a call that a function called in a
        # loop would otherwise pay whether or not its trace is ever looked at.
        self._measurement = measurement
        return result.value

    @property
    def trace(self) -> Trace | None:
        """The Trace of the latest call (None before the first call and with trace="off"),
        assembled when first read."""
        return None if self._measurement is None else self._measurement.trace()

    def __repr__(self) -> str:
        return f"<PhySL function {self.compiled.entry} from {self.compiled.filename}>"


def physl(
    function: Callable[..., Any] | None = None,
    *,
    optimize: bool | Sequence[str] = True,
    threads: int | None = None,
    executor: Any = None,
    trace: str | None = None,
) -> Any:
    """Compile a NumPy-style Python function to PhySL: `@physl` or `@physl(threads=2)`.

    `optimize` is True (every pass of the pipeline), False (none) or the names of the
    passes to run, e.g. `optimize=["algebra", "glm-fusion"]`.
    """

    def wrap(fn: Callable[..., Any]) -> PhySLFunction:
        return PhySLFunction(fn, optimize=optimize, threads=threads, executor=executor, trace=trace)

    return wrap(function) if function is not None else wrap


def run_physl(
    text: str,
    *args: Any,
    file: str = "<physl>",
    threads: int | None = None,
    optimize: bool | Sequence[str] = True,
    executor: Any = None,
    **kwargs: Any,
) -> Any:
    """Run hand-written PhySL; when its value is a function, call it with the arguments.

    `executor` is "threads" (the default), a TaskPool, a dask.distributed Client or
    "dask://HOST:PORT", as for `@physl`.
    """
    _check_options(threads, "off", executor)
    try:
        program = parse_physl(text, file=file)
        dask = _dask_executor(executor)
        chosen = select_passes(optimize)
        if chosen:
            program = explain(program, chosen).program
        if dask is not None:
            return execute_on_dask(program, dask, args=args, kwargs=kwargs).value
        pool = executor if isinstance(executor, TaskPool) else None
        return execute(program, args=args, kwargs=kwargs, threads=threads, pool=pool).value
    except PhySLError as error:
        raise error.with_traceback(None) from error.__cause__
