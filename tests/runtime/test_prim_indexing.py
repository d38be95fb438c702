"""Indexing primitives (list, span, slice, range, take, nonzero, argwhere, flatnonzero) and
assign_index against Python/NumPy indexing, with exact error messages."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import REGISTRY
from jetlag.runtime.primitives.indexing import assign_index, render_index


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def error(name, *args, **kwargs):
    with pytest.raises(PrimitiveArgumentError) as info:
        call(name, *args, **kwargs)
    return str(info.value)


def store_error(target, indices, value, name="x"):
    with pytest.raises(PrimitiveArgumentError) as info:
        assign_index(target, indices, value, name)
    return str(info.value)


def same(result, expected):
    assert type(result) is type(expected)
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    np.testing.assert_array_equal(result, expected)


X = np.arange(20).reshape(4, 5)
ALL = slice(None, None, None)


def test_registration():
    assert REGISTRY.resolve_alias("builtins.range") == "range"
    assert REGISTRY.resolve_alias("builtins.slice") == "span"
    assert REGISTRY.resolve_method("take") == "take"
    assert REGISTRY.resolve_method("nonzero") == "nonzero"
    for name in ("take", "nonzero", "argwhere", "flatnonzero"):
        assert REGISTRY.resolve_alias(f"numpy.{name}") == name
    for name in ("list", "span", "slice", "range", "take", "nonzero", "argwhere", "flatnonzero"):
        assert REGISTRY[name].category == "indexing"
        assert not REGISTRY[name].effect


def test_list_span_range():
    assert call("list", 1, "a", None) == (1, "a", None)
    assert call("list") == ()
    assert call("span", 1, 5, 2) == slice(1, 5, 2)
    assert call("span", None, None, None) == slice(None)
    assert call("span", 3) == slice(3)
    assert call("span", np.int64(1), -1) == slice(1, -1)
    assert type(call("span", np.int64(1), -1).start) is int
    assert call("range", 5) == range(5)
    assert call("range", 2, 9, 3) == range(2, 9, 3)
    assert call("range", np.int32(3)) == range(3)
    assert call("range", -1, -5, -1) == range(-1, -5, -1)


def test_slice_matches_numpy():
    same(call("slice", X, 1), X[1])
    same(call("slice", X, -1, 2), X[-1, 2])
    same(call("slice", X, 1, ALL), X[1, :])
    same(call("slice", X, slice(1, None, 2)), X[1::2])
    same(call("slice", X, ALL, slice(None, None, -1)), X[:, ::-1])
    same(call("slice", X, None), X[None])
    same(call("slice", X, ALL, None, 2), X[:, None, 2])
    same(call("slice", X, (0, 2)), X[[0, 2]])
    same(call("slice", X, (0, 2), (1, 4)), X[[0, 2], [1, 4]])
    same(call("slice", X, ((0, 1), (2, 3))), X[np.array([[0, 1], [2, 3]])])
    same(call("slice", X, (True, False, True, False)), X[[True, False, True, False]])
    same(call("slice", X, X > 7), X[X > 7])
    same(call("slice", X, np.array([3, -1])), X[np.array([3, -1])])
    same(call("slice", X, ()), X[np.array([], dtype=np.intp)])
    same(call("slice", X, Ellipsis, 1), X[..., 1])
    same(call("slice", X, np.array(2)), X[np.array(2)])
    same(call("slice", X), X[()])
    same(call("slice", 5.0), np.asarray(5.0)[()])
    same(call("slice", X, range(3)), X[np.arange(3)])
    view = call("slice", X, 1, slice(1, 3, None))
    assert np.shares_memory(view, X)


def test_slice_of_lists_strings_and_ranges():
    assert call("slice", (10, 20, 30), 1) == 20
    assert call("slice", (10, 20, 30), -1) == 30
    assert call("slice", (10, 20, 30), slice(None, 2, None)) == (10, 20)
    assert call("slice", "abc", 1) == "b"
    assert call("slice", range(10), 3) == 3
    arrays = (np.ones(2), np.zeros(3))
    assert call("slice", arrays, 1) is arrays[1]


def test_take_nonzero_argwhere():
    same(call("take", X, (0, 7, 19)), np.take(X, [0, 7, 19]))
    same(call("take", X, np.array([1, 0]), axis=1), np.take(X, [1, 0], axis=1))
    same(call("take", X, 25, mode="wrap"), np.take(X, 25, mode="wrap"))
    same(call("take", X, 3), np.take(X, 3))
    b = np.array([[0, 3, 0], [2, 0, 1]])
    result = call("nonzero", b)
    assert type(result) is tuple and len(result) == 2
    for got, want in zip(result, np.nonzero(b), strict=True):
        same(got, want)
    same(call("argwhere", b), np.argwhere(b))
    same(call("flatnonzero", b), np.flatnonzero(b))


# --- assign_index -----------------------------------------------------------------------


def test_assign_index_like_numpy_setitem():
    cases = [
        ((1, ALL), np.arange(5) * 10),
        ((1,), 7),
        ((ALL, 2), (1, 2, 3, 4)),
        (((0, 3),), 99),
        (((0, 3), (1, 4)), (-1, -2)),
        ((slice(None, None, 2), slice(1, 3, None)), np.array([[5], [6]])),
        ((Ellipsis, -1), 0),
        ((None, 0), np.ones((1, 5))),
        ((np.arange(20).reshape(4, 5) % 3 == 0,), -5),
        ((), 4),
        ((slice(0, 3, None),), np.ones((1, 5))),
    ]
    for indices, value in cases:
        target = np.arange(20).reshape(4, 5)
        expected = target.copy()
        numpy_indices = tuple(np.asarray(i) if isinstance(i, tuple) else i for i in indices)
        expected[numpy_indices] = value
        result = assign_index(target, indices, value)
        assert result is target
        same(target, expected)


def test_assign_index_casts_like_numpy():
    target = np.zeros(3, dtype=np.int32)
    assign_index(target, (ALL,), np.array([1.9, -2.7, 3.5]))
    same(target, np.array([1, -2, 3], dtype=np.int32))
    flags = np.zeros(2, dtype=bool)
    assign_index(flags, (1,), 5)
    same(flags, np.array([False, True]))


def test_assign_index_writes_through_views():
    base = np.zeros((3, 3))
    row = base[1]
    assign_index(row, (slice(None, 2, None),), 8.0)
    same(base[1], np.array([8.0, 8.0, 0.0]))


def test_render_index():
    assert render_index("x", (1, ALL)) == "x[1, :]"
    assert render_index("w", (slice(1, None, None), slice(None, 3, 2), None, Ellipsis)) == (
        "w[1:, :3:2, None, ...]"
    )
    assert render_index("x", ((0, 2),)) == "x[[0, 2]]"
    assert render_index("x", (np.ones(3, dtype=bool),)) == "x[<bool array of shape (3,)>]"
    assert render_index("x", (np.array(4),)) == "x[4]"
    assert render_index("x", ()) == "x[()]"


# --- errors -----------------------------------------------------------------------------

RULE = "indices must be integers, spans, nil, lists of integers/bools, or int/bool arrays"


def test_read_errors():
    assert error("slice", np.arange(5), 7) == ("index 7 is out of bounds for axis 0 with size 5")
    assert error("slice", X, 0, -6) == "index -6 is out of bounds for axis 1 with size 5"
    assert error("slice", X, Ellipsis, 5) == "index 5 is out of bounds for axis 1 with size 5"
    assert error("slice", X, (0, 9)) == "index 9 is out of bounds for axis 0 with size 4"
    assert error("slice", X, 0, 1, 2) == (
        "too many indices: the array has 2 dimensions (shape (4, 5)) but 3 were indexed"
    )
    assert error("slice", 3.0, 0) == (
        "too many indices: the array has 0 dimensions (shape ()) but 1 was indexed"
    )
    assert error("slice", X, 1.5) == f"index 1.5 is a float; {RULE} (use int(...) to convert)"
    assert error("slice", X, "a") == f"cannot index with a str; {RULE}"
    assert error("slice", X, (0.5, 1.0)) == (
        f"a list used as an index must hold integers or bools, got (0.5, 1.0); {RULE}"
    )
    assert error("slice", X, np.ones(2)) == (
        f"an index array must have an integer or bool dtype, got float64; {RULE}"
    )
    assert error("slice", X, np.array([True, False])) == (
        "boolean index did not match indexed array along axis 0; size of axis is 4 but "
        "size of corresponding boolean axis is 2"
    )
    assert error("slice", (1, 2, 3), 5) == "index 5 is out of range for a list of length 3"
    assert error("slice", (1, 2, 3), 0, 1) == (
        "a list takes exactly one integer or span as index, not x[0, 1]; "
        "make it an array (numpy.array) to index it like one"
    )
    assert error("slice", "abc", (0, 1)) == (
        "a str takes exactly one integer or span as index, not x[[0, 1]]; "
        "make it an array (numpy.array) to index it like one"
    )


def test_span_and_range_errors():
    assert error("span") == "takes 1 to 3 arguments (lo, hi, step), got 0"
    assert error("span", 1.5, None, None) == (
        "bounds and step must be integers or nil, got float 1.5"
    )
    assert error("span", 0, 4, 0) == "the step must not be zero"
    assert error("range") == "takes 1 to 3 arguments (start, stop, step), got 0"
    assert error("range", 2.5) == "arguments must be integers, got float 2.5"
    assert error("range", 0, 5, 0) == "the step must not be zero"


def test_take_errors():
    assert error("take", np.arange(5), 7) == ("index 7 is out of bounds for axis 0 with size 5")


def test_store_errors():
    assert store_error(np.zeros(5), (7,), 1.0) == (
        "index 7 is out of bounds for axis 0 with size 5"
    )
    assert store_error(np.zeros((3, 4)), (1, ALL), np.ones(3)) == (
        "cannot assign a value of shape (3,) to x[1, :] of shape (4,)"
    )
    assert store_error(np.zeros((3, 4)), ((0, 2),), np.ones(3), name="grid") == (
        "cannot assign a value of shape (3,) to grid[[0, 2]] of shape (2, 4)"
    )
    assert store_error((1, 2, 3), (0,), 5, name="t") == (
        "cannot write into t[0]: t is a list (a tuple), and only arrays can be written "
        "in place; make t an array first (numpy.array)"
    )
    assert store_error(3.5, (), 1) == (
        "cannot write into x[()]: x is a float, and only arrays can be written in "
        "place; make x an array first (numpy.array)"
    )
    assert store_error(np.broadcast_to(np.ones(3), (2, 3)), (0, 0), 2.0) == (
        "cannot write into x[0, 0]: x is a read-only view (as broadcast_to and diagonal "
        "return); write into a copy instead (x = copy(x))"
    )
    assert store_error(np.zeros(3, dtype=np.int8), (0,), 300) == (
        "cannot write into x[0] (dtype int8): Python integer 300 out of bounds for int8"
    )
    assert store_error(np.zeros((2, 2)), (0, 1, 1), 1.0) == (
        "too many indices: the array has 2 dimensions (shape (2, 2)) but 3 were indexed"
    )
    assert store_error(np.zeros(2), (0.0,), 1.0) == (
        f"index 0.0 is a float; {RULE} (use int(...) to convert)"
    )
