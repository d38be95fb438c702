"""`x op= v` means what Python and NumPy mean: in place on an ndarray (other names for it
and the caller see the change), a re-binding on numbers, NumPy's errors and view semantics.

The in-place operators (`__iadd`, ...) are registry primitives flagged `writes_first`; the
scheduler runs them as fences and the passes treat them as writes. Fence tests slow the
primitives down with sleeps only to make a missing wait likely to show; they assert
results, never times.
"""

from __future__ import annotations

import ast
import dataclasses
import operator
import threading
import time

import numpy as np
import pytest

from jetlag import physl, run_physl
from jetlag.runtime.frontend.assignments import in_place_operator
from jetlag.runtime.frontend.vocabulary import BINARY_OPERATORS
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes.dead_code import DeadDefinitions
from jetlag.runtime.passes.effects import effects_of, is_pure
from jetlag.runtime.passes.fuse_elementwise import ElementwiseFusion
from jetlag.runtime.passes.row_loops import row_counter
from jetlag.runtime.primitives import REGISTRY, parallel
from jetlag.runtime.primitives.fused_body import fusable_call
from jetlag.runtime.scheduler import execute
from jetlag.runtime.scheduler.policy import InlinePolicy

UFuncTypeError = np._core._exceptions.UFuncTypeError

# (primitive, Python's in-place operator)
OPERATORS = [
    ("__iadd", operator.iadd),
    ("__isub", operator.isub),
    ("__imul", operator.imul),
    ("__idiv", operator.itruediv),
    ("__ifloordiv", operator.ifloordiv),
    ("__imod", operator.imod),
    ("__ipow", operator.ipow),
    ("__imatmul", operator.imatmul),
    ("__ibitand", operator.iand),
    ("__ibitor", operator.ior),
    ("__ibitxor", operator.ixor),
    ("__ilshift", operator.ilshift),
    ("__irshift", operator.irshift),
]


def outcome(function, a, b):
    """(value, None) or (None, (exception type, message)) of function(a, b)."""
    try:
        return function(a, b), None
    except Exception as error:  # noqa: BLE001 - compared with Python's
        return None, (type(error), str(error))


def run_tasks(text: str, *args):
    """Run PhySL with every primitive evaluation a task of its own (no inlining)."""
    program = parse_physl(text, file="prog.physl")
    return execute(program, args=args, policy=InlinePolicy(inline_work=-1), threads=2).value


# -- the primitives ------------------------------------------------------------------------


def test_every_augmented_operator_has_an_in_place_primitive_that_writes_its_first_operand():
    names = {in_place_operator(op()) for op in BINARY_OPERATORS}
    assert names == {name for name, _ in OPERATORS}
    for name in names:
        found = REGISTRY[name]
        assert found.writes_first and found.category == "inplace" and not found.effect
        assert not fusable_call(name)
    assert not any(p.writes_first for p in REGISTRY if p.name not in names)


@pytest.mark.parametrize(("name", "python_op"), OPERATORS)
@pytest.mark.parametrize("dtype", ["int64", "float64", "bool"])
def test_on_arrays_each_is_pythons_operator_in_place(name, python_op, dtype):
    impl = REGISTRY[name].impl
    a = (np.arange(1, 10).reshape(3, 3) % 5).astype(dtype)
    for b in (np.arange(2, 11).reshape(3, 3) % 3 + 1, 2, 1.5, np.float32(2.0), np.arange(1, 4)):
        expected, got = a.copy(), a.copy()
        value, error = outcome(python_op, expected, b)
        result, failure = outcome(impl, got, b)
        assert failure == error, (name, dtype, b)
        np.testing.assert_array_equal(got, expected)  # written exactly as NumPy writes
        if error is None:
            assert result is got and value is expected
            assert got.dtype == expected.dtype


@pytest.mark.parametrize(("name", "python_op"), OPERATORS)
def test_on_numbers_each_rebinds_like_python(name, python_op):
    impl = REGISTRY[name].impl
    for a, b in ((7, 3), (7.5, 2), (np.int32(7), 3), (np.float64(7.5), 2.0), (True, 1), (3, 2.5)):
        value, error = outcome(python_op, a, b)
        result, failure = outcome(impl, a, b)
        if error is None:
            assert failure is None and result == value and type(result) is type(value)
        else:
            assert failure == error


