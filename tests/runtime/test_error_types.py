"""Errors keep what they were: a failed primitive is a placed PhySLRuntimeError that is also
an instance of what NumPy raised, and whatever a task raises (BaseExceptions included)
reaches the caller instead of leaving it waiting."""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime.errors import (
    PhySLRuntimeError,
    PhySLSyntaxError,
    PrimitiveArgumentError,
    SourcePlace,
    runtime_error_from,
    runtime_error_type,
)
from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.primitives.parallel import parallel_for
from jetlag.runtime.primitives.registry import REGISTRY, Primitive
from jetlag.runtime.scheduler import execute
from jetlag.runtime.scheduler.futures import Future
from jetlag.runtime.scheduler.policy import InlinePolicy
from jetlag.runtime.scheduler.pool import TaskPool

AxisError = np.exceptions.AxisError
LinAlgError = np.linalg.LinAlgError
PLACE = SourcePlace("f.py", 3, 4)


@physl
def invert(a):
    return np.linalg.inv(a)


@physl
def product(a, b):
    return np.dot(a, b)


@physl
def take(a, i):
    return np.take(a, i)


@physl
def gather(a, i):
    return a[i]


@physl
def widen(a, axis):
    return np.expand_dims(a, axis)


def return_place(function: Any) -> str:
    """`file:line:col` of the call in the `return` line of a one-line @physl function."""
    code = function.__wrapped__.__code__  # co_firstlineno: the decorator's line
    return f"{code.co_filename}:{code.co_firstlineno + 2}:12"


def failure_of(call: Callable[[], Any]) -> BaseException:
    with pytest.raises(BaseException) as caught:
        call()
    return caught.value


# -- through @physl functions --------------------------------------------------------------


def test_a_singular_matrix_is_caught_as_numpy_linalg_error():
    with pytest.raises(LinAlgError) as caught:  # as `except np.linalg.LinAlgError` would
        invert(np.zeros((2, 2)))
    error = caught.value
    assert isinstance(error, PhySLRuntimeError) and isinstance(error, ValueError)
    # The message is what it was: the primitive's words at the user's place.
    assert str(error).startswith(
        f"{return_place(invert)}: inverse failed: matrix is singular: the 2x2 matrix has no "
        "inverse; "
    )
    assert error.primitive.startswith("inverse$")
    assert type(error.cause) is LinAlgError  # what NumPy raised


def test_a_shape_mismatch_in_dot_is_a_value_error():
    with pytest.raises(ValueError) as caught:
        product(np.ones((2, 3)), np.ones(4))
    error = caught.value
    assert isinstance(error, PhySLRuntimeError)
    assert str(error).startswith(f"{return_place(product)}: dot failed: shapes (2, 3) and")
    assert not isinstance(error, PrimitiveArgumentError)  # JetLag's own type stays inside
    assert type(error.cause) is PrimitiveArgumentError  # dot checks shapes itself


def test_an_index_out_of_range_is_an_index_error():
    for function, index in ((take, 5), (gather, np.array([0, 5]))):
        with pytest.raises(IndexError) as caught:
            function(np.ones(3), index)
        error = caught.value
        assert isinstance(error, PhySLRuntimeError)
        assert isinstance(error, ValueError)  # as the PrimitiveArgumentError it was
        first = str(error).splitlines()[0]
        assert first.endswith("failed: index 5 is out of bounds for axis 0 with size 3")
        assert type(error.cause) is IndexError


def test_an_axis_error_is_a_value_error_and_an_index_error():
    for kind in (AxisError, ValueError, IndexError):
        with pytest.raises(kind) as caught:
            widen(np.ones((2, 2)), 5)
        assert isinstance(caught.value, PhySLRuntimeError)
    assert str(caught.value).splitlines()[0] == (
        f"{return_place(widen)}: expand_dims failed: "
        "axis 5 is out of bounds for array of dimension 3"
    )
    assert type(caught.value.cause) is AxisError


