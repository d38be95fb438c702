"""Python's operators as PhySL primitives (`__add`, `__lt`, `__not`, ...; see docs/physl.md).

An operator means exactly what the Python operator means on its operands: when an ndarray
is involved (with numbers or other arrays) it is the matching NumPy ufunc, chunked and
kernel-backed through elementwise_engine; otherwise Python's own operator runs, so
`step + 1` on Python ints stays a Python int and tuples concatenate. `__and`/`__or` are
special forms of the scheduler (short-circuit), not primitives here.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.elementwise_engine import apply_ufunc
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
    def impl(a: Any, b: Any) -> Any:
        if _on_arrays(a, b):
            return apply_ufunc(ufunc, (a, b))
        return python_op(a, b)

    impl.__name__ = python_op.__name__
    impl.__doc__ = f"Python's {python_op.__name__} operator; numpy.{ufunc.__name__} on arrays."
    return argument_errors(impl)


def _unary_impl(python_op: Callable[[Any], Any], ufunc: np.ufunc) -> Callable[..., Any]:
    def impl(a: Any) -> Any:
        if _on_arrays(a):
            return apply_ufunc(ufunc, (a,))
        return python_op(a)

    impl.__name__ = python_op.__name__
    impl.__doc__ = f"Python's {python_op.__name__} operator; numpy.{ufunc.__name__} on arrays."
    return argument_errors(impl)


def _register() -> None:
    for name, python_op, ufunc, spelling in _BINARY:
        primitive(
            name,
            f"{name}(a, b)",
            f"Python's `{spelling}`: numpy.{ufunc.__name__} when an operand is an array.",
            "operator",
            numpy=f"numpy.{ufunc.__name__}",
            kernel=has_kernel(ufunc),
        )(_binary_impl(python_op, ufunc))
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
