"""The task runtime: dataflow, concurrency, control flow, fences, errors and interrupts."""

from __future__ import annotations

import _thread
import dataclasses
import os
import threading
import time
import warnings

import numpy as np
import pytest

from jetlag import run_physl
from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.primitives.registry import REGISTRY
from jetlag.runtime.scheduler import execute
from jetlag.runtime.scheduler.pool import TaskPool


def run(text: str, *args, **options):
    return execute(parse_physl(text, file="prog.physl"), args=args, **options)


def test_function_definition_and_call():
    text = "define(f, x, y, block(define(z, __add(x, y)), __mul(z, 2)))"
    a, b = np.arange(5.0), np.ones(5)
    np.testing.assert_array_equal(run_physl(text, a, b), (a + b) * 2)


def test_program_value_without_function():
    assert run_physl("define(x, 3)\n__add(x, 4)") == 7


def test_keyword_arguments_to_primitives_and_functions():
    text = "define(f, a, s, sum(a, axis=s))\n"
    a = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(run_physl(text, a, s=1), a.sum(axis=1))


def test_recursion():
    text = """
    define(fib, n, if(__lt(n, 2), n, __add(fib(__sub(n, 1)), fib(__sub(n, 2)))))
    """
    assert run_physl(text, 15) == 610


def test_while_break_continue_and_early_return():
    text = """
    define(f, n, block(
        define(i, 0),
        define(total, 0),
        while(true, block(
            store(i, __add(i, 1)),
            if(__gt(i, n), break()),
            if(__eq(__mod(i, 2), 0), continue()),
            store(total, __add(total, i)),
            if(__gt(total, 1000), return(-1))
        )),
        total
    ))
    """
    assert run_physl(text, 10) == 1 + 3 + 5 + 7 + 9
    assert run_physl(text, 100) == -1


def test_for_over_range_and_array():
    text = """
    define(f, a, block(
        define(s, 0.0),
        for(i, range(3), store(s, __add(s, i))),
        for(row, a, store(s, __add(s, sum(row)))),
        s
    ))
    """
    a = np.arange(6.0).reshape(2, 3)
    assert run_physl(text, a) == 0 + 1 + 2 + a.sum()


def test_short_circuit_and_or():
    # the right operand would fail (index out of range) if evaluated
    text = "define(f, a, __and(__gt(len(a), 5), __gt(slice(a, 5), 0)))"
    assert run_physl(text, np.arange(3)) is False
    text = "define(f, a, __or(__lt(len(a), 5), __gt(slice(a, 5), 0)))"
    assert run_physl(text, np.arange(3)) is True


def test_in_place_store_keeps_numpy_view_semantics():
    # v is a view of row 0 taken before the write; NumPy shows the new values through it.
    text = """
    define(f, x, y, block(
        define(v, slice(x, 0)),
        store(slice(x, 0), y),
        __add(v, 0.0)
    ))
    """
    x = np.zeros((400, 400))
    y = np.arange(400.0)
    np.testing.assert_array_equal(run_physl(text, x, y), y)
    np.testing.assert_array_equal(x[0], y)


def test_big_operands_run_as_tasks_and_chunks():
    x = np.random.default_rng(0).random((600, 600))
    result = run("define(f, x, dot(x, x))", x, record_events=True)
    np.testing.assert_allclose(result.value, x @ x, rtol=1e-12)
    kinds = {e.kind for e in result.log}
    assert "task" in kinds and "chunk" in kinds


def test_independent_subtrees_overlap_in_time(monkeypatch):
    # Each dot waits for the other at a two-party barrier before it multiplies: the run
    # only completes if the two independent dots are in flight at the same time, however
    # the machine schedules the threads.
    rendezvous = threading.Barrier(2, timeout=30)
    dot = REGISTRY["dot"]

    def meeting_dot(*args, **kwargs):
        rendezvous.wait()
        return dot.impl(*args, **kwargs)

    monkeypatch.setitem(REGISTRY._by_name, "dot", dataclasses.replace(dot, impl=meeting_dot))
    rng = np.random.default_rng(1)
    a, b = rng.random((300, 300)), rng.random((300, 300))
    text = "define(f, a, b, block(define(p, dot(a, a)), define(q, dot(b, b)), __add(p, q)))"
    pool = TaskPool(2)
    try:
        result = run(text, a, b, pool=pool, record_events=True)
    finally:
        pool.shutdown()
    np.testing.assert_allclose(result.value, a @ a + b @ b, rtol=1e-12)
    dots = [e for e in result.log if e.kind == "task" and e.name.startswith("dot")]
    assert len(dots) == 2
    first, second = sorted(dots, key=lambda e: e.start_ns)
    assert second.start_ns < first.end_ns
    assert first.worker != second.worker


def meeting_pieces(pool: TaskPool) -> set[str]:
    """Run two chunks that wait for each other at a barrier; the threads that ran them."""
    rendezvous = threading.Barrier(2, timeout=30)
    threads: set[str] = set()

    def piece() -> None:
        threads.add(threading.current_thread().name)
        rendezvous.wait()

    pool.run_chunks([piece, piece])
    return threads


