"""Sorting and searching primitives against NumPy, and their error messages."""

from __future__ import annotations

import numpy as np
from primitive_calls import call, error

from jetlag.runtime.primitives import REGISTRY


def same(result, expected):
    if isinstance(expected, tuple):
        assert type(result) is tuple and len(result) == len(expected)
        for got, want in zip(result, expected, strict=True):
            same(got, want)
        return
    assert type(result) is type(expected)
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


M = np.array([[3, 1, 2, 1], [0, -5, 7, 7], [2, 2, 9, -1]])
F = np.array([2.5, np.nan, -1.0, 2.5, 0.0], dtype=np.float32)


def test_registration():
    for method in ("argsort", "argmax", "argmin", "searchsorted", "argpartition"):
        assert REGISTRY.resolve_method(method) == method
    # The in-place ndarray methods must not become copying primitives.
    assert REGISTRY.resolve_method("sort") is None
    assert REGISTRY.resolve_method("partition") is None
    for name in (
        "sort", "argsort", "argmax", "argmin", "unique", "searchsorted", "partition",
        "argpartition", "lexsort",
    ):  # fmt: skip
        assert REGISTRY.resolve_alias(f"numpy.{name}") == name
        assert REGISTRY[name].category == "sorting"


def test_sort_and_argsort():
    original = M.copy()
    same(call("sort", M), np.sort(M))
    same(call("sort", M, axis=0), np.sort(M, axis=0))
    same(call("sort", M, axis=None), np.sort(M, axis=None))
    same(call("sort", F), np.sort(F))
    same(call("sort", M, kind="stable"), np.sort(M, kind="stable"))
    same(call("argsort", M), np.argsort(M))
    same(call("argsort", M, axis=0, stable=True), np.argsort(M, axis=0, stable=True))
    same(call("argsort", F), np.argsort(F))
    np.testing.assert_array_equal(M, original)


def test_argmax_argmin():
    same(call("argmax", M), np.argmax(M))
    same(call("argmax", M, axis=1), np.argmax(M, axis=1))
    same(call("argmax", M, axis=0, keepdims=True), np.argmax(M, axis=0, keepdims=True))
    same(call("argmin", M), np.argmin(M))
    same(call("argmin", M, 1, True), np.argmin(M, 1, keepdims=True))
    same(call("argmax", F), np.argmax(F))


def test_unique():
    values = np.array([3, 1, 3, 2, 1, 3])
    same(call("unique", values), np.unique(values))
    same(call("unique", values, return_counts=True), tuple(np.unique(values, return_counts=True)))
    same(
        call("unique", values, return_index=True, return_inverse=True, return_counts=True),
        tuple(np.unique(values, return_index=True, return_inverse=True, return_counts=True)),
    )
    same(call("unique", M, axis=1), np.unique(M, axis=1))
    same(call("unique", F), np.unique(F))
    same(call("unique", F, equal_nan=False), np.unique(F, equal_nan=False))


def test_searchsorted_partition_lexsort():
    ordered = np.array([1, 2, 2, 5, 9])
    same(call("searchsorted", ordered, 2), np.searchsorted(ordered, 2))
    same(
        call("searchsorted", ordered, (0, 2, 10), side="right"),
        np.searchsorted(ordered, [0, 2, 10], side="right"),
    )
    unordered = np.array([5, 1, 9, 2])
    sorter = np.argsort(unordered)
    same(
        call("searchsorted", unordered, 3, sorter=sorter),
        np.searchsorted(unordered, 3, sorter=sorter),
    )
    data = np.array([7, 2, 9, 1, 5, 3])
    same(call("partition", data, 2), np.partition(data, 2))
    same(call("partition", M, (0, 2), axis=1), np.partition(M, (0, 2), axis=1))
    same(call("argpartition", data, 3), np.argpartition(data, 3))
    first, last = np.array([1, 2, 1, 2]), np.array([4, 3, 2, 1])
    same(call("lexsort", (first, last)), np.lexsort((first, last)))
    same(call("lexsort", M, axis=0), np.lexsort(M, axis=0))


def test_errors():
    assert error("argmax", np.array([])) == "attempt to get argmax of an empty sequence"
    assert error("argmin", np.array([])) == "attempt to get argmin of an empty sequence"
    assert error("sort", np.ones(3), axis=2) == ("axis 2 is out of bounds for array of dimension 1")
    assert error("partition", np.ones(3), 5) == "kth(=5) out of bounds (3)"
    assert error("searchsorted", np.ones(3), 1, side="middle") == (
        "search side must be 'left' or 'right' (got 'middle')"
    )
    assert error("unique", M, axis=3) == "axis 3 is out of bounds for array of dimension 2"
