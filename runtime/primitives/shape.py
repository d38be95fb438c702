"""Shape primitives: ask about an array's shape, and rearrange one array without arithmetic.

shape/len/ndim/size answer questions (`x.shape` is a Python tuple, as in NumPy);
transpose, reshape, ravel, squeeze, expand_dims, swapaxes, moveaxis, flip, roll,
broadcast_to and atleast_nd return NumPy's results, views where NumPy returns views.
Joining and splitting several arrays lives in joining.py, diagonals in diagonals.py.
This module must not copy where NumPy would not, nor compute anything from values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import argument_error, argument_errors
from jetlag.runtime.primitives.registry import primitive


def _dims(what: str, positional: tuple[Any, ...], keyword: Any) -> Any:
    """One shape/axes argument given either as f(x, 2, 3), f(x, list(2, 3)) or f(x, k=...)."""
    if positional and keyword is not None:
        raise argument_error(f"{what} given both positionally and by keyword", TypeError)
    if keyword is not None:
        return keyword
    if len(positional) == 1:
        only = positional[0]
        return tuple(only) if isinstance(only, (list, range)) else only
    return tuple(positional) if positional else None


@primitive(
    "shape",
    "shape(x)",
    "The shape of x as a tuple of ints (x.shape).",
    "shape",
    numpy="numpy.shape",
    aliases=("numpy.shape",),
    properties=("shape",),
)
@argument_errors
def shape(x: Any) -> tuple[int, ...]:
    """numpy.shape: a tuple of Python ints (empty for scalars)."""
    return tuple(int(n) for n in np.shape(x))


@primitive(
    "len",
    "len(x)",
    "Length of the first axis of an array, or of a list, string or range.",
    "shape",
    aliases=("builtins.len",),
)
def len_(x: Any) -> int:
    """Python's len(x); a 0-d value is an error that says so."""
    try:
        return len(x)
    except TypeError as exc:
        kind = "0-d array" if isinstance(x, np.ndarray) else type(x).__name__
        raise PrimitiveArgumentError(
            f"a {kind} has no length; use size(x) for the number of elements"
        ) from exc


@primitive(
    "ndim",
    "ndim(x)",
    "Number of dimensions of x (x.ndim).",
    "shape",
    numpy="numpy.ndim",
    aliases=("numpy.ndim",),
    properties=("ndim",),
)
@argument_errors
def ndim(x: Any) -> int:
    """numpy.ndim."""
    return int(np.ndim(x))


@primitive(
    "size",
    "size(x, axis=nil)",
    "Number of elements of x, or along one axis (x.size).",
    "shape",
    numpy="numpy.size",
    aliases=("numpy.size",),
    properties=("size",),
)
@argument_errors
def size(x: Any, axis: int | None = None) -> int:
    """numpy.size."""
    return int(np.size(x, axis))


@primitive(
    "transpose",
    "transpose(a, *axes)",
    "Permute the axes (reverse them by default); x.T.",
    "shape",
    numpy="numpy.transpose",
    aliases=("numpy.transpose",),
    methods=("transpose",),
    properties=("T",),
)
@argument_errors
def transpose(a: Any, *dims: Any, axes: Any = None) -> np.ndarray:
    """numpy.transpose; axes as transpose(x, 1, 0), transpose(x, list(1, 0)) or axes=."""
    return np.transpose(a, _dims("axes", dims, axes))


@primitive(
    "reshape",
    'reshape(a, *shape, order="C")',
    "Give an array a new shape (ints or a list; one dimension may be -1).",
    "shape",
    numpy="numpy.reshape",
    aliases=("numpy.reshape",),
    methods=("reshape",),
)
@argument_errors
def reshape(a: Any, *dims: Any, shape: Any = None, order: str = "C") -> np.ndarray:
    """numpy.reshape; the shape as reshape(x, 2, 3), reshape(x, list(2, 3)) or shape=."""
    new_shape = _dims("shape", dims, shape)
    if new_shape is None:
        raise argument_error("missing the new shape, e.g. reshape(x, list(2, 3))", TypeError)
    return np.reshape(a, new_shape, order=order)


@primitive(
    "ravel",
    'ravel(a, order="C")',
    "The elements as a 1-D array (a view when possible).",
    "shape",
    numpy="numpy.ravel",
    aliases=("numpy.ravel",),
    methods=("ravel",),
)
@argument_errors
def ravel(a: Any, order: str = "C") -> np.ndarray:
    """numpy.ravel."""
    return np.ravel(a, order=order)


@primitive(
    "flatten",
    'flatten(a, order="C")',
    "A 1-D copy of the elements (ndarray.flatten).",
    "shape",
    numpy="numpy.ndarray.flatten",
    methods=("flatten",),
)
@argument_errors
def flatten(a: Any, order: str = "C") -> np.ndarray:
    """ndarray.flatten: always a copy."""
    return np.asarray(a).flatten(order=order)


@primitive(
    "copy",
    'copy(a, order="K")',
    "A copy of an array.",
    "shape",
    numpy="numpy.copy",
    aliases=("numpy.copy",),
    methods=("copy",),
)
@argument_errors
def copy(a: Any, order: str = "K") -> np.ndarray:
    """numpy.copy."""
    return np.copy(a, order=order)


