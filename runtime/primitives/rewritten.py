"""Primitives the algebraic rewrites produce (runtime/passes/algebra.py).

Each one computes exactly what the subtree it replaces computes -- its doc names that
pattern -- without building the dense diagonal, identity or inverse matrices. The fast path
runs only when the operands have the shapes the identity needs (a 1-D diagonal vector, 1-D
or 2-D operands that align, numeric dtypes); otherwise the primitive evaluates the original
expression with the registry's own primitives, so results, dtypes and error messages stay
those of the unrewritten tree. The fast paths are algebraic identities for finite data:
they never multiply by the zeros of the dense matrices, so where NumPy's dense product
would turn 0 * inf into nan they give the finite answer instead.

Where a diagonal vector or a mask is mostly zeros (decided at run time from the data), only
the rows that can contribute are gathered and multiplied. This module registers no Python
spellings: these names appear only in optimized trees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.registry import REGISTRY, primitive

#: Gather the contributing rows when at most this fraction of them is non-zero.
SPARSE_FRACTION = 0.5

_NUMERIC_KINDS = frozenset("biufc")
_LAPACK_TYPES = frozenset(np.dtype(t) for t in ("float32", "float64", "complex64", "complex128"))


def _call(name: str, *args: Any) -> Any:
    """The registry's implementation of `name` (the unrewritten meaning)."""
    return REGISTRY[name].impl(*args)


def _as_written(expression: str, compute: Callable[[], Any]) -> Any:
    """The unrewritten evaluation; its errors name the expression the user wrote."""
    try:
        return compute()
    except PrimitiveArgumentError as error:
        raise PrimitiveArgumentError(f"{expression}: {error}") from error


def _numeric(*arrays: np.ndarray) -> bool:
    return all(a.dtype.kind in _NUMERIC_KINDS for a in arrays)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _sparse_rows(w: np.ndarray) -> np.ndarray | None:
    """Indices of the non-zero rows of `w` when they are few enough to gather, else None.

    Rows that are zero contribute exact zeros to a product, so leaving them out changes
    only the order of the remaining additions.
    """
    if w.shape[0] == 0:
        return None
    rows = (w if w.ndim == 1 else np.any(w != 0, axis=1)).nonzero()[0]
    return rows if rows.size <= SPARSE_FRACTION * w.shape[0] else None


@primitive(
    "scale_columns",
    "scale_columns(a, v)",
    "dot(a, diag(v)) as a * v (columns of a scaled by v); produced by the rewrite of "
    "dot(A, diag(v)).",
    "rewrite",
)
@argument_errors
def scale_columns(a: Any, v: Any) -> Any:
    """a * v when a is 1-D/2-D and v a matching 1-D vector, else dot(a, diag(v))."""
    left, vector = np.asarray(a), np.asarray(v)
    if (
        vector.ndim == 1
        and left.ndim in (1, 2)
        and left.shape[-1] == vector.shape[0]
        and _numeric(left, vector)
    ):
        return _call("__mul", left, vector)
    return _as_written("dot(a, diag(v))", lambda: _call("dot", a, _call("diag", v)))


@primitive(
    "scale_rows",
    "scale_rows(a, v)",
    "dot(diag(v), a) as v[:, None] * a (rows of a scaled by v); produced by the rewrite of "
    "dot(diag(v), A).",
    "rewrite",
)
@argument_errors
def scale_rows(a: Any, v: Any) -> Any:
    """v[:, None] * a (v * a for 1-D a) when the shapes match, else dot(diag(v), a)."""
    right, vector = np.asarray(a), np.asarray(v)
    if (
        vector.ndim == 1
        and right.ndim in (1, 2)
        and right.shape[0] == vector.shape[0]
        and _numeric(right, vector)
    ):
        factor = vector if right.ndim == 1 else vector[:, None]
        return _call("__mul", factor, right)
    return _as_written("dot(diag(v), a)", lambda: _call("dot", _call("diag", v), a))


