"""Generated code computes what Python and NumPy compute: typed spellings, the typing check,
and the interpreter's second run when compiled code cannot finish exactly."""

from __future__ import annotations

import numpy as np
import pytest
from numba import types

from jetlag import physl
from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.exact import spell, spell_sets
from jetlag.runtime.codegen.value_types import ValueType, join, python_scalar, type_of
from jetlag.runtime.codegen.verify import representation_of, typing_mismatch
from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.scheduler import loop_snapshot
from jetlag.runtime.scheduler.compiled import history

INT, FLOAT, BOOL = python_scalar(int), python_scalar(float), python_scalar(bool)


def numpy_scalar(name: str) -> ValueType:
    return ValueType("numpy", np.dtype(name))


def array(name: str, ndim: int = 1) -> ValueType:
    return ValueType("array", np.dtype(name), ndim)


def loop_histories(function):
    return [
        history(node)
        for node in function.program.walk()
        if isinstance(node, Call) and node.name == "compiled_loop"
    ]


# -- the types values have ---------------------------------------------------------------


def test_values_are_typed_as_python_or_numpy_sees_them():
    assert type_of(3) == INT and type_of(2**63) is None  # beyond 64 bits: not compiled
    assert type_of(np.float32(1)) == numpy_scalar("float32")
    assert type_of(np.zeros((2, 3), np.int8)) == array("int8", 2)
    assert type_of(np.zeros(())) is None and type_of(1j) is None and type_of("s") is None
    assert type_of((2, 3)).describe() == "a tuple of 2 ints"


def test_a_python_float_and_a_numpy_float64_share_a_variable_but_not_an_int():
    assert join({FLOAT}, {numpy_scalar("float64")}) == {FLOAT, numpy_scalar("float64")}
    with pytest.raises(NotLowerable, match="a NumPy float64 or a Python int"):
        join({INT}, {numpy_scalar("float64")})


# -- spellings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,types,template,result",
    [
        # Python's operators on Python numbers: checked or raising Deviation.
        ("__add", (INT, INT), "support_py_add({0}, {1})", INT),
        ("__add", (BOOL, BOOL), "support_py_add({0}, {1})", INT),  # True + True == 2
        (
            "__div",
            (INT, INT),
            "support_py_truediv(support_py_exact_float({0}), support_py_exact_float({1}))",
            FLOAT,
        ),
        ("__pow", (INT, INT), "support_py_power({0}, {1})", INT),
        ("__lt", (INT, FLOAT), "(support_py_exact_float({0}) < {1})", BOOL),
        ("__div", (FLOAT, FLOAT), "support_py_truediv({0}, {1})", FLOAT),
        # NumPy's: the loop's dtype, scalars cast to it, small results cast back.
        (
            "__add",
            (numpy_scalar("bool"), numpy_scalar("bool")),
            "np.logical_or({0}, {1})",
            numpy_scalar("bool"),
        ),
        (
            "__add",
            (numpy_scalar("int8"), INT),
            "np.int8(support_wrapping_add({0}, np.int8(support_weak_int({1}, -128, 127))))",
            numpy_scalar("int8"),
        ),
        (
            "__mul",
            (numpy_scalar("float32"), FLOAT),
            "np.float32(({0} * np.float32({1})))",
            numpy_scalar("float32"),
        ),
        (
            "__div",
            (numpy_scalar("float64"), INT),
            "({0} / np.float64({1}))",
            numpy_scalar("float64"),
        ),
        (
            "__floordiv",
            (numpy_scalar("int64"), numpy_scalar("int64")),
            "np.int64(support_int_floordiv({0}, {1}))",
            numpy_scalar("int64"),
        ),
        (
            "__pow",
            (numpy_scalar("int64"), numpy_scalar("int64")),
            "np.int64(support_int_power({0}, {1}, np.int64(1)))",
            numpy_scalar("int64"),
        ),
        # Signed integers wrap as in NumPy: on uint64 bits (Numba's signed + may not wrap).
        (
            "__add",
            (numpy_scalar("int64"), numpy_scalar("int64")),
            "np.int64(support_wrapping_add({0}, {1}))",
            numpy_scalar("int64"),
        ),
        ("__add", (array("bool"), array("bool")), "np.logical_or({0}, {1})", array("bool")),
        ("exp", (INT,), "np.exp(np.float64({0}))", numpy_scalar("float64")),
        # x op= v on a number is x op v.
        ("__iadd", (INT, INT), "support_py_add({0}, {1})", INT),
    ],
)
def test_each_operation_is_spelled_for_its_operand_types(name, types, template, result):
    spelled = spell(name, types)
    assert (spelled.template, spelled.result) == (template, result)


