"""Argument normalization shared by the array primitive families: dtype names, axes, shapes.

It also turns NumPy's own argument errors into PrimitiveArgumentError so the scheduler can add
the source place, keeping the type NumPy raises (`argument_error`, `argument_errors`). It
registers no primitive and never computes on array data.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError

F = TypeVar("F", bound=Callable[..., Any])


def argument_error(message: str, like: type[Exception]) -> PrimitiveArgumentError:
    """A PrimitiveArgumentError saying `message`, caught as `like` too once it reaches the user.

    `like` is the type plain NumPy (or Python) raises for the same call: IndexError for an
    index out of range, numpy.exceptions.AxisError, np.linalg.LinAlgError, TypeError...
    The error's `__cause__` is `like(message)`, so `runtime_error_from` makes the user's
    PhySLRuntimeError an instance of `like` and of ValueError, as `raise
    PrimitiveArgumentError(message) from exc` does where NumPy's own exception `exc` is at
    hand (prefer that there). With `like` ValueError, or for something NumPy accepts and
    JetLag refuses, the result is a plain PrimitiveArgumentError, a ValueError already.
    Use it as `raise argument_error(f"...", IndexError)`.
    """
    error = PrimitiveArgumentError(message)
    if like is not ValueError:
        error.__cause__ = like(message)
    return error


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

    Raises PrimitiveArgumentError listing the valid names for an unknown name: from NumPy's
    TypeError where NumPy does not understand it either, a plain ValueError where NumPy
    would (a JetLag limitation: "f8", "object", a structured dtype...).
    """
    if value is None:
        return None
    if isinstance(value, np.dtype):
        return value
    if isinstance(value, str):
        if value not in DTYPE_NAMES:
            _refuse_dtype(
                value, f"unknown dtype {value!r}; valid dtype names: {', '.join(DTYPE_NAMES)}"
            )
        return np.dtype(value)
    if isinstance(value, type) and (
        issubclass(value, np.generic) or value in (bool, int, float, complex)
    ):
        return np.dtype(value)
    _refuse_dtype(
        value,
        f'dtype must be a dtype name such as "float64", got {value!r}; '
        f"valid dtype names: {', '.join(DTYPE_NAMES)}",
    )


def _refuse_dtype(value: Any, message: str) -> NoReturn:
    """Raise `message`, from the error NumPy raises for the dtype `value` if it raises one."""
    try:
        np.dtype(value)
    except (TypeError, ValueError) as exc:
        raise PrimitiveArgumentError(message) from exc
    raise PrimitiveArgumentError(message)  # NumPy knows it: a JetLag limitation


def normalize_axis(axis: Any, ndim: int) -> tuple[int, ...]:
    """`axis` (None, an int or a tuple of ints) as a sorted tuple of non-negative axes.

    None means every axis. Errors use NumPy's own words and are caught as the types NumPy
    raises: TypeError for an axis that is not an int, numpy.exceptions.AxisError for one out
    of range, ValueError for a repeated one.
    """
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    result = []
    for item in items:
        if isinstance(item, (bool, np.bool_)) or not isinstance(item, (int, np.integer)):
            raise argument_error(
                f"axis must be an int, a tuple of ints or nil, got {axis!r}", TypeError
            )
        index = int(item)
        if not -ndim <= index < ndim:
            raise argument_error(
                f"axis {index} is out of bounds for array of dimension {ndim}",
                np.exceptions.AxisError,
            )
        result.append(index % ndim if ndim else index)
    if len(set(result)) != len(result):
        raise PrimitiveArgumentError("duplicate value in 'axis'")
    return tuple(sorted(result))


def as_shape(shape: Any) -> tuple[int, ...]:
    """A shape given as an int or a tuple of ints, as a tuple of non-negative ints.

    As in NumPy, a part that is not an int is a TypeError, a negative one a ValueError.
    """
    if isinstance(shape, np.ndarray) and shape.ndim <= 1:
        shape = shape.tolist()
    items = shape if isinstance(shape, (tuple, list)) else (shape,)
    dims = []
    for item in items:
        if isinstance(item, (bool, np.bool_)):
            raise argument_error(
                f"shape must be an int or a tuple of ints, got {shape!r}", TypeError
            )
        try:
            dims.append(operator.index(item))
        except TypeError as exc:
            raise PrimitiveArgumentError(
                f"shape must be an int or a tuple of ints, got {shape!r}"
            ) from exc
    if any(d < 0 for d in dims):
        raise PrimitiveArgumentError("negative dimensions are not allowed")
    return tuple(dims)


def is_python_number(value: Any) -> bool:
    """True for plain Python int/float/complex/bool (not NumPy scalars)."""
    return type(value) in (int, float, complex, bool)


def argument_errors(impl: F) -> F:
    """Decorate a primitive so NumPy's ValueError/TypeError/OverflowError become
    PrimitiveArgumentError with the same message (the scheduler then adds the place).

    The PrimitiveArgumentError is raised from NumPy's exception, so the user's error is
    still an instance of its type (TypeError, OverflowError, LinAlgError, AxisError...).
    """

    @functools.wraps(impl)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return impl(*args, **kwargs)
        except PrimitiveArgumentError:
            raise
        except (ValueError, TypeError, OverflowError) as exc:
            raise PrimitiveArgumentError(str(exc).strip()) from exc

    return checked  # type: ignore[return-value]