def test_a_tuple_is_concatenated_into_a_new_tuple():
    assert run_physl("define(t, list(1, 2))\nstore(t, __iadd(t, list(3)))\nt") == (1, 2, 3)


class CountingRunner:
    """A ChunkRunner of two workers that runs the chunks serially and counts them."""

    workers = 2

    def __init__(self) -> None:
        self.bodies = 0

    def run_chunks(self, bodies) -> None:
        self.bodies += len(bodies)
        for body in bodies:
            body()


@pytest.fixture
def chunked(monkeypatch):
    monkeypatch.setattr(parallel, "MIN_CHUNK_ELEMENTS", 64)
    runner = CountingRunner()
    with parallel.use_runner(runner):
        yield runner


def test_large_arrays_are_written_in_chunks_exactly_as_numpy(chunked):
    rng = np.random.default_rng(0)
    base = rng.random((40, 30))
    cases = [
        ("__iadd", base.copy(), rng.random((40, 30))),  # same shape, contiguous: flat chunks
        ("__imul", base.copy(), rng.random(30)),  # a broadcast row: chunks of rows
        ("__isub", base.copy(), 0.25),
        ("__idiv", base.copy().T, rng.random((30, 40))),  # a transposed (strided) target
        ("__ipow", base.copy()[:, ::2], np.float32(2.0)),
        ("__ifloordiv", (base * 100).astype(np.int64), 7),
    ]
    for name, a, b in cases:
        expected = a.copy()
        python_op = dict(OPERATORS)[name]
        python_op(expected, b)
        before = chunked.bodies
        assert REGISTRY[name].impl(a, b) is a
        assert chunked.bodies > before, name
        np.testing.assert_array_equal(a, expected)


def test_overlapping_and_failing_operands_take_numpys_single_call(chunked):
    a = np.arange(4000.0)
    expected = a.copy()
    expected += expected[::-1]
    REGISTRY["__iadd"].impl(a, a[::-1])  # NumPy buffers the overlap; chunks would not
    np.testing.assert_array_equal(a, expected)
    ints = np.arange(4000)
    with pytest.raises(UFuncTypeError, match="Cannot cast ufunc 'add' output"):
        REGISTRY["__iadd"].impl(ints, 0.5)
    with pytest.raises(ValueError, match="non-broadcastable output operand"):
        REGISTRY["__iadd"].impl(np.ones(4000), np.ones((2, 4000)))
    with pytest.raises(ValueError, match="read-only"):
        REGISTRY["__iadd"].impl(np.broadcast_to(1.0, (4000,)), 1.0)
    np.testing.assert_array_equal(ints, np.arange(4000))
    assert chunked.bodies == 0


# -- compiled functions --------------------------------------------------------------------


def alias_update(a, v):
    b = a
    a += v
    return b


def scalar_update(s):
    t = s
    s += 1
    return t, s


def element_updates(x, v, i):
    x[1:3] += v
    x[i] += 10
    x[[0, 0]] += 1
    return x


def column_update(m, v):
    m[:, 0] += v
    m[1] *= 2
    return m


def test_an_array_is_updated_in_place_for_every_name_and_the_caller():
    f = physl(alias_update)
    for v in (1, 2.5, np.arange(4.0)):
        a = np.arange(4.0)
        expected = alias_update(np.arange(4.0), v)
        b = f(a, v)
        assert b is a  # `b = a` names the caller's array, which `a += v` wrote
        np.testing.assert_array_equal(a, expected)


def test_numbers_and_numpy_scalars_are_rebound():
    f = physl(scalar_update)
    for s in (3, 2.5, np.float64(2.5), np.int32(3), True):
        expected = scalar_update(s)
        got = f(s)
        assert got == expected and [type(x) for x in got] == [type(x) for x in expected]


def test_elements_slices_fancy_indices_and_views_are_updated_like_numpy():
    x, v = np.arange(6.0), np.array([0.5, 0.25])
    np.testing.assert_array_equal(
        physl(element_updates)(x.copy(), v, 4), element_updates(x.copy(), v, 4)
    )
    ints = np.arange(6)
    assert list(physl(element_updates)(ints.copy(), 2, -1)) == list(
        element_updates(ints.copy(), 2, -1)
    )
    m = np.arange(12.0).reshape(3, 4)
    expected = column_update(m.copy(), np.arange(3.0))
    got = m.copy()
    physl(column_update)(got, np.arange(3.0))
    np.testing.assert_array_equal(got, expected)


