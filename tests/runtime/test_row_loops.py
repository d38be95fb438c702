"""Row loops: counted loops with independent iterations, split across the workers.

The pass recognises them (passes/row_loops.py) and the scheduler runs pieces of the
counter's range as chunks (scheduler/compiled_rows.py); results must be exactly those of
one sequential call, and errors those of the first failing row.
"""

from __future__ import annotations

import numpy as np
import pytest

import jetlag.runtime.scheduler.compiled_rows as compiled_rows
from jetlag import physl
from jetlag.runtime.codegen.loops import region_source
from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.passes.row_loops import row_counter


def loop_of(text: str) -> Call:
    (node,) = parse_physl(text).body
    assert isinstance(node, Call)
    return node


def counters(function) -> list:
    """The row counter of each compiled_loop of a @physl function (None: not a row loop)."""
    return [
        node.args[3].value if len(node.args) == 4 else None
        for node in function.program.walk()
        if isinstance(node, Call) and node.name == "compiled_loop"
    ]


ROW = "while(__lt(u, n), block(store(t, __mul(slice(y, u), 2.0)), store(slice(x, u), t), store(u, __add(u, 1))))"


def test_a_row_loop_is_recognised_with_its_counter_bound_and_written_arrays():
    rows = row_counter(loop_of(ROW))
    assert rows is not None
    assert (rows.counter, rows.bound.name, rows.written) == ("u", "n", ("x",))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (ROW.replace("slice(y, u)", "slice(x, __sub(u, 1))"), "reads the array it writes"),
        (
            ROW.replace("store(t, __mul(slice(y, u), 2.0))", "store(t, __add(t, slice(y, u)))"),
            "carries t",
        ),
        (ROW.replace("store(slice(x, u), t)", "store(slice(x, 0), t)"), "writes another row"),
        (ROW.replace("store(u, __add(u, 1))", "store(u, __add(u, 2))"), "steps by 2"),
        (ROW.replace("__lt(u, n)", "__le(u, n)"), "another condition"),
        (ROW.replace("store(t, __mul", "store(n, __mul"), "assigns its bound"),
        (ROW.replace("store(slice(x, u), t)", "if(t, store(slice(x, u), t))"), "branches"),
    ],
)
def test_loops_whose_iterations_depend_on_each_other_are_not_row_loops(text, why):
    assert row_counter(loop_of(text)) is None, why


def test_the_generated_function_runs_only_its_piece_of_the_range():
    region = region_source(loop_of(ROW), ["u", "n", "y", "x"], [], counter="u")
    assert "def region(v_u, v_n, v_y, v_x, where, stop, lo, hi):" in region.source
    assert "    v_u = lo\n" in region.source and "if v_u >= hi:" in region.source


def scaled_rows(x, y, n):
    u = 0
    while u < n:
        row = np.dot(y, y[u, :]) * 0.5
        x[u, :] = np.sqrt(np.abs(row[:3])) + u
        u = u + 1
    return u


def test_split_rows_equal_one_sequential_call_and_the_counter_ends_at_the_bound(monkeypatch):
    rng = np.random.default_rng(7)
    y = rng.random((100, 100))
    expected_x = np.zeros((100, 3))
    assert scaled_rows(expected_x, y, 100) == 100
    split = physl(scaled_rows, trace="events", threads=2)
    assert counters(split) == ["u"]
    x = np.zeros((100, 3))
    assert split(x, y, 100) == 100
    np.testing.assert_allclose(x, expected_x, rtol=1e-13)
    pieces = [e for e in split.trace.events if e.name.endswith("#chunk")]
    assert len(pieces) == 4  # 100 rows, two pieces per worker
    # Which worker runs which piece depends on who is awake first (a caller can finish
    # all four before its helper wakes); that idle workers do join is
    # test_scheduler.py's test_chunks_are_shared_with_an_idle_worker.
    assert {e.worker for e in pieces} <= {"jetlag-worker-0", "jetlag-worker-1"}
    monkeypatch.setattr(compiled_rows, "MIN_ROWS_PER_PIECE", 10**9)  # one piece
    whole = np.zeros((100, 3))
    assert split(whole, y, 100) == 100
    np.testing.assert_array_equal(x, whole)  # bit for bit
    assert split(np.zeros((100, 3)), y, 0) == 0  # no iteration: the counter keeps its value


def gather(x, y, first, second, n):
    u = 0
    while u < n:
        row = y[first[u], :]
        x[u, :] = row + y[second[u], :]
        u = u + 1
    return x


def test_the_first_failing_row_decides_the_error():
    y = np.arange(12.0).reshape(4, 3)
    first, second = np.zeros(80, dtype=np.int64), np.zeros(80, dtype=np.int64)
    second[5] = 1000  # row 5 (the first piece) fails in the second statement,
    first[70] = 1000  # row 70 (the last piece) in the first
    messages = []
    for threads in (1, 2):
        with pytest.raises(PhySLRuntimeError) as caught:
            physl(gather, threads=threads)(np.zeros((80, 3)), y, first, second, 80)
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    line = gather.__code__.co_firstlineno + 4
    assert f":{line}:" in messages[1] and f"slice${line}$" in messages[1]


def shifted(x, y, n):
    u = 0
    while u < n:
        x[u, :] = y[u + 1, :] * 2.0
        u = u + 1
    return x


def test_an_input_sharing_memory_with_a_written_array_keeps_the_loop_sequential():
    function = physl(shifted, threads=2, trace="events")
    assert counters(function) == ["u"]
    data = np.arange(300.0).reshape(100, 3)
    expected = shifted(data.copy(), data.copy()[:], 99)
    aliased = data.copy()
    function(aliased, aliased, 99)  # y is x: row u+1 must be read before it is written
    reference = data.copy()
    shifted(reference, reference, 99)
    np.testing.assert_array_equal(aliased, reference)
    assert not any(e.name.endswith("#chunk") for e in function.trace.events)
    separate = data.copy()
    np.testing.assert_array_equal(function(separate, data.copy(), 99)[:99], expected[:99])