def test_the_cause_is_the_numpy_exception_in_a_run():
    result = failure_of(lambda: execute(invert.program, invert.compiled.entry, (np.zeros((2, 2)),)))
    assert isinstance(result, LinAlgError) and isinstance(result, PhySLRuntimeError)
    assert type(result.__cause__) is LinAlgError
    assert result.cause is result.__cause__
    axis = failure_of(lambda: execute(widen.program, widen.compiled.entry, (np.ones(2), 5)))
    assert type(axis.__cause__) is AxisError


def test_the_cause_is_the_numpy_exception_through_a_physl_function():
    caught = failure_of(lambda: invert(np.zeros((2, 2))))
    assert type(caught.__cause__) is LinAlgError


def test_the_traceback_names_the_runtime_error_and_what_it_also_is():
    caught = failure_of(lambda: invert(np.zeros((2, 2))))
    last = traceback.format_exception_only(type(caught), caught)[0]
    assert last.startswith(
        f"jetlag.runtime.errors.PhySLRuntimeError[LinAlgError]: {return_place(invert)}: "
        "inverse failed: matrix is singular"
    )
    # Jupyter reports `__name__` as the error's name: unchanged.
    assert type(caught).__name__ == "PhySLRuntimeError"


# -- primitives that raise Python's own exceptions -----------------------------------------


def with_primitive(monkeypatch: pytest.MonkeyPatch, impl: Callable[..., Any]) -> None:
    """Register `impl` as the test-only primitive `test_fails(x)`."""
    primitive = Primitive("test_fails", impl, "test_fails(x)", "fails on purpose", "misc")
    monkeypatch.setitem(REGISTRY._by_name, "test_fails", primitive)  # noqa: SLF001


def run_text(text: str, *args: Any, **options: Any) -> Any:
    return execute(parse_physl(text, file="prog.physl"), args=args, **options).value


FAILS = "define$1$0(f$1$4, x$1$6,\n    test_fails$2$4(x$2$15))\n"


@pytest.mark.parametrize(
    ("raised", "kind", "detail"),
    [
        (KeyError("k"), KeyError, "KeyError: 'k'"),
        (
            ZeroDivisionError("division by zero"),
            ZeroDivisionError,
            "ZeroDivisionError: division by zero",
        ),
        (MemoryError(), MemoryError, "MemoryError: MemoryError"),
        (FloatingPointError("overflow"), FloatingPointError, "FloatingPointError: overflow"),
        (TypeError("bad operand"), TypeError, "TypeError: bad operand"),
        (
            FileNotFoundError(2, "No such file"),
            FileNotFoundError,
            "FileNotFoundError: [Errno 2] No such file",
        ),
    ],
)
def test_an_exception_a_primitive_raises_keeps_its_type_on_a_worker_and_inline(
    monkeypatch, raised, kind, detail
):
    def fails(x):
        raise raised

    with_primitive(monkeypatch, fails)
    expected = "\n".join(
        [
            f"prog.physl:2:5: test_fails failed: {detail}",
            "        test_fails$2$4(x$2$15))",  # the source line and a caret under the call
            "        ^",
            "(PhySL primitive instance test_fails$2$4)",
        ]
    )
    for policy in (InlinePolicy(inline_work=-1), None):  # as a task, then inline
        with pytest.raises(kind) as caught:
            run_text(FAILS, 1.0, policy=policy)
        assert isinstance(caught.value, PhySLRuntimeError)
        assert str(caught.value) == expected  # KeyError's quotes stay off our message
        assert caught.value.__cause__ is raised and caught.value.cause is raised


# -- the class factory ----------------------------------------------------------------------


class Refuses(ValueError):
    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("Refuses may not be subclassed")


class NeedsTwo(LookupError):
    def __init__(self, first: str, second: str) -> None:
        super().__init__(first, second)


