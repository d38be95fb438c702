"""Runs one reduction split into chunk tasks that give, bit for bit, what the one NumPy call gives.

A split is used only where it reproduces NumPy's own order of operations (NumPy 2.x's
reduction machinery):

- Along a kept axis (`chunked_reduce`): each output element is computed by NumPy from the same
  elements in the same order. Every chunk keeps at least two items of the split axis: a chunk
  of one would drop that dimension and NumPy would then sum an outer axis pairwise instead of
  row after row.
- Along a reduced axis, combining per-chunk partials (`chunked_reduce` with a `regroup` check):
  only where any grouping gives the same bits: integer and boolean sums and products (they
  wrap), all/any/count_nonzero, min/max unless the extremum is a zero (the sign NumPy returns
  for a mix of 0.0 and -0.0 depends on its SIMD order; then NumPy itself answers).
- Int64 sums and min/max of C-contiguous chunks run through Numba kernels (`kernel_reduce`).

Float sums in NumPy's pairwise and buffered orders are ordered_sums.py's. Everything else is
one NumPy call. Chunk tasks run under the caller's np.errstate. No primitive is registered
here.
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


def any_grouping(_combined: np.ndarray) -> bool:
    """Regroup check of reductions exact in any grouping (integer sums, all, any, ...)."""
    return True


def unless_zero(combined: np.ndarray) -> bool:
    """Regroup check of float min/max: exact unless an extremum is a (signed) zero."""
    return not np.any(combined == 0)


def run_pieces(bounds: list[tuple[int, int]], piece: Callable[[int, int], Any]) -> list[Any]:
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


def keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
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
            result = np.concatenate(run_pieces(bounds, _slab(a, axes, axis, partial)), axis=axis)
            return finish_shape(result, a.shape, axes, keepdims)
    if regroup is None or not axes:
        return None
    if len(axes) == a.ndim and a.flags.c_contiguous:
        flat = a.reshape(-1)
        bounds = bounds_for(flat.size)
        if len(bounds) <= 1:
            return None
        parts = run_pieces(
            bounds, lambda lo, hi: partial(flat[lo:hi], (0,), lambda aux: aux.reshape(-1))
        )
        total = combine(np.concatenate(parts), 0).reshape((1,) * a.ndim)
    else:
        axis = max(axes, key=lambda i: a.shape[i])
        bounds = bounds_for(a.shape[axis], a.size // a.shape[axis])
        if len(bounds) <= 1:
            return None
        parts = run_pieces(bounds, _slab(a, axes, axis, partial))
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


def add_partials(stacked: np.ndarray, axis: int) -> np.ndarray:
    return np.add.reduce(stacked, axis=axis, keepdims=True)


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
            parts = run_pieces(bounds, lambda lo, hi: flat_kernel(flat[lo:hi], 0))
            # Integer partials add with wrap-around, as NumPy's int64 sum does.
            result = np.array(parts, dtype=a.dtype).sum(keepdims=True)
        else:
            result = np.empty(a.shape[0], a.dtype)
            run_pieces(bounds, lambda lo, hi: rows_kernel(a[lo:hi], 0, result[lo:hi]))
    else:
        reducer = np.max if op == "max" else np.min
        flat_kernel, rows_kernel = kernels_reduce.extremum_kernels(op, a.dtype.kind == "f")
        if form == "flat":
            parts = run_pieces(bounds, lambda lo, hi: flat_kernel(flat[lo:hi]))
            result = reducer(np.array(parts, dtype=a.dtype)).reshape(1)
            if a.dtype.kind == "f" and result[0] == 0:
                result = reducer(a).reshape(1)
        else:
            result = np.empty(a.shape[0], a.dtype)
            run_pieces(bounds, lambda lo, hi: rows_kernel(a[lo:hi], result[lo:hi]))
            if a.dtype.kind == "f":
                zeros = np.flatnonzero(result == 0)
                if zeros.size:
                    result[zeros] = reducer(a[zeros], axis=1)
    shaped = np.asarray(result, dtype=a.dtype).reshape(keep_shape(a.shape, axes))
    return finish_shape(shaped, a.shape, axes, keepdims)
