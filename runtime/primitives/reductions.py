"""Reduction primitives (sum, mean, std, min, all, ...) with NumPy's axis/keepdims/dtype.

Large inputs are split into chunk tasks by reduction_engine where that gives NumPy's result bit
for bit (float sums follow NumPy's pairwise order; Numba kernels for int64 sums, NumPy's
buffered float sums and min/max); everything else is one NumPy call. Results, dtypes and errors
are NumPy's. Cumulative sums and products are cumulative.py's; argument reductions (argmax,
argmin) and sorting belong to sorting.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors, normalize_axis, parse_dtype
from jetlag.runtime.primitives.moments import chunked_mean, chunked_var, sqrt_like_numpy
from jetlag.runtime.primitives.ordered_sums import exact_sum
from jetlag.runtime.primitives.reduction_engine import (
    Regroup,
    any_grouping,
    chunked_reduce,
    kernel_reduce,
    unless_zero,
)
from jetlag.runtime.primitives.registry import primitive

_AXIS_DOC = "axis: nil (all), an int or a tuple of ints"


def _prepare(a: Any, axis: Any) -> tuple[np.ndarray, tuple[int, ...], Any]:
    """The array, its normalized axes, and the axis to hand to NumPy (a tuple or None)."""
    arr = a if isinstance(a, np.ndarray) else np.asarray(a)
    axes = normalize_axis(axis, arr.ndim)
    return arr, axes, None if axis is None else axes


def _reduce(
    kernel: str,
    numpy_func: Callable[..., Any],
    combine_func: Callable[..., Any],
    regroup: Callable[[np.dtype], Regroup | None],
    a: Any,
    axis: Any,
    keepdims: bool,
    **options: Any,
) -> Any:
    """numpy_func over `axis`: by the Numba kernel named `kernel` ("" for none) when it applies,
    else by chunks (partials joined with combine_func only where regroup(arr.dtype) vouches
    for the grouping), else in one NumPy call."""
    arr, axes, numpy_axis = _prepare(a, axis)
    if kernel and not options:
        result = kernel_reduce(kernel, arr, axes, keepdims)
        if result is not None:
            return result
    result = chunked_reduce(
        arr,
        axes,
        keepdims,
        lambda chunk, ax, _take: numpy_func(chunk, axis=ax, keepdims=True, **options),
        lambda stacked, ax: combine_func(stacked, axis=ax, keepdims=True),
        regroup(arr.dtype),
    )
    if result is not None:
        return result
    return numpy_func(arr, axis=numpy_axis, keepdims=keepdims, **options)


def _always(_dtype: np.dtype) -> Regroup:
    return any_grouping


def _integer_results(options: dict) -> Callable[[np.dtype], Regroup | None]:
    """Partials regroup exactly when integers accumulate as integers (they wrap)."""

    def regroup(dtype: np.dtype) -> Regroup | None:
        if dtype.kind not in "biu" or options.get("dtype", dtype).kind not in "biu":
            return None
        return any_grouping

    return regroup


def _extremum_grouping(dtype: np.dtype) -> Regroup | None:
    """min/max regroup exactly for integers, and for floats unless the answer is a zero."""
    if dtype.kind in "biu":
        return any_grouping
    return unless_zero if dtype.kind == "f" else None


def _dtype_option(dtype: Any) -> dict:
    parsed = parse_dtype(dtype)
    return {} if parsed is None else {"dtype": parsed}


@primitive(
    "sum",
    "sum(a, axis=nil, dtype=nil, keepdims=false)",
    f"Sum of elements over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.sum",
    aliases=("numpy.sum",),
    methods=("sum",),
    kernel=True,
)
@argument_errors
def sum_(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """numpy.sum, chunked where that gives NumPy's bits (a Numba kernel for int64 data)."""
    arr, axes, numpy_axis = _prepare(a, axis)
    options = _dtype_option(dtype)
    if not options:
        result = kernel_reduce("sum", arr, axes, keepdims)
        if result is not None:
            return result
    result = exact_sum(arr, axes, keepdims, options.get("dtype"))
    if result is not None:
        return result
    return np.sum(arr, axis=numpy_axis, keepdims=keepdims, **options)


