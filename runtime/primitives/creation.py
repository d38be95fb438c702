"""Array creation primitives: zeros, ones, full, empty, eye, arange, linspace, array, *_like.

Results and dtypes are NumPy's. Shapes arrive as an int or a tuple of ints and dtypes as NumPy
dtype names ("float64"). `empty`/`empty_like` return zeros so programs stay deterministic.
Large `ones`/`full` fills are split into chunk tasks. Copies of existing arrays (`copy`) and
random arrays belong to other families.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.primitives import parallel
from jetlag.runtime.primitives.arguments import argument_errors, as_shape, parse_dtype
from jetlag.runtime.primitives.chunking import bounds_for, is_large
from jetlag.runtime.primitives.registry import primitive


def _fill(out: np.ndarray, value: Any) -> np.ndarray:
    """Write `value` into every element of `out` as NumPy's full does (unsafe cast), chunked
    when out is large, C-contiguous and value is a scalar."""
    if not is_large(out.size) or not out.flags.c_contiguous or np.ndim(value) != 0:
        np.copyto(out, value, casting="unsafe")
        return out
    flat = out.reshape(-1)
    parallel.parallel_for(
        bounds_for(flat.size),
        lambda lo, hi: np.copyto(flat[lo:hi], value, casting="unsafe"),
    )
    return out


@primitive(
    "zeros",
    'zeros(shape, dtype="float64")',
    "New array of the given shape (int or tuple) filled with zeros.",
    "creation",
    numpy="numpy.zeros",
    aliases=("numpy.zeros",),
)
@argument_errors
def zeros(shape: Any, dtype: Any = None) -> np.ndarray:
    """numpy.zeros(shape, dtype)."""
    return np.zeros(as_shape(shape), dtype=parse_dtype(dtype))


@primitive(
    "empty",
    'empty(shape, dtype="float64")',
    "New array of the given shape; JetLag fills it with zeros so runs are deterministic.",
    "creation",
    numpy="numpy.empty",
    aliases=("numpy.empty",),
)
@argument_errors
def empty(shape: Any, dtype: Any = None) -> np.ndarray:
    """Like numpy.empty, but zero-filled (uninitialized memory would make runs irreproducible)."""
    return np.zeros(as_shape(shape), dtype=parse_dtype(dtype))


@primitive(
    "ones",
    'ones(shape, dtype="float64")',
    "New array of the given shape filled with ones.",
    "creation",
    numpy="numpy.ones",
    aliases=("numpy.ones",),
)
@argument_errors
def ones(shape: Any, dtype: Any = None) -> np.ndarray:
    """numpy.ones(shape, dtype), filled in chunks when large."""
    return _fill(np.empty(as_shape(shape), dtype=parse_dtype(dtype)), 1)


@primitive(
    "full",
    "full(shape, fill_value, dtype=nil)",
    "New array of the given shape filled with fill_value (dtype from fill_value by default).",
    "creation",
    numpy="numpy.full",
    aliases=("numpy.full",),
)
@argument_errors
def full(shape: Any, fill_value: Any, dtype: Any = None) -> np.ndarray:
    """numpy.full(shape, fill_value, dtype), filled in chunks when large."""
    parsed = parse_dtype(dtype)
    if parsed is None:
        parsed = np.asarray(fill_value).dtype
    return _fill(np.empty(as_shape(shape), dtype=parsed), fill_value)


def _like_shape(shape: Any) -> tuple[int, ...] | None:
    return None if shape is None else as_shape(shape)


@primitive(
    "zeros_like",
    "zeros_like(a, dtype=nil, shape=nil)",
    "Array of zeros with the shape and dtype of `a`.",
    "creation",
    numpy="numpy.zeros_like",
    aliases=("numpy.zeros_like",),
)
@argument_errors
def zeros_like(a: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """numpy.zeros_like(a, dtype, shape=shape)."""
    return np.zeros_like(a, dtype=parse_dtype(dtype), shape=_like_shape(shape))


@primitive(
    "empty_like",
    "empty_like(a, dtype=nil, shape=nil)",
    "Array with the shape and dtype of `a`; JetLag fills it with zeros for determinism.",
    "creation",
    numpy="numpy.empty_like",
    aliases=("numpy.empty_like",),
)
@argument_errors
def empty_like(a: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """Like numpy.empty_like, but zero-filled."""
    return np.zeros_like(a, dtype=parse_dtype(dtype), shape=_like_shape(shape))


@primitive(
    "ones_like",
    "ones_like(a, dtype=nil, shape=nil)",
    "Array of ones with the shape and dtype of `a`.",
    "creation",
    numpy="numpy.ones_like",
    aliases=("numpy.ones_like",),
)
@argument_errors
def ones_like(a: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """numpy.ones_like(a, dtype, shape=shape), filled in chunks when large."""
    return _fill(np.empty_like(a, dtype=parse_dtype(dtype), shape=_like_shape(shape)), 1)


@primitive(
    "full_like",
    "full_like(a, fill_value, dtype=nil, shape=nil)",
    "Array with the shape and dtype of `a` filled with fill_value.",
    "creation",
    numpy="numpy.full_like",
    aliases=("numpy.full_like",),
)
@argument_errors
def full_like(a: Any, fill_value: Any, dtype: Any = None, shape: Any = None) -> np.ndarray:
    """numpy.full_like(a, fill_value, dtype, shape=shape), filled in chunks when large."""
    out = np.empty_like(a, dtype=parse_dtype(dtype), shape=_like_shape(shape))
    return _fill(out, fill_value)


@primitive(
    "identity",
    'identity(n, dtype="float64")',
    "The n x n identity matrix.",
    "creation",
    numpy="numpy.identity",
    aliases=("numpy.identity",),
)
@argument_errors
def identity(n: Any, dtype: Any = None) -> np.ndarray:
    """numpy.identity(n, dtype)."""
    return np.identity(n, dtype=parse_dtype(dtype))


@primitive(
    "eye",
    'eye(N, M=nil, k=0, dtype="float64")',
    "N x M array with ones on the k-th diagonal and zeros elsewhere.",
    "creation",
    numpy="numpy.eye",
    aliases=("numpy.eye",),
)
@argument_errors
def eye(N: Any, M: Any = None, k: Any = 0, dtype: Any = None) -> np.ndarray:  # noqa: N803
    """numpy.eye(N, M, k, dtype)."""
    parsed = parse_dtype(dtype)
    return np.eye(N, M, k, dtype=float if parsed is None else parsed)


@primitive(
    "arange",
    "arange(start, stop=nil, step=nil, dtype=nil)",
    "Evenly spaced values in [start, stop) (arange(stop) starts at 0).",
    "creation",
    numpy="numpy.arange",
    aliases=("numpy.arange",),
)
@argument_errors
def arange(start: Any, stop: Any = None, step: Any = None, dtype: Any = None) -> np.ndarray:
    """numpy.arange(start, stop, step, dtype=dtype)."""
    parsed = parse_dtype(dtype)
    if stop is None and step is None:
        return np.arange(start, dtype=parsed)
    if step is None:
        return np.arange(start, stop, dtype=parsed)
    if stop is None:
        # NumPy's arange(stop, step=s) form: count from 0.
        return np.arange(0, start, step, dtype=parsed)
    return np.arange(start, stop, step, dtype=parsed)


@primitive(
    "linspace",
    "linspace(start, stop, num=50, endpoint=true, retstep=false, dtype=nil, axis=0)",
    "num evenly spaced values from start to stop (inclusive when endpoint).",
    "creation",
    numpy="numpy.linspace",
    aliases=("numpy.linspace",),
)
@argument_errors
def linspace(
    start: Any,
    stop: Any,
    num: Any = 50,
    endpoint: bool = True,
    retstep: bool = False,
    dtype: Any = None,
    axis: Any = 0,
) -> Any:
    """numpy.linspace; with retstep=true the (samples, step) tuple."""
    return np.linspace(start, stop, num, endpoint, retstep, parse_dtype(dtype), axis)


@primitive(
    "logspace",
    "logspace(start, stop, num=50, endpoint=true, base=10.0, dtype=nil, axis=0)",
    "num values base**t for t evenly spaced from start to stop.",
    "creation",
    numpy="numpy.logspace",
    aliases=("numpy.logspace",),
)
@argument_errors
def logspace(
    start: Any,
    stop: Any,
    num: Any = 50,
    endpoint: bool = True,
    base: Any = 10.0,
    dtype: Any = None,
    axis: Any = 0,
) -> np.ndarray:
    """numpy.logspace."""
    return np.logspace(start, stop, num, endpoint, base, parse_dtype(dtype), axis)


@primitive(
    "array",
    "array(object, dtype=nil, copy=true)",
    "A new array from nested tuples (list(...)), scalars or arrays.",
    "creation",
    numpy="numpy.array",
    aliases=("numpy.array",),
)
@argument_errors
def array(object: Any, dtype: Any = None, copy: Any = True) -> np.ndarray:  # noqa: A002
    """numpy.array(object, dtype, copy=copy)."""
    return np.array(object, dtype=parse_dtype(dtype), copy=copy)


@primitive(
    "asarray",
    "asarray(a, dtype=nil)",
    "`a` as an array, without copying when it already is one of that dtype.",
    "creation",
    numpy="numpy.asarray",
    aliases=("numpy.asarray", "numpy.asanyarray"),
)
@argument_errors
def asarray(a: Any, dtype: Any = None) -> np.ndarray:
    """numpy.asarray(a, dtype)."""
    return np.asarray(a, dtype=parse_dtype(dtype))
