"""Compiled loops at run time: equal to NumPy and the interpreter, fallbacks, errors, Ctrl-C."""

from __future__ import annotations

import _thread
import threading
import time

import numpy as np
import pytest

import examples.data as data
import examples.listings as listings
from jetlag import physl, run_physl
from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.scheduler.compiled import LoopHistory, history


def histories(function) -> list[LoopHistory]:
    """The run-time history of each compiled loop of a @physl function."""
    return [
        history(node)
        for node in function.program.walk()
        if isinstance(node, Call) and node.name == "compiled_loop"
    ]


def task_names(function) -> set[str]:
    return {event.name for event in function.trace.events}


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


def relax(a, weights, sweeps):
    rows = np.shape(a)[0]
    cols = np.shape(a)[1]
    total = 0.0
    hits = 0
    sweep = 0
    while sweep < sweeps:
        i = 1
        while i < rows - 1:
            j = 0
            while j < cols:
                value = (a[i - 1, j] + a[i, j] + a[i + 1, j]) / 3.0
                if value > 0.5:
                    a[i, j] = value * weights[j]
                    hits = hits + 1
                else:
                    a[i, j] = value
                total = total + a[i, j]
                j = j + 1
            i = i + 1
        a[0, :] = a[1, :] * 0.5
        sweep = sweep + 1
    return a, total, hits


def test_nested_loops_with_ifs_slices_and_accumulators_equal_numpy_and_the_interpreter():
    compiled = physl(relax, trace="events")
    interpreted = physl(relax, optimize=False)
    rng = np.random.default_rng(3)
    start, weights = rng.random((12, 7)), rng.random(7) + 0.5
    expected = relax(start.copy(), weights, 3)
    for got in (compiled(start.copy(), weights, 3), interpreted(start.copy(), weights, 3)):
        np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
        assert got[1] == pytest.approx(expected[1], rel=1e-12)
        assert got[2] == expected[2] and isinstance(got[2], int)
    (record,) = histories(compiled)
    assert (record.compiled_runs, record.interpreted_runs) == (1, 0)
    line = relax.__code__.co_firstlineno + 6
    assert f"compiled_loop${line}$4" in task_names(compiled)
    # The loop's own primitives never became tasks of their own.
    assert not any(name.startswith("__add") for name in task_names(compiled))


def test_als_row_loops_run_in_pieces_and_equal_numpy():
    als = physl(listings.ALS, trace="events", threads=2)
    ratings = data.synthetic_ratings(80, 90, density=0.2, seed=4)
    x0, y0 = data.als_start(80, 90, 5)
    x_numpy, y_numpy = x0.copy(), y0.copy()
    x_jetlag, y_jetlag = x0.copy(), y0.copy()
    # reg = 1.0: well conditioned, so the LU solve of the rewrite stays within 1e-10 of inv().
    expected = listings.ALS(ratings, 1.0, 5, 2, 40.0, x_numpy, y_numpy)
    got = als(ratings, 1.0, 5, 2, 40.0, x_jetlag, y_jetlag)
    assert relative_error(got, expected) <= 1e-10
    assert relative_error(x_jetlag, x_numpy) <= 1e-10  # written in place, like NumPy
    assert relative_error(y_jetlag, y_numpy) <= 1e-10
    users, items = histories(als)
    assert (users.compiled_runs, users.interpreted_runs) == (2, 0)  # once per ALS iteration
    assert (items.compiled_runs, items.interpreted_runs) == (2, 0)
    pieces = [e for e in als.trace.events if e.name == "compiled_loop$58$8#chunk"]
    assert len(pieces) == 2 * 4  # 80 users in four pieces, per ALS iteration
    # Which worker runs which piece is up to who is awake first (see test_row_loops.py).
    assert {e.worker for e in pieces} <= {"jetlag-worker-0", "jetlag-worker-1"}
    assert not any(name.startswith("inverse_dot") for name in task_names(als))


def changes_type(a, n):
    x = 0
    i = 0
    while i < n:
        x = a * 2.0
        i = i + 1
    return x


def int_dots(a, b, n):
    total = 0
    i = 0
    while i < n:
        total = total + np.dot(a, b)
        i = i + 1
    return total


def test_types_one_compiled_variable_cannot_hold_run_interpreted_and_are_remembered():
    function = physl(changes_type)
    a = np.arange(4.0)
    np.testing.assert_array_equal(function(a, 3), a * 2.0)
    np.testing.assert_array_equal(function(a, 2), a * 2.0)
    (record,) = histories(function)
    assert (record.compiled_runs, record.interpreted_runs) == (0, 2)
    # Decided once per input types, before Numba sees anything.
    assert not record.compiled and not record.refused
    (variant,) = record.variants.values()
    reason = "x holds values of different kinds at different places (one compiled variable cannot)"
    assert variant == reason
    assert record.fallbacks == {reason: 2}


def test_an_integer_dot_product_numba_cannot_type_runs_interpreted():
    function = physl(int_dots)
    a, b = np.arange(5), np.arange(5) + 1
    assert function(a, b, 3) == 3 * int(a @ b)
    (record,) = histories(function)
    assert (record.compiled_runs, record.interpreted_runs) == (0, 1)
    (reason,) = record.fallbacks
    assert reason.startswith("Numba cannot compile it for these types: TypingError")


