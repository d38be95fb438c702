"""Mean and variance computed in chunk tasks with NumPy's own arithmetic, order and result types.

NumPy's mean is a sum divided by the count (float64 accumulation for integers and booleans,
float32 for float16, converted back); its variance is the two-pass sum of squared deviations
from that mean. Both sums go through ordered_sums.exact_sum, which gives NumPy's bits or
declines (None), then the division follows NumPy's rules (in place, unsafe cast, scalars
rebuilt with the sum's type). Registers no primitive.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.primitives.ordered_sums import exact_sum


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


def chunked_mean(
    arr: np.ndarray, axes: tuple[int, ...], keepdims: bool, dtype: np.dtype | None
) -> Any | None:
    """numpy.mean(arr, axes, dtype, keepdims) from a chunked sum, or None when not worth it."""
    if arr.dtype.kind not in "biufc":
        return None
    float16_result = False
    if dtype is None and arr.dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    elif dtype is None and arr.dtype == np.float16:
        dtype, float16_result = np.dtype(np.float32), True
    total = exact_sum(arr, axes, keepdims, dtype)
    if total is None:
        return None
    count = _count(arr, axes)
    if float16_result:  # NumPy divides in float32 (arrays) or float64 (scalars), then converts
        if isinstance(total, np.ndarray):
            return arr.dtype.type(np.true_divide(total, count, out=total, casting="unsafe"))
        return arr.dtype.type(total / count)
    return divide_like_numpy(total, count)


def chunked_var(
    arr: np.ndarray, axes: tuple[int, ...], keepdims: bool, dtype: np.dtype | None, ddof: Any
) -> Any | None:
    """numpy.var with both passes chunked, or None when not worth it or not a plain
    real case (complex data or an integer accumulation dtype go to NumPy itself)."""
    if arr.dtype.kind not in "iuf":
        return None
    if dtype is not None and dtype.kind != "f":
        return None
    if dtype is None and arr.dtype.kind in "iu":
        dtype = np.dtype(np.float64)
    total = exact_sum(arr, axes, True, dtype)
    if total is None:
        return None
    count = _count(arr, axes)
    center = divide_like_numpy(total, count)

    def squares(piece: np.ndarray, take: Any) -> np.ndarray:
        deviation = np.subtract(piece, take(center))
        return np.square(deviation, out=deviation)

    element = np.result_type(arr.dtype, center.dtype)
    spread = exact_sum(arr, axes, keepdims, dtype, squares, element)
    if spread is None:
        return None
    return divide_like_numpy(spread, np.maximum(count - ddof, 0))
