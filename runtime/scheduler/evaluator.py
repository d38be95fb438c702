"""The driver: walks the execution tree and issues primitive evaluations as tasks.

Control flow (define, store, block, if, while, for, calls of PhySL functions) runs on the
calling thread; every primitive becomes a dataflow task whose operands are values or
futures, so independent statements run concurrently and the driver only waits when a
decision needs a value (a loop condition, print, the result). In-place writes
(`store(slice(x, ...), v)`, and calls of primitives registered `writes_first`, such as
`__iadd` for `x += v` on an array) are fences: they wait for every task issued before them,
and tasks issued after them that may read the written memory (an unfinished operand, or an
array that may share memory with a target) wait for them, which keeps NumPy's view
semantics exact while unrelated work goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from jetlag.runtime.errors import PhySLError, PhySLRuntimeError
from jetlag.runtime.ir.nodes import Call, Literal, Node, Program, Variable
from jetlag.runtime.measure.events import (
    EventLog,
    TaskEvent,
    enter_task,
    leave_task,
    new_guid,
    now_ns,
)
from jetlag.runtime.primitives.registry import REGISTRY
from jetlag.runtime.scheduler import compiled as _compiled  # noqa: F401  (registers compiled_loop)
from jetlag.runtime.scheduler.futures import Future, resolved
from jetlag.runtime.scheduler.policy import AdaptivePolicy, InlinePolicy
from jetlag.runtime.scheduler.pool import TaskPool
from jetlag.runtime.scheduler.scope import FunctionValue, ReturnSignal, Scope
from jetlag.runtime.scheduler.special_forms import SPECIAL_FORMS
from jetlag.runtime.scheduler.tasks import (
    PrimitiveTask,
    RunCancelled,
    describe_failure,
    place_of,
)
from jetlag.runtime.scheduler.writes import InPlaceWrites

#: How long an interrupted run waits for running tasks to let go of the workers.
_CANCEL_GRACE_S = 0.5
#: The driver may run this many tasks ahead of the workers before it waits (backpressure:
#: a long loop must not queue millions of tasks).
MAX_TASKS_AHEAD = 4096


class Run(InPlaceWrites):
    """The state of one program execution on one pool."""

    def __init__(
        self,
        program: Program,
        pool: TaskPool,
        policy: InlinePolicy | None = None,
        log: EventLog | None = None,
    ) -> None:
        self.program = program
        self.pool = pool
        self.policy = policy if policy is not None else AdaptivePolicy.from_environment()
        self.log = log
        self.cancelled = False
        self.init_writes()
        self.guid = new_guid()
        self.parent = self.guid
        self._inflight: dict[Future, int] = {}  # unfinished task -> issue order
        self._failures: list[tuple[int, BaseException]] = []
        self._issued = 0  # tasks issued so far: the next one's place in program order

    # -- measurement -------------------------------------------------------------------

    def record(self, event: TaskEvent) -> None:
        """Keep a task event when this run records events."""
        if self.log is not None:
            self.log.add(event)

    def cpu_mark(self, name: str) -> int:
        """The thread's CPU clock when the policy measures this evaluation of `name` (its
        chunks on other workers then report their CPU time too), else -1."""
        if not self.policy.measures(name):
            return -1
        self.pool.measure_helpers()
        return time.thread_time_ns()

    def observe_cpu(self, name: str, mark: int, failed: bool = False) -> None:
        """Report a measured evaluation since `mark` to the policy (nothing for -1 or a
        failed task). CPU time, not wall time: waiting for the GIL says nothing about the
        work."""
        if mark < 0:
            return
        helped = self.pool.helped_ns()  # also ends the helpers' measurement
        if not failed:
            self.policy.observe(name, time.thread_time_ns() - mark + helped)

    def small_enough(self, node: Node, args: list[Any]) -> bool:
        """Whether a ready evaluation of `node` should run inline."""
        primitive = REGISTRY.get(getattr(node, "name", ""))
        if primitive is None:
            # An in-place write (store): a copy into existing memory, never worth a task
            # once what it waits for is done.
            return getattr(node, "name", "") == "store"
        return self.policy.should_inline(node.instance_name, primitive, args)  # type: ignore[attr-defined]

    # -- evaluation --------------------------------------------------------------------

    def evaluate(self, node: Node, scope: Scope) -> Any:
        """The value of `node` (a Future when it is still being computed)."""
        # `type(...) is` first: this runs for every node of every iteration.
        kind = type(node)
        if kind is Call:
            form = SPECIAL_FORMS.get(node.name)  # type: ignore[attr-defined]
            if form is not None:
                return form(self, node, scope)
            return self.call(node, scope)  # type: ignore[arg-type]
        if kind is Variable:
            return self.lookup(node, scope)  # type: ignore[arg-type]
        if kind is Literal:
            return node.value  # type: ignore[attr-defined]
        if isinstance(node, Program):
            return self.evaluate_body(node.body, scope)
        raise TypeError(f"not a PhySL node: {node!r}")

    def evaluate_body(self, body: tuple[Node, ...], scope: Scope) -> Any:
        """Evaluate nodes in order; the value of the last (None when empty)."""
        value = None
        for node in body:
            value = self.evaluate(node, scope)
        return value

    def concrete(self, node: Node, scope: Scope) -> Any:
        """Evaluate and wait: for decisions the driver must make now (and for an in-place
        write still changing the value's memory)."""
        try:
            value = resolved(self.evaluate(node, scope))
        except PhySLError as error:
            failure = self.earliest_failure(error)
            raise failure from failure.__cause__
        self.wait_for_writes([value])
        return value

    def earliest_failure(self, error: BaseException) -> BaseException:
        """The error Python would have raised first: `error`, met by the driver, or the
        failure of a task issued before the one that raised it (Python evaluates in program
        order; tasks issued earlier may still be running or may have failed unnoticed)."""
        self.settle()
        sequence = next((s for s, e in self._failures if e is error), float("inf"))
        earlier = [item for item in self._failures if item[0] < sequence]
        return min(earlier, key=lambda item: item[0])[1] if earlier else error

    def lookup(self, node: Variable, scope: Scope) -> Any:
        """The binding of a variable, or a clear error naming it."""
        try:
            return scope.lookup(node.name)
        except KeyError:
            raise self.error(node, f"name '{node.name}' is not defined") from None

    def error(self, node: Node, message: str, hint: str = "") -> PhySLRuntimeError:
        """A PhySLRuntimeError at the node's source place."""
        return PhySLRuntimeError(
            message,
            place_of(node, self.program),
            hint=hint,
            primitive=getattr(node, "instance_name", ""),
        )

    def call(self, node: Call, scope: Scope) -> Any:
        """A call of a PhySL function or a registered primitive."""
        bound = scope.find(node.name)
        # Function values are made by define/lambda on this thread, never by tasks, so a
        # Future here is a variable that shares a primitive's name: no need to wait for it.
        target = bound.names[node.name] if bound is not None else None
        if isinstance(target, FunctionValue):
            args = [self.evaluate(a, scope) for a in node.args]
            kwargs = {k: self.evaluate(v, scope) for k, v in node.kwargs}
            return self.call_function(target, args, kwargs, node)
        primitive = REGISTRY.get(node.name)
        if primitive is None:
            raise self.error(
                node,
                f"'{node.name}' is neither a PhySL function nor a primitive",
                hint="Define it with define(...) or see docs/primitives.md for the primitives.",
            )
        evaluate = self.evaluate
        args = [evaluate(a, scope) for a in node.args]
        kwargs = {k: evaluate(v, scope) for k, v in node.kwargs} if node.kwargs else {}
        if primitive.writes_first and args:
            return self.write_in_place(node, primitive.impl, args, kwargs, args[0])
        return self.issue(node, primitive.impl, args, kwargs, effect=primitive.effect)

    def call_function(
        self, function: FunctionValue, args: list[Any], kwargs: dict[str, Any], node: Node
    ) -> Any:
        """Bind arguments to parameters and evaluate the body in a new scope."""
        params = function.params
        if len(args) > len(params) or any(k not in params for k in kwargs):
            raise self.error(
                node,
                f"{function.name}() takes {len(params)} argument(s) ({', '.join(params)}) "
                f"but was called with {len(args) + len(kwargs)}",
            )
        local = Scope(function.scope)
        for name, value in zip(params, args, strict=False):
            local.define(name, value)
        for name, value in kwargs.items():
            if name in local.names:
                raise self.error(node, f"{function.name}() got two values for '{name}'")
            local.define(name, value)
        missing = [p for p in params if p not in local.names]
        if missing:
            raise self.error(
                node, f"{function.name}() is missing argument(s): {', '.join(missing)}"
            )
        guid, parent, start = new_guid(), self.parent, now_ns()
        self.parent = guid
        try:
            value = self.evaluate(function.body, local)
        except ReturnSignal as signal:
            value = signal.value
        finally:
            self.parent = parent
            self.record(TaskEvent(guid, parent, function.name, "driver", start, now_ns(), "call"))
        return value

    # -- issuing primitive evaluations -------------------------------------------------

    def issue(
        self,
        node: Node,
        impl: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any],
        effect: bool = False,
        extra_dependencies: tuple[Future, ...] = (),
    ) -> Any:
        """Run `impl` inline when ready and small (or an effect), else as a task."""
        if effect:
            args = [resolved(a) for a in args]
            kwargs = {k: resolved(v) for k, v in kwargs.items()}
            self.wait_for_writes(args + list(kwargs.values()))
            return self.run_inline(node, impl, args, kwargs)
        dependencies = [a for a in args if isinstance(a, Future)]
        if kwargs:
            dependencies.extend(v for v in kwargs.values() if isinstance(v, Future))
        if extra_dependencies:
            dependencies.extend(extra_dependencies)
        fence = self.fence
        if fence is not None and not fence.done():
            operands = args + list(kwargs.values())
            if self._may_read_fenced(operands):
                dependencies.append(fence)
        ready = True
        for dependency in dependencies:
            if not dependency._done:  # noqa: SLF001 - hot path
                ready = False
                break
        if ready:
            if dependencies:
                args = [_done_value(a) for a in args]
                kwargs = {k: _done_value(v) for k, v in kwargs.items()}
            if self.small_enough(node, args):
                return self.run_inline(node, impl, args, kwargs)
        return self.spawn(node, impl, args, kwargs, dependencies)

    def run_inline(
        self, node: Node, impl: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]
    ) -> Any:
        """Evaluate on the driver now; failures raise here, at the node's place."""
        name = getattr(node, "instance_name", "inline")
        cpu = self.cpu_mark(name)
        guid = new_guid()
        previous = enter_task(guid, self.log)
        start = now_ns()
        try:
            value = impl(*args, **kwargs)
        except PhySLError:
            raise
        except Exception as error:
            failure = self.earliest_failure(describe_failure(error, node, self.program))
            raise failure from failure.__cause__  # the underlying exception
        except BaseException as error:
            describe_failure(error, node, self.program)  # notes the primitive on it
            raise
        finally:
            leave_task(previous)
            if self.log is not None:
                self.log.record(guid, self.parent, name, "driver", start, now_ns(), "inline")
            self.observe_cpu(name, cpu)
        return value

    def spawn(
        self,
        node: Node,
        impl: Callable[..., Any],
        args: list[Any],
        kwargs: dict[str, Any],
        dependencies: list[Future],
    ) -> Future:
        """Create a dataflow task; it runs on the pool once its dependencies are done."""
        task = PrimitiveTask(self, node, impl, args, kwargs, self.parent)
        future = task.future
        inflight = self._inflight
        inflight[future] = self._issued  # dict: ordered oldest first
        self._issued += 1
        future.add_done_callback(self._task_done)
        task.start(dependencies)
        if len(inflight) > MAX_TASKS_AHEAD:
            self.settle(MAX_TASKS_AHEAD // 2)
        return future

    def settle(self, count: int = 0) -> None:
        """Wait until at most `count` issued tasks are unfinished (all, by default)."""
        while len(self._inflight) > count:
            for future in self.inflight()[: len(self._inflight) - count]:
                future.wait()

    def _task_done(self, future: Future) -> None:
        # dict.pop and list.append are atomic under the GIL: no lock on the task path.
        sequence = self._inflight.pop(future, None)
        if future._error is not None and not isinstance(future._error, RunCancelled):  # noqa: SLF001
            self._failures.append((sequence if sequence is not None else -1, future._error))  # noqa: SLF001

    def failures_so_far(self) -> bool:
        """Whether a task of this run has failed (its error is reported at the end)."""
        return bool(self._failures)

    def issued_so_far(self) -> int:
        """How many tasks were issued: a mark in program order for `failed_before`."""
        return self._issued

    def failed_before(self, mark: int) -> bool:
        """Whether a task issued before `mark` (issued_so_far() then) has failed."""
        return any(0 <= sequence < mark for sequence, _ in self._failures)

    def raise_earlier_failure(self) -> None:
        """Wait for every task issued so far and raise the earliest failure among them:
        before the driver does something Python would not have reached (a compiled loop
        that writes arrays in place)."""
        self.settle()
        if self._failures:
            failure = min(self._failures, key=lambda item: item[0])[1]
            raise failure from failure.__cause__

    def inflight(self) -> list[Future]:
        """Tasks issued and not finished yet, oldest first."""
        return list(self._inflight.copy())

    # -- finishing ---------------------------------------------------------------------

    def finish(self, value: Any) -> Any:
        """Wait for the value and every task issued; raise the earliest failure."""
        value = resolved(value)
        self.settle()
        failures = sorted(self._failures, key=lambda item: item[0])
        if failures:
            raise failures[0][1]
        return value

    def cancel(self) -> None:
        """Drop queued tasks, give running ones a moment to finish, fail whatever is left.

        Bounded in time: an interrupted run returns control within the grace period even
        if a task is stuck (e.g. the interrupt hit the driver while it was wiring one up).
        """
        self.cancelled = True
        deadline = time.monotonic() + _CANCEL_GRACE_S
        for future in self.inflight():
            left = deadline - time.monotonic()
            if left <= 0 or not future.wait_for(left):
                break
        for future in self.inflight():
            future.set_error(RunCancelled(future.label))


def _done_value(value: Any) -> Any:
    return value.value_if_done() if isinstance(value, Future) else value


__all__ = ["Run"]