@primitive(
    "weighted_gram",
    "weighted_gram(y, c)",
    "dot(dot(transpose(y), diag(c)), y) as (y.T * c) @ y, using only the rows where c != 0 "
    "when most of c is zero; produced by the rewrite of dot(dot(transpose(Y), diag(c)), Y).",
    "rewrite",
)
@argument_errors
def weighted_gram(y: Any, c: Any) -> Any:
    """yᵀ·diag(c)·y without the n x n diagonal matrix (skipping rows where c == 0)."""
    matrix, weights = np.asarray(y), np.asarray(c)
    if not (
        matrix.ndim == 2
        and weights.ndim == 1
        and matrix.shape[0] == weights.shape[0]
        and _numeric(matrix, weights)
    ):
        return _as_written(
            "dot(dot(transpose(y), diag(c)), y)",
            lambda: _call("dot", _call("dot", _call("transpose", y), _call("diag", c)), y),
        )
    rows = _sparse_rows(weights)
    if rows is not None:
        gathered = matrix[rows]
        return np.dot(gathered.T * weights[rows], gathered)
    return _call("dot", _call("__mul", matrix.T, weights), matrix)


@primitive(
    "shifted_weighted_product",
    "shifted_weighted_product(t, c, n, v)",
    "dot(dot(t, diag(c) + identity(n)), v) as dot(t, (c + 1) * v), using only the rows "
    "where v != 0 when most are zero; produced by the rewrite of "
    "dot(dot(T, __add(diag(c), identity(n))), v).",
    "rewrite",
)
@argument_errors
def shifted_weighted_product(t: Any, c: Any, n: Any, v: Any) -> Any:
    """t·(diag(c) + I)·v without n x n matrices (skipping zero rows of the scaled v)."""
    left, weights, right = np.asarray(t), np.asarray(c), np.asarray(v)
    if not (
        _is_int(n)
        and weights.ndim == 1
        and weights.shape[0] == n
        and left.ndim in (1, 2)
        and left.shape[-1] == n
        and right.ndim in (1, 2)
        and right.shape[0] == n
        and _numeric(left, weights, right)
    ):

        def original() -> Any:
            matrix = _call("__add", _call("diag", c), _call("identity", n))
            return _call("dot", _call("dot", t, matrix), v)

        return _as_written("dot(dot(t, diag(c) + identity(n)), v)", original)
    # Rows where v is zero contribute nothing: gather the others when they are few.
    rows = _sparse_rows(right)
    if rows is not None:
        weights, right, left = weights[rows], right[rows], left[..., rows]
    # The diagonal of diag(c) + identity(n), in the dtype that sum would have.
    diagonal = np.add(weights, 1, dtype=np.result_type(weights.dtype, np.float64))
    scaled = diagonal * right if right.ndim == 1 else diagonal[:, None] * right
    return np.dot(left, scaled) if rows is not None else _call("dot", left, scaled)


@primitive(
    "inverse_dot",
    "inverse_dot(a, b)",
    "dot(inverse(a), b) as one LU solve (numpy.linalg.solve); produced by the rewrite of "
    "dot(inverse(A), b).",
    "rewrite",
)
@argument_errors
def inverse_dot(a: Any, b: Any) -> Any:
    """solve(a, b) for one square matrix a and a 1-D/2-D b, else dot(inverse(a), b)."""
    matrix, rhs = np.asarray(a), np.asarray(b)
    solvable = (
        matrix.ndim == 2
        and matrix.shape[0] == matrix.shape[1]
        and rhs.ndim in (1, 2)
        and rhs.shape[0] == matrix.shape[0]
        and all(x.dtype.kind in "iu" or x.dtype in _LAPACK_TYPES for x in (matrix, rhs))
    )
    if solvable:
        try:
            return np.linalg.solve(matrix, rhs)
        except np.linalg.LinAlgError:
            pass  # the unrewritten form below raises inverse's own error for this matrix
    return _as_written("dot(inverse(a), b)", lambda: _call("dot", _call("inverse", a), b))