@pytest.mark.parametrize(
    ("kind", "base"),
    [
        (KeyError, KeyError),
        (OSError, OSError),
        (FileNotFoundError, FileNotFoundError),
        (UnicodeDecodeError, UnicodeError),  # five constructor arguments
        (AxisError, AxisError),  # __slots__ and its own __init__/__str__
        (LinAlgError, LinAlgError),
        (MemoryError, MemoryError),
        (FloatingPointError, FloatingPointError),
        (TypeError, TypeError),
        (AttributeError, AttributeError),
        (Refuses, ValueError),  # refuses subclassing: its base instead
        (NeedsTwo, LookupError),  # no one-message constructor: its base instead
        (PrimitiveArgumentError, ValueError),  # JetLag's own classes are left out
        (Exception, None),
    ],
)
def test_the_factory_combines_or_falls_back_along_the_mro(kind, base):
    made = runtime_error_type(kind)
    assert made is runtime_error_type(kind)  # one class per kind
    error = made("get failed: boom", PLACE, "a hint", "get$3$4", None)
    assert isinstance(error, PhySLRuntimeError)
    assert str(error) == "f.py:3:5: get failed: boom\na hint"
    assert error.args == (str(error),)
    if base is None:
        assert made is PhySLRuntimeError
    else:
        assert made.kinds == (base,) and isinstance(error, base)
        assert made.__qualname__ == f"PhySLRuntimeError[{base.__name__}]"
        assert made.__name__ == "PhySLRuntimeError"
        assert made.__module__ == "jetlag.runtime.errors"


def test_kinds_with_conflicting_layouts_keep_the_first_that_combines():
    # OSError and AttributeError both add fields of their own: no class can be both.
    made = runtime_error_type(OSError, AttributeError)
    assert made.kinds == (OSError,)
    assert runtime_error_type(IndexError, ValueError).kinds == (IndexError, ValueError)
    assert runtime_error_type(ValueError, LinAlgError).kinds == (LinAlgError,)


def test_a_key_error_based_message_prints_unquoted():
    error = runtime_error_from(KeyError("k"), "get failed: KeyError: 'k'", PLACE)
    assert isinstance(error, KeyError)
    assert str(error) == "f.py:3:5: get failed: KeyError: 'k'"
    assert traceback.format_exception_only(type(error), error)[0] == (
        "jetlag.runtime.errors.PhySLRuntimeError[KeyError]: f.py:3:5: get failed: KeyError: 'k'\n"
    )


def test_a_unicode_decode_error_is_a_unicode_error_and_keeps_its_cause():
    raised = UnicodeDecodeError("ascii", b"\xff", 0, 1, "ordinal not in range(128)")
    error = runtime_error_from(raised, "load failed: UnicodeDecodeError: ...", PLACE)
    assert isinstance(error, UnicodeError) and isinstance(error, ValueError)
    assert not isinstance(error, UnicodeDecodeError)
    assert error.__cause__ is raised


def test_a_primitive_argument_error_from_numpy_is_both_kinds():
    try:
        try:
            np.ones(3)[5]
        except IndexError as exc:
            raise PrimitiveArgumentError(str(exc)) from exc
    except PrimitiveArgumentError as error:
        translated = error
    failure = runtime_error_from(translated, "slice failed: index 5 ...", PLACE)
    assert isinstance(failure, IndexError) and isinstance(failure, ValueError)
    assert not isinstance(failure, PrimitiveArgumentError)
    assert failure.cause is translated.__cause__ and failure.__cause__ is failure.cause
    assert str(failure).startswith("f.py:3:5: slice failed: index 5 ...")  # the message as given
    plain = runtime_error_from(PrimitiveArgumentError("bad"), "dot failed: bad", PLACE)
    assert type(plain).kinds == (ValueError,) and type(plain.__cause__) is PrimitiveArgumentError