def test_chunks_are_shared_with_an_idle_worker():
    # Each piece waits at a two-party barrier: it only opens when two threads run pieces
    # at the same time, so this holds however late the helper wakes.
    pool = TaskPool(2)
    try:
        assert len(meeting_pieces(pool)) == 2  # called from the driver
        from_worker: list[set[str]] = []
        finished = threading.Event()
        pool.submit(lambda: (from_worker.append(meeting_pieces(pool)), finished.set()))
        assert finished.wait(30), "the chunks called from a worker never finished"
        assert [len(threads) for threads in from_worker] == [2]
    finally:
        pool.shutdown()


def test_task_parents_form_one_tree_rooted_at_the_run():
    x = np.random.default_rng(2).random((500, 500))
    result = run("define(f, x, dot(x, x))", x, record_events=True)
    guids = {e.guid for e in result.log}
    (root,) = [e for e in result.log if e.parent_guid == 0]
    assert root.guid == result.root_guid and root.kind == "call"
    assert all(e.parent_guid in guids for e in result.log if e.guid != root.guid)


def test_runtime_error_names_primitive_and_place():
    text = "define$1$0(f$1$4, a$1$6, b$1$9,\n    dot$2$4(a$2$8, b$2$11))\n"
    with pytest.raises(PhySLRuntimeError) as caught:
        run_physl(text, np.ones((3, 4)), np.ones(5), file="prog.physl")
    error = caught.value
    assert error.primitive == "dot$2$4"
    assert str(error).startswith("prog.physl:2:5: dot failed: ")
    assert "(3, 4)" in str(error) and "(5,)" in str(error)


def test_error_in_async_task_surfaces_and_pool_survives():
    big = np.ones((600, 600))
    text = "define(f, a, b, block(define(p, dot(a, a)), define(q, dot(p, b)), sum(q)))"
    with pytest.raises(PhySLRuntimeError, match="dot failed"):
        run_physl(text, big, np.ones((3, 3)))
    # an unused failing value still fails the call, as it would in NumPy (the optimizer
    # removes unused pure definitions, so this holds with optimize=False)
    text = "define(f, a, b, block(define(unused, dot(a, b)), 1))"
    with pytest.raises(PhySLRuntimeError, match="dot failed"):
        run_physl(text, big, np.ones((3, 3)), optimize=False)
    assert run_physl("define(f, a, sum(dot(a, a)))", np.ones((2, 2))) == 8.0


def test_unknown_name_and_unknown_function():
    with pytest.raises(PhySLRuntimeError, match="name 'nope' is not defined"):
        run_physl("define(f, x, __add(x, nope))", 1)
    with pytest.raises(PhySLRuntimeError, match="'frobnicate' is neither a PhySL function"):
        run_physl("define(f, x, frobnicate(x))", 1)


def test_wrong_argument_count():
    with pytest.raises(PhySLRuntimeError, match=r"f\(\) takes 2 argument\(s\) \(x, y\)"):
        run_physl("define(f, x, y, __add(x, y))", 1, 2, 3)


def test_ambiguous_condition_is_placed():
    with pytest.raises(PhySLRuntimeError, match="condition is not a single truth value"):
        run_physl("define$1$0(f$1$4, x$1$6, if$2$4(x$2$7, 1, 2))", np.arange(3))


def test_keyboard_interrupt_stops_a_long_run_and_pool_stays_usable():
    # An effectively endless loop of array tasks; Ctrl-C must stop it.
    text = """
    define(f, a, block(
        define(i, 0),
        while(__lt(i, 100000000), block(store(a, __add(a, 1.0)), store(i, __add(i, 1)))),
        a
    ))
    """
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    finished = threading.Event()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_physl(text, np.zeros(200_000))
        finished.set()
    finally:
        timer.cancel()
    assert finished.is_set()
    np.testing.assert_array_equal(run_physl("define(f, a, __add(a, 1.0))", np.zeros(3)), 1.0)


def test_print_output_is_in_program_order(capsys):
    text = """
    define(f, a, block(
        define(b, dot(a, a)),
        print("first", 1),
        define(c, sum(b)),
        print("second", c),
        print("third", end="!\\n")
    ))
    """
    run_physl(text, np.ones((300, 300)))
    assert capsys.readouterr().out == "first 1\nsecond 27000000.0\nthird!\n"


def test_a_forked_child_gets_its_own_workers():
    # The child inherits the parent's pools but not their threads; a spawned task there
    # must still run (multiprocessing's default start method on Linux is fork).
    a = np.random.default_rng(5).random((400, 400))
    text = "define(f, a, __add(dot(a, a), sum(a)))"
    expected = a @ a + a.sum()
    np.testing.assert_allclose(run_physl(text, a), expected, rtol=1e-12)
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a threaded process may deadlock: the point here.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through its exit code
        try:
            same = np.allclose(run_physl(text, a), expected, rtol=1e-12)
            os._exit(0 if same else 3)
        except BaseException:  # noqa: BLE001
            os._exit(4)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            assert os.waitstatus_to_exitcode(status) == 0
            return
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(
        "the forked child's JetLag call never finished (it waited for the parent's workers)"
    )
