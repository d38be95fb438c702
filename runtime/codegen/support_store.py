"""`support_store(x, index, value)`: `x[index] = value` for compiled loops, cheap to compile.

A compiled loop writes `x[u, :] = row` as `support_store(x, (u, slice(None, None, None)),
row)`. Numba's own slice assignment from an array formats its shape-mismatch message with
string operations that take ~1.8 s to compile, once per process -- a quarter of the first
ALS call. When array[index] is a view (a basic index: integers and slices) and the value
is an array, this routine assigns into the view itself for 1-D and 2-D views, with NumPy's
broadcasting and a copy of the value first when it overlaps the view; every other case
(scalars, fancy indices, more dimensions) is Numba's assignment as before. Integer indices
are bounds-checked as in the rest of the loop. A mismatch raises a ValueError with its
message built outside compiled code (`store_error_message`); the loop's error report
adds the place.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import overload

#: First argument of the ValueError raised when the value cannot broadcast to the slice;
#: the other two are the value's and the slice's shapes (no string work in compiled code).
SHAPE_MISMATCH = "support_store: shapes differ"


def store_error_message(error: BaseException) -> str | None:
    """The message for a support_store shape mismatch, else None (another error)."""
    if isinstance(error, ValueError) and len(error.args) == 3 and error.args[0] == SHAPE_MISMATCH:
        value, view = error.args[1:]
        return (
            f"cannot assign a value of shape {tuple(value)} to a slice of shape {tuple(view)}; "
            "give the value the slice's shape (or one that broadcasts to it)"
        )
    return None


def support_store(array: np.ndarray, index: tuple, value: Any) -> None:
    """array[index] = value, as NumPy does it (the compiled form is the overload below)."""
    array[index] = value


@njit(nogil=True)
def _extent(a):  # pragma: no cover - compiled
    """[first, last] byte addresses an array's elements occupy (first > last when empty)."""
    first = last = a.ctypes.data
    for axis in range(a.ndim):
        if a.shape[axis] == 0:
            return 1, 0
        step = (a.shape[axis] - 1) * a.strides[axis]
        if step < 0:
            first += step
        else:
            last += step
    return first, last + a.itemsize - 1


@njit(nogil=True)
def support_may_share(a, b):  # pragma: no cover - compiled
    """Whether two arrays' memory extents overlap (np.may_share_memory's bounds test)."""
    a_first, a_last = _extent(a)
    b_first, b_last = _extent(b)
    return a_first <= b_last and b_first <= a_last


@njit(nogil=True)
def _source(view, value):  # pragma: no cover - compiled
    """value, or a copy of it when it shares memory with view (as NumPy copies first)."""
    view_first, view_last = _extent(view)
    value_first, value_last = _extent(value)
    if value_first <= view_last and view_first <= value_last:
        return value.copy()
    return value


@njit(nogil=True)
def _store_1d(view, value):  # pragma: no cover - compiled
    n, m = view.shape[0], value.shape[0]
    if m != n and m != 1:
        raise ValueError(SHAPE_MISMATCH, value.shape, view.shape)
    source = _source(view, value)
    if m == n:
        for i in range(n):
            view[i] = source[i]
    else:
        for i in range(n):
            view[i] = source[0]


@njit(nogil=True)
def _store_2d_from_row(view, value):  # pragma: no cover - compiled
    rows, cols, m = view.shape[0], view.shape[1], value.shape[0]
    if m != cols and m != 1:
        raise ValueError(SHAPE_MISMATCH, value.shape, view.shape)
    source = _source(view, value)
    for r in range(rows):
        for c in range(cols):
            view[r, c] = source[c if m == cols else 0]


@njit(nogil=True)
def _store_2d(view, value):  # pragma: no cover - compiled
    rows, cols = view.shape[0], view.shape[1]
    m0, m1 = value.shape[0], value.shape[1]
    if (m0 != rows and m0 != 1) or (m1 != cols and m1 != 1):
        raise ValueError(SHAPE_MISMATCH, value.shape, view.shape)
    source = _source(view, value)
    for r in range(rows):
        for c in range(cols):
            view[r, c] = source[r if m0 == rows else 0, c if m1 == cols else 0]


def _view_dimensions(array: types.Array, index: types.BaseTuple) -> int | None:
    """The ndim of array[index] when that is a view of at least one dimension (a basic
    index: integers and slices, fewer integers than dimensions), else None."""
    parts = index.types
    if len(parts) > array.ndim or not all(
        isinstance(part, (types.Integer, types.SliceType)) for part in parts
    ):
        return None
    dimensions = array.ndim - sum(isinstance(part, types.Integer) for part in parts)
    return dimensions if dimensions >= 1 else None


@overload(support_store, jit_options={"nogil": True, "boundscheck": True})
def _support_store(array, index, value):
    if not isinstance(array, types.Array) or not isinstance(index, types.BaseTuple):
        return None
    dimensions = _view_dimensions(array, index)
    if isinstance(value, types.Array) and dimensions is not None:
        if dimensions == 1 and value.ndim == 1:
            return lambda array, index, value: _store_1d(array[index], value)
        if dimensions == 2 and value.ndim == 1:
            return lambda array, index, value: _store_2d_from_row(array[index], value)
        if dimensions == 2 and value.ndim == 2:
            return lambda array, index, value: _store_2d(array[index], value)

    def assign(array, index, value):  # pragma: no cover - compiled
        array[index] = value

    return assign