@pytest.mark.parametrize(
    "name,types,reason",
    [
        ("__sub", (numpy_scalar("bool"), numpy_scalar("bool")), "boolean subtract"),
        ("__pow", (array("int64"), array("int64")), "has no exact compiled form"),
        ("__floordiv", (numpy_scalar("float32"), numpy_scalar("float32")), "no exact"),
        ("__iadd", (array("float64"), FLOAT), "writes a 1-D float64 array in place"),
        ("__lshift", (numpy_scalar("int64"), numpy_scalar("int64")), "no exact"),
        ("__add", (array("int64"), array("int64")), "may overflow"),
        ("__add", (array("int64"), array("int64")), "may overflow"),
    ],
)
def test_operations_without_an_exact_spelling_are_not_lowerable(name, types, reason):
    with pytest.raises(NotLowerable, match=reason):
        spell(name, types)


def test_one_spelling_must_serve_every_type_a_value_may_have():
    # s / 0.0 raises for a Python float and is inf for a NumPy float64: no single spelling.
    with pytest.raises(NotLowerable, match="need different code"):
        spell_sets("__div", [frozenset({FLOAT, numpy_scalar("float64")}), frozenset({FLOAT})])
    # s + x[i] is NumPy's addition either way.
    template, result = spell_sets(
        "__add", [frozenset({FLOAT, numpy_scalar("float64")}), frozenset({numpy_scalar("float64")})]
    )
    assert template == "({0} + {1})" and result == {numpy_scalar("float64")}


# -- the typing check ---------------------------------------------------------------------


def test_numba_types_are_compared_with_numpys():
    assert representation_of(types.float32) == ("scalar", "float32", 0)
    assert representation_of(types.Array(types.boolean, 2, "C")) == ("array", "bool", 2)
    assert representation_of(types.UniTuple(types.int64, 2)) == ("shape", "int64", 2)
    typemap = {"arg.v_x": types.float32, "v_x.1": types.float64, "t3": types.float32}
    holds = [("v_x", ("scalar", "float32", 0)), ("t3", ("scalar", "float32", 0))]
    assert typing_mismatch(typemap, holds) == (
        "Numba would hold x as a float64 scalar where NumPy gives a float32 scalar"
    )
    assert typing_mismatch({"t3": types.float32}, holds) is None


# -- a second run by the interpreter -----------------------------------------------------


def count_and_grow(a, n):
    s = 1
    i = 0
    while i < n:
        a[i % 4] = a[i % 4] + 1.0
        s = s * 3
        i += 1
    return s


def test_a_loop_that_outgrows_int64_after_writing_in_place_is_run_again_from_a_copy():
    function = physl(count_and_grow)
    expected_array = np.zeros(4)
    expected = count_and_grow(expected_array, 50)
    assert expected > 2**63  # a Python int past 64 bits
    got_array = np.zeros(4)
    assert function(got_array, 50) == expected
    # Written once per iteration, as in Python (the compiled attempt was undone first).
    np.testing.assert_array_equal(got_array, expected_array)
    (record,) = loop_histories(function)
    assert record.compiled_runs == 0 and record.interpreted_runs == 1
    (reason,) = record.fallbacks
    assert reason == (
        "it met values it cannot compute as Python and NumPy do: the interpreter ran it again"
    )
    small = np.zeros(4)
    assert function(small, 10) == 3**10 and record.compiled_runs == 1  # no deviation: compiled
    np.testing.assert_array_equal(small, [3.0, 3.0, 2.0, 2.0])


def test_without_room_for_a_copy_such_a_loop_stops_with_an_error_saying_what_to_do(
    monkeypatch,
):
    monkeypatch.setattr(loop_snapshot, "SNAPSHOT_LIMIT_BYTES", 0)
    function = physl(count_and_grow)
    with pytest.raises(PhySLRuntimeError) as caught:
        function(np.zeros(4), 50)
    line = count_and_grow.__code__.co_firstlineno + 3
    assert str(caught.value).startswith(
        f"{__file__}:{line}:5: this compiled loop met values for which it cannot give "
        "Python's and NumPy's answer (an integer past 64 bits, a float from an integer "
        "power, a division Python raises for, an inf or nan a rewrite would skip) after "
        "writing into arrays too large to copy back"
    )
    assert 'without "compile-loops"' in str(caught.value)
    interpreted = physl(count_and_grow, optimize=["algebra", "elementwise-fusion"])
    assert interpreted(np.zeros(4), 50) == count_and_grow(np.zeros(4), 50)


def gram_rows(y, conf, out, n):
    u = 0
    while u < n:
        c = conf[u, :]
        g = np.dot(np.dot(np.transpose(y), np.diag(c)), y)
        out[u, :] = g[0, :]
        u = u + 1
    return out


