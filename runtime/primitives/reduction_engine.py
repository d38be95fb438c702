"""Runs one reduction split into chunk tasks that give, bit for bit, what the one NumPy call gives.

A split is used only where it reproduces NumPy's own order of operations (NumPy 2.x's
reduction machinery and `pairwise_sum` in numpy/_core/src/umath/loops_utils.h.src):

- Along a kept axis (`chunked_reduce`): each output element is computed by NumPy from the same
  elements in the same order. Every chunk keeps at least two items of the split axis: a chunk
  of one would drop that dimension and NumPy would then sum an outer axis pairwise instead of
  row after row.
- Along a reduced axis, combining per-chunk partials (`chunked_reduce` with a `regroup` check):
  only where any grouping gives the same bits: integer and boolean sums and products (they
  wrap), all/any/count_nonzero, min/max unless the extremum is a zero (the sign NumPy returns
  for a mix of 0.0 and -0.0 depends on its SIMD order; then NumPy itself answers).
- Float sums (`exact_sum`; float32/float64 accumulators) whose reduced elements are one
  contiguous run per output (all elements of a C- or F-contiguous array, the trailing axes of a
  C-contiguous one). Without a cast NumPy computes 0 + pairwise(run): the top levels of that
  recursion (halves, the first rounded down to a multiple of 8) become chunk tasks, each one
  NumPy call on its sub-range, added back in the recursion's order. With a cast (mean of
  integers, sum(..., dtype=...)) NumPy sums each 8192-element buffer pairwise and adds the
  buffer sums one after another from 0: the chunks compute buffer sums (NumPy, or for int64
  data the Numba kernel that repeats pairwise_sum) and are added in that order. Both need
  NumPy's default buffer size (np.setbufsize changes it: then one NumPy call).
- Float sums over axis 0 of a C-contiguous matrix of 2 to 7 columns: NumPy adds row after row,
  which no split reproduces; one task runs the Numba kernel in that order (faster than NumPy's
  per-row loop), unless the total is not finite (then NumPy redoes it, to report the error).

Everything else is one NumPy call: other float sums along an outer axis with too few kept items
to split, float sums over all elements of non-contiguous layouts, float16 sums over a split
reduced axis (NumPy rounds to float16 once, at the end), float and complex products (NumPy
multiplies in order), complex sums. Chunk tasks run under the caller's np.errstate; a float
warning NumPy gives once may come from several chunk tasks. NaN results are NaN, their payload
and sign bit are not promised. No primitive is registered here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives import kernels_reduce, parallel
from jetlag.runtime.primitives.chunking import bounds_for, is_large
from jetlag.runtime.primitives.kernels_elementwise import KERNEL_DTYPES

#: partial(chunk, axes, take) -> the chunk reduced over `axes` with keepdims=True.
#: `take(aux)` gives the piece of a keepdims-shaped auxiliary array matching the chunk.
Partial = Callable[[np.ndarray, tuple[int, ...], Callable[[np.ndarray], np.ndarray]], np.ndarray]
#: combine(stacked_partials, axis) -> reduced over `axis` with keepdims=True.
Combine = Callable[[np.ndarray, int], np.ndarray]
#: regroup(combined) -> True when combining partials gave exactly NumPy's result.
Regroup = Callable[[np.ndarray], bool]
#: transform(piece, take) -> the elements summed for `piece` (var's squared deviations).
Transform = Callable[[np.ndarray, Callable[[np.ndarray], np.ndarray]], np.ndarray]

#: NumPy's default buffer size: a reduction that casts sums buffer after buffer of this many.
BUFFER_ELEMENTS = 8192
_PAIRWISE_ACCUMULATORS = (np.dtype(np.float32), np.dtype(np.float64))
#: Below this many columns, NumPy's sum over axis 0 spends its time in per-row loop overhead.
_FEW_COLUMNS = 8


def any_grouping(_combined: np.ndarray) -> bool:
    """Regroup check of reductions exact in any grouping (integer sums, all, any, ...)."""
    return True


def unless_zero(combined: np.ndarray) -> bool:
    """Regroup check of float min/max: exact unless an extremum is a (signed) zero."""
    return not np.any(combined == 0)


def _run_pieces(bounds: list[tuple[int, int]], piece: Callable[[int, int], Any]) -> list[Any]:
    """Run piece(lo, hi) for each bound as chunk tasks, under the caller's np.errstate."""
    results: list[Any] = [None] * len(bounds)
    errors = np.geterr()

    def body(first: int, stop: int) -> None:
        for i in range(first, stop):
            with np.errstate(**errors):
                results[i] = piece(*bounds[i])

    parallel.parallel_for([(i, i + 1) for i in range(len(bounds))], body)
    return results


