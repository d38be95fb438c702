"""Python's operators as PhySL primitives (`__add`, `__lt`, `__not`, ...; see docs/physl.md).

An operator means exactly what the Python operator means on its operands: when an ndarray
is involved (with numbers or other arrays) it is the matching NumPy ufunc, chunked and
kernel-backed through elementwise_engine; otherwise Python's own operator runs, so
`step + 1` on Python ints stays a Python int and tuples concatenate. The in-place operators
(`__iadd`, ... for `x += v`) are Python's `operator.iadd`, ...: on an ndarray NumPy's ufunc
with `out=` the array itself (its casting check and errors), on anything else the plain
operator, which re-binds. `__and`/`__or` are special forms of the scheduler (short-circuit),
not primitives here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.chunking import is_large
from jetlag.runtime.primitives.elementwise_engine import apply_into, apply_ufunc
from jetlag.runtime.primitives.kernels_elementwise import has_kernel
from jetlag.runtime.primitives.registry import primitive

_NUMERIC = (np.ndarray, np.generic, int, float, complex, bool)

# (PhySL name, Python operator, ufunc, Python spelling for the docs)
_BINARY: tuple[tuple[str, Callable[[Any, Any], Any], np.ufunc, str], ...] = (
    ("__add", operator.add, np.add, "a + b"),
    ("__sub", operator.sub, np.subtract, "a - b"),
    ("__mul", operator.mul, np.multiply, "a * b"),
    ("__div", operator.truediv, np.true_divide, "a / b"),
    ("__floordiv", operator.floordiv, np.floor_divide, "a // b"),
    ("__mod", operator.mod, np.remainder, "a % b"),
    ("__pow", operator.pow, np.power, "a ** b"),
    ("__lt", operator.lt, np.less, "a < b"),
    ("__le", operator.le, np.less_equal, "a <= b"),
    ("__gt", operator.gt, np.greater, "a > b"),
    ("__ge", operator.ge, np.greater_equal, "a >= b"),
    ("__eq", operator.eq, np.equal, "a == b"),
    ("__ne", operator.ne, np.not_equal, "a != b"),
    ("__bitand", operator.and_, np.bitwise_and, "a & b"),
    ("__bitor", operator.or_, np.bitwise_or, "a | b"),
    ("__bitxor", operator.xor, np.bitwise_xor, "a ^ b"),
    ("__lshift", operator.lshift, np.left_shift, "a << b"),
    ("__rshift", operator.rshift, np.right_shift, "a >> b"),
)

# (PhySL name, Python's in-place operator, its ufunc, Python spelling for the docs)
_IN_PLACE: tuple[tuple[str, Callable[[Any, Any], Any], np.ufunc, str], ...] = (
    ("__iadd", operator.iadd, np.add, "a += b"),
    ("__isub", operator.isub, np.subtract, "a -= b"),
    ("__imul", operator.imul, np.multiply, "a *= b"),
    ("__idiv", operator.itruediv, np.true_divide, "a /= b"),
    ("__ifloordiv", operator.ifloordiv, np.floor_divide, "a //= b"),
    ("__imod", operator.imod, np.remainder, "a %= b"),
    ("__ipow", operator.ipow, np.power, "a **= b"),
    ("__imatmul", operator.imatmul, np.matmul, "a @= b"),
    ("__ibitand", operator.iand, np.bitwise_and, "a &= b"),
    ("__ibitor", operator.ior, np.bitwise_or, "a |= b"),
    ("__ibitxor", operator.ixor, np.bitwise_xor, "a ^= b"),
    ("__ilshift", operator.ilshift, np.left_shift, "a <<= b"),
    ("__irshift", operator.irshift, np.right_shift, "a >>= b"),
)

_UNARY: tuple[tuple[str, Callable[[Any], Any], np.ufunc, str], ...] = (
    ("__neg", operator.neg, np.negative, "-a"),
    ("__pos", operator.pos, np.positive, "+a"),
    ("__invert", operator.invert, np.invert, "~a"),
)


def _on_arrays(*operands: Any) -> bool:
    """True when NumPy's ufunc is what Python's operator would run (an array among numbers)."""
    # A plain loop, not any()/all() over generators: this runs for every operator evaluation.
    array = False
    for x in operands:
        if not isinstance(x, _NUMERIC):
            return False
        array = array or isinstance(x, np.ndarray)
    return array


def _binary_impl(python_op: Callable[[Any, Any], Any], ufunc: np.ufunc) -> Callable[..., Any]:
    """The operator itself; its registered form turns argument errors into
    PrimitiveArgumentError (argument_errors)."""

    def impl(a: Any, b: Any) -> Any:
        if _on_arrays(a, b):
            if ufunc is np.power and type(b) is int and b == 2 and isinstance(a, np.ndarray):
                # ndarray.__pow__ squares for the exponent 2 (a bool array gives int8).
                return apply_ufunc(np.square, (a,))
            return apply_ufunc(ufunc, (a, b))
        return python_op(a, b)

    impl.__name__ = python_op.__name__
    impl.__doc__ = f"Python's {python_op.__name__} operator; numpy.{ufunc.__name__} on arrays."
    return impl


def _unary_impl(python_op: Callable[[Any], Any], ufunc: np.ufunc) -> Callable[..., Any]:
    def impl(a: Any) -> Any:
        if _on_arrays(a):
            return apply_ufunc(ufunc, (a,))
        return python_op(a)

    impl.__name__ = python_op.__name__
    impl.__doc__ = f"Python's {python_op.__name__} operator; numpy.{ufunc.__name__} on arrays."
    return argument_errors(impl)


def _in_place_operand(value: Any) -> bool:
    """Whether `value` may be the right operand of a chunked in-place ufunc call."""
    if type(value) is np.ndarray:
        return value.dtype.kind in "biufc"
    return type(value) in (int, float, complex, bool) or (
        isinstance(value, np.generic) and value.dtype.kind in "biufc"
    )


def _chunked_in_place(ufunc: np.ufunc, a: np.ndarray, b: Any) -> bool:
    """`ufunc(a, b, out=a)` in chunks on the workers when that is exactly NumPy's result;
    False (nothing written) when it is not, or not worth it: the caller then makes the one
    NumPy call, which also raises NumPy's own errors."""
    if type(a) is not np.ndarray or a.ndim == 0 or not is_large(a.size):
        return False
    if ufunc.signature is not None or a.dtype.kind not in "biufc" or not a.flags.writeable:
        return False
    if not _in_place_operand(b):
        return False
    array = isinstance(b, np.ndarray)
    if array and np.may_share_memory(a, b):
        return False  # NumPy buffers an operand overlapping the output; chunks would not
    # Type resolution and the same_kind cast check do not depend on sizes: an empty call
    # fails exactly when the real one would (before writing anything).
    probe = np.empty((0,), a.dtype)
    try:
        ufunc(probe, np.empty((0,), b.dtype) if array else b, out=probe)
    except Exception:  # noqa: BLE001 - the caller's single call raises NumPy's error
        return False
    return apply_into(ufunc, (a, b), a)