def int_plus_half(a):
    a += 0.5
    return a


def int_slice_plus_half(a):
    a[1:3] += 0.5
    return a


def test_an_int_array_plus_a_float_raises_numpys_casting_error_at_the_users_line():
    for function in (int_plus_half, int_slice_plus_half):
        a = np.arange(4)
        with pytest.raises(TypeError) as caught:
            physl(function)(a)
        error = caught.value
        assert isinstance(error, UFuncTypeError)
        message = "Cannot cast ufunc 'add' output from dtype('float64') to dtype('int64')"
        assert message in str(error)
        line = function.__code__.co_firstlineno + 1
        assert str(error).startswith(f"{__file__}:{line}:5: __iadd failed")
        np.testing.assert_array_equal(a, np.arange(4))  # nothing written: NumPy checks first


def busy(a, w):
    s = a * 2.0
    b = a
    a += w
    t = np.sum(b)
    u = b * 3.0
    return s, t, u


def test_large_arrays_with_earlier_and_later_readers_equal_numpy(monkeypatch):
    monkeypatch.setenv("JETLAG_INLINE_WORK", "-1")  # every evaluation a task
    f = physl(busy, threads=2, trace="events")
    rng = np.random.default_rng(1)
    a = rng.random(300_000)
    w = rng.random(300_000)
    expected_a = a.copy()
    expected = busy(expected_a, w)
    got = f(a, w)
    for mine, numpy in zip(got, expected, strict=True):
        np.testing.assert_allclose(mine, numpy, rtol=1e-12)
    np.testing.assert_array_equal(a, expected_a)
    line = busy.__code__.co_firstlineno + 3
    names = {event.name for event in f.trace.events}
    assert f"__iadd${line}$4#chunk" in names  # the write itself ran in chunks


# -- the fence, with slowed-down primitives --------------------------------------------------


def slowed(monkeypatch, name: str, delay: float, calls: list[str]) -> None:
    """Make primitive `name` sleep before it runs, recording when it starts and ends."""
    found = REGISTRY[name]
    lock = threading.Lock()

    def impl(*args, **kwargs):
        with lock:
            calls.append(f"{name} start")
        time.sleep(delay)
        value = found.impl(*args, **kwargs)
        with lock:
            calls.append(f"{name} end")
        return value

    monkeypatch.setitem(REGISTRY._by_name, name, dataclasses.replace(found, impl=impl))


def test_a_write_waits_for_earlier_readers_and_later_readers_wait_for_it(monkeypatch):
    calls: list[str] = []
    slowed(monkeypatch, "__mul", 0.02, calls)
    slowed(monkeypatch, "__iadd", 0.05, calls)
    text = """
    define(f, a, block(
        define(b, a),
        define(s, __mul(a, 2.0)),
        store(a, __iadd(a, 1.0)),
        define(c, __mul(b, 3.0)),
        list(s, c)
    ))
    """
    a = np.arange(5.0)
    s, c = run_tasks(text, a)
    np.testing.assert_array_equal(s, np.arange(5.0) * 2.0)
    np.testing.assert_array_equal(c, (np.arange(5.0) + 1.0) * 3.0)
    first, second = [index for index, call in enumerate(calls) if call == "__mul start"]
    assert calls.index("__mul end") < calls.index("__iadd start")  # waited for `s`
    assert calls.index("__iadd end") < second  # `c` waited for the write


def test_a_reader_of_an_earlier_write_waits_although_a_later_write_is_of_another_array(
    monkeypatch,
):
    calls: list[str] = []
    slowed(monkeypatch, "__iadd", 0.05, calls)
    text = """
    define(f, a, x, block(
        define(b, a),
        store(a, __iadd(a, 1.0)),
        store(x, __isub(x, 1.0)),
        __mul(b, 3.0)
    ))
    """
    a, x = np.arange(5.0), np.zeros(3)
    np.testing.assert_array_equal(run_tasks(text, a, x), (np.arange(5.0) + 1.0) * 3.0)
    np.testing.assert_array_equal(x, -np.ones(3))


