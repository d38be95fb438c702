"""The `compiled_loop(loop, list(inputs...), list(outputs...)[, counter])` special form.

The loop-compilation pass (passes/compile_loops.py) wraps loops that have a Numba spelling;
this form runs such a loop as one generated nopython function (codegen/loops.py), called
once, instead of issuing its primitives one by one. In order:

1. wait for every task in flight (the loop may write arrays in place that they read);
2. read the inputs from the scope; when a primitive that the interpreter splits across the
   workers reads a large input array, run `loop` with the interpreter (a choice for those
   sizes: loop_size.py). Type the inputs as NumPy/Python do (value_types.py); when
   one is unbound or not a number, a numeric ndarray or a tuple of ints, when the loop has
   no exact compiled form for these types, or when Numba cannot compile it or types a value
   differently from NumPy (found once per type signature and remembered:
   compiled_variants.py), run `loop` with the interpreter instead. An output that is an
   input only to keep its value when the loop does not assign it, and is nil (the frontend
   declares names first assigned in a loop), is tracked instead: the function says whether
   it assigned it;
3. copy the arrays the loop may write (loop_snapshot.py), then run the function as one task
   on the pool, named `compiled_loop$line$col` in the trace (a row loop's range in pieces,
   chunks of it: compiled_rows.py), while the driver waits in short slices, writing the
   loop's prints as they come (loop_prints.py): Ctrl-C sets the function's stop flag,
   which it checks at the top of every iteration and while a print waits. BLAS is held to one
   thread meanwhile, including the BLAS Numba's linear algebra calls (SciPy's, which a
   run's own limit may not have seen loaded): the loop's products are small, and threads
   only cost there;
4. store the outputs into the scope, as `store`/`define` would have, each as the Python or
   NumPy type the interpreter would give.

When the compiled run raises -- an error, or `Deviation` where it cannot give Python's and
NumPy's value -- the copied arrays are put back and the interpreter runs the loop from its
start, so the answer or the error is exactly the interpreter's (the prints the compiled run
wrote are not written again). Without copies (arrays too large) an error is reported at
the PhySL node that was running (the function records it in `where[0]`), phrased as the
interpreter phrases a primitive's failure. Which loops compile is the pass's decision,
and loop_size.py's for the sizes of one run.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from jetlag.runtime.codegen.loops import Region
from jetlag.runtime.codegen.support_loops import Deviation, LoopStopped
from jetlag.runtime.codegen.support_print import printing_to
from jetlag.runtime.codegen.support_store import store_error_message
from jetlag.runtime.codegen.value_types import ValueType, type_of
from jetlag.runtime.errors import PhySLError
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable
from jetlag.runtime.measure.events import TaskEvent, new_guid, now_ns, task_scope
from jetlag.runtime.passes.compile_loops import LoopFacts, loop_facts
from jetlag.runtime.passes.row_loops import row_counter
from jetlag.runtime.primitives.io import replaying
from jetlag.runtime.scheduler.blas import single_threaded_blas
from jetlag.runtime.scheduler.compiled_rows import RowFailure, row_range, run_rows
from jetlag.runtime.scheduler.compiled_variants import (
    LoopHistory,
    Variant,
    compile_variant,
    history,
    numba_signature,
    variant_for,
)
from jetlag.runtime.scheduler.futures import Future, resolved
from jetlag.runtime.scheduler.loop_prints import LoopPrints
from jetlag.runtime.scheduler.loop_size import split_operands, split_reason
from jetlag.runtime.scheduler.loop_snapshot import Snapshot, take
from jetlag.runtime.scheduler.scope import FunctionValue, Scope
from jetlag.runtime.scheduler.special_forms import special_form
from jetlag.runtime.scheduler.tasks import describe_failure

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.scheduler.evaluator import Run

#: After Ctrl-C, how long the driver waits for the compiled loop to see its stop flag.
STOP_GRACE_S = 5.0
_WAIT_SLICE_S = 0.05


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


def _unsupported(value: Any) -> str:
    """What a value generated code cannot hold is, for the fallback's reason."""
    if isinstance(value, np.ndarray):
        return f"a {value.ndim}-D {value.dtype} array"
    if isinstance(value, int) and not isinstance(value, bool):
        return "an integer beyond 64 bits"
    if isinstance(value, np.generic):
        return f"a NumPy {value.dtype}"
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
    types: list[ValueType] = field(default_factory=list)
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
        found = type_of(value)
        if found is None:
            return plan, f"{name} is {_unsupported(value)}"
        plan.names.append(name)
        plan.values.append(value)
        plan.types.append(found)
    plan.tracked = tuple(tracked)
    for name in sorted(facts.stored):
        if scope.find(name) is None:
            return plan, f"{name} is stored before it is defined"
    return plan, _callees_rebound(facts, scope)


def _interpret(run: Run, loop: Call, scope: Scope, record: LoopHistory, reason: str) -> Any:
    record.count_interpreted(reason)
    return run.evaluate(loop, scope)


def _failure(run: Run, sites: tuple[Node, ...], loop: Call, where: int, error: BaseException):
    """The PhySL error for an exception raised inside the compiled loop."""
    if isinstance(error, PhySLError):
        return error
    site: Node = sites[where] if 0 <= where < len(sites) else loop
    message = store_error_message(error)
    if message is not None:
        error = ValueError(message)
    return describe_failure(error, site, run.program)