@primitive(
    "squeeze",
    "squeeze(a, axis=nil)",
    "Remove axes of length one.",
    "shape",
    numpy="numpy.squeeze",
    aliases=("numpy.squeeze",),
    methods=("squeeze",),
)
@argument_errors
def squeeze(a: Any, axis: Any = None) -> np.ndarray:
    """numpy.squeeze."""
    return np.squeeze(a, axis=axis)


@primitive(
    "expand_dims",
    "expand_dims(a, axis)",
    "Insert axes of length one at the given positions.",
    "shape",
    numpy="numpy.expand_dims",
    aliases=("numpy.expand_dims",),
)
@argument_errors
def expand_dims(a: Any, axis: Any) -> np.ndarray:
    """numpy.expand_dims."""
    return np.expand_dims(a, axis)


@primitive(
    "swapaxes",
    "swapaxes(a, axis1, axis2)",
    "Interchange two axes.",
    "shape",
    numpy="numpy.swapaxes",
    aliases=("numpy.swapaxes",),
    methods=("swapaxes",),
)
@argument_errors
def swapaxes(a: Any, axis1: int, axis2: int) -> np.ndarray:
    """numpy.swapaxes."""
    return np.swapaxes(a, axis1, axis2)


@primitive(
    "moveaxis",
    "moveaxis(a, source, destination)",
    "Move axes to new positions, keeping the order of the others.",
    "shape",
    numpy="numpy.moveaxis",
    aliases=("numpy.moveaxis",),
)
@argument_errors
def moveaxis(a: Any, source: Any, destination: Any) -> np.ndarray:
    """numpy.moveaxis."""
    return np.moveaxis(a, source, destination)


@primitive(
    "flip",
    "flip(m, axis=nil)",
    "Reverse the order of elements along the given axes (all by default).",
    "shape",
    numpy="numpy.flip",
    aliases=("numpy.flip",),
)
@argument_errors
def flip(m: Any, axis: Any = None) -> np.ndarray:
    """numpy.flip."""
    return np.flip(m, axis=axis)


@primitive(
    "fliplr",
    "fliplr(m)",
    "Reverse the columns (axis 1) of an array of at least 2 dimensions.",
    "shape",
    numpy="numpy.fliplr",
    aliases=("numpy.fliplr",),
)
@argument_errors
def fliplr(m: Any) -> np.ndarray:
    """numpy.fliplr."""
    return np.fliplr(m)


@primitive(
    "flipud",
    "flipud(m)",
    "Reverse the rows (axis 0) of an array.",
    "shape",
    numpy="numpy.flipud",
    aliases=("numpy.flipud",),
)
@argument_errors
def flipud(m: Any) -> np.ndarray:
    """numpy.flipud."""
    return np.flipud(m)


@primitive(
    "roll",
    "roll(a, shift, axis=nil)",
    "Shift elements cyclically along the given axes (the flattened array by default).",
    "shape",
    numpy="numpy.roll",
    aliases=("numpy.roll",),
)
@argument_errors
def roll(a: Any, shift: Any, axis: Any = None) -> np.ndarray:
    """numpy.roll."""
    return np.roll(a, shift, axis=axis)


@primitive(
    "broadcast_to",
    "broadcast_to(array, shape)",
    "A read-only view of an array broadcast to a shape.",
    "shape",
    numpy="numpy.broadcast_to",
    aliases=("numpy.broadcast_to",),
)
@argument_errors
def broadcast_to(array: Any, shape: Any) -> np.ndarray:
    """numpy.broadcast_to; says which shapes failed to broadcast."""
    arr = np.asarray(array)
    target = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if all(isinstance(n, (int, np.integer)) for n in target):
        target = tuple(int(n) for n in target)
        try:
            fits = np.broadcast_shapes(arr.shape, target) == target
        except ValueError:
            fits = False
        if not fits:
            raise PrimitiveArgumentError(
                f"cannot broadcast an array of shape {arr.shape} to shape {target}"
            )
    return np.broadcast_to(arr, target)


@primitive(
    "atleast_1d",
    "atleast_1d(*arys)",
    "Arrays with at least one dimension (a list of them for several arguments).",
    "shape",
    numpy="numpy.atleast_1d",
    aliases=("numpy.atleast_1d",),
)
@argument_errors
def atleast_1d(*arys: Any) -> Any:
    """numpy.atleast_1d; several arguments give a tuple."""
    result = np.atleast_1d(*arys)
    return result if isinstance(result, np.ndarray) else tuple(result)


@primitive(
    "atleast_2d",
    "atleast_2d(*arys)",
    "Arrays with at least two dimensions (a list of them for several arguments).",
    "shape",
    numpy="numpy.atleast_2d",
    aliases=("numpy.atleast_2d",),
)
@argument_errors
def atleast_2d(*arys: Any) -> Any:
    """numpy.atleast_2d; several arguments give a tuple."""
    result = np.atleast_2d(*arys)
    return result if isinstance(result, np.ndarray) else tuple(result)