def test_values_compiled_code_cannot_take_run_interpreted():
    text = """
    define(f, s, n, block(
        define(i, 0),
        compiled_loop(
            while(__lt(i, n), block(store(s, __add(s, s)), store(i, __add(i, 1)))),
            list(i, n, s),
            list(s)
        ),
        s
    ))
    """
    assert run_physl(text, "ab", 2, optimize=False) == "abababab"
    assert run_physl(text, 1.5, 2, optimize=False) == 6.0


def pick(a, n):
    total = 0.0
    i = 0
    while i < n:
        total = total + a[i]
        i = i + 1
    return total


def solve_rows(a, b, n):
    x = np.zeros(np.shape(b))
    i = 0
    while i < n:
        x[i, :] = np.dot(np.linalg.inv(a), b[i, :])
        i = i + 1
    return x


#: Every pass but compile-loops: the same program with its loops interpreted.
NOT_COMPILED = ["algebra", "glm-fusion", "dead-definitions", "elementwise-fusion"]


def compiled_error(python_function, good_args, failing_args) -> PhySLRuntimeError:
    """The error a function whose loop has run compiled once raises on `failing_args`,
    checked to be exactly the error of the same program with its loops interpreted."""
    function = physl(python_function)
    function(*good_args)
    assert histories(function)[0].compiled_runs == 1
    with pytest.raises(PhySLRuntimeError) as caught:
        function(*failing_args)
    with pytest.raises(PhySLRuntimeError) as interpreted:
        physl(python_function, optimize=NOT_COMPILED)(*failing_args)
    assert str(caught.value) == str(interpreted.value)
    assert type(caught.value) is type(interpreted.value)
    (record,) = histories(function)
    assert record.interpreted_runs == 1  # after the compiled attempt failed
    return caught.value


def test_errors_inside_compiled_loops_are_the_interpreters_at_the_primitive_and_line():
    error = compiled_error(pick, (np.ones(3), 3), (np.ones(3), 5))
    line = pick.__code__.co_firstlineno + 4
    assert str(error).startswith(
        f"{__file__}:{line}:25: slice failed: index 3 is out of bounds for axis 0 with size 3"
    )
    assert error.primitive == f"slice${line}$24"
    (record,) = histories(physl(pick))
    assert isinstance(error.cause, IndexError)


def test_a_singular_matrix_in_a_compiled_loop_names_inverse_dot():
    b = np.arange(6.0).reshape(3, 2)
    error = compiled_error(solve_rows, (np.eye(2) * 2.0, b, 3), (np.zeros((2, 2)), b, 3))
    line = solve_rows.__code__.co_firstlineno + 4
    assert str(error).startswith(
        f"{__file__}:{line}:19: inverse_dot failed: dot(inverse(a), b): matrix is singular"
    )
    assert isinstance(error.cause, np.linalg.LinAlgError)


def fill_rows(x, y, n):
    i = 0
    while i < n:
        x[i, :] = y * i
        i = i + 1
    return x


def test_a_shape_mismatch_in_a_compiled_loop_names_the_store_and_writes_nothing():
    y = np.arange(4.0)
    expected = fill_rows(np.zeros((3, 4)), y, 3)
    np.testing.assert_array_equal(physl(fill_rows)(np.zeros((3, 4)), y, 3), expected)
    target = np.full((3, 5), 7.0)
    error = compiled_error(fill_rows, (np.zeros((3, 4)), y, 3), (target, y, 3))
    line = fill_rows.__code__.co_firstlineno + 3
    assert str(error).startswith(
        f"{__file__}:{line}:9: store failed: cannot assign a value of shape (4,) to x[0, :] "
        "of shape (5,)\n            x[i, :] = y * i\n"
    )
    np.testing.assert_array_equal(target, np.full((3, 5), 7.0))


COUNTER = """
define(f, a, n, block(
    define(i, 0),
    while(__lt(i, n), block(
        store(slice(a, 0), __add(slice(a, 0), 1.0)),
        store(i, __add(i, 1))
    )),
    a
))
"""


def test_ctrl_c_stops_a_long_compiled_loop_and_the_next_call_works():
    a = np.zeros(2)
    run_physl(COUNTER, a, 10)  # compiles first, so the interrupt hits the running loop
    assert a[0] == 10.0
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    finished = threading.Event()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_physl(COUNTER, a, 10**15)
        finished.set()
    finally:
        timer.cancel()
    assert finished.is_set()
    stopped_at = a[0]
    time.sleep(0.2)
    assert a[0] == stopped_at > 10.0  # the loop ran, and it is not running any more
    b = np.zeros(2)
    np.testing.assert_array_equal(run_physl(COUNTER, b, 3), [3.0, 0.0])


def last_positive(a, n):
    i = 0
    while i < n:
        if a[i] > 0:
            last = a[i]
        i = i + 1
    return last


def test_a_variable_first_assigned_in_the_loop_keeps_nil_unless_the_loop_assigns_it():
    compiled, interpreted = physl(last_positive), physl(last_positive, optimize=False)
    a = np.array([1.0, -2.0, 3.0, -4.0])
    assert compiled(a, 4) == interpreted(a, 4) == last_positive(a, 4) == 3.0
    assert compiled(-a[:1], 1) is None and interpreted(-a[:1], 1) is None
    assert compiled(a, 0) is None
    (record,) = histories(compiled)
    assert (record.compiled_runs, record.interpreted_runs) == (3, 0)
    # `last` is tracked, not passed in (one variant for the one set of input types).
    assert [key[:2] for key in record.variants] == [(("last",), None)]
