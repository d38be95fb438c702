"""support_store: compiled loops' `x[index] = value` gives NumPy's result in every case."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from jetlag.runtime.codegen.support_store import (
    SHAPE_MISMATCH,
    store_error_message,
    support_store,
)


@njit
def store(x, index, value):
    support_store(x, index, value)


@njit
def store_overlapping_1d(x):
    # The value is a view of the same buffer, shifted: NumPy copies it first.
    support_store(x, (slice(1, None, None),), x[:-1])


@njit
def store_reversed(x):
    support_store(x, (slice(None, None, -1),), x)


@njit
def store_overlapping_rows(x):
    support_store(x, (slice(1, None, None), slice(None, None, None)), x[:-1, :])


def numpy_store(x, index, value):
    expected = x.copy()
    expected[index] = value
    return expected


ALL = slice(None, None, None)
CASES = [
    ("row of a matrix", np.zeros((3, 4)), (1, ALL), np.arange(4.0)),
    ("row by an integer alone", np.zeros((3, 4)), (2,), np.arange(4.0)),
    ("negative row", np.zeros((3, 4)), (-1, ALL), np.arange(4.0)),
    ("column (strided view)", np.zeros((3, 4)), (ALL, 2), np.arange(3.0)),
    ("length-1 value broadcasts", np.zeros(5), (slice(1, 4, None),), np.array([7.0])),
    ("rows from one row", np.zeros((3, 4)), (slice(0, 2, None), ALL), np.arange(4.0)),
    ("block from a column", np.zeros((3, 4)), (ALL, slice(1, 3, None)), np.ones((3, 1))),
    ("block from a block", np.zeros((3, 4)), (slice(1, 3, None), ALL), np.ones((2, 4))),
    ("strided value", np.zeros(3), (ALL,), np.arange(6.0)[::2]),
    (
        "floats into integers",
        np.zeros((2, 3), dtype=np.int64),
        (0, ALL),
        np.array([1.7, 2.2, -3.9]),
    ),
    ("scalar fill", np.zeros((3, 4)), (1, ALL), 5.0),
    ("one element", np.zeros((3, 4)), (1, 2), 5.0),
    ("three dimensions", np.zeros((2, 3, 4)), (ALL, 1, ALL), np.ones((2, 4))),
    ("fancy index", np.zeros((4, 2)), (np.array([0, 2]),), np.ones(2)),
]


@pytest.mark.parametrize("x, index, value", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_stores_equal_numpy(x, index, value):
    expected = numpy_store(x, index, value)
    store(x, index, value)
    np.testing.assert_array_equal(x, expected)


def test_overlapping_values_are_copied_first_as_numpy_does():
    x = np.arange(6.0)
    store_overlapping_1d(x)
    np.testing.assert_array_equal(x, [0.0, 0.0, 1.0, 2.0, 3.0, 4.0])
    x = np.arange(5.0)
    store_reversed(x)
    np.testing.assert_array_equal(x, [4.0, 3.0, 2.0, 1.0, 0.0])
    x = np.arange(12.0).reshape(4, 3)
    expected = x.copy()
    expected[1:, :] = expected[:-1, :].copy()
    store_overlapping_rows(x)
    np.testing.assert_array_equal(x, expected)


@pytest.mark.parametrize(
    "x, index, value, shapes",
    [
        (np.zeros((3, 4)), (1, ALL), np.ones(3), "(3,) to a slice of shape (4,)"),
        (
            np.zeros((3, 4)),
            (slice(0, 2, None), ALL),
            np.ones((3, 4)),
            "(3, 4) to a slice of shape (2, 4)",
        ),
        (np.zeros((3, 4)), (slice(0, 2, None), ALL), np.ones(2), "(2,) to a slice of shape (2, 4)"),
    ],
    ids=["row", "block", "row into block"],
)
def test_a_value_of_another_shape_is_refused_and_nothing_is_written(x, index, value, shapes):
    with pytest.raises(ValueError) as caught:
        store(x, index, value)
    assert caught.value.args[0] == SHAPE_MISMATCH
    assert store_error_message(caught.value) == (
        f"cannot assign a value of shape {shapes}; give the value the slice's shape (or one "
        "that broadcasts to it)"
    )
    assert not x.any()


def test_other_errors_are_not_taken_for_a_shape_mismatch():
    assert store_error_message(ValueError("x", (1,), (2,))) is None
    assert store_error_message(IndexError(SHAPE_MISMATCH, (1,), (2,))) is None


def test_an_integer_index_out_of_bounds_is_an_index_error():
    x = np.zeros((3, 4))
    with pytest.raises(IndexError, match="index is out of bounds"):
        store(x, (3, ALL), np.ones(4))
    assert not x.any()
