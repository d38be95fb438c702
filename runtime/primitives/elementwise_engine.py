"""Runs one elementwise operation split into chunk tasks, with results identical to NumPy's.

`apply_ufunc` is the path of every ufunc primitive and operator: it uses a Numba kernel when
that is exactly equivalent (see `_kernel_plan`), otherwise NumPy on chunks of the output
(`out=` slices; ufuncs release the GIL). `apply_elementwise` does the same for any elementwise
NumPy function (clip, where, round, ...). Small inputs are one plain NumPy call. The output
dtype is always NumPy's own: it is found by calling the function on empty stand-ins of the
operands. This module registers no primitive.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jetlag.runtime.primitives import kernels_elementwise as kernels
from jetlag.runtime.primitives import parallel
from jetlag.runtime.primitives.chunking import bounds_for, is_large


def _is_chunkable(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0


def _broadcast_shape(arrays: Sequence[np.ndarray]) -> tuple[int, ...] | None:
    """The common shape, or None when NumPy would refuse (it then raises its own error)."""
    first = arrays[0].shape
    if all(a.shape == first for a in arrays):
        return first
    try:
        return np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        return None


def _result_dtype(func: Callable[..., Any], operands: Sequence[Any], kwargs: dict) -> np.dtype:
    # Empty stand-ins keep every array's dtype and every scalar as it is (Python scalars stay
    # "weak" under NEP 50), so NumPy resolves exactly the dtype it would for the real call.
    probes = [np.empty((0,), a.dtype) if _is_chunkable(a) else a for a in operands]
    return np.asarray(func(*probes, **kwargs)).dtype


def apply_elementwise(
    func: Callable[..., Any],
    operands: Sequence[Any],
    kwargs: dict | None = None,
    *,
    has_out: bool = True,
) -> Any:
    """`func(*operands, **kwargs)` for an elementwise NumPy function, chunked when large.

    `has_out` says whether `func` accepts `out=`; otherwise each chunk's result is copied in.
    """
    kwargs = kwargs or {}
    arrays = [a for a in operands if _is_chunkable(a)]
    if not arrays:
        return func(*operands, **kwargs)
    shape = _broadcast_shape(arrays)
    if shape is None or not is_large(math.prod(shape)):
        return func(*operands, **kwargs)
    plan = _chunk_plan(operands, shape)
    if plan is None:
        return func(*operands, **kwargs)
    views, bounds, out_shape = plan
    out = np.empty(out_shape, _result_dtype(func, operands, kwargs))

    def body(lo: int, hi: int) -> None:
        chunk = [v[lo:hi] if _is_chunkable(v) else v for v in views]
        if has_out:
            func(*chunk, out=out[lo:hi], **kwargs)
        else:
            out[lo:hi] = func(*chunk, **kwargs)

    parallel.parallel_for(bounds, body)
    return out.reshape(shape)


def apply_into(func: Callable[..., Any], operands: Sequence[Any], out: np.ndarray) -> bool:
    """`func(*operands, out=out)` (a ufunc) in chunk tasks, when `out` has the operands'
    broadcast shape and the work splits; False, with nothing written, otherwise (the caller
    then makes the one NumPy call). The caller checks overlap and casting first."""
    arrays = [a for a in operands if _is_chunkable(a)]
    if not arrays or _broadcast_shape(arrays) != out.shape or not is_large(out.size):
        return False
    plan = _chunk_plan(operands, out.shape)
    if plan is None:
        return False
    views, bounds, out_shape = plan
    if out_shape != out.shape and not out.flags.c_contiguous:
        return False
    target = out.reshape(out_shape)

    def body(lo: int, hi: int) -> None:
        func(*(v[lo:hi] if _is_chunkable(v) else v for v in views), out=target[lo:hi])

    parallel.parallel_for(bounds, body)
    return True


def _chunk_plan(
    operands: Sequence[Any], shape: tuple[int, ...]
) -> tuple[list[Any], list[tuple[int, int]], tuple[int, ...]] | None:
    """Views to slice along axis 0, the chunk bounds, and the shape of the output to allocate.

    Same-shape C-contiguous operands are raveled so any shape splits evenly; otherwise the
    operands are broadcast and split along the first axis. None when there is one chunk.
    """
    arrays = [a for a in operands if _is_chunkable(a)]
    if all(a.shape == shape and a.flags.c_contiguous for a in arrays):
        size = math.prod(shape)
        bounds = bounds_for(size)
        views = [a.reshape(-1) if _is_chunkable(a) else a for a in operands]
        out_shape: tuple[int, ...] = (size,)
    else:
        row = math.prod(shape[1:])
        if row == 0:
            return None
        bounds = bounds_for(shape[0], row)
        views = [np.broadcast_to(a, shape) if _is_chunkable(a) else a for a in operands]
        out_shape = shape
    if len(bounds) <= 1:
        return None
    return views, bounds, out_shape


def apply_ufunc(ufunc: np.ufunc, operands: Sequence[Any], dtype: np.dtype | None = None) -> Any:
    """`ufunc(*operands, dtype=dtype)` exactly as NumPy computes it, chunked when large and run
    by a Numba kernel when one is exactly equivalent."""
    if dtype is None:
        # Small operands (the common case in loops): one NumPy call, nothing to plan.
        for operand in operands:
            if isinstance(operand, np.ndarray) and is_large(operand.size):
                break
        else:
            return ufunc(*operands)
    kwargs = {} if dtype is None else {"dtype": dtype}
    if dtype is None and kernels.has_kernel(ufunc):
        result = _run_kernel(ufunc, operands)
        if result is not None:
            return result
    return apply_elementwise(ufunc, operands, kwargs)


def _scalar_descriptor(value: Any) -> Any:
    """How NumPy's type resolution sees a scalar operand, or None when no kernel applies."""
    if type(value) in (int, float):
        return type(value)  # "weak" Python scalar: takes the array's dtype
    if isinstance(value, (np.generic, np.ndarray)) and np.ndim(value) == 0:
        return value.dtype
    return None


