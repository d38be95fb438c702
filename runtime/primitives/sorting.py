"""Sorting and searching primitives: sort, argsort, argmax, argmin, unique, searchsorted,
partition, argpartition, lexsort.

All return new arrays with NumPy's results; `sort` and `partition` are numpy.sort and
numpy.partition (copies), never the in-place ndarray methods, which is why `x.sort()` and
`x.partition()` are not mapped here. Results NumPy gives as several arrays come back as
tuples. This module must not modify its arguments.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.registry import primitive


@primitive(
    "sort",
    "sort(a, axis=-1, kind=nil, stable=nil)",
    "A sorted copy of an array (along an axis; nil sorts the flattened array).",
    "sorting",
    numpy="numpy.sort",
    aliases=("numpy.sort",),
)
@argument_errors
def sort(a: Any, axis: int | None = -1, kind: str | None = None, stable: Any = None) -> np.ndarray:
    """numpy.sort (a copy; ndarray.sort sorts in place and is deliberately not mapped)."""
    return np.sort(a, axis=axis, kind=kind, stable=stable)


@primitive(
    "argsort",
    "argsort(a, axis=-1, kind=nil, stable=nil)",
    "Indices that would sort an array.",
    "sorting",
    numpy="numpy.argsort",
    aliases=("numpy.argsort",),
    methods=("argsort",),
)
@argument_errors
def argsort(
    a: Any, axis: int | None = -1, kind: str | None = None, stable: Any = None
) -> np.ndarray:
    """numpy.argsort."""
    return np.argsort(a, axis=axis, kind=kind, stable=stable)


@primitive(
    "argmax",
    "argmax(a, axis=nil, keepdims=false)",
    "Index of the largest element (of the flattened array, or along an axis).",
    "sorting",
    numpy="numpy.argmax",
    aliases=("numpy.argmax",),
    methods=("argmax",),
)
@argument_errors
def argmax(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """numpy.argmax."""
    return np.argmax(a, axis=axis, keepdims=keepdims)


@primitive(
    "argmin",
    "argmin(a, axis=nil, keepdims=false)",
    "Index of the smallest element (of the flattened array, or along an axis).",
    "sorting",
    numpy="numpy.argmin",
    aliases=("numpy.argmin",),
    methods=("argmin",),
)
@argument_errors
def argmin(a: Any, axis: int | None = None, keepdims: bool = False) -> Any:
    """numpy.argmin."""
    return np.argmin(a, axis=axis, keepdims=keepdims)


@primitive(
    "unique",
    "unique(ar, return_index=false, return_inverse=false, return_counts=false, axis=nil, "
    "equal_nan=true)",
    "Sorted unique elements; with return_* flags a list (values, index, inverse, counts).",
    "sorting",
    numpy="numpy.unique",
    aliases=("numpy.unique",),
)
@argument_errors
def unique(
    ar: Any,
    return_index: bool = False,
    return_inverse: bool = False,
    return_counts: bool = False,
    axis: int | None = None,
    equal_nan: bool = True,
) -> Any:
    """numpy.unique; a tuple when any return_* flag is set, as NumPy returns."""
    result = np.unique(
        ar,
        return_index=return_index,
        return_inverse=return_inverse,
        return_counts=return_counts,
        axis=axis,
        equal_nan=equal_nan,
    )
    return tuple(result) if isinstance(result, (tuple, list)) else result


@primitive(
    "searchsorted",
    'searchsorted(a, v, side="left", sorter=nil)',
    "Indices where v's elements would be inserted into sorted a to keep it sorted.",
    "sorting",
    numpy="numpy.searchsorted",
    aliases=("numpy.searchsorted",),
    methods=("searchsorted",),
)
@argument_errors
def searchsorted(a: Any, v: Any, side: str = "left", sorter: Any = None) -> Any:
    """numpy.searchsorted."""
    return np.searchsorted(a, v, side=side, sorter=sorter)


@primitive(
    "partition",
    "partition(a, kth, axis=-1)",
    "A copy with the kth element in its sorted place, smaller ones before, larger after.",
    "sorting",
    numpy="numpy.partition",
    aliases=("numpy.partition",),
)
@argument_errors
def partition(a: Any, kth: Any, axis: int | None = -1) -> np.ndarray:
    """numpy.partition (a copy; ndarray.partition works in place and is not mapped)."""
    return np.partition(a, kth, axis=axis)


@primitive(
    "argpartition",
    "argpartition(a, kth, axis=-1)",
    "Indices that would partition an array around its kth element.",
    "sorting",
    numpy="numpy.argpartition",
    aliases=("numpy.argpartition",),
    methods=("argpartition",),
)
@argument_errors
def argpartition(a: Any, kth: Any, axis: int | None = -1) -> np.ndarray:
    """numpy.argpartition."""
    return np.argpartition(a, kth, axis=axis)


@primitive(
    "lexsort",
    "lexsort(keys, axis=-1)",
    "Indices that sort by several keys, the last key primary.",
    "sorting",
    numpy="numpy.lexsort",
    aliases=("numpy.lexsort",),
)
@argument_errors
def lexsort(keys: Any, axis: int = -1) -> np.ndarray:
    """numpy.lexsort."""
    return np.lexsort(keys, axis=axis)
