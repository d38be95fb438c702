"""Indexing primitives: list, span, slice, range, take, nonzero, argwhere, flatnonzero,
and `assign_index`, the in-place write the scheduler performs for `store(slice(x, ...), v)`.

`slice(x, i1, ..., ik)` is `x[i1, ..., ik]` with the PhySL index rules (docs/physl.md): an
int, a span (Python slice), nil (np.newaxis), a bool/int array, or a list (a tuple, turned
into an index array). Reading and writing share those rules and the bounds checks, so both
report an out-of-range index the same way. Errors are caught as the types Python and NumPy
raise for the same indexing (IndexError, TypeError; see `argument_error`). This module must
not decide when a store runs; the scheduler orders it.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import argument_error, argument_errors
from jetlag.runtime.primitives.registry import primitive

_INDEX_RULE = "indices must be integers, spans, nil, lists of integers/bools, or int/bool arrays"


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _index_part(part: Any) -> Any:
    """One PhySL index component as the object NumPy indexing expects (NumPy raises
    IndexError for every kind refused here)."""
    if part is None or part is Ellipsis or isinstance(part, slice) or _is_int(part):
        return part
    if isinstance(part, (bool, np.bool_)):
        return part
    if isinstance(part, (tuple, list, range)):
        arr = np.asarray(part) if len(part) else np.zeros(0, dtype=np.intp)
        if arr.dtype.kind not in "biu":
            raise argument_error(
                f"a list used as an index must hold integers or bools, got {part!r}; {_INDEX_RULE}",
                IndexError,
            )
        return arr
    if isinstance(part, np.ndarray):
        if part.dtype.kind not in "biu":
            raise argument_error(
                f"an index array must have an integer or bool dtype, got {part.dtype}; "
                f"{_INDEX_RULE}",
                IndexError,
            )
        return part
    if isinstance(part, (float, np.floating)):
        raise argument_error(
            f"index {part!r} is a float; {_INDEX_RULE} (use int(...) to convert)", IndexError
        )
    raise argument_error(f"cannot index with a {type(part).__name__}; {_INDEX_RULE}", IndexError)


def _axes_used(part: Any) -> int:
    """How many axes of the indexed array one (converted) index component consumes."""
    if part is None or isinstance(part, (bool, np.bool_)):
        return 0
    if isinstance(part, np.ndarray) and part.dtype.kind == "b":
        return part.ndim
    return 1


def _check_bounds(shape: tuple[int, ...], parts: tuple[Any, ...]) -> None:
    """Too many indices and out-of-range integers, reported before NumPy sees them."""
    ellipses = sum(1 for p in parts if p is Ellipsis)
    used = sum(_axes_used(p) for p in parts if p is not Ellipsis)
    if used > len(shape) or ellipses > 1:
        raise argument_error(
            f"too many indices: the array has {len(shape)} dimension"
            f"{'' if len(shape) == 1 else 's'} (shape {shape}) but {used} "
            f"{'was' if used == 1 else 'were'} indexed",
            IndexError,
        )
    axis = 0
    for position, part in enumerate(parts):
        if part is Ellipsis:
            axis = len(shape) - sum(_axes_used(p) for p in parts[position + 1 :])
            continue
        scalar_array = isinstance(part, np.ndarray) and part.ndim == 0
        if _is_int(part) or (scalar_array and part.dtype.kind in "iu"):
            size = shape[axis]
            if not -size <= int(part) < size:
                raise argument_error(
                    f"index {int(part)} is out of bounds for axis {axis} with size {size}",
                    IndexError,
                )
        axis += _axes_used(part)


def _numpy_index(shape: tuple[int, ...], indices: tuple[Any, ...]) -> tuple[Any, ...]:
    parts = tuple(_index_part(part) for part in indices)
    _check_bounds(shape, parts)
    return parts


def _render_part(part: Any) -> str:
    if part is None:
        return "None"
    if part is Ellipsis:
        return "..."
    if isinstance(part, slice):
        text = ("" if part.start is None else str(part.start)) + ":"
        text += "" if part.stop is None else str(part.stop)
        return text if part.step is None else f"{text}:{part.step}"
    if isinstance(part, (tuple, list)):
        return "[" + ", ".join(_render_part(p) for p in part) + "]"
    if isinstance(part, np.ndarray):
        if part.ndim == 0:
            return str(part.item())
        return f"<{part.dtype} array of shape {part.shape}>"
    return str(part)


def render_index(name: str, indices: tuple[Any, ...]) -> str:
    """How the indexing expression reads in Python: `x[1, :]`, `x[()]`."""
    if not indices:
        return f"{name}[()]"
    return f"{name}[{', '.join(_render_part(p) for p in indices)}]"


def _kind(value: Any) -> str:
    if isinstance(value, tuple):
        return "list (a tuple)"
    return type(value).__name__


@primitive(
    "list",
    "list(*items)",
    "A list value (a Python tuple) of its arguments; Python tuple and list displays.",
    "indexing",
)
def list_(*items: Any) -> tuple[Any, ...]:
    """PhySL list(a, b, ...) -> (a, b, ...)."""
    return tuple(items)


def _slice_bound(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return operator.index(value)
    except TypeError as exc:  # indexing with it raises TypeError in Python and NumPy
        raise PrimitiveArgumentError(
            f"bounds and step must be integers or nil, got {type(value).__name__} {value!r}"
        ) from exc


@primitive(
    "span",
    "span(lo, hi, step)",
    "A Python slice lo:hi:step for indexing; any part may be nil (span(hi) is :hi).",
    "indexing",
    aliases=("builtins.slice",),
)
def span(*parts: Any) -> slice:
    """Python's slice(...): one argument is the stop, as for builtins.slice."""
    if not 1 <= len(parts) <= 3:
        raise argument_error(f"takes 1 to 3 arguments (lo, hi, step), got {len(parts)}", TypeError)
    bounds = [_slice_bound(p) for p in parts]
    if len(bounds) == 3 and bounds[2] == 0:
        raise PrimitiveArgumentError("the step must not be zero")
    return slice(*bounds)