def finish_shape(
    result: np.ndarray, shape: tuple[int, ...], axes: tuple[int, ...], keepdims: bool
) -> Any:
    """A keepdims-shaped result turned into what NumPy returns (a scalar for a full reduction)."""
    if keepdims:
        return result
    if len(axes) == len(shape):
        return result.reshape(())[()]
    return result.reshape(tuple(n for i, n in enumerate(shape) if i not in axes))


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def chunked_reduce(
    a: np.ndarray,
    axes: tuple[int, ...],
    keepdims: bool,
    partial: Partial,
    combine: Combine,
    regroup: Regroup | None = None,
) -> Any | None:
    """The reduction of `a` over `axes` computed chunk by chunk, or None when not worth it or
    when only a split along a reduced axis remains and `regroup` does not vouch for it."""
    if not is_large(a.size):
        return None
    kept = [i for i in range(a.ndim) if i not in axes]
    if kept:
        axis = max(kept, key=lambda i: a.shape[i])
        bounds = bounds_for(a.shape[axis], a.size // a.shape[axis], min_items=2)
        if len(bounds) > 1:
            # Each output element comes from one chunk: NumPy's own result for it.
            result = np.concatenate(_run_pieces(bounds, _slab(a, axes, axis, partial)), axis=axis)
            return finish_shape(result, a.shape, axes, keepdims)
    if regroup is None or not axes:
        return None
    if len(axes) == a.ndim and a.flags.c_contiguous:
        flat = a.reshape(-1)
        bounds = bounds_for(flat.size)
        if len(bounds) <= 1:
            return None
        parts = _run_pieces(
            bounds, lambda lo, hi: partial(flat[lo:hi], (0,), lambda aux: aux.reshape(-1))
        )
        total = combine(np.concatenate(parts), 0).reshape((1,) * a.ndim)
    else:
        axis = max(axes, key=lambda i: a.shape[i])
        bounds = bounds_for(a.shape[axis], a.size // a.shape[axis])
        if len(bounds) <= 1:
            return None
        parts = _run_pieces(bounds, _slab(a, axes, axis, partial))
        total = combine(np.concatenate(parts, axis=axis), axis)
    if not regroup(total):
        return None
    return finish_shape(total, a.shape, axes, keepdims)


def _slab(
    a: np.ndarray, axes: tuple[int, ...], axis: int, partial: Partial
) -> Callable[[int, int], np.ndarray]:
    """piece(lo, hi): `partial` of a[..., lo:hi, ...] (the slab along `axis`)."""

    def run(lo: int, hi: int) -> np.ndarray:
        index = (slice(None),) * axis + (slice(lo, hi),)

        def take(aux: np.ndarray) -> np.ndarray:
            return aux if aux.shape[axis] == 1 else aux[index]

        return partial(a[index], axes, take)

    return run


def _add_partials(stacked: np.ndarray, axis: int) -> np.ndarray:
    return np.add.reduce(stacked, axis=axis, keepdims=True)


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
        return chunked_reduce(a, axes, keepdims, reduce_slab, _add_partials, any_grouping)
    ordered = accumulator in _PAIRWISE_ACCUMULATORS and a.dtype.isnative and a.flags.aligned
    result = _column_sum(a, axes, keepdims, accumulator, transform) if ordered else None
    if result is None:
        result = chunked_reduce(a, axes, keepdims, reduce_slab, _add_partials)
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
    return finish_shape(total.reshape(_keep_shape(a.shape, axes)), a.shape, axes, keepdims)


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

    sums = _run_pieces(leaves, leaf)

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

    sums = np.concatenate(_run_pieces(bounds, buffer_sums), axis=1)
    # np.add.reduce over axis 0 of a C-contiguous array with two or more columns adds row after
    # row from 0: NumPy's order for the buffer sums (a spare zero column when there is one row).
    ordered = np.zeros((blocks, max(count, 2)), accumulator)
    ordered[:, :count] = sums.T
    return np.add.reduce(ordered, axis=0)[:count]


def _kernel_shape(a: Any, axes: tuple[int, ...]) -> str | None:
    """'flat', 'rows' or None: which kernel form applies to `a` reduced over `axes`."""
    if not (
        isinstance(a, np.ndarray)
        and a.dtype in KERNEL_DTYPES
        and a.flags.c_contiguous
        and is_large(a.size)
    ):
        return None
    if len(axes) == a.ndim:
        return "flat"
    if a.ndim == 2 and axes == (1,):
        return "rows"
    return None


def kernel_reduce(op: str, a: Any, axes: tuple[int, ...], keepdims: bool) -> Any | None:
    """`op` in sum/min/max over `axes` by Numba kernels in chunks, or None if they don't apply.

    Sums take int64 data only (float sums are exact_sum's). A float min/max that comes out a
    zero is recomputed by NumPy, whose choice between 0.0 and -0.0 depends on its order.
    Work that would be one chunk stays with NumPy: as fast, and no kernel to compile.
    """
    form = _kernel_shape(a, axes)
    if form is None or (op == "sum" and a.dtype.kind != "i"):
        return None
    bounds = bounds_for(a.size) if form == "flat" else bounds_for(a.shape[0], a.shape[1])
    if len(bounds) <= 1:
        return None
    flat = a.reshape(-1)
    if op == "sum":
        flat_kernel, rows_kernel = kernels_reduce.sum_kernels()
        if form == "flat":
            parts = _run_pieces(bounds, lambda lo, hi: flat_kernel(flat[lo:hi], 0))
            # Integer partials add with wrap-around, as NumPy's int64 sum does.
            result = np.array(parts, dtype=a.dtype).sum(keepdims=True)
        else:
            result = np.empty(a.shape[0], a.dtype)
            _run_pieces(bounds, lambda lo, hi: rows_kernel(a[lo:hi], 0, result[lo:hi]))
    else:
        reducer = np.max if op == "max" else np.min
        flat_kernel, rows_kernel = kernels_reduce.extremum_kernels(op, a.dtype.kind == "f")
        if form == "flat":
            parts = _run_pieces(bounds, lambda lo, hi: flat_kernel(flat[lo:hi]))
            result = reducer(np.array(parts, dtype=a.dtype)).reshape(1)
            if a.dtype.kind == "f" and result[0] == 0:
                result = reducer(a).reshape(1)
        else:
            result = np.empty(a.shape[0], a.dtype)
            _run_pieces(bounds, lambda lo, hi: rows_kernel(a[lo:hi], result[lo:hi]))
            if a.dtype.kind == "f":
                zeros = np.flatnonzero(result == 0)
                if zeros.size:
                    result[zeros] = reducer(a[zeros], axis=1)
    shaped = np.asarray(result, dtype=a.dtype).reshape(_keep_shape(a.shape, axes))
    return finish_shape(shaped, a.shape, axes, keepdims)
