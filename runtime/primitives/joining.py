"""Joining, splitting and replicating arrays: stack, concatenate, split, tile, repeat.

The several-array side of the shape family (shape.py rearranges one array). Sequences of
arrays arrive as PhySL lists (Python tuples); split results go back as tuples, the value
`list(...)` produces, where NumPy returns Python lists. This module must not register
single-array rearrangements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.registry import primitive


@primitive(
    "stack",
    "stack(arrays, axis=0)",
    "Join arrays of one shape along a new axis.",
    "shape",
    numpy="numpy.stack",
    aliases=("numpy.stack",),
)
@argument_errors
def stack(arrays: Any, axis: int = 0) -> np.ndarray:
    """numpy.stack."""
    return np.stack(arrays, axis=axis)


@primitive(
    "vstack",
    "vstack(arrays)",
    "Stack arrays vertically (along the first axis; 1-D arrays become rows).",
    "shape",
    numpy="numpy.vstack",
    aliases=("numpy.vstack", "numpy.row_stack"),
)
@argument_errors
def vstack(arrays: Any) -> np.ndarray:
    """numpy.vstack."""
    return np.vstack(arrays)


@primitive(
    "hstack",
    "hstack(arrays)",
    "Stack arrays horizontally (along the second axis; the first for 1-D arrays).",
    "shape",
    numpy="numpy.hstack",
    aliases=("numpy.hstack",),
)
@argument_errors
def hstack(arrays: Any) -> np.ndarray:
    """numpy.hstack."""
    return np.hstack(arrays)


@primitive(
    "dstack",
    "dstack(arrays)",
    "Stack arrays along the third axis.",
    "shape",
    numpy="numpy.dstack",
    aliases=("numpy.dstack",),
)
@argument_errors
def dstack(arrays: Any) -> np.ndarray:
    """numpy.dstack."""
    return np.dstack(arrays)


@primitive(
    "column_stack",
    "column_stack(arrays)",
    "Stack 1-D arrays as the columns of a 2-D array.",
    "shape",
    numpy="numpy.column_stack",
    aliases=("numpy.column_stack",),
)
@argument_errors
def column_stack(arrays: Any) -> np.ndarray:
    """numpy.column_stack."""
    return np.column_stack(arrays)


@primitive(
    "concatenate",
    "concatenate(arrays, axis=0)",
    "Join arrays along an existing axis (nil flattens them first).",
    "shape",
    numpy="numpy.concatenate",
    aliases=("numpy.concatenate", "numpy.concat"),
)
@argument_errors
def concatenate(arrays: Any, axis: int | None = 0) -> np.ndarray:
    """numpy.concatenate."""
    return np.concatenate(arrays, axis=axis)


@primitive(
    "split",
    "split(ary, indices_or_sections, axis=0)",
    "Split an array into equal sections or at indices, as a list of arrays.",
    "shape",
    numpy="numpy.split",
    aliases=("numpy.split",),
)
@argument_errors
def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> tuple[np.ndarray, ...]:
    """numpy.split as a tuple."""
    return tuple(np.split(ary, indices_or_sections, axis=axis))


@primitive(
    "array_split",
    "array_split(ary, indices_or_sections, axis=0)",
    "Split an array into nearly equal sections or at indices, as a list of arrays.",
    "shape",
    numpy="numpy.array_split",
    aliases=("numpy.array_split",),
)
@argument_errors
def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> tuple[np.ndarray, ...]:
    """numpy.array_split as a tuple."""
    return tuple(np.array_split(ary, indices_or_sections, axis=axis))


@primitive(
    "tile",
    "tile(A, reps)",
    "Repeat a whole array the given number of times along each axis.",
    "shape",
    numpy="numpy.tile",
    aliases=("numpy.tile",),
)
@argument_errors
def tile(A: Any, reps: Any) -> np.ndarray:
    """numpy.tile."""
    return np.tile(A, reps)


@primitive(
    "repeat",
    "repeat(a, repeats, axis=nil)",
    "Repeat each element (along an axis, or of the flattened array).",
    "shape",
    numpy="numpy.repeat",
    aliases=("numpy.repeat",),
    methods=("repeat",),
)
@argument_errors
def repeat(a: Any, repeats: Any, axis: int | None = None) -> np.ndarray:
    """numpy.repeat."""
    return np.repeat(a, repeats, axis=axis)