@primitive(
    "slice",
    "slice(x, *indices)",
    "x[i1, ..., ik]: ints, spans, nil (new axis), lists or int/bool arrays as indices.",
    "indexing",
)
def slice_(x: Any, *indices: Any) -> Any:
    """Index x like Python does; lists (tuples), strings and ranges take one int or span."""
    if isinstance(x, (tuple, str, range)):
        return _index_sequence(x, indices)
    arr = x if isinstance(x, np.ndarray) else np.asarray(x)
    parts = _numpy_index(arr.shape, indices)
    try:
        return arr[parts]
    except (IndexError, ValueError, TypeError) as exc:
        raise PrimitiveArgumentError(str(exc)) from exc


def _index_sequence(x: tuple | str | range, indices: tuple[Any, ...]) -> Any:
    kind = "list" if isinstance(x, tuple) else type(x).__name__
    if len(indices) != 1 or not (_is_int(indices[0]) or isinstance(indices[0], slice)):
        rendered = render_index("x", indices)
        # Python takes any one index with __index__ (a bool, a 0-d int array): refusing
        # those is JetLag's limitation; every other index is Python's TypeError.
        python_takes = len(indices) == 1 and _has_index(indices[0])
        raise argument_error(
            f"a {kind} takes exactly one integer or span as index, not {rendered}; "
            "make it an array (numpy.array) to index it like one",
            ValueError if python_takes else TypeError,
        )
    try:
        return x[indices[0]]
    except IndexError as exc:
        raise PrimitiveArgumentError(
            f"index {int(indices[0])} is out of range for a {kind} of length {len(x)}"
        ) from exc


def _has_index(value: Any) -> bool:
    try:
        operator.index(value)
    except TypeError:
        return False
    return True


