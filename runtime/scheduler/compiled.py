"""The `compiled_loop(loop, list(inputs...), list(outputs...)[, counter])` special form.

The loop-compilation pass (passes/compile_loops.py) wraps loops that have a Numba spelling;
this form runs such a loop as one generated nopython function (codegen/loops.py), called
once, instead of issuing its primitives one by one. In order:

1. wait for every task in flight (the loop may write arrays in place that they read);
2. read the inputs from the scope; when one is unbound, is not a numeric/bool ndarray, a
   number or a tuple of ints, or Numba cannot type the values together (found on the first
   call of each type signature and remembered), run `loop` with the interpreter instead.
   An output that is an input only to keep its value when the loop does not assign it,
   and is nil (the frontend declares names first assigned in a loop), is tracked instead:
   the function says whether it assigned it;
3. run the function as one task on the pool, named `compiled_loop$line$col` in the trace (a
   row loop's range in pieces, chunks of it: compiled_rows.py), while the driver waits in
   short slices: Ctrl-C sets the function's stop flag, which it checks at the top of every
   iteration. BLAS is held to one thread meanwhile, including the BLAS Numba's linear
   algebra calls (SciPy's, which a run's own limit may not have seen loaded): the loop's
   products are small, and threads only cost there;
4. store the outputs into the scope, as `store`/`define` would have.

An exception inside compiled code is reported at the PhySL node that was running (the
function records it in `where[0]`), phrased as the interpreter phrases a primitive's
failure. This module decides nothing about which loops compile.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from jetlag.runtime.codegen.build import load_source
from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.loops import Region, region_source
from jetlag.runtime.codegen.support_loops import LoopStopped
from jetlag.runtime.codegen.support_store import store_error_message
from jetlag.runtime.errors import PhySLError
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable
from jetlag.runtime.measure.events import TaskEvent, new_guid, now_ns, task_scope
from jetlag.runtime.passes.compile_loops import LoopFacts, loop_facts
from jetlag.runtime.passes.row_loops import RowLoop, row_counter
from jetlag.runtime.scheduler.blas import single_threaded_blas
from jetlag.runtime.scheduler.compiled_rows import RowFailure, row_range, run_rows
from jetlag.runtime.scheduler.futures import Future, resolved
from jetlag.runtime.scheduler.scope import FunctionValue, Scope
from jetlag.runtime.scheduler.special_forms import special_form
from jetlag.runtime.scheduler.tasks import describe_failure

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.scheduler.evaluator import Run

#: After Ctrl-C, how long the driver waits for the compiled loop to see its stop flag.
STOP_GRACE_S = 5.0
_WAIT_SLICE_S = 0.05
_INT64 = (-(2**63), 2**63)
_SCALARS = (bool, int, float, complex, np.bool_, np.integer, np.floating, np.complexfloating)
_TRUTH_FORMS = frozenset({"while", "if", "__and", "__or"})


@dataclass(frozen=True)
class Variant:
    """The loop built for one set of tracked outputs (outputs without a value before it)."""

    region: Region
    function: Callable[..., Any]


@dataclass
class LoopHistory:
    """What happened to one compiled loop in this process (for tests and curious users)."""

    compiled_runs: int = 0
    interpreted_runs: int = 0
    #: Why the interpreter ran instead, by reason text (with how often).
    fallbacks: dict[str, int] = field(default_factory=dict)
    #: Built functions (or why the loop has none) by the names of the tracked outputs.
    variants: dict[tuple[str, ...], Variant | str] = field(default_factory=dict, repr=False)
    #: (tracked outputs, Numba type signature) compiled, and refused with the reason.
    compiled: set[tuple] = field(default_factory=set, repr=False)
    refused: dict[tuple, str] = field(default_factory=dict, repr=False)
    facts: LoopFacts | None = field(default=None, repr=False)
    rows: RowLoop | None = field(default=None, repr=False)  # a row loop's counter and arrays


_lock = threading.Lock()
_histories: dict[int, tuple[Call, LoopHistory]] = {}


def history(node: Call) -> LoopHistory:
    """The history of one `compiled_loop(...)` node of a program."""
    with _lock:
        found = _histories.get(id(node))
        if found is None or found[0] is not node:
            # Keeping `node` alive keeps its id from being reused by another node.
            found = _histories[id(node)] = (node, LoopHistory())
        return found[1]


@dataclass(frozen=True)
class _Refusal:
    reason: str


def _parts(run: Run, node: Call) -> tuple[Call, list[str], list[str], str | None]:
    args = node.args
    counter = args[3] if len(args) == 4 else None
    shaped = (
        len(args) in (3, 4)
        and not node.kwargs
        and isinstance(args[0], Call)
        and args[0].name == "while"
        and all(
            isinstance(a, Call)
            and a.name == "list"
            and all(isinstance(v, Variable) for v in a.args)
            for a in args[1:3]
        )
        and (counter is None or (isinstance(counter, Literal) and isinstance(counter.value, str)))
    )
    if not shaped:
        raise run.error(
            node,
            "compiled_loop takes a while loop, list(inputs...), list(outputs...) and, for "
            "a row loop, its counter's name",
        )
    names = [[v.name for v in a.args] for a in args[1:3]]  # type: ignore[union-attr]
    name = counter.value if counter is not None else None  # type: ignore[union-attr]
    return args[0], names[0], names[1], name  # type: ignore[return-value]


def _unsupported(value: Any) -> str | None:
    """Why a value cannot enter compiled code, or None."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc" or value.ndim == 0:
            return f"a {value.ndim}-D {value.dtype} array"
        return None
    if isinstance(value, _SCALARS):
        if isinstance(value, int) and not _INT64[0] <= value < _INT64[1]:
            return "an integer beyond 64 bits"
        return None
    if isinstance(value, tuple) and all(
        isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_)) for v in value
    ):
        if all(_INT64[0] <= int(v) < _INT64[1] for v in value):
            return None
    return f"a {type(value).__name__}"


