"""Primitives the algebraic rewrites produce (runtime/passes/algebra.py).

Each one computes exactly what the subtree it replaces computes -- its doc names that
pattern -- without building the dense diagonal, identity or inverse matrices. The fast path
runs only when the operands have the shapes the identity needs (a 1-D diagonal vector, 1-D
or 2-D operands that align, numeric dtypes) and only when the work it skips would not have
changed NumPy's answer; otherwise the primitive evaluates the original expression with the
registry's own primitives, so results, dtypes and error messages stay those of the
unrewritten tree. The skipped work is multiplying by the zeros of the dense matrices, which
NumPy turns into nan wherever it meets an inf or a nan (0 * inf): each primitive first
checks, with a cheap scan, that the data those zeros would meet are finite (its docstring
says which), and falls back to the dense evaluation when they are not. So inf and nan come
out exactly where NumPy puts them. Finite values agree up to rounding: sums run in another
order and shifted_weighted_product multiplies t * ((c + 1) * v), not (t * (c + 1)) * v, so
a result at the edge of overflow or underflow may differ, as it may between two BLAS
libraries. A zero may have the other sign (the dense sums add +0.0 terms, turning -0.0
into +0.0; `==` and NumPy's comparisons treat them as equal).

Where a diagonal vector or a mask is mostly zeros (decided at run time from the data), only
the rows that can contribute are gathered and multiplied. This module registers no Python
spellings: these names appear only in optimized trees.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numba import njit

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.registry import REGISTRY, primitive

#: Gather the contributing rows when at most this fraction of them is non-zero.
SPARSE_FRACTION = 0.5

#: Arrays up to this size are checked by one NumPy call (cheaper than entering Numba).
_SMALL_SCAN = 1 << 12

#: inverse_dot keeps its solve only while its bound on |inverse(a)| (and on the partial
#: sums of the dense product) stays this far below the dtype's largest number, so that
#: rounding in either factorization cannot reach an overflow the bound did not foresee.
_INVERSE_MARGIN = 2.0**-30

_NUMERIC_KINDS = frozenset("biufc")
_LAPACK: dict[tuple[str, str], Callable[..., Any]] = {}
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


def _all_finite(x: np.ndarray) -> bool:
    """np.isfinite(x).all(); integer and bool arrays are finite without a look.

    Large contiguous arrays (Y and Yᵀ of ALS) are read once by a vectorized Numba loop in
    memory order (no temporary, ~twice NumPy's speed).
    """
    if x.dtype.kind not in "fc":
        return True
    if x.size > _SMALL_SCAN and (x.flags.c_contiguous or x.flags.f_contiguous):
        return bool(_finite_flat(x.ravel(order="K")))  # a view: memory order
    return bool(np.isfinite(x).all())


@njit(nogil=True)
def _finite_flat(flat):  # pragma: no cover - compiled
    ok = True
    for i in range(flat.shape[0]):
        value = flat[i]
        ok &= value - value == 0  # nan exactly for inf and nan
    return ok


def _sparse_rows(w: np.ndarray) -> np.ndarray | None:
    """Indices of the non-zero rows of `w` when they are few enough to gather, else None.

    Rows that are zero contribute exact zeros to a product, so leaving them out changes
    only the order of the remaining additions.
    """
    if w.shape[0] == 0:
        return None
    rows = (w if w.ndim == 1 else np.any(w != 0, axis=1)).nonzero()[0]
    return rows if rows.size <= SPARSE_FRACTION * w.shape[0] else None


def _finite_where_skipped(weights: np.ndarray, rows: np.ndarray) -> bool:
    """Whether weights is finite outside `rows` (the rows a sparse product uses)."""
    if _all_finite(weights):
        return True
    skipped = np.ones(weights.shape[0], dtype=bool)
    skipped[rows] = False
    return _all_finite(weights[skipped])


@primitive(
    "scale_columns",
    "scale_columns(a, v)",
    "dot(a, diag(v)) as a * v (columns of a scaled by v); produced by the rewrite of "
    "dot(A, diag(v)).",
    "rewrite",
)
@argument_errors
def scale_columns(a: Any, v: Any) -> Any:
    """a * v when a is 1-D/2-D and all finite and v a matching 1-D vector, else
    dot(a, diag(v)).

    The dense product adds a[i, k] * 0.0 (k != j) into [i, j]: nan for an inf or nan
    a[i, k], which a * v never meets, so a non-finite a needs the dense product; inf or
    nan in v need nothing (v[j] meets only column j, as in a * v). A non-finite a[i, k]
    makes a * v non-finite at [i, k] (inf * x and nan * x are never finite), so a finite
    product proves a finite and a is scanned only when the product is not.
    """
    left, vector = np.asarray(a), np.asarray(v)
    if (
        vector.ndim == 1
        and left.ndim in (1, 2)
        and left.shape[-1] == vector.shape[0]
        and _numeric(left, vector)
    ):
        product = _call("__mul", left, vector)
        if _all_finite(product) or _all_finite(left):
            return product
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
    """v[:, None] * a (v * a for 1-D a) when the shapes match and a is all finite, else
    dot(diag(v), a): scale_columns with rows and columns exchanged (a non-finite a[k, j]
    makes column j of the dense product nan outside row k; v's values need nothing)."""
    right, vector = np.asarray(a), np.asarray(v)
    if (
        vector.ndim == 1
        and right.ndim in (1, 2)
        and right.shape[0] == vector.shape[0]
        and _numeric(right, vector)
    ):
        factor = vector if right.ndim == 1 else vector[:, None]
        product = _call("__mul", factor, right)
        if _all_finite(product) or _all_finite(right):
            return product
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
    """yᵀ·diag(c)·y without the n x n diagonal matrix (skipping rows where c == 0) when y
    is all finite; c may hold anything.

    A non-finite y[l, a] makes the dense yᵀ·diag(c) nan at [a, k] for every k != l
    (y[l, a] * 0.0), so row a of the answer nan whether row l is used or skipped: any
    inf or nan in y needs the dense evaluation. With y finite, the skipped rows add only
    0.0 * y[k, b] = ±0, and inf or nan weights meet the same products as in the dense form.
    """
    matrix, weights = np.asarray(y), np.asarray(c)
    if not (
        matrix.ndim == 2
        and weights.ndim == 1
        and matrix.shape[0] == weights.shape[0]
        and _numeric(matrix, weights)
        and _all_finite(matrix)
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
    """t·(diag(c) + I)·v without n x n matrices (skipping zero rows of the scaled v) when t
    and v are all finite and c is finite in the skipped rows.

    The dense t·(diag(c) + I) is nan at [r, j] where row r of t holds an inf or a nan
    outside column j (times 0.0), so any non-finite t needs the dense evaluation. A
    non-finite c[j] meets v[j] == 0 in the dense product ((t * inf) * 0 = nan): fine
    where row j is used ((c + 1) * v gives that nan too), not where it is skipped.
    Non-finite v also takes the dense path: (t * (c + 1)) * v and t * ((c + 1) * v) can
    then differ (inf or nan) when a product underflows.
    """
    left, weights, right = np.asarray(t), np.asarray(c), np.asarray(v)
    rows = None
    shaped = (
        _is_int(n)
        and weights.ndim == 1
        and weights.shape[0] == n
        and left.ndim in (1, 2)
        and left.shape[-1] == n
        and right.ndim in (1, 2)
        and right.shape[0] == n
        and _numeric(left, weights, right)
    )
    if shaped:
        # Rows where v is zero contribute nothing: gather the others when they are few.
        rows = _sparse_rows(right)
    if not (
        shaped
        and _all_finite(left)
        and _all_finite(right)
        and (rows is None or _finite_where_skipped(weights, rows))
    ):

        def original() -> Any:
            matrix = _call("__add", _call("diag", c), _call("identity", n))
            return _call("dot", _call("dot", t, matrix), v)

        return _as_written("dot(dot(t, diag(c) + identity(n)), v)", original)
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
    """solve(a, b) for one square matrix a and a 1-D/2-D b when that provably meets no
    inf or nan in NumPy's dense form, else dot(inverse(a), b).

    NumPy's inverse spreads an inf or a nan of a in LAPACK's own pattern and np.dot
    turns inf * 0 into nan, so a or b holding one takes the dense path; so does a
    singular a (inverse's own error). A finite a can still have an inverse that overflows
    ([[1, 1e200, 0], [0, 1, 1e200], [0, 0, 1]] has 1e400 in its corner, so the dense
    product with b = e0 is nan where solve gives 1): the solve is kept only when
    _inverse_bounded proves from the LU factors that |inverse(a)| and the dense
    product's partial sums stay far from overflow.
    """
    matrix, rhs = np.asarray(a), np.asarray(b)
    solvable = (
        matrix.ndim == 2
        and matrix.shape[0] == matrix.shape[1]
        and rhs.ndim in (1, 2)
        and rhs.shape[0] == matrix.shape[0]
        and all(x.dtype.kind in "iu" or x.dtype in _LAPACK_TYPES for x in (matrix, rhs))
    )
    if solvable and _all_finite(matrix) and _all_finite(rhs):
        answer = _bounded_solve(matrix, rhs)
        if answer is not None:
            return answer
    return _as_written("dot(inverse(a), b)", lambda: _call("dot", _call("inverse", a), b))


def _lapack(name: str, dtype: np.dtype) -> Callable[..., Any]:
    """SciPy's LAPACK routine `name` for `dtype` (scipy.linalg is imported on first use)."""
    key = (name, dtype.char)
    found = _LAPACK.get(key)
    if found is None:
        from scipy.linalg import lapack

        found = _LAPACK[key] = lapack.get_lapack_funcs(name, dtype=dtype)
    return found


def _bounded_solve(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray | None:
    """LAPACK's gesv (what numpy.linalg.solve runs) of finite operands, or None when the
    matrix is singular or _inverse_bounded cannot prove the dense form finite."""
    if matrix.size == 0 or rhs.size == 0:
        try:
            return np.linalg.solve(matrix, rhs)  # nothing can overflow in an empty answer
        except np.linalg.LinAlgError:
            return None  # the unrewritten form raises inverse's own error for this matrix
    # numpy.linalg's common type: integers count as float64, single stays single.
    dtype = np.result_type(
        *(x.dtype if x.dtype.kind in "fc" else np.float64 for x in (matrix, rhs))
    )
    factors, _, solution, info = _lapack("gesv", dtype)(
        matrix.astype(dtype, copy=False), rhs.astype(dtype, copy=False)
    )
    if info != 0 or not _inverse_bounded(factors, rhs, np.finfo(dtype).max * _INVERSE_MARGIN):
        return None
    return solution


def _inverse_bounded(factors: np.ndarray, rhs: np.ndarray, limit: float) -> bool:
    """Whether NumPy's inverse of A = Pᵀ·L·U (`factors` as LAPACK's getrf leaves them)
    and its product with rhs provably stay below `limit` in every partial sum.

    For triangular T, |inverse(T)| <= inverse(M(T)) elementwise, M(T) being the comparison
    matrix (|diagonal|, -|off-diagonal|). So with g = inverse(M(L))·1 and z =
    inverse(M(U))·g, z bounds the row sums of |inverse(A)| (P only permutes columns), z_i
    · max|b| the partial sums of the product, and |u_kk|·z_k (>= g_k) those of the
    triangular solves inverse(A) is computed by; n·max|U| bounds the elimination's. Two
    O(n²) triangular solves; `limit` leaves room for the rounding of both factorizations.
    """
    magnitude = np.abs(factors)
    if magnitude.dtype != np.float64:
        magnitude = magnitude.astype(np.float64)
    scale = max(1.0, float(np.abs(rhs).max()))
    return bool(_comparison_bounded(magnitude, scale, limit))


@njit(nogil=True)
def _comparison_bounded(magnitude, scale, limit):  # pragma: no cover - compiled
    """_inverse_bounded's two triangular solves on |factors| (Numba: ~1 us at 40 x 40)."""
    size = magnitude.shape[0]
    growth = np.empty(size)
    for i in range(size):
        total = 1.0
        for j in range(i):
            total += magnitude[i, j] * growth[j]
        growth[i] = total
        for j in range(size):
            if not magnitude[i, j] * size <= limit:  # also False for nan
                return False
    bound = np.empty(size)
    for k in range(size - 1, -1, -1):
        total = growth[k]
        for j in range(k + 1, size):
            total += magnitude[k, j] * bound[j]
        bound[k] = total / magnitude[k, k]
        if not (total <= limit and bound[k] * scale <= limit):
            return False
    return True