def test_what_is_never_wrapped_comes_back_unchanged():
    already = PhySLSyntaxError("no", PLACE)
    assert runtime_error_from(already, "x failed: no", PLACE) is already
    for raised in (KeyboardInterrupt(), SystemExit(3), GeneratorExit(), Abort()):
        assert runtime_error_from(raised, "x failed", PLACE) is raised
    plain = runtime_error_from(None, "name 'q' is not defined", PLACE)
    assert type(plain) is PhySLRuntimeError and plain.__cause__ is None


def test_a_runtime_error_moves_with_its_type_and_cause():
    error = runtime_error_from(
        LinAlgError("Singular matrix"), "inverse failed: x", PLACE, "h", "i$3$4"
    )
    moved = error.at(SourcePlace("In[2]", 1, 0))
    assert type(moved) is type(error) and moved.__cause__ is error.__cause__
    assert str(moved) == "In[2]:1:1: inverse failed: x\nh"


# -- BaseExceptions raised by tasks and chunks -----------------------------------------------


class Abort(BaseException):
    """Not an Exception: code that catches Exception must not catch it."""


def outcome_within(call: Callable[[], Any], seconds: float = 60) -> BaseException | None:
    """What `call` raised (None if it returned); fails the test if it hangs."""
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as error:  # noqa: BLE001 - reported to the test
            outcome.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(timeout=seconds)
    assert not thread.is_alive(), "the call never returned: a failed task left its future unset"
    return outcome[0]


def raising_in_a_chunk(raised: BaseException) -> Callable[[Any], Any]:
    def impl(x):
        def body(lo: int, hi: int) -> None:
            if lo == 1:
                raise raised

        parallel_for([(0, 1), (1, 2), (2, 3)], body)
        return x

    return impl


@pytest.mark.parametrize("where", ["task", "chunk"])
@pytest.mark.parametrize("raised", [SystemExit(3), Abort("stop"), KeyboardInterrupt()])
def test_a_base_exception_in_a_task_or_chunk_reaches_the_caller(monkeypatch, where, raised):
    def in_task(x):
        raise raised

    with_primitive(monkeypatch, in_task if where == "task" else raising_in_a_chunk(raised))
    pool = TaskPool(2)
    try:
        # Never inline: the primitive runs as a task on one of the pool's workers.
        error = outcome_within(
            lambda: run_text(FAILS, 1.0, pool=pool, policy=InlinePolicy(inline_work=-1))
        )
        assert error is raised  # re-raised as itself, not wrapped
        note = "(in PhySL primitive instance test_fails$2$4 at prog.physl:2:5)"
        assert note in error.__notes__
        # The pool still works.
        assert run_text("define(f, x, __add(x, 1))", 1.0, pool=pool) == 2.0
        assert outcome_within(lambda: pool.run_chunks([lambda: None, lambda: None])) is None
    finally:
        pool.shutdown()


def test_an_exception_in_a_chunk_keeps_its_type(monkeypatch):
    raised = ZeroDivisionError("division by zero")
    with_primitive(monkeypatch, raising_in_a_chunk(raised))
    pool = TaskPool(2)
    try:
        error = outcome_within(
            lambda: run_text(FAILS, 1.0, pool=pool, policy=InlinePolicy(inline_work=-1))
        )
    finally:
        pool.shutdown()
    assert isinstance(error, ZeroDivisionError) and isinstance(error, PhySLRuntimeError)
    assert error.__cause__ is raised


def test_every_completion_callback_runs_when_one_raises():
    future = Future("f")
    ran: list[str] = []

    def broken(_: Future) -> None:
        raise RuntimeError("broken callback")

    future.add_done_callback(broken)
    gate = future._gate()  # noqa: SLF001 - what a waiting thread parks on, registered now
    future.add_done_callback(lambda _: ran.append("last"))
    with pytest.raises(RuntimeError, match="broken callback"):
        future.set_result(1)
    assert gate.acquire(timeout=60), "a waiter was left parked"
    assert ran == ["last"] and future.result() == 1
