"""Diagonal and triangle primitives: diag, diagonal, trace, tril, triu.

The matrix-structure side of the shape family, with NumPy's results (diagonal returns
NumPy's read-only view). This module must not register general reshaping primitives.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.primitives.arguments import argument_errors, parse_dtype
from jetlag.runtime.primitives.registry import primitive


@primitive(
    "diag",
    "diag(v, k=0)",
    "The k-th diagonal of a 2-D array, or a 2-D array with v on its k-th diagonal.",
    "shape",
    numpy="numpy.diag",
    aliases=("numpy.diag",),
)
@argument_errors
def diag(v: Any, k: int = 0) -> np.ndarray:
    """numpy.diag."""
    return np.diag(v, k)


@primitive(
    "diagonal",
    "diagonal(a, offset=0, axis1=0, axis2=1)",
    "The diagonal of a (read-only view), along two axes.",
    "shape",
    numpy="numpy.diagonal",
    aliases=("numpy.diagonal",),
    methods=("diagonal",),
)
@argument_errors
def diagonal(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> np.ndarray:
    """numpy.diagonal."""
    return np.diagonal(a, offset=offset, axis1=axis1, axis2=axis2)


@primitive(
    "trace",
    "trace(a, offset=0, axis1=0, axis2=1, dtype=nil)",
    "Sum along a diagonal.",
    "shape",
    numpy="numpy.trace",
    aliases=("numpy.trace",),
    methods=("trace",),
)
@argument_errors
def trace(a: Any, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
    """numpy.trace; dtype as a NumPy dtype or its name (\"float64\")."""
    return np.trace(a, offset=offset, axis1=axis1, axis2=axis2, dtype=parse_dtype(dtype))


@primitive(
    "tril",
    "tril(m, k=0)",
    "Copy of an array with the elements above the k-th diagonal zeroed.",
    "shape",
    numpy="numpy.tril",
    aliases=("numpy.tril",),
)
@argument_errors
def tril(m: Any, k: int = 0) -> np.ndarray:
    """numpy.tril."""
    return np.tril(m, k)


@primitive(
    "triu",
    "triu(m, k=0)",
    "Copy of an array with the elements below the k-th diagonal zeroed.",
    "shape",
    numpy="numpy.triu",
    aliases=("numpy.triu",),
)
@argument_errors
def triu(m: Any, k: int = 0) -> np.ndarray:
    """numpy.triu."""
    return np.triu(m, k)