@primitive(
    "prod",
    "prod(a, axis=nil, dtype=nil, keepdims=false)",
    f"Product of elements over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.prod",
    aliases=("numpy.prod",),
    methods=("prod",),
)
@argument_errors
def prod(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """numpy.prod, chunked (float products only along kept axes: NumPy multiplies in order)."""
    options = _dtype_option(dtype)
    regroup = _integer_results(options)
    return _reduce("", np.prod, np.prod, regroup, a, axis, keepdims, **options)


@primitive(
    "max",
    "max(a, axis=nil, keepdims=false)",
    f"Largest element over the given axes, NaN propagating ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.max",
    aliases=("numpy.max", "numpy.amax"),
    methods=("max",),
    kernel=True,
)
@argument_errors
def max_(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.max, chunked (Numba kernels for all elements / rows of a 2-D array)."""
    return _reduce("max", np.max, np.max, _extremum_grouping, a, axis, keepdims)


@primitive(
    "min",
    "min(a, axis=nil, keepdims=false)",
    f"Smallest element over the given axes, NaN propagating ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.min",
    aliases=("numpy.min", "numpy.amin"),
    methods=("min",),
    kernel=True,
)
@argument_errors
def min_(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.min, chunked (Numba kernels for all elements / rows of a 2-D array)."""
    return _reduce("min", np.min, np.min, _extremum_grouping, a, axis, keepdims)


@primitive(
    "all",
    "all(a, axis=nil, keepdims=false)",
    f"True when every element is true over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.all",
    aliases=("numpy.all",),
    methods=("all",),
)
@argument_errors
def all_(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.all, chunked."""
    return _reduce("", np.all, np.all, _always, a, axis, keepdims)


@primitive(
    "any",
    "any(a, axis=nil, keepdims=false)",
    f"True when some element is true over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.any",
    aliases=("numpy.any",),
    methods=("any",),
)
@argument_errors
def any_(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.any, chunked."""
    return _reduce("", np.any, np.any, _always, a, axis, keepdims)


@primitive(
    "count_nonzero",
    "count_nonzero(a, axis=nil, keepdims=false)",
    f"Number of non-zero elements over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.count_nonzero",
    aliases=("numpy.count_nonzero",),
)
@argument_errors
def count_nonzero(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.count_nonzero, chunked."""
    return _reduce("", np.count_nonzero, np.sum, _always, a, axis, keepdims)


@primitive(
    "nansum",
    "nansum(a, axis=nil, dtype=nil, keepdims=false)",
    f"Sum treating NaN as zero ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.nansum",
    aliases=("numpy.nansum",),
)
@argument_errors
def nansum(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """numpy.nansum as NumPy computes it: the sum of a copy with NaN replaced by 0 (chunked)."""
    arr = a if isinstance(a, np.ndarray) else np.asarray(a)
    if arr.dtype.kind in "fc":
        arr = np.array(arr, copy=True)  # order K, like NumPy's copy
        np.copyto(arr, 0, where=np.isnan(arr))
    elif arr.dtype.kind not in "biu":
        return np.nansum(arr, axis=axis, dtype=parse_dtype(dtype), keepdims=keepdims)
    return sum_(arr, axis, dtype, keepdims)


@primitive(
    "mean",
    "mean(a, axis=nil, dtype=nil, keepdims=false)",
    f"Arithmetic mean over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.mean",
    aliases=("numpy.mean",),
    methods=("mean",),
    kernel=True,
)
@argument_errors
def mean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """numpy.mean, chunked where that gives NumPy's bits (a Numba kernel repeats NumPy's
    buffered pairwise sum of int64 data)."""
    arr, axes, numpy_axis = _prepare(a, axis)
    parsed = parse_dtype(dtype)
    result = chunked_mean(arr, axes, keepdims, parsed)
    if result is not None:
        return result
    return np.mean(arr, axis=numpy_axis, dtype=parsed, keepdims=keepdims)


@primitive(
    "var",
    "var(a, axis=nil, dtype=nil, ddof=0, keepdims=false)",
    f"Variance over the given axes, divided by N - ddof ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.var",
    aliases=("numpy.var",),
    methods=("var",),
)
@argument_errors
def var(a: Any, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False) -> Any:
    """numpy.var, both passes chunked for large real arrays."""
    arr, axes, numpy_axis = _prepare(a, axis)
    parsed = parse_dtype(dtype)
    result = chunked_var(arr, axes, keepdims, parsed, ddof)
    if result is None:
        return np.var(arr, axis=numpy_axis, dtype=parsed, ddof=ddof, keepdims=keepdims)
    return result


@primitive(
    "std",
    "std(a, axis=nil, dtype=nil, ddof=0, keepdims=false)",
    f"Standard deviation over the given axes, sqrt(var) ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.std",
    aliases=("numpy.std",),
    methods=("std",),
)
@argument_errors
def std(a: Any, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False) -> Any:
    """numpy.std, both variance passes chunked for large real arrays."""
    arr, axes, numpy_axis = _prepare(a, axis)
    parsed = parse_dtype(dtype)
    result = chunked_var(arr, axes, keepdims, parsed, ddof)
    if result is None:
        return np.std(arr, axis=numpy_axis, dtype=parsed, ddof=ddof, keepdims=keepdims)
    return sqrt_like_numpy(result)


@primitive(
    "ptp",
    "ptp(a, axis=nil, keepdims=false)",
    f"Range max - min over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.ptp",
    aliases=("numpy.ptp",),
)
@argument_errors
def ptp(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.ptp as NumPy computes it: maximum minus minimum (both chunked)."""
    return np.subtract(max_(a, axis, keepdims), min_(a, axis, keepdims))


@primitive(
    "median",
    "median(a, axis=nil, keepdims=false)",
    f"Median over the given axes ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.median",
    aliases=("numpy.median",),
)
@argument_errors
def median(a: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.median (one task)."""
    arr, _axes, numpy_axis = _prepare(a, axis)
    return np.median(arr, axis=numpy_axis, keepdims=keepdims)


@primitive(
    "nanmean",
    "nanmean(a, axis=nil, dtype=nil, keepdims=false)",
    f"Mean ignoring NaN ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.nanmean",
    aliases=("numpy.nanmean",),
)
@argument_errors
def nanmean(a: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """numpy.nanmean (one task)."""
    arr, _axes, numpy_axis = _prepare(a, axis)
    return np.nanmean(arr, axis=numpy_axis, dtype=parse_dtype(dtype), keepdims=keepdims)


@primitive(
    "average",
    "average(a, axis=nil, weights=nil, returned=false, keepdims=false)",
    f"Weighted average over the given axes; the mean without weights ({_AXIS_DOC}).",
    "reduction",
    numpy="numpy.average",
    aliases=("numpy.average",),
)
@argument_errors
def average(
    a: Any, axis: Any = None, weights: Any = None, returned: bool = False, keepdims: bool = False
) -> Any:
    """numpy.average; without weights it is `mean` (chunked) as in NumPy."""
    if weights is None and not returned:
        return mean(a, axis, keepdims=keepdims)
    arr, _axes, numpy_axis = _prepare(a, axis)
    return np.average(arr, axis=numpy_axis, weights=weights, returned=returned, keepdims=keepdims)
