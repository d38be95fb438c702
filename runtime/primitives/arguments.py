"""Argument normalization shared by the array primitive families: dtype names, axes, shapes.

It also turns NumPy's own argument errors into PrimitiveArgumentError so the scheduler can add
the source place. It registers no primitive and never computes on array data.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError

F = TypeVar("F", bound=Callable[..., Any])

#: dtype names a PhySL program may write (NumPy's canonical names plus common spellings).
DTYPE_NAMES: tuple[str, ...] = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
    # Other spellings NumPy accepts for the same types.
    "bool_",
    "int",
    "float",
    "complex",
    "intp",
    "uintp",
    "half",
    "single",
    "double",
    "longdouble",
)


def parse_dtype(value: Any) -> np.dtype | None:
    """The NumPy dtype named by `value` (a dtype name string, a dtype, or a type), or None.

    Raises PrimitiveArgumentError listing the valid names for an unknown name.
    """
    if value is None:
        return None
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str):
        if value not in DTYPE_NAMES:
            raise PrimitiveArgumentError(
                f"unknown dtype {value!r}; valid dtype names: {', '.join(DTYPE_NAMES)}"
            )
        return np.dtype(value)
    if isinstance(value, type) and (
        issubclass(value, np.generic) or value in (bool, int, float, complex)
    ):
        return np.dtype(value)
    raise PrimitiveArgumentError(
        f'dtype must be a dtype name such as "float64", got {value!r}; '
        f"valid dtype names: {', '.join(DTYPE_NAMES)}"
    )


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes.

    None means every axis. Errors use NumPy's own words.
    """
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
            raise PrimitiveArgumentError(
                f"axis must be an int, a tuple of ints or nil, got {axis!r}"
            )
        index = int(item)
        if not -ndim <= index < ndim:
            raise PrimitiveArgumentError(
                f"axis {index} is out of bounds for array of dimension {ndim}"
            )
        result.append(index % ndim if ndim else index)
    if len(set(result)) != len(result):
        raise PrimitiveArgumentError("duplicate value in 'axis'")
    return tuple(sorted(result))


def as_shape(shape: Any) -> tuple[int, ...]:
    """A shape given as an int or a tuple of ints, as a tuple of non-negative ints."""
    if isinstance(shape, np.ndarray) and shape.ndim <= 1:
        shape = shape.tolist()
    items = shape if isinstance(shape, (tuple, list)) else (shape,)
    dims = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise PrimitiveArgumentError(f"shape must be an int or a tuple of ints, got {shape!r}")
        try:
            dims.append(operator.index(item))
        except TypeError:
            raise PrimitiveArgumentError(
                f"shape must be an int or a tuple of ints, got {shape!r}"
            ) from None
    if any(d < 0 for d in dims):
        raise PrimitiveArgumentError("negative dimensions are not allowed")
    return tuple(dims)


def is_python_number(value: Any) -> bool:
    """True for plain Python int/float/complex/bool (not NumPy scalars)."""
    return type(value) in (int, float, complex, bool)


def argument_errors(impl: F) -> F:
    """Decorate a primitive so NumPy's ValueError/TypeError/OverflowError become
    PrimitiveArgumentError with the same message (the scheduler then adds the place)."""

    @functools.wraps(impl)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return impl(*args, **kwargs)
        except PrimitiveArgumentError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise PrimitiveArgumentError(str(exc).strip()) from exc

    return checked  # type: ignore[return-value]