def test_row_loops_keep_numpys_nan_for_inf_in_a_row_of_zero_weight():
    """Yᵀ·diag(c)·Y, rewritten, skips the rows where c == 0; an inf there is nan in NumPy's
    dense product. The compiled row loop checks Y once, before the loop: finite, it runs
    compiled; not, it declines and the interpreter gives NumPy's nan."""
    rng = np.random.default_rng(5)
    users, items = 40, 30
    conf = np.where(rng.random((users, items)) < 0.1, rng.random((users, items)), 0.0)
    conf[:, 2] = 0.0  # nobody rated item 2
    y = rng.random((items, 4))
    function = physl(gram_rows, threads=2)
    finite = function(y, conf, np.zeros((users, 4)), users)
    np.testing.assert_allclose(finite, gram_rows(y, conf, np.zeros((users, 4)), users), rtol=1e-12)
    y[2, 0] = np.inf
    with np.errstate(all="ignore"):
        expected = gram_rows(y, conf, np.zeros((users, 4)), users)
        got = function(y, conf, np.zeros((users, 4)), users)
    assert np.isnan(expected).all()  # row 0 of every user's product is nan in NumPy
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    (record,) = loop_histories(function)
    assert record.compiled_runs == 1 and record.interpreted_runs == 1
    assert list(record.fallbacks) == [
        "it met values it cannot compute as Python and NumPy do: the interpreter ran it again"
    ]
    (variant,) = record.variants.values()
    assert "f_y = support_all_finite(v_y)" in variant.region.source
    assert "support_weighted_gram(v_y, v_c, f_y)" in variant.region.source


# -- errors inside fused kernels name the user's own operation ---------------------------


def scaled_sigmoid(x, t):
    return 1.0 / (1.0 + np.exp(-x)) + t * 2.0


def test_an_error_inside_a_fused_expression_names_the_users_operation_and_line():
    fused = physl(scaled_sigmoid)
    assert "fused_elementwise" in fused.physl_optimized
    x = np.ones(20000)
    with pytest.raises(TypeError) as caught:  # catchable as what NumPy raises
        fused(x, (1.5, 2.5))
    error = caught.value
    line = scaled_sigmoid.__code__.co_firstlineno + 1
    assert isinstance(error, PhySLRuntimeError)
    assert str(error).startswith(
        f"{__file__}:{line}:39: __mul failed: can't multiply sequence by non-int of type "
        "'float'\n        return 1.0 / (1.0 + np.exp(-x)) + t * 2.0\n"
    )
    assert error.primitive == f"__mul${line}$38"  # not fused_elementwise
    with pytest.raises(TypeError) as plain:
        scaled_sigmoid(x, (1.5, 2.5))
    assert type(error.__cause__) is type(plain.value)


# -- the first error in program order, and nothing written after it ----------------------


def two_errors(a):
    u = -np.minimum(a, a)  # NumPy: TypeError (bool negative), on a large array: a task
    v = 0 ** (-1)  # Python: ZeroDivisionError, evaluated at once on the driver
    return u, v


def write_after_an_error(a, flags):
    c = -flags  # TypeError, on a large array: a task still running when the write is issued
    a[0] = 7.0
    return c


@pytest.mark.parametrize("optimize", [False, True])
def test_the_error_python_raises_first_is_the_one_reported(optimize):
    flags = np.ones((129, 128), dtype=bool)
    with pytest.raises(TypeError, match="boolean negative"):
        two_errors(flags)
    with pytest.raises(TypeError, match="boolean negative") as caught:
        physl(two_errors, optimize=optimize)(flags)
    assert isinstance(caught.value, PhySLRuntimeError)


@pytest.mark.parametrize("optimize", [False, True])
def test_an_in_place_write_after_a_failed_statement_does_not_happen(optimize):
    flags = np.ones((129, 128), dtype=bool)
    a = np.zeros(3)
    with pytest.raises(TypeError, match="boolean negative"):
        physl(write_after_an_error, optimize=optimize)(a, flags)
    np.testing.assert_array_equal(a, np.zeros(3))  # as in Python: never reached


def wraps_then_divides(b):
    u = b + True
    return ((b + b) // b) * u


def test_integers_that_overflow_in_a_fused_kernel_wrap_as_numpy_says():
    # Numba's signed + is "no signed wrap" to LLVM: an overflow there is undefined and
    # changed the product after it to 0. Generated code adds the bits as uint64 instead.
    b = np.arange(1, 20001, dtype=np.int64)
    b[818], b[5] = 2**63 - 1, -(2**63)
    with np.errstate(all="ignore"):
        expected = wraps_then_divides(b)
    got = physl(wraps_then_divides)(b)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == expected.dtype and got[818] == -(2**63)


def write_then_an_error(a, big, flags):
    b = big * 2.0  # a task still running when the write is issued: the write waits for it
    a[0] = 7.0
    c = -(flags & (b[0] > 0))  # TypeError, in a task ready with the write, after b
    return b, c


@pytest.mark.parametrize("optimize", [False, True])
def test_a_write_before_a_failing_statement_still_happens(optimize):
    a, big, flags = np.zeros(3), np.ones(2_000_000), np.ones((129, 128), dtype=bool)
    with pytest.raises(TypeError, match="boolean negative"):
        physl(write_then_an_error, optimize=optimize)(a, big, flags)
    np.testing.assert_array_equal(a, [7.0, 0.0, 0.0])  # as in Python: written, then the error
