"""Mean and variance computed in chunk tasks with NumPy's own arithmetic and result types.

NumPy's mean is a sum divided by the count (float64 accumulation for integers and booleans);
its variance is the two-pass sum of squared deviations from that mean. Both sums here run
through reduction_engine.chunked_reduce, then the division follows NumPy's rules (in place,
unsafe cast, scalars rebuilt with the sum's type). Registers no primitive.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives.reduction_engine import chunked_reduce


def divide_like_numpy(total: Any, count: Any) -> Any:
    """total / count with the result type NumPy's mean/var give (in place for arrays)."""
    if isinstance(total, np.ndarray):
        return np.true_divide(total, count, out=total, casting="unsafe")
    return total.dtype.type(total / count)


def sqrt_like_numpy(value: Any) -> Any:
    """sqrt of a variance as numpy.std takes it (in place for arrays)."""
    if isinstance(value, np.ndarray):
        return np.sqrt(value, out=value)
    return value.dtype.type(np.sqrt(value))


def _count(arr: np.ndarray, axes: tuple[int, ...]) -> np.intp:
    return np.intp(np.prod([arr.shape[i] for i in axes], dtype=np.intp))


def _chunked_sum(
    arr: np.ndarray, axes: tuple[int, ...], keepdims: bool, options: dict
) -> Any | None:
    return chunked_reduce(
        arr,
        axes,
        keepdims,
        lambda chunk, ax, _take: np.sum(chunk, axis=ax, keepdims=True, **options),
        lambda stacked, ax: np.sum(stacked, axis=ax, keepdims=True),
    )


def chunked_mean(
    arr: np.ndarray, axes: tuple[int, ...], keepdims: bool, dtype: np.dtype | None
) -> Any | None:
    """numpy.mean(arr, axes, dtype, keepdims) from chunked sums, or None when not worth it
    (or for float16, which NumPy accumulates in float32 and converts back)."""
    if arr.dtype.kind not in "biufc" or arr.dtype == np.float16:
        return None
    if dtype is None and arr.dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    total = _chunked_sum(arr, axes, keepdims, {} if dtype is None else {"dtype": dtype})
    if total is None:
        return None
    return divide_like_numpy(total, _count(arr, axes))


def chunked_var(
    arr: np.ndarray, axes: tuple[int, ...], keepdims: bool, dtype: np.dtype | None, ddof: Any
) -> Any | None:
    """numpy.var with both passes chunked, or None when not worth it or not a plain
    real case (complex data or an integer accumulation dtype go to NumPy itself)."""
    if arr.dtype.kind not in "iuf" or arr.dtype == np.float16:
        return None
    if dtype is not None and dtype.kind != "f":
        return None
    if dtype is None and arr.dtype.kind in "iu":
        dtype = np.dtype(np.float64)
    options = {} if dtype is None else {"dtype": dtype}
    total = _chunked_sum(arr, axes, True, options)
    if total is None:
        return None
    count = _count(arr, axes)
    center = divide_like_numpy(total, count)

    def squares(chunk: np.ndarray, ax: tuple[int, ...], take: Callable) -> np.ndarray:
        deviation = np.subtract(chunk, take(center))
        return np.sum(np.square(deviation, out=deviation), axis=ax, keepdims=True, **options)

    spread = chunked_reduce(
        arr, axes, keepdims, squares, lambda s, ax: np.sum(s, axis=ax, keepdims=True)
    )
    return divide_like_numpy(spread, np.maximum(count - ddof, 0))
