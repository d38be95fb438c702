"""Elementwise primitives: NumPy's ufuncs plus where, clip, round, nan_to_num and sinc.

Results, dtypes and broadcasting are NumPy's -- also for Python numbers: `np.abs(1)` is
`np.int64(1)`, as in NumPy. Large inputs are split into chunk tasks by elementwise_engine
(Numba kernels for the hot ufuncs). Python's builtins abs, max, min and round are other
primitives (builtin_numbers.py); operators (`__add` ...) live in operators.py; reductions
(`sum`, `max(a)` of one array via `numpy.max`) in reductions.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import (
    argument_error,
    argument_errors,
    parse_dtype,
)
from jetlag.runtime.primitives.elementwise_engine import apply_elementwise, apply_ufunc
from jetlag.runtime.primitives.kernels_elementwise import has_kernel
from jetlag.runtime.primitives.registry import primitive

# (PhySL name, one-line doc, extra qualified aliases). The ufunc is numpy.<name>.
_UNARY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("negative", "Numerical negative, element-wise.", ()),
    ("positive", "Numerical positive (a copy), element-wise.", ()),
    ("fabs", "Absolute value of floats, element-wise.", ()),
    ("sign", "Sign (-1, 0, 1; nan for nan), element-wise.", ()),
    ("exp", "Exponential e**x, element-wise.", ()),
    ("exp2", "2**x, element-wise.", ()),
    ("expm1", "exp(x) - 1, accurate for small x, element-wise.", ()),
    ("log", "Natural logarithm, element-wise.", ()),
    ("log2", "Base-2 logarithm, element-wise.", ()),
    ("log10", "Base-10 logarithm, element-wise.", ()),
    ("log1p", "log(1 + x), accurate for small x, element-wise.", ()),
    ("sqrt", "Non-negative square root, element-wise.", ()),
    ("cbrt", "Cube root, element-wise.", ()),
    ("square", "x*x, element-wise.", ()),
    ("reciprocal", "1/x, element-wise (integer division for integers).", ()),
    ("sin", "Sine, element-wise.", ()),
    ("cos", "Cosine, element-wise.", ()),
    ("tan", "Tangent, element-wise.", ()),
    ("arcsin", "Inverse sine, element-wise.", ("numpy.asin",)),
    ("arccos", "Inverse cosine, element-wise.", ("numpy.acos",)),
    ("arctan", "Inverse tangent, element-wise.", ("numpy.atan",)),
    ("sinh", "Hyperbolic sine, element-wise.", ()),
    ("cosh", "Hyperbolic cosine, element-wise.", ()),
    ("tanh", "Hyperbolic tangent, element-wise.", ()),
    ("arcsinh", "Inverse hyperbolic sine, element-wise.", ("numpy.asinh",)),
    ("arccosh", "Inverse hyperbolic cosine, element-wise.", ("numpy.acosh",)),
    ("arctanh", "Inverse hyperbolic tangent, element-wise.", ("numpy.atanh",)),
    ("degrees", "Radians to degrees, element-wise.", ()),
    ("radians", "Degrees to radians, element-wise.", ()),
    ("deg2rad", "Degrees to radians, element-wise.", ()),
    ("rad2deg", "Radians to degrees, element-wise.", ()),
    ("floor", "Floor, element-wise.", ()),
    ("ceil", "Ceiling, element-wise.", ()),
    ("trunc", "Truncate toward zero, element-wise.", ()),
    ("rint", "Round to the nearest integer (half to even), element-wise.", ()),
    ("logical_not", "Logical NOT, element-wise.", ()),
    ("isnan", "True where NaN, element-wise.", ()),
    ("isinf", "True where +inf or -inf, element-wise.", ()),
    ("isfinite", "True where neither inf nor NaN, element-wise.", ()),
    ("signbit", "True where the sign bit is set, element-wise.", ()),
    (
        "invert",
        "Bitwise NOT (logical NOT for bool), element-wise.",
        ("numpy.bitwise_not", "numpy.bitwise_invert"),
    ),
)

_BINARY: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("add", "Sum of the operands, element-wise with broadcasting.", ()),
    ("subtract", "Difference x1 - x2, element-wise with broadcasting.", ()),
    ("multiply", "Product, element-wise with broadcasting.", ()),
    ("divide", "True division x1 / x2, element-wise with broadcasting.", ()),
    ("true_divide", "True division x1 / x2, element-wise with broadcasting.", ()),
    ("floor_divide", "Floor division x1 // x2, element-wise with broadcasting.", ()),
    ("mod", "Remainder with the sign of the divisor (x1 % x2), element-wise.", ()),
    ("remainder", "Remainder with the sign of the divisor (x1 % x2), element-wise.", ()),
    ("fmod", "C fmod remainder (sign of the dividend), element-wise.", ()),
    ("power", "x1 ** x2, element-wise with broadcasting.", ("numpy.pow",)),
    ("float_power", "x1 ** x2 computed in at least float64, element-wise.", ()),
    ("arctan2", "Angle of the point (x2, x1), element-wise.", ("numpy.atan2",)),
    ("hypot", "sqrt(x1**2 + x2**2), element-wise.", ()),
    ("logaddexp", "log(exp(x1) + exp(x2)), element-wise.", ()),
    ("logaddexp2", "log2(2**x1 + 2**x2), element-wise.", ()),
    ("fmax", "Maximum ignoring NaN, element-wise.", ()),
    ("fmin", "Minimum ignoring NaN, element-wise.", ()),
    ("logical_and", "Logical AND, element-wise.", ()),
    ("logical_or", "Logical OR, element-wise.", ()),
    ("logical_xor", "Logical XOR, element-wise.", ()),
    ("equal", "x1 == x2, element-wise.", ()),
    ("not_equal", "x1 != x2, element-wise.", ()),
    ("less", "x1 < x2, element-wise.", ()),
    ("less_equal", "x1 <= x2, element-wise.", ()),
    ("greater", "x1 > x2, element-wise.", ()),
    ("greater_equal", "x1 >= x2, element-wise.", ()),
    ("bitwise_and", "Bitwise AND, element-wise.", ()),
    ("bitwise_or", "Bitwise OR, element-wise.", ()),
    ("bitwise_xor", "Bitwise XOR, element-wise.", ()),
    ("left_shift", "x1 << x2, element-wise.", ("numpy.bitwise_left_shift",)),
    ("right_shift", "x1 >> x2, element-wise.", ("numpy.bitwise_right_shift",)),
    ("copysign", "x1 with the sign of x2, element-wise.", ()),
    ("heaviside", "Heaviside step: 0 below 0, x2 at 0, 1 above, element-wise.", ()),
)


def _unary_impl(ufunc: np.ufunc) -> Callable[..., Any]:
    def impl(x: Any, dtype: Any = None) -> Any:
        return apply_ufunc(ufunc, (x,), parse_dtype(dtype))

    impl.__name__ = ufunc.__name__
    impl.__doc__ = f"numpy.{ufunc.__name__}(x, dtype=dtype), chunked when large."
    return argument_errors(impl)


def _binary_impl(ufunc: np.ufunc) -> Callable[..., Any]:
    def impl(x1: Any, x2: Any, dtype: Any = None) -> Any:
        return apply_ufunc(ufunc, (x1, x2), parse_dtype(dtype))

    impl.__name__ = ufunc.__name__
    impl.__doc__ = f"numpy.{ufunc.__name__}(x1, x2, dtype=dtype), chunked when large."
    return argument_errors(impl)


def _register_ufuncs() -> None:
    for table, arguments, impl_for in (
        (_UNARY, "x", _unary_impl),
        (_BINARY, "x1, x2", _binary_impl),
    ):
        for name, doc, aliases in table:
            ufunc = getattr(np, name)
            primitive(
                name,
                f"{name}({arguments}, dtype=nil)",
                doc,
                "elementwise",
                numpy=f"numpy.{name}",
                aliases=(f"numpy.{name}", *aliases),
                kernel=has_kernel(ufunc),
            )(impl_for(ufunc))


_register_ufuncs()


@primitive(
    "absolute",
    "absolute(x, dtype=nil)",
    "Absolute value, element-wise.",
    "elementwise",
    numpy="numpy.absolute",
    aliases=("numpy.absolute", "numpy.abs"),
    kernel=True,
)
@argument_errors
def absolute(x: Any, dtype: Any = None) -> Any:
    """numpy.absolute."""
    return apply_ufunc(np.absolute, (x,), parse_dtype(dtype))


@primitive(
    "maximum",
    "maximum(x1, x2, dtype=nil)",
    "Element-wise maximum, NaN propagating.",
    "elementwise",
    numpy="numpy.maximum",
    aliases=("numpy.maximum",),
    kernel=True,
)
@argument_errors
def maximum(x1: Any, x2: Any, dtype: Any = None) -> Any:
    """numpy.maximum(x1, x2)."""
    return apply_ufunc(np.maximum, (x1, x2), parse_dtype(dtype))


@primitive(
    "minimum",
    "minimum(x1, x2, dtype=nil)",
    "Element-wise minimum, NaN propagating.",
    "elementwise",
    numpy="numpy.minimum",
    aliases=("numpy.minimum",),
    kernel=True,
)
@argument_errors
def minimum(x1: Any, x2: Any, dtype: Any = None) -> Any:
    """numpy.minimum(x1, x2)."""
    return apply_ufunc(np.minimum, (x1, x2), parse_dtype(dtype))


@primitive(
    "round",
    "round(a, decimals=0)",
    "Round to the given number of decimals, half to even.",
    "elementwise",
    numpy="numpy.round",
    aliases=("numpy.round", "numpy.around"),
    methods=("round",),
)
@argument_errors
def round_(a: Any, decimals: Any = None) -> Any:
    """numpy.round (a NumPy float for a Python float: np.round(2.5) is np.float64(2.0))."""
    return apply_elementwise(np.round, (a,), {"decimals": 0 if decimals is None else decimals})


@primitive(
    "where",
    "where(condition, x, y)",
    "x where condition is true, else y, with broadcasting (where(c) alone: nonzero indices).",
    "elementwise",
    numpy="numpy.where",
    aliases=("numpy.where",),
)
@argument_errors
def where(condition: Any, x: Any = None, y: Any = None) -> Any:
    """numpy.where(condition, x, y), chunked when large; one argument gives the index tuple."""
    if x is None and y is None:
        return np.where(condition)
    if x is None or y is None:
        raise PrimitiveArgumentError("where takes either 1 or 3 arguments (condition, x, y)")
    return apply_elementwise(np.where, (condition, x, y), has_out=False)


@primitive(
    "clip",
    "clip(a, a_min=nil, a_max=nil)",
    "Limit values to [a_min, a_max] (min=/max= also accepted), element-wise.",
    "elementwise",
    numpy="numpy.clip",
    aliases=("numpy.clip",),
    methods=("clip",),
)
@argument_errors
def clip(a: Any, a_min: Any = None, a_max: Any = None, **bounds: Any) -> Any:
    """numpy.clip(a, a_min, a_max); NumPy 2's keywords min= and max= work too."""
    unknown = set(bounds) - {"min", "max"}
    if unknown:
        raise argument_error(f"clip got unexpected keyword arguments {sorted(unknown)}", TypeError)
    lo = bounds.get("min", a_min)
    hi = bounds.get("max", a_max)
    return apply_elementwise(np.clip, (a, lo, hi))


@primitive(
    "nan_to_num",
    "nan_to_num(x, copy=true, nan=0.0, posinf=nil, neginf=nil)",
    "Replace NaN by `nan` and infinities by `posinf`/`neginf` (default: largest finite).",
    "elementwise",
    numpy="numpy.nan_to_num",
    aliases=("numpy.nan_to_num",),
)
@argument_errors
def nan_to_num(
    x: Any, copy: bool = True, nan: Any = 0.0, posinf: Any = None, neginf: Any = None
) -> Any:
    """numpy.nan_to_num; copy=false edits x in place as NumPy does (no chunking then)."""
    options = {"nan": nan, "posinf": posinf, "neginf": neginf}
    if not copy:
        return np.nan_to_num(x, copy=False, **options)
    return apply_elementwise(np.nan_to_num, (x,), options, has_out=False)


@primitive(
    "sinc",
    "sinc(x)",
    "Normalized sinc sin(pi x)/(pi x), element-wise.",
    "elementwise",
    numpy="numpy.sinc",
    aliases=("numpy.sinc",),
)
@argument_errors
def sinc(x: Any) -> Any:
    """numpy.sinc, chunked when large."""
    return apply_elementwise(np.sinc, (x,), has_out=False)