def assign_index(target: Any, indices: tuple[Any, ...], value: Any, name: str = "x") -> np.ndarray:
    """`target[indices] = value` in place, as NumPy does it; returns target.

    The scheduler calls this for `store(slice(x, ...), value)`; `name` is the variable's
    name for messages. Indices follow the `slice` rules; the value broadcasts and is cast
    to target's dtype like NumPy's setitem.
    """
    where = render_index(name, indices)
    if not isinstance(target, np.ndarray):
        # Python's TypeError (no item assignment), but for a list, which Python writes
        # (a list display is a tuple in PhySL): JetLag's limitation.
        raise argument_error(
            f"cannot write into {where}: {name} is a {_kind(target)}, and only arrays "
            f"can be written in place; make {name} an array first (numpy.array)",
            ValueError if isinstance(target, (tuple, list)) else TypeError,
        )
    parts = _numpy_index(target.shape, indices)
    if not target.flags.writeable:
        raise PrimitiveArgumentError(
            f"cannot write into {where}: {name} is a read-only view (as broadcast_to and "
            f"diagonal return); write into a copy instead ({name} = copy({name}))"
        )
    try:
        target[parts] = value
    except ValueError as exc:
        dest_shape = np.shape(target[parts])
        value_shape = np.shape(value)
        try:
            fits = np.broadcast_shapes(value_shape, dest_shape) == dest_shape
        except ValueError:
            fits = False
        if not fits:
            raise PrimitiveArgumentError(
                f"cannot assign a value of shape {value_shape} to {where} of shape {dest_shape}"
            ) from exc
        raise PrimitiveArgumentError(str(exc)) from exc
    except (IndexError, TypeError, OverflowError) as exc:
        raise PrimitiveArgumentError(
            f"cannot write into {where} (dtype {target.dtype}): {exc}"
        ) from exc
    return target


@primitive(
    "range",
    "range(start, stop, step)",
    "Python's range: range(stop) or range(start, stop[, step]) of integers.",
    "indexing",
    aliases=("builtins.range",),
)
def range_(*args: Any) -> range:
    """builtins.range, with messages for non-integer arguments and a zero step."""
    if not 1 <= len(args) <= 3:
        raise argument_error(
            f"takes 1 to 3 arguments (start, stop, step), got {len(args)}", TypeError
        )
    values = []
    for arg in args:
        try:
            values.append(operator.index(arg))
        except TypeError as exc:
            raise PrimitiveArgumentError(
                f"arguments must be integers, got {type(arg).__name__} {arg!r}"
            ) from exc
    if len(values) == 3 and values[2] == 0:
        raise PrimitiveArgumentError("the step must not be zero")
    return range(*values)


@primitive(
    "take",
    'take(a, indices, axis=nil, mode="raise")',
    "Elements of a at the given indices (of the flattened array, or along an axis).",
    "indexing",
    numpy="numpy.take",
    aliases=("numpy.take",),
    methods=("take",),
)
@argument_errors
def take(a: Any, indices: Any, axis: int | None = None, mode: str = "raise") -> Any:
    """numpy.take; an out-of-range index is an argument error like any other."""
    try:
        return np.take(a, indices, axis=axis, mode=mode)
    except IndexError as exc:
        raise PrimitiveArgumentError(str(exc)) from exc


@primitive(
    "nonzero",
    "nonzero(a)",
    "Indices of the non-zero elements, as a list of one int array per dimension.",
    "indexing",
    numpy="numpy.nonzero",
    aliases=("numpy.nonzero",),
    methods=("nonzero",),
)
@argument_errors
def nonzero(a: Any) -> tuple[np.ndarray, ...]:
    """numpy.nonzero."""
    return tuple(np.nonzero(a))


@primitive(
    "argwhere",
    "argwhere(a)",
    "Indices of the non-zero elements, one row per element.",
    "indexing",
    numpy="numpy.argwhere",
    aliases=("numpy.argwhere",),
)
@argument_errors
def argwhere(a: Any) -> np.ndarray:
    """numpy.argwhere."""
    return np.argwhere(a)


@primitive(
    "flatnonzero",
    "flatnonzero(a)",
    "Indices of the non-zero elements of the flattened array.",
    "indexing",
    numpy="numpy.flatnonzero",
    aliases=("numpy.flatnonzero",),
)
@argument_errors
def flatnonzero(a: Any) -> np.ndarray:
    """numpy.flatnonzero."""
    return np.flatnonzero(a)