def test_print_sees_a_write_through_another_name(monkeypatch, capsys):
    calls: list[str] = []
    slowed(monkeypatch, "__iadd", 0.05, calls)
    text = "define(f, a, block(define(b, a), store(a, __iadd(a, 1.0)), print(b)))"
    run_tasks(text, np.zeros(3))
    assert capsys.readouterr().out == "[1. 1. 1.]\n"


def test_a_number_update_is_no_fence():
    # `i += 1` on an int re-binds: the loop runs as it did with `i = i + 1`.
    text = "define(f, n, block(define(i, 0), while(__lt(i, n), store(i, __iadd(i, 1))), i))"
    assert run_tasks(text, 50) == 50
    assert run_physl(text, 7) == 7


# -- the passes ----------------------------------------------------------------------------


def program_of(text: str):
    return parse_physl(text, file="prog.physl")


def test_passes_see_an_in_place_operator_as_a_write():
    node = program_of("__iadd(slice(X, 0), v)").body[0]
    assert effects_of(node, frozenset()).writes >= {"X"}
    assert not is_pure(node, frozenset())
    assert effects_of(program_of("__iadd(zeros(3), v)").body[0], frozenset()).writes == set()


def test_dead_code_keeps_and_fusion_skips_in_place_operators():
    # `t` is never read, but computing it writes row 0 of `a`.
    text = "define(f, a, block(define(t, __iadd(slice(a, 0), 1.0)), a))"
    assert DeadDefinitions().run(program_of(text)).program == program_of(text)
    a = np.zeros((2, 2))
    run_physl(text, a)
    np.testing.assert_array_equal(a, [[1.0, 1.0], [0.0, 0.0]])
    text = "define(f, a, t, block(store(t, __iadd(t, __mul(a, __add(a, 1)))), t))"
    fused = print_physl(ElementwiseFusion().run(program_of(text)).program)
    assert "__iadd(t, fused_elementwise(lambda(a, __mul(a, __add(a, 1))), a))" in fused


def test_a_row_loop_counter_may_be_incremented_in_place_but_nothing_else():
    row = "store(slice(x, u), __mul(slice(y, u), 2.0))"
    loop = program_of(f"while(__lt(u, n), block({row}, store(u, __iadd(u, 1))))").body[0]
    found = row_counter(loop)
    assert found is not None and found.counter == "u" and found.written == ("x",)
    local = "define(t, slice(y, 0)), store(t, __iadd(t, 1.0)), store(slice(x, u), t)"
    loop = program_of(f"while(__lt(u, n), block({local}, store(u, __iadd(u, 1))))").body[0]
    assert row_counter(loop) is None  # t is y[0]: every iteration writes y


def test_every_binary_operator_maps_to_its_in_place_name():
    assert in_place_operator(ast.Add()) == "__iadd"
    assert in_place_operator(ast.MatMult()) == "__imatmul"
    assert in_place_operator(ast.BitOr()) == "__ibitor"


def test_a_number_accumulated_from_tasks_does_not_hold_up_array_work(monkeypatch):
    # total's second update is a write into a value still being made (a number here), so
    # it is a fence; `negative(y)` cannot share that value's memory and must not wait for
    # it. The second sum meets `negative` at a barrier: if `negative` waited for the
    # fence (which waits for the sum), the barrier would break.
    rendezvous = threading.Barrier(2, timeout=20)
    sums: list[int] = []
    found_sum, found_negative = REGISTRY["sum"], REGISTRY["negative"]

    def meeting_sum(*args, **kwargs):
        sums.append(1)
        if len(sums) == 2:
            rendezvous.wait()
        return found_sum.impl(*args, **kwargs)

    def meeting_negative(*args, **kwargs):
        rendezvous.wait()
        return found_negative.impl(*args, **kwargs)

    monkeypatch.setitem(REGISTRY._by_name, "sum", dataclasses.replace(found_sum, impl=meeting_sum))
    monkeypatch.setitem(
        REGISTRY._by_name, "negative", dataclasses.replace(found_negative, impl=meeting_negative)
    )
    text = """
    define(f, x, y, block(
        define(total, 0.0),
        store(total, __iadd(total, sum(x))),
        store(total, __iadd(total, sum(x))),
        list(total, negative(y))
    ))
    """
    total, negated = run_tasks(text, np.ones(4), np.arange(3.0))
    assert total == 8.0 and type(total) is np.float64
    np.testing.assert_array_equal(negated, -np.arange(3.0))