def _callees_rebound(facts: LoopFacts, scope: Scope) -> str | None:
    for name in sorted(facts.callees):
        owner = scope.find(name)
        if owner is not None and isinstance(owner.names[name], FunctionValue):
            return f"{name} is a PhySL function here"
    return None


@dataclass
class _Plan:
    """The inputs a run of the loop passes, and the outputs it tracks instead."""

    names: list[str] = field(default_factory=list)
    values: list[Any] = field(default_factory=list)
    tracked: tuple[str, ...] = ()


def _plan(
    record: LoopHistory, loop: Call, inputs: list[str], outputs: list[str], scope: Scope
) -> tuple[_Plan, str | None]:
    """The concrete input values, or why the loop must be interpreted."""
    if record.facts is None:
        record.facts = loop_facts(loop)
    facts = record.facts
    plan, tracked = _Plan(), []
    for name in inputs:
        owner = scope.find(name)
        value = resolved(owner.names[name]) if owner is not None else None
        if value is None and name in outputs and name not in facts.exposed:
            # An input only to keep its value when the loop does not assign it (a name the
            # frontend declared as nil): track whether the loop assigns it instead.
            tracked.append(name)
            continue
        if owner is None:
            return plan, f"{name} is not bound before the loop"
        problem = _unsupported(value)
        if problem is not None:
            return plan, f"{name} is {problem}"
        plan.names.append(name)
        plan.values.append(value)
    plan.tracked = tuple(tracked)
    for name in sorted(facts.stored):
        if scope.find(name) is None:
            return plan, f"{name} is stored before it is defined"
    return plan, _callees_rebound(facts, scope)


def _variant(
    record: LoopHistory, loop: Call, plan: _Plan, outputs: list[str], counter: str | None
) -> Variant | str:
    """The loop's function for the plan's tracked outputs and, for a row loop split into
    pieces, its counter (built once), or why it has none."""
    key = (*plan.tracked, counter)
    with _lock:
        found = record.variants.get(key)
    if found is not None:
        return found
    try:
        region = region_source(loop, plan.names, outputs, plan.tracked, counter)
        built: Variant | str = Variant(region, load_source(region.source).region)
    except NotLowerable as reason:
        built = str(reason)
    with _lock:
        return record.variants.setdefault(key, built)


def _signature(values: list[Any]) -> tuple[tuple | None, str | None]:
    from numba import typeof

    try:
        return tuple(typeof(v) for v in values), None
    except Exception as error:  # noqa: BLE001 - any value Numba cannot type is refused
        return None, f"Numba cannot type an input: {error}"


def _compile(record: LoopHistory, variant: Variant, key: tuple) -> str | None:
    """Compile for key = (tracked, signature) once, on the calling worker; the reason when
    Numba refuses (typing fails before any of the loop runs, so interpreting is safe)."""
    from numba import typeof
    from numba.core.errors import NumbaPerformanceWarning

    with _lock:
        if key in record.compiled:
            return None
        if key in record.refused:
            return record.refused[key]
    flags = typeof(np.zeros(1, dtype=np.int64))
    span = (typeof(0), typeof(0)) if key[2] else ()  # a row loop's lo and hi
    try:
        with warnings.catch_warnings():
            # np.dot on a transposed (Fortran-ordered) view is what the program asks for.
            warnings.simplefilter("ignore", NumbaPerformanceWarning)
            variant.function.compile(key[1] + (flags, flags) + span)  # type: ignore[attr-defined]
    except Exception as error:  # noqa: BLE001 - typing/lowering errors: interpret instead
        text = str(error).strip()
        first = text.splitlines()[0] if text else ""
        reason = f"Numba cannot compile it for these types: {type(error).__name__}: {first}"
        with _lock:
            record.refused[key] = reason
        return reason
    with _lock:
        record.compiled.add(key)
    return None


def _interpret(run: Run, loop: Call, scope: Scope, record: LoopHistory, reason: str) -> Any:
    with _lock:
        record.interpreted_runs += 1
        record.fallbacks[reason] = record.fallbacks.get(reason, 0) + 1
    return run.evaluate(loop, scope)


