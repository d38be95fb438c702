"""Float sums in chunk tasks that repeat NumPy's order of operations, so they are its bits.

NumPy 2.x sums floats in an order its reduction machinery and `pairwise_sum`
(numpy/_core/src/umath/loops_utils.h.src) fix; `exact_sum` repeats it:

- Float sums whose reduced elements are one contiguous run per output (all elements of a C-
  or F-contiguous array, the trailing axes of a C-contiguous one). Without a cast NumPy
  computes 0 + pairwise(run): the top levels of that recursion (halves, the first rounded
  down to a multiple of 8) become chunk tasks, each one NumPy call on its sub-range, added
  back in the recursion's order. With a cast (mean of integers, sum(..., dtype=...)) NumPy
  sums each 8192-element buffer pairwise and adds the buffer sums one after another from 0:
  the chunks compute buffer sums (NumPy, or for int64 data the Numba kernel that repeats
  pairwise_sum) and are added in that order. Both need NumPy's default buffer size
  (np.setbufsize changes it: then one NumPy call).
- Float sums over axis 0 of a C-contiguous matrix of 2 to 7 columns: NumPy adds row after
  row, which no split reproduces; one task runs the Numba kernel in that order (faster than
  NumPy's per-row loop), unless the total is not finite (then NumPy redoes it, to report the
  error).
- Along a kept axis, and integer sums: reduction_engine's `chunked_reduce`.

Everything else is one NumPy call: other float sums along an outer axis with too few kept
items to split, float sums over all elements of non-contiguous layouts, float16 sums over a
split reduced axis (NumPy rounds to float16 once, at the end), complex sums. A float warning
NumPy gives once may come from several chunk tasks. NaN results are NaN, their payload and
sign bit are not promised. No primitive is registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives import kernels_reduce
from jetlag.runtime.primitives import reduction_engine as engine
from jetlag.runtime.primitives.chunking import bounds_for, is_large
from jetlag.runtime.primitives.kernels_elementwise import KERNEL_DTYPES
from jetlag.runtime.primitives.reduction_engine import (
    Transform,
    any_grouping,
    chunked_reduce,
    finish_shape,
)

#: NumPy's default buffer size: a reduction that casts sums buffer after buffer of this many.
BUFFER_ELEMENTS = 8192
_PAIRWISE_ACCUMULATORS = (np.dtype(np.float32), np.dtype(np.float64))
#: Below this many columns, NumPy's sum over axis 0 spends its time in per-row loop overhead.
_FEW_COLUMNS = 8


def exact_sum(
    a: np.ndarray,
    axes: tuple[int, ...],
    keepdims: bool,
    dtype: np.dtype | None = None,
    transform: Transform | None = None,
    element_dtype: np.dtype | None = None,
) -> Any | None:
    """numpy.sum(a, axes, dtype, keepdims=keepdims) in chunk tasks, bit for bit, or None when
    that is not possible or not worth it (the caller then makes the NumPy call).

    With `transform`, the sum is of transform(a) (elements of `element_dtype`), as NumPy
    would sum that array had it been computed whole (var's second pass).
    """
    if not is_large(a.size):
        return None
    element = a.dtype if element_dtype is None else np.dtype(element_dtype)
    if element.kind not in "biufc":
        return None
    try:
        accumulator = np.add.reduce(np.empty((0,), element), dtype=dtype).dtype
    except TypeError:
        return None  # NumPy's own call gives the error

    def reduce_slab(piece: np.ndarray, ax: tuple[int, ...], take: Callable) -> np.ndarray:
        x = piece if transform is None else transform(piece, take)
        return np.add.reduce(x, axis=ax, dtype=dtype, keepdims=True)

    if accumulator.kind in "biu":
        return chunked_reduce(a, axes, keepdims, reduce_slab, engine.add_partials, any_grouping)
    ordered = accumulator in _PAIRWISE_ACCUMULATORS and a.dtype.isnative and a.flags.aligned
    result = _column_sum(a, axes, keepdims, accumulator, transform) if ordered else None
    if result is None:
        result = chunked_reduce(a, axes, keepdims, reduce_slab, engine.add_partials)
    if result is not None or not ordered:
        return result
    rows = _contiguous_runs(a, axes)
    if rows is None:
        return None
    take = _row_take(rows.shape[0])
    if element == accumulator:
        total = _pairwise_sum(rows, dtype, transform, take)
    elif np.getbufsize() == BUFFER_ELEMENTS:
        # The kernel raises no floating-point errors: only integer data, which cannot overflow
        # a float32/float64 sum nor make inf - inf.
        kernel = transform is None and a.dtype == np.int64
        total = _buffered_sum(rows, accumulator, transform, take, kernel)
    else:
        return None
    if total is None:
        return None
    return finish_shape(total.reshape(engine.keep_shape(a.shape, axes)), a.shape, axes, keepdims)


def _column_sum(
    a: np.ndarray,
    axes: tuple[int, ...],
    keepdims: bool,
    accumulator: np.dtype,
    transform: Transform | None,
) -> Any | None:
    """The sum over axis 0 of a C-contiguous matrix of few columns (NumPy adds row after row,
    which no split along axis 0 reproduces, and spends its time in per-row loop overhead) by
    the Numba kernel in NumPy's order, as one task. None when it does not apply or the total
    is not finite (NumPy then redoes it and reports the overflow or invalid value as it does)."""
    if not (
        axes == (0,)
        and a.ndim == 2
        and a.flags.c_contiguous
        and a.dtype in KERNEL_DTYPES
        and 2 <= a.shape[1] < _FEW_COLUMNS  # one column: NumPy drops that axis, sums pairwise
        and transform is None
    ):
        return None
    total = np.zeros(a.shape[1], accumulator)
    kernels_reduce.column_sums(accumulator.name)(a, total)
    if not np.isfinite(total).all():
        return None
    return finish_shape(total.reshape(1, -1), a.shape, axes, keepdims)


def _contiguous_runs(a: np.ndarray, axes: tuple[int, ...]) -> np.ndarray | None:
    """A 2-D view whose row r is, in memory order, the run of elements summed into output r
    (rows in C order of the kept axes), or None when the reduced elements are not such runs."""
    ones = tuple(i for i, n in enumerate(a.shape) if n == 1)
    b = np.squeeze(a, axis=ones)
    reduced = [i - sum(1 for j in ones if j < i) for i in axes if i not in ones]
    if not reduced:
        return None
    if len(reduced) == b.ndim:
        if b.flags.c_contiguous:
            return b.reshape(1, -1)
        return b.T.reshape(1, -1) if b.flags.f_contiguous else None
    first = b.ndim - len(reduced)
    if b.flags.c_contiguous and sorted(reduced) == list(range(first, b.ndim)):
        return b.reshape(-1, int(np.prod(b.shape[first:])))
    return None


def _row_take(rows: int) -> Callable[[np.ndarray], np.ndarray]:
    """take(aux) for pieces of a runs view: the keepdims-shaped aux as one value per row."""
    return lambda aux: aux.reshape(rows, 1)


def _pairwise_sum(
    rows: np.ndarray, dtype: np.dtype | None, transform: Transform | None, take: Callable
) -> np.ndarray | None:
    """NumPy's 0 + pairwise_sum(row) for each row, the recursion's top levels as chunk tasks."""
    count, length = rows.shape
    pieces = len(bounds_for(length, count))
    if pieces <= 1 or length <= kernels_reduce.PAIRWISE_BLOCK:
        return None
    leaves: list[tuple[int, int]] = []

    def split(lo: int, hi: int, levels: int) -> Any:
        # The recursion of pairwise_sum: halve, rounding the first half down to a multiple of 8.
        if levels == 0 or hi - lo <= kernels_reduce.PAIRWISE_BLOCK:
            leaves.append((lo, hi))
            return len(leaves) - 1
        half = (hi - lo) // 2
        half -= half % 8
        return (split(lo, lo + half, levels - 1), split(lo + half, hi, levels - 1))

    tree = split(0, length, (pieces - 1).bit_length())

    def leaf(lo: int, hi: int) -> np.ndarray:
        piece = rows[:, lo:hi]
        if transform is not None:
            piece = transform(piece, take)
        return np.add.reduce(piece, axis=1, dtype=dtype)

    sums = engine.run_pieces(leaves, leaf)

    def join(node: Any) -> np.ndarray:
        if isinstance(node, int):
            return sums[node]
        # left + right per row, reported as NumPy reports the reduction's float errors.
        return np.add.reduce(np.stack((join(node[0]), join(node[1]))), axis=0)

    return join(tree)


def _buffered_sum(
    rows: np.ndarray,
    accumulator: np.dtype,
    transform: Transform | None,
    take: Callable,
    kernel: bool,
) -> np.ndarray | None:
    """NumPy's sum of each row with a cast: buffer sums (pairwise) added in order from 0."""
    count, length = rows.shape
    size = BUFFER_ELEMENTS
    full = length // size
    blocks = full + (1 if length % size else 0)
    bounds = bounds_for(blocks, count * size)
    if len(bounds) <= 1:
        return None

    def piece(lo: int, hi: int) -> np.ndarray:
        x = rows[:, lo:hi]
        return x if transform is None else transform(x, take)

    def buffer_sums(first: int, stop: int) -> np.ndarray:
        end = min(stop, full)
        parts = []
        if end > first:
            if kernel:
                out = np.empty((count, end - first), accumulator)
                kernels_reduce.pairwise_blocks(accumulator.name)(rows, first, end, size, out)
            else:
                x = piece(first * size, end * size).reshape(count, end - first, size)
                out = np.add.reduce(x, axis=2, dtype=accumulator)
            parts.append(out)
        if stop > full:  # the last, partial buffer
            tail = np.add.reduce(piece(full * size, length), axis=1, dtype=accumulator)
            parts.append(tail.reshape(count, 1))
        return np.concatenate(parts, axis=1)

    sums = np.concatenate(engine.run_pieces(bounds, buffer_sums), axis=1)
    # np.add.reduce over axis 0 of a C-contiguous array with two or more columns adds row after
    # row from 0: NumPy's order for the buffer sums (a spare zero column when there is one row).
    ordered = np.zeros((blocks, max(count, 2)), accumulator)
    ordered[:, :count] = sums.T
    return np.add.reduce(ordered, axis=0)[:count]