def _wait(future: Future, stop: np.ndarray, prints: LoopPrints | None) -> None:
    """Wait for the loop's task (writing its prints meanwhile); on Ctrl-C (or any error
    here) ask it to stop first."""
    try:
        if prints is not None:
            prints.serve()
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
    it); its outputs, a _Refusal from compiling, or _Failed."""
    where = np.zeros(1, dtype=np.int64)
    stop = np.zeros(1, dtype=np.int64)
    future = Future(node.instance_name)
    parent, name = run.parent, node.instance_name
    prints = LoopPrints(stop, where) if variant.region.prints else None

    def work() -> None:
        guid, start = new_guid(), now_ns()
        run.pool.set_task_name(name)
        outcome: Any = None
        error: BaseException | None = None
        try:
            with task_scope(guid, run.log), printing_to(prints):
                refused = compile_variant(record, variant, key)
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
        if prints is not None:
            prints.finish()

    with single_threaded_blas(include_scipy=True):
        run.pool.submit(work)
        _wait(future, stop, prints)
    if prints is not None and prints.failure is not None:
        # A print's write failed: the run failed there, whether or not the loop went on.
        return _Failed(prints.failure[0], prints.failure[1], tuple(prints.written))
    if future.error is None:
        return future.value_if_done()
    written = tuple(prints.written) if prints is not None else ()
    return _Failed(future.error, int(where[0]), written)


@dataclass(frozen=True)
class _Failed:
    """The compiled run raised `error` while running the site numbered `where`."""

    error: BaseException
    where: int
    #: The texts its prints wrote (a rerun by the interpreter does not write them again).
    written: tuple[str, ...] = ()


def _after_failure(
    run: Run,
    node: Call,
    scope: Scope,
    record: LoopHistory,
    variant: Variant,
    failed: _Failed,
    snapshot: Snapshot | None,
) -> Any:
    """The interpreter's run of the loop after the compiled one failed, when the arrays it
    may have written could be put back (its exact answer or error); else the compiled
    error at the site that raised it."""
    loop = node.args[0]
    error = failed.error
    if isinstance(error, LoopStopped):
        raise KeyboardInterrupt("the compiled loop was stopped")
    if snapshot is not None:
        snapshot.restore()
        if isinstance(error, Deviation):
            reason = "it met values it cannot compute as Python and NumPy do"
        else:
            reason = f"it raised {type(error).__name__}"
        with replaying(failed.written):
            return _interpret(run, loop, scope, record, f"{reason}: the interpreter ran it again")
    if isinstance(error, Deviation):
        raise run.error(
            loop,
            "this compiled loop met values for which it cannot give Python's and NumPy's "
            "answer (an integer past 64 bits, a float from an integer power, a division "
            "Python raises for, an inf or nan a rewrite would skip) after writing into "
            "arrays too large to copy back",
            hint='Run it interpreted: @physl(optimize=[...]) without "compile-loops".',
        )
    raise _failure(run, variant.region.sites, loop, failed.where, error)  # type: ignore[arg-type]


def _store_outputs(
    facts: LoopFacts,
    region: Region,
    tracked: tuple[str, ...],
    results: tuple,
    scope: Scope,
) -> None:
    """Bind the outputs as the loop's define/store would have (not a tracked output the
    loop never assigned), each as the Python or NumPy type the interpreter would give."""
    outputs = region.outputs
    flags = results[len(outputs) : len(outputs) + len(tracked)]
    assigned = dict(zip(tracked, flags, strict=True))
    tags = dict(zip(region.tagged, results[len(outputs) + len(tracked) :], strict=True))
    for k, (name, value) in enumerate(zip(outputs, results[: len(outputs)], strict=True)):
        if not assigned.get(name, True):
            continue
        if region.output_types:
            possible = region.output_types[k]
            value = possible[int(tags.get(name, 0))].convert(value)
        owner = scope.find(name)
        if owner is None or name in facts.defined:
            owner = scope
        owner.names[name] = value


@special_form("compiled_loop")
def compiled_loop(run: Run, node: Call, scope: Scope) -> Any:
    """compiled_loop(while(...), list(inputs...), list(outputs...)): the loop, compiled."""
    loop, inputs, outputs, counter = _parts(run, node)
    record = history(node)
    run.raise_earlier_failure()
    plan, reason = _plan(record, loop, inputs, outputs, scope)
    if reason is None and counter is None:
        if record.split_operands is None:
            record.split_operands = split_operands(loop)
        if split_reason(record.split_operands, plan.names, plan.values) is not None:
            record.count_split()  # a choice for these sizes, not a fallback
            return run.evaluate(loop, scope)
    span = None
    if reason is None and counter is not None:
        if record.rows is None:
            record.rows = row_counter(loop)
        rows = record.rows
        span = None if rows is None else row_range(rows, plan.names, plan.values)
    split = counter if span is not None else None
    variant: Variant | str = reason or variant_for(
        record, loop, plan.names, plan.types, outputs, plan.tracked, split
    )
    if isinstance(variant, str):
        return _interpret(run, loop, scope, record, variant)
    signature, reason = numba_signature(plan.values)
    # Python and NumPy values of one Numba type get different code: key by both.
    key = (plan.tracked, signature, split, tuple(plan.types))
    if reason is None:
        reason = record.refused.get(key)
    if reason is not None:
        return _interpret(run, loop, scope, record, reason)
    snapshot = take(plan.names, plan.values, variant.region.written)
    outcome = _execute(run, node, record, variant, key, plan, span)
    if isinstance(outcome, _Refusal):
        return _interpret(run, loop, scope, record, outcome.reason)
    if isinstance(outcome, _Failed):
        return _after_failure(run, node, scope, record, variant, outcome, snapshot)
    record.count_compiled()
    _store_outputs(record.facts, variant.region, plan.tracked, outcome, scope)  # type: ignore[arg-type]
    return None


__all__ = ["STOP_GRACE_S", "LoopHistory", "Variant", "compiled_loop", "history"]
