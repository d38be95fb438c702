"""A primitive evaluation as a dataflow task, and how failures are reported.

A `PrimitiveTask` waits for its operand futures, then runs its primitive on a worker (or
right after the task that made it ready, when it is small), and completes its own future.
A failed operand fails the task with the same error, so one error surfaces once, with the
place of the primitive that really failed. Whatever a primitive raises fails its future,
BaseExceptions included (a KeyboardInterrupt or SystemExit raised by a task on a worker
reaches the driver as itself), so no waiter is left waiting for a task that died.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from jetlag.runtime.errors import (
    PrimitiveArgumentError,
    SourcePlace,
    runtime_error_from,
)
from jetlag.runtime.ir.nodes import Node, Program
from jetlag.runtime.measure.events import enter_task, leave_task, new_guid, now_ns
from jetlag.runtime.primitives.fused_body import FAILED_SITE
from jetlag.runtime.scheduler.futures import Future

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.scheduler.evaluator import Run


class RunCancelled(Exception):
    """A task was dropped because its run was interrupted or failed."""


def place_of(node: Node, program: Program) -> SourcePlace | None:
    """The user's file:line:col of a node (None when the node has no location)."""
    if node.loc is None:
        return None
    return SourcePlace(
        program.source_file, node.loc.line, node.loc.col, program.source_line(node.loc.line)
    )


def describe_failure(error: BaseException, node: Node, program: Program) -> BaseException:
    """The error to report for an exception raised inside a primitive at `node`.

    An Exception becomes a PhySLRuntimeError at the node's place that is still an instance
    of the exception's type (`runtime_error_from`); a PhySLError comes back unchanged. A
    BaseException that is not an Exception (KeyboardInterrupt, SystemExit...) also comes
    back as itself, so the driver re-raises what was raised, with a note naming the
    primitive and the place (shown under its traceback). An error raised inside a fused
    primitive's body is reported at the body's own operation that raised it (the user's
    primitive and line), not at the generated fused primitive.
    """
    site = getattr(error, FAILED_SITE, None)
    if isinstance(site, Node) and site.loc is not None:
        node = site
    name = getattr(node, "instance_name", type(node).__name__)
    place = place_of(node, program)
    if not isinstance(error, Exception):
        _note(error, f"(in PhySL primitive instance {name}{_at(place)})")
        return error
    primitive = getattr(node, "name", name)
    detail = _text(error) or type(error).__name__
    if not isinstance(error, PrimitiveArgumentError):
        detail = f"{type(error).__name__}: {detail}"
    return runtime_error_from(
        error,
        f"{primitive} failed: {detail}",
        place,
        hint=f"(PhySL primitive instance {name})",
        primitive=name,
    )


def _text(error: BaseException) -> str:
    # An exception whose __str__ fails must still fail its task, not the reporting.
    try:
        return str(error)
    except Exception:  # noqa: BLE001
        return ""


def _at(place: SourcePlace | None) -> str:
    return f" at {place.render()}" if place is not None else ""


def _note(error: BaseException, note: str) -> None:
    notes = getattr(error, "__notes__", None)
    if hasattr(error, "add_note") and (notes is None or note not in notes):
        try:
            error.add_note(note)
        except Exception:  # noqa: BLE001 - a class that forbids notes: report it as it is
            pass


class PrimitiveTask:
    """One pending evaluation of `impl(*args, **kwargs)` for the node `node`."""

    __slots__ = (
        "run",
        "node",
        "name",
        "impl",
        "args",
        "kwargs",
        "future",
        "parent",
        "_waiting",
        "_lock",
    )

    def __init__(
        self,
        run: Run,
        node: Node,
        impl: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any],
        parent: int,
    ) -> None:
        self.run = run
        self.node = node
        self.name = node.instance_name  # type: ignore[attr-defined]
        self.impl = impl
        self.args = args
        self.kwargs = kwargs
        self.future = Future(self.name)
        self.parent = parent
        self._waiting = 0
        self._lock: threading.Lock | None = None

    def start(self, dependencies: Sequence[Future]) -> Future:
        """Register on the unfinished dependencies; the task runs when all are done."""
        pending = [d for d in dependencies if not d._done]  # noqa: SLF001 - hot path
        if not pending:
            self._ready()
        elif len(pending) == 1:
            # One operand outstanding (a chain): no counting needed.
            pending[0].add_done_callback(self._last_dependency_done)
        else:
            self._lock = threading.Lock()
            # One extra count, released below, so the task cannot fire while registering.
            self._waiting = len(pending) + 1
            for dependency in pending:
                dependency.add_done_callback(self._dependency_done)
            self._dependency_done(None)
        return self.future

    def _dependency_done(self, _: Future | None) -> None:
        with self._lock:  # type: ignore[union-attr]
            self._waiting -= 1
            if self._waiting:
                return
        self._ready()

    def _last_dependency_done(self, _: Future) -> None:
        self._ready()

    def _operands(self) -> tuple[list[Any], dict[str, Any]] | BaseException:
        args: list[Any] = []
        for value in self.args:
            if isinstance(value, Future):
                if value.error is not None:
                    return value.error
                value = value.value_if_done()
            args.append(value)
        kwargs = self.kwargs
        if kwargs:
            kwargs = {}
            for key, value in self.kwargs.items():
                if isinstance(value, Future):
                    if value.error is not None:
                        return value.error
                    value = value.value_if_done()
                kwargs[key] = value
        return args, kwargs

    def _ready(self) -> None:
        operands = self._operands()
        pool = self.run.pool
        if isinstance(operands, BaseException):
            # Through the pool's trampoline, not directly: failing a long chain of
            # dependents must not recurse once per link.
            error = operands
            pool.run_soon(lambda: self.future.set_error(error), inline=True)
            return
        self.args, self.kwargs = operands
        if not pool.on_worker():
            pool.submit(self._execute)  # made ready by the driver
        elif self.run.small_enough(self.node, self.args):
            pool.run_soon(self._execute_inline, inline=True)
        else:
            # Made ready by a finishing task: this worker is about to be free, so the
            # first such task runs here next (no wake-up, no queue hop); more go to the
            # shared queue for idle workers.
            pool.run_next(self._execute)

    def _execute_inline(self) -> None:
        self._execute("inline")

    def _execute(self, kind: str = "task") -> None:
        run = self.run
        if run.cancelled:
            self.future.set_error(RunCancelled(self.name))
            return
        guid = new_guid()
        name = self.name
        pool = run.pool
        pool.set_task_name(name)
        cpu = run.cpu_mark(name)
        previous = enter_task(guid, run.log)
        start = now_ns()
        try:
            value = self.impl(*self.args, **self.kwargs)
        except BaseException as error:  # noqa: BLE001 - reported through the future
            # Every BaseException: a worker swallows whatever escapes a task, and a future
            # left unset would keep the driver waiting forever.
            try:
                run.observe_cpu(name, cpu, failed=True)
                if run.log is not None:
                    run.log.record(guid, self.parent, name, _worker(), start, now_ns(), kind)
            finally:
                self.future.set_error(describe_failure(error, self.node, run.program))
            return
        finally:
            leave_task(previous)
        if run.log is not None:
            run.log.record(guid, self.parent, name, _worker(), start, now_ns(), kind)
        run.observe_cpu(name, cpu)
        self.args = self.kwargs = None  # type: ignore[assignment]  # free operands early
        self.future.set_result(value)


def _worker() -> str:
    return threading.current_thread().name
