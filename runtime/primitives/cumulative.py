"""Cumulative primitives (cumsum, cumprod) with NumPy's axis and dtype.

With an axis, the independent lanes along another axis run as chunk tasks (each lane is
scanned by NumPy in its own order, so results are NumPy's bit for bit); otherwise one NumPy
call. It registers cumsum and cumprod and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives import parallel
from jetlag.runtime.primitives.arguments import argument_errors, normalize_axis, parse_dtype
from jetlag.runtime.primitives.chunking import bounds_for, is_large
from jetlag.runtime.primitives.registry import primitive


def _cumulative(numpy_func: Callable[..., Any], a: Any, axis: Any, dtype: Any) -> Any:
    """cumsum/cumprod; with an axis, independent lanes along another axis run as chunks."""
    arr = a if isinstance(a, np.ndarray) else np.asarray(a)
    parsed = parse_dtype(dtype)
    if axis is None or arr.ndim < 2 or not is_large(arr.size):
        if axis is not None:
            (axis,) = normalize_axis(axis, max(arr.ndim, 1))
        return numpy_func(arr, axis=axis, dtype=parsed)
    (scan,) = normalize_axis(axis, arr.ndim)
    split = max((i for i in range(arr.ndim) if i != scan), key=lambda i: arr.shape[i])
    per_index = arr.size // arr.shape[split]
    bounds = bounds_for(arr.shape[split], per_index)
    if len(bounds) <= 1:
        return numpy_func(arr, axis=scan, dtype=parsed)
    out = np.empty(arr.shape, numpy_func(np.empty((0,), arr.dtype), dtype=parsed).dtype)

    def body(lo: int, hi: int) -> None:
        index = (slice(None),) * split + (slice(lo, hi),)
        numpy_func(arr[index], axis=scan, dtype=parsed, out=out[index])

    parallel.parallel_for(bounds, body)
    return out


@primitive(
    "cumsum",
    "cumsum(a, axis=nil, dtype=nil)",
    "Cumulative sum along an axis (of the flattened array when axis is nil).",
    "reduction",
    numpy="numpy.cumsum",
    aliases=("numpy.cumsum",),
    methods=("cumsum",),
)
@argument_errors
def cumsum(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """numpy.cumsum; lanes chunked when an axis is given."""
    return _cumulative(np.cumsum, a, axis, dtype)


@primitive(
    "cumprod",
    "cumprod(a, axis=nil, dtype=nil)",
    "Cumulative product along an axis (of the flattened array when axis is nil).",
    "reduction",
    numpy="numpy.cumprod",
    aliases=("numpy.cumprod",),
    methods=("cumprod",),
)
@argument_errors
def cumprod(a: Any, axis: Any = None, dtype: Any = None) -> Any:
    """numpy.cumprod; lanes chunked when an axis is given."""
    return _cumulative(np.cumprod, a, axis, dtype)