def _failure(run: Run, sites: tuple[Node, ...], loop: Call, where: int, error: BaseException):
    """The PhySL error for an exception raised inside the compiled loop."""
    if isinstance(error, PhySLError):
        return error
    site: Node = sites[where] if 0 <= where < len(sites) else loop
    message = store_error_message(error)
    if message is not None:
        error = ValueError(message)
    if isinstance(error, ValueError) and getattr(site, "name", "") in _TRUTH_FORMS:
        return run.error(
            site,
            f"condition is not a single truth value: {error}",
            hint="Reduce it first, e.g. with all(...) or any(...).",
        )
    return describe_failure(error, site, run.program)


def _wait(future: Future, stop: np.ndarray) -> None:
    """Wait for the loop's task; on Ctrl-C (or any error here) ask it to stop first."""
    try:
        future.wait()
    except BaseException:
        stop[0] = 1
        deadline = time.monotonic() + STOP_GRACE_S
        while not future.done() and time.monotonic() < deadline:
            future.wait_for(_WAIT_SLICE_S)
        raise


def _execute(
    run: Run,
    node: Call,
    record: LoopHistory,
    variant: Variant,
    key: tuple,
    plan: _Plan,
    span: tuple[int, int] | None,
):
    """Run the compiled function as one task (a row loop's `span` in pieces, as chunks of
    it); its outputs, or a _Refusal from compiling."""
    where = np.zeros(1, dtype=np.int64)
    stop = np.zeros(1, dtype=np.int64)
    future = Future(node.instance_name)
    parent, name = run.parent, node.instance_name

    def work() -> None:
        guid, start = new_guid(), now_ns()
        run.pool.set_task_name(name)
        outcome: Any = None
        error: BaseException | None = None
        try:
            with task_scope(guid, run.log):
                refused = _compile(record, variant, key)
                if refused is not None:
                    outcome = _Refusal(refused)
                elif span is not None:
                    outcome = run_rows(variant.function, plan.values, stop, span)
                else:
                    outcome = variant.function(*plan.values, where, stop)
        except RowFailure as failure:
            error, where[0] = failure.error, failure.where
        except BaseException as caught:  # noqa: BLE001 - reported through the future
            error = caught
        worker = threading.current_thread().name
        run.record(TaskEvent(guid, parent, name, worker, start, now_ns(), "task"))
        if error is not None:
            future.set_error(error)
        else:
            future.set_result(outcome)

    with single_threaded_blas(include_scipy=True):
        run.pool.submit(work)
        _wait(future, stop)
    if future.error is None:
        return future.value_if_done()
    error = future.error
    if isinstance(error, LoopStopped):
        raise KeyboardInterrupt("the compiled loop was stopped")
    loop = node.args[0]
    raise _failure(run, variant.region.sites, loop, int(where[0]), error)  # type: ignore[arg-type]


def _store_outputs(
    facts: LoopFacts, outputs: list[str], tracked: tuple[str, ...], results: tuple, scope: Scope
) -> None:
    """Bind the outputs as the loop's define/store would have (not a tracked output the
    loop never assigned)."""
    assigned = dict(zip(tracked, results[len(outputs) :], strict=True))
    for name, value in zip(outputs, results[: len(outputs)], strict=True):
        if not assigned.get(name, True):
            continue
        owner = scope.find(name)
        if owner is None or name in facts.defined:
            owner = scope
        owner.names[name] = value


@special_form("compiled_loop")
def compiled_loop(run: Run, node: Call, scope: Scope) -> Any:
    """compiled_loop(while(...), list(inputs...), list(outputs...)): the loop, compiled."""
    loop, inputs, outputs, counter = _parts(run, node)
    record = history(node)
    run.settle()
    plan, reason = _plan(record, loop, inputs, outputs, scope)
    span = None
    if reason is None and counter is not None:
        if record.rows is None:
            record.rows = row_counter(loop)
        rows = record.rows
        span = None if rows is None else row_range(rows, plan.names, plan.values)
    split = counter if span is not None else None
    variant: Variant | str = reason or _variant(record, loop, plan, outputs, split)
    if isinstance(variant, str):
        return _interpret(run, loop, scope, record, variant)
    signature, reason = _signature(plan.values)
    key = (plan.tracked, signature, split)
    if reason is None:
        with _lock:
            reason = record.refused.get(key)
    if reason is not None:
        return _interpret(run, loop, scope, record, reason)
    outcome = _execute(run, node, record, variant, key, plan, span)
    if isinstance(outcome, _Refusal):
        return _interpret(run, loop, scope, record, outcome.reason)
    with _lock:
        record.compiled_runs += 1
    _store_outputs(record.facts, outputs, plan.tracked, outcome, scope)  # type: ignore[arg-type]
    return None


__all__ = ["STOP_GRACE_S", "LoopHistory", "Variant", "compiled_loop", "history"]