def _in_place_impl(python_op: Callable[[Any, Any], Any], ufunc: np.ufunc) -> Callable[..., Any]:
    # Not an ndarray `a`: Python's operator (its result and its words), with the ufunc
    # chunked like the plain operator's when `b` is an array.
    rebinding = python_op if ufunc.signature is not None else _binary_impl(python_op, ufunc)

    def impl(a: Any, b: Any) -> Any:
        if isinstance(a, np.ndarray):
            if _chunked_in_place(ufunc, a, b):
                return a
            return python_op(a, b)  # NumPy's in-place ufunc; its errors as they are
        return rebinding(a, b)  # numbers, NumPy scalars, tuples: Python re-binds

    impl.__name__ = python_op.__name__
    impl.__doc__ = (
        f"Python's {python_op.__name__} operator: numpy.{ufunc.__name__} with out= an "
        "ndarray first operand, the plain operator otherwise."
    )
    return impl


def _register() -> None:
    for name, python_op, ufunc, spelling in _BINARY:
        primitive(
            name,
            f"{name}(a, b)",
            f"Python's `{spelling}`: numpy.{ufunc.__name__} when an operand is an array.",
            "operator",
            numpy=f"numpy.{ufunc.__name__}",
            kernel=has_kernel(ufunc),
        )(argument_errors(_binary_impl(python_op, ufunc)))
    for name, python_op, ufunc, spelling in _IN_PLACE:
        primitive(
            name,
            f"{name}(a, b)",
            f"Python's `{spelling}`: writes an ndarray `a` in place (numpy.{ufunc.__name__} "
            f"with out=a, same_kind casting); re-binds a number `a`, like Python.",
            "inplace",
            numpy=f"numpy.{ufunc.__name__}",
            writes_first=True,
        )(_in_place_impl(python_op, ufunc))
    for name, python_op, ufunc, spelling in _UNARY:
        primitive(
            name,
            f"{name}(a)",
            f"Python's `{spelling}`: numpy.{ufunc.__name__} on an array.",
            "operator",
            numpy=f"numpy.{ufunc.__name__}",
            kernel=has_kernel(ufunc),
        )(_unary_impl(python_op, ufunc))


_register()


@primitive(
    "__not",
    "__not(a)",
    "Python's `not a` (a bool); numpy.logical_not on an array.",
    "operator",
    numpy="numpy.logical_not",
)
@argument_errors
def not_(a: Any) -> Any:
    """`not a` for scalars and other values; element-wise logical_not for an ndarray."""
    if isinstance(a, np.ndarray):
        return apply_ufunc(np.logical_not, (a,))
    return not a