def _kernel_plan(ufunc: np.ufunc, operands: Sequence[Any]) -> tuple[list[Any], np.dtype] | None:
    """Kernel arguments (arrays raveled, scalars converted to the loop dtype) and the output
    dtype, or None unless the kernel computes exactly what NumPy would.

    Required: every array operand C-contiguous, of one shape, of one dtype among
    KERNEL_DTYPES with at least MIN_CHUNK_ELEMENTS items; NumPy's own loop for these operands
    takes exactly that dtype for every input (so no operand needs a cast that the kernel
    would do differently); at least one operand is an array.
    """
    arrays = [a for a in operands if _is_chunkable(a)]
    if not arrays or len(operands) != ufunc.nin:
        return None
    first = arrays[0]
    dtype = first.dtype
    if dtype not in kernels.KERNEL_DTYPES or not is_large(first.size):
        return None
    if any(a.shape != first.shape or a.dtype != dtype or not a.flags.c_contiguous for a in arrays):
        return None
    descriptors = []
    for value in operands:
        descriptor = value.dtype if _is_chunkable(value) else _scalar_descriptor(value)
        if descriptor is None:
            return None
        descriptors.append(descriptor)
    try:
        loop = ufunc.resolve_dtypes((*descriptors, None))
    except (TypeError, ValueError):
        return None
    if any(d != dtype for d in loop[: ufunc.nin]):
        return None
    args: list[Any] = []
    for value in operands:
        if _is_chunkable(value):
            args.append(value.reshape(-1))
            continue
        try:
            args.append(dtype.type(value))
        except OverflowError:
            # NumPy answers comparisons with out-of-range Python ints; leave those to it.
            return None
    return args, loop[-1]


def _run_kernel(ufunc: np.ufunc, operands: Sequence[Any]) -> np.ndarray | None:
    plan = _kernel_plan(ufunc, operands)
    if plan is None:
        return None
    args, out_dtype = plan
    shape = next(a for a in operands if _is_chunkable(a)).shape
    size = math.prod(shape)
    bounds = bounds_for(size)
    if len(bounds) <= 1:
        return None  # one chunk: NumPy is as fast and needs no kernel compiled
    out = np.empty(size, out_dtype)
    if kernels.is_binary(ufunc):
        array_array, array_scalar, scalar_array = kernels.binary_kernels(ufunc)
        x, y = args
        if _is_chunkable(x) and _is_chunkable(y):
            kernel = array_array
        elif _is_chunkable(x):
            kernel = array_scalar
        else:
            kernel = scalar_array

        def body(lo: int, hi: int) -> None:
            kernel(
                x[lo:hi] if _is_chunkable(x) else x, y[lo:hi] if _is_chunkable(y) else y, out[lo:hi]
            )

    else:
        unary = kernels.unary_kernel(ufunc)
        (x,) = args

        def body(lo: int, hi: int) -> None:
            unary(x[lo:hi], out[lo:hi])

    parallel.parallel_for(bounds, body)
    return out.reshape(shape)
