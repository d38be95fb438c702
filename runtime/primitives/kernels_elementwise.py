"""Numba nogil kernels for the hot elementwise ufuncs, built lazily from scalar functions.

Each kernel loops over one chunk (1-D C-contiguous slices passed by the caller, looping from 0
so LLVM vectorizes) and writes into the chunk of the output. Only ufuncs whose Numba scalar
code gives bit-identical results to NumPy's loops are listed: exp, log and tanh are not,
because NumPy's SIMD implementations round differently from the C library that Numba calls
(measured on AVX-512: thousands of last-bit differences per 400k values), so those stay on
chunked NumPy. This module decides nothing about when a kernel may be used; the caller
(elementwise_engine) checks dtypes, layout and size. Numba is imported on first use only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

#: dtypes the kernels are compiled for (input dtype == loop dtype).
KERNEL_DTYPES: frozenset[np.dtype] = frozenset(
    np.dtype(name) for name in ("float64", "float32", "int64")
)


def _add(x, y):
    return _wrapping(x, y, 0)


def _subtract(x, y):
    return _wrapping(x, y, 1)


def _multiply(x, y):
    return _wrapping(x, y, 2)


def _divide(x, y):
    return x / y


# NumPy's maximum/minimum: a NaN in either operand wins, and on ties the second operand is
# returned (this decides the sign of a zero result, e.g. maximum(0.0, -0.0) is -0.0).
def _maximum(x, y):
    return x if (x > y or x != x) else y


def _minimum(x, y):
    return x if (x < y or x != x) else y


def _less(x, y):
    return x < y


def _less_equal(x, y):
    return x <= y


def _greater(x, y):
    return x > y


def _greater_equal(x, y):
    return x >= y


def _equal(x, y):
    return x == y


def _not_equal(x, y):
    return x != y


def _negative(x):
    return _wrapping(x, x, 3)


def _absolute(x):
    return _wrapping(x, x, 4)


def _wrapping(x: Any, y: Any, op: int) -> Any:
    """x + y, x - y, x * y, -x or abs(x) (op 0..4) as NumPy computes them: integers wrap.

    Numba's signed integer arithmetic tells LLVM it never overflows (nsw), which makes an
    overflow undefined; on integers this computes on uint64 bits instead (compiled through
    the overload registered in `_register_wrapping`)."""
    return (x + y, x - y, x * y, -x, abs(x))[op]


@functools.cache
def _register_wrapping() -> None:
    from numba.core import types
    from numba.extending import overload

    @overload(_wrapping)
    def _wrapping_overload(x, y, op):  # pragma: no cover - typed by Numba
        if isinstance(x, types.Integer) and isinstance(y, types.Integer):
            kind = np.dtype(str(x))

            def integer(x, y, op):
                a, b = np.uint64(x), np.uint64(y)
                if op == 0:
                    bits = a + b
                elif op == 1:
                    bits = a - b
                elif op == 2:
                    bits = a * b
                elif op == 3 or x < 0:
                    bits = np.uint64(0) - a
                else:
                    bits = a
                return kind.type(bits)

            return integer

        def other(x, y, op):
            if op == 0:
                return x + y
            if op == 1:
                return x - y
            if op == 2:
                return x * y
            if op == 3:
                return -x
            return abs(x)

        return other


def _sqrt(x):
    return np.sqrt(x)


_BINARY: dict[np.ufunc, Callable[[Any, Any], Any]] = {
    np.add: _add,
    np.subtract: _subtract,
    np.multiply: _multiply,
    np.true_divide: _divide,
    np.maximum: _maximum,
    np.minimum: _minimum,
    np.less: _less,
    np.less_equal: _less_equal,
    np.greater: _greater,
    np.greater_equal: _greater_equal,
    np.equal: _equal,
    np.not_equal: _not_equal,
}

_UNARY: dict[np.ufunc, Callable[[Any], Any]] = {
    np.negative: _negative,
    np.absolute: _absolute,
    np.sqrt: _sqrt,
}


def has_kernel(ufunc: np.ufunc) -> bool:
    """True when a Numba kernel backs `ufunc` (for the registry's `kernel` flag)."""
    return ufunc in _BINARY or ufunc in _UNARY


def _jit(function: Callable[..., Any]) -> Any:
    import numba  # deferred: importing Numba costs ~0.5 s and most programs never need it

    _register_wrapping()
    # error_model="numpy": x/0.0 gives inf/nan as in NumPy instead of raising.
    return numba.njit(nogil=True, error_model="numpy")(function)


@functools.cache
def binary_kernels(ufunc: np.ufunc) -> tuple[Any, Any, Any]:
    """(array-array, array-scalar, scalar-array) kernels `k(x, y, out)` for a binary ufunc."""
    scalar = _jit(_BINARY[ufunc])

    def array_array(x, y, out):
        for i in range(out.shape[0]):
            out[i] = scalar(x[i], y[i])

    def array_scalar(x, y, out):
        for i in range(out.shape[0]):
            out[i] = scalar(x[i], y)

    def scalar_array(x, y, out):
        for i in range(out.shape[0]):
            out[i] = scalar(x, y[i])

    return _jit(array_array), _jit(array_scalar), _jit(scalar_array)


@functools.cache
def unary_kernel(ufunc: np.ufunc) -> Any:
    """The kernel `k(x, out)` for a unary ufunc."""
    scalar = _jit(_UNARY[ufunc])

    def array(x, out):
        for i in range(out.shape[0]):
            out[i] = scalar(x[i])

    return _jit(array)


def is_binary(ufunc: np.ufunc) -> bool:
    """True when `ufunc` has binary kernels."""
    return ufunc in _BINARY
