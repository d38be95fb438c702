"""Casting primitives: astype, NumPy's scalar types as functions (float64(x) ...), and Python's
float/int/bool/complex with Python's semantics.

Large C-contiguous casts are split into chunk tasks (NumPy's unsafe cast, as astype does).
dtype arguments are NumPy dtype names. This module only converts values; it never creates
arrays of a new shape.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import parallel
from jetlag.runtime.primitives.arguments import argument_error, argument_errors, parse_dtype
from jetlag.runtime.primitives.chunking import bounds_for, is_large
from jetlag.runtime.primitives.registry import primitive


def cast_array(arr: np.ndarray, dtype: np.dtype, copy: bool = True) -> np.ndarray:
    """arr.astype(dtype, copy=copy), chunked for a large C-contiguous array."""
    if arr.dtype == dtype and not copy:
        return arr
    if not is_large(arr.size) or not arr.flags.c_contiguous:
        return arr.astype(dtype, copy=copy)
    bounds = bounds_for(arr.size)
    if len(bounds) <= 1:
        return arr.astype(dtype, copy=copy)
    out = np.empty(arr.shape, dtype)
    source, target = arr.reshape(-1), out.reshape(-1)
    parallel.parallel_for(
        bounds, lambda lo, hi: np.copyto(target[lo:hi], source[lo:hi], casting="unsafe")
    )
    return out


def _convert(value: Any, dtype: np.dtype, copy: bool = True) -> Any:
    if isinstance(value, np.ndarray):
        return cast_array(value, dtype, copy)
    if isinstance(value, np.generic):
        return value.astype(dtype)
    converted = np.asarray(value).astype(dtype)
    return converted[()] if converted.ndim == 0 else converted


@primitive(
    "astype",
    "astype(x, dtype, copy=true)",
    'x converted to the dtype named ("float32", "int64", "bool", ...).',
    "casting",
    numpy="numpy.ndarray.astype",
    aliases=("numpy.astype",),
    methods=("astype",),
)
@argument_errors
def astype(x: Any, dtype: Any, copy: bool = True) -> Any:
    """x.astype(dtype, copy=copy); chunked for large arrays; scalars give NumPy scalars."""
    parsed = parse_dtype(dtype)
    if parsed is None:
        raise PrimitiveArgumentError('astype needs a dtype name such as "float64", got nil')
    return _convert(x, parsed, copy)


# NumPy's scalar types called as functions: np.float32(x) converts a scalar or an array.
_SCALAR_TYPES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("float64", ("numpy.float64", "numpy.double")),
    ("float32", ("numpy.float32", "numpy.single")),
    ("float16", ("numpy.float16", "numpy.half")),
    ("int64", ("numpy.int64",)),
    ("int32", ("numpy.int32",)),
    ("int16", ("numpy.int16",)),
    ("int8", ("numpy.int8",)),
    ("uint64", ("numpy.uint64",)),
    ("uint32", ("numpy.uint32",)),
    ("uint16", ("numpy.uint16",)),
    ("uint8", ("numpy.uint8",)),
    ("bool_", ("numpy.bool_", "numpy.bool")),
    ("complex128", ("numpy.complex128", "numpy.cdouble")),
    ("complex64", ("numpy.complex64", "numpy.csingle")),
)


def _scalar_type_impl(dtype: np.dtype) -> Callable[..., Any]:
    def impl(x: Any = 0) -> Any:
        if isinstance(x, np.ndarray):
            return cast_array(x, dtype)
        return dtype.type(x)

    impl.__name__ = dtype.name
    impl.__doc__ = f"numpy.{dtype.type.__name__}(x): a {dtype.name} scalar, or an array cast."
    return argument_errors(impl)


def _register_scalar_types() -> None:
    for name, aliases in _SCALAR_TYPES:
        dtype = np.dtype(name)
        primitive(
            name,
            f"{name}(x=0)",
            f"x as a NumPy {dtype.name} scalar (an array is cast element-wise).",
            "casting",
            numpy=aliases[0],
            aliases=aliases,
        )(_scalar_type_impl(dtype))


_register_scalar_types()


def _scalar_operand(value: Any, builtin: str) -> Any:
    """`value` unless it is an array with dimensions (Python cannot make one number of it).

    The error is Python's: a TypeError, but for bool() the ValueError of an ambiguous truth.
    """
    if isinstance(value, np.ndarray) and value.ndim > 0:
        raise argument_error(
            f"{builtin}() needs a scalar or a 0-d array, got an array of shape {value.shape}; "
            f"use astype(x, dtype) to convert every element",
            ValueError if builtin == "bool" else TypeError,
        )
    return value


@primitive(
    "float",
    "float(x=0.0)",
    "Python's float(x): a Python float from a number, a 0-d array or a string.",
    "casting",
    numpy=None,
    aliases=("builtins.float",),
)
@argument_errors
def float_(x: Any = 0.0) -> float:
    """builtins.float; an array with dimensions is an error (use astype)."""
    return builtins.float(_scalar_operand(x, "float"))


@primitive(
    "int",
    "int(x=0, base=nil)",
    "Python's int(x): truncates toward zero; a string may give a base.",
    "casting",
    numpy=None,
    aliases=("builtins.int",),
)
@argument_errors
def int_(x: Any = 0, base: Any = None) -> int:
    """builtins.int; an array with dimensions is an error (use astype)."""
    value = _scalar_operand(x, "int")
    return builtins.int(value) if base is None else builtins.int(value, base)


@primitive(
    "bool",
    "bool(x=false)",
    "Python's bool(x): truth value of a number, a 0-d array, a string or a tuple.",
    "casting",
    numpy=None,
    aliases=("builtins.bool",),
)
@argument_errors
def bool_(x: Any = False) -> bool:
    """builtins.bool; an array with dimensions is an error (use astype or any/all)."""
    return builtins.bool(_scalar_operand(x, "bool"))


@primitive(
    "complex",
    "complex(real=0, imag=0)",
    "Python's complex(real, imag).",
    "casting",
    numpy=None,
    aliases=("builtins.complex",),
)
@argument_errors
def complex_(real: Any = 0, imag: Any = 0) -> complex:
    """builtins.complex; arrays with dimensions are an error."""
    return builtins.complex(_scalar_operand(real, "complex"), _scalar_operand(imag, "complex"))
