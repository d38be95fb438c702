"""Runs one reduction split into chunk tasks: Numba kernels for sum/min/max/mean, else NumPy.

`chunked_reduce` splits along a kept axis when it can (each output element is then computed
by NumPy exactly as without chunking) and otherwise along a reduced axis, combining the
partial results (float sums then differ from NumPy's pairwise order in the last bits only).
`kernel_reduce` handles all-elements and last-axis-of-2-D reductions of C-contiguous
float64/float32/int64 arrays. Both answer None when the input is small or the work would be
one chunk anyway, and the caller then makes the plain NumPy call. No primitive is registered here.
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


def _run_pieces(bounds: list[tuple[int, int]], piece: Callable[[int, int], Any]) -> list[Any]:
    """Run piece(lo, hi) for each bound as chunk tasks; results in bound order."""
    order = {lo: i for i, (lo, _) in enumerate(bounds)}
    results: list[Any] = [None] * len(bounds)

    def body(lo: int, hi: int) -> None:
        results[order[lo]] = piece(lo, hi)

    parallel.parallel_for(bounds, body)
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


def chunked_reduce(
    a: np.ndarray, axes: tuple[int, ...], keepdims: bool, partial: Partial, combine: Combine
) -> Any | None:
    """The reduction of `a` over `axes` computed chunk by chunk, or None when not worth it."""
    if not is_large(a.size):
        return None
    if len(axes) == a.ndim and a.flags.c_contiguous:
        flat = a.reshape(-1)
        bounds = bounds_for(flat.size)
        if len(bounds) <= 1:
            return None
        parts = _run_pieces(
            bounds, lambda lo, hi: partial(flat[lo:hi], (0,), lambda aux: aux.reshape(-1))
        )
        total = combine(np.concatenate(parts), 0)
        return finish_shape(total.reshape((1,) * a.ndim), a.shape, axes, keepdims)

    def split(axis: int) -> list[tuple[int, int]]:
        per_index = a.size // a.shape[axis]
        return bounds_for(a.shape[axis], per_index)

    def piece(axis: int) -> Callable[[int, int], np.ndarray]:
        def run(lo: int, hi: int) -> np.ndarray:
            index = (slice(None),) * axis + (slice(lo, hi),)

            def take(aux: np.ndarray) -> np.ndarray:
                return aux if aux.shape[axis] == 1 else aux[index]

            return partial(a[index], axes, take)

        return run

    kept = [i for i in range(a.ndim) if i not in axes]
    if kept:
        axis = max(kept, key=lambda i: a.shape[i])
        bounds = split(axis)
        if len(bounds) > 1:
            # Each output element comes from one chunk: no combining, NumPy's exact result.
            result = np.concatenate(_run_pieces(bounds, piece(axis)), axis=axis)
            return finish_shape(result, a.shape, axes, keepdims)
    if not axes:
        return None
    axis = max(axes, key=lambda i: a.shape[i])
    bounds = split(axis)
    if len(bounds) <= 1:
        return None
    stacked = np.concatenate(_run_pieces(bounds, piece(axis)), axis=axis)
    return finish_shape(combine(stacked, axis), a.shape, axes, keepdims)


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
    """`op` in sum/mean/min/max over `axes` by Numba kernels in chunks, or None if they don't apply.

    Result dtypes are NumPy's: sum keeps the dtype, mean gives float64 (float32 for float32).
    Work that would be one chunk stays with NumPy: as fast, and no kernel to compile.
    """
    form = _kernel_shape(a, axes)
    if form is None:
        return None
    bounds = bounds_for(a.size) if form == "flat" else bounds_for(a.shape[0], a.shape[1])
    if len(bounds) <= 1:
        return None
    flat = a.reshape(-1)
    if op in ("sum", "mean"):
        float_acc = op == "mean" or a.dtype.kind == "f"
        acc = np.dtype(np.float64) if float_acc else np.dtype(np.int64)
        zero = acc.type(0).item()
        flat_kernel, rows_kernel = kernels_reduce.sum_kernels(float_acc)
        if form == "flat":
            parts = _run_pieces(bounds, lambda lo, hi: flat_kernel(flat[lo:hi], zero))
            # Integer partials add with wrap-around, as NumPy's int64 sum does.
            result = np.array(parts, dtype=acc).sum(keepdims=True)
        else:
            result = np.empty(a.shape[0], acc)
            parallel.parallel_for(bounds, lambda lo, hi: rows_kernel(a[lo:hi], zero, result[lo:hi]))
        if op == "mean":
            result = result / (a.size if form == "flat" else a.shape[1])
        dtype = a.dtype if (op == "sum" or a.dtype.kind == "f") else np.dtype(np.float64)
    else:
        flat_kernel, rows_kernel = kernels_reduce.extremum_kernels(op, a.dtype.kind == "f")
        if form == "flat":
            parts = _run_pieces(bounds, lambda lo, hi: flat_kernel(flat[lo:hi]))
            reducer = np.max if op == "max" else np.min
            result = reducer(np.array(parts, dtype=a.dtype)).reshape(1)
        else:
            result = np.empty(a.shape[0], a.dtype)
            parallel.parallel_for(bounds, lambda lo, hi: rows_kernel(a[lo:hi], result[lo:hi]))
        dtype = a.dtype
    shaped = np.asarray(result, dtype=dtype).reshape(_keep_shape(a.shape, axes))
    return finish_shape(shaped, a.shape, axes, keepdims)


def _keep_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(shape))
