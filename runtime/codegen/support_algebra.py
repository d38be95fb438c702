"""The rewritten linear-algebra primitives as Numba routines that generated loops call.

`weighted_gram`, `shifted_weighted_product`, `scale_columns`/`scale_rows` and `inverse_dot`
(passes/algebra.py) without temporaries: `weighted_gram` touches only rows whose weight is
non-zero. Each matches the NumPy expression in its docstring up to rounding and the sign of
a zero where the data are finite. Where an inf or a nan would meet the zeros they skip (or
the inverse could overflow) they raise `Deviation` instead: the loop then runs again in the
interpreter, whose rewritten primitives (primitives/rewritten.py) put inf and nan where
NumPy's dense products put them. Keeping those rare paths out of compiled code halves what
Numba compiles per process. Where the finiteness check is a scan of an operand a loop does
not change, it is the caller's to hoist: `support_all_finite(y)` once before the loop, its
answer passed as the `y_finite`/`t_finite` argument (True costs nothing; False, the
default, makes the call scan for itself). support.py re-exports them for generated code.
This module decides nothing about when they are used.
"""

from __future__ import annotations

import numpy as np
from numba import njit, types
from numba.core.errors import TypingError
from numba.extending import overload

from jetlag.runtime.codegen.support_loops import Deviation


@njit(nogil=True)
def support_all_finite(a):  # pragma: no cover - compiled
    """np.isfinite(a).all() for an array of any rank, layout and numeric dtype, without the
    temporary: one vectorized pass in memory order (1-D and 2-D; ~30 GB/s, 18 us for a
    1682 x 40 float64 array), leaving after the first row or column that holds an inf or
    a nan. Integer and bool arrays are finite.

    Generated loops call it once, before the loop, for a loop-invariant operand and pass
    the answer as the `*_finite` argument of the support functions below.
    """
    ok = True
    if a.ndim == 1:
        for i in range(a.shape[0]):
            value = a[i]
            ok &= value - value == 0  # nan exactly for inf and nan
        return ok
    if a.ndim == 2:
        rows, columns = a.shape
        if a.strides[1] <= a.strides[0]:
            for i in range(rows):
                for j in range(columns):
                    value = a[i, j]
                    ok &= value - value == 0
                if not ok:
                    return False
        else:
            for j in range(columns):
                for i in range(rows):
                    value = a[i, j]
                    ok &= value - value == 0
                if not ok:
                    return False
        return ok
    for value in a.flat:
        if not value - value == 0:
            return False
    return True


@njit(nogil=True)
def _finite(value):  # pragma: no cover - compiled
    return value - value == 0


def _real_operands(a, v):  # pragma: no cover - replaced by the overload when compiled
    """Compiles only for real (or integer, bool) operands; see the overload below."""


@overload(_real_operands)
def _real_operands_typing(a, v):
    # NumPy's complex BLAS products put nan in both parts of an entry that meets an inf
    # (inf * 1 gives inf + nan j, and scaling by alpha mixes the parts): not worth copying,
    # so a loop using these with complex operands is not compiled and runs interpreted.
    if isinstance(a.dtype, types.Complex) or isinstance(v.dtype, types.Complex):
        raise TypingError("complex operands are left to the interpreter")
    return lambda a, v: None


@njit(nogil=True)
def support_scale_columns(a, v):  # pragma: no cover - compiled
    """np.dot(a, np.diag(v)) for 1-D/2-D a and 1-D v, computed as a * v, for finite a.

    The dense product also adds a[i, k] * 0.0 for every k != j into element [i, j], which
    is nan where a[i, k] is inf or nan: a non-finite a raises Deviation. Inf or nan in v
    needs nothing (its column's zeros are multiplied by finite a). A non-finite a[i, k]
    makes a * v non-finite at [i, k], so a finite product proves a finite and a is scanned
    only when it is not. Real (integer, bool) operands only: complex ones do not compile
    (see _real_operands).
    """
    _real_operands(a, v)
    out = a * v
    if not support_all_finite(out) and not support_all_finite(a):
        raise Deviation()
    return out


@njit(nogil=True)
def support_scale_rows(a, v):  # pragma: no cover - compiled
    """np.dot(np.diag(v), a) for 1-D/2-D a and 1-D v, computed as v[:, None] * a, for
    finite a (as support_scale_columns, rows and columns exchanged). Real operands only."""
    _real_operands(a, v)
    if a.ndim == 1:
        out = v * a
    else:
        out = v.copy().reshape((v.shape[0], 1)) * a
    if not support_all_finite(out) and not support_all_finite(a):
        raise Deviation()
    return out


@njit(nogil=True)
def support_weighted_gram(y, c, y_finite=False):  # pragma: no cover - compiled
    """np.dot(np.dot(y.T, np.diag(c)), y) for 2-D y and 1-D c, inf and nan included.

    (y.T * c) @ y from only the rows where c != 0 (one BLAS call). It is exact (up to
    rounding and the sign of zero) when y is all finite, whatever c holds: the skipped rows
    then add 0.0 * y[k, b] = +-0 to the dense sums. A non-finite y[l, a] instead makes the
    dense y.T @ diag(c) nan at [a, k] for every k != l (y[l, a] * 0.0) and so row a of the
    answer nan, used row or not: that raises Deviation.

    `y_finite=True` says the caller has checked support_all_finite(y) (e.g. once, before a
    loop that does not change y); it costs nothing, and a y that does hold inf or nan then
    gets the fast path's finite answer. False (the default) makes this call scan y itself
    (~18 us for 1682 x 40, more than the fast path), so it is never wrong, only slower.
    """
    if not y_finite and not support_all_finite(y):
        raise Deviation()
    kept = 0
    for row in range(c.shape[0]):
        if c[row] != 0:
            kept += 1
    features = y.shape[1]
    rows = np.empty((kept, features))
    scaled = np.empty((features, kept))
    k = 0
    for row in range(c.shape[0]):
        weight = c[row]
        if weight != 0:
            for a in range(features):
                rows[k, a] = y[row, a]
                scaled[a, k] = y[row, a] * weight
            k += 1
    return np.dot(scaled, rows)


@njit(nogil=True)
def support_shifted_weighted_product(t, c, n, v, t_finite=False):  # pragma: no cover - compiled
    """np.dot(np.dot(t, np.diag(c) + np.identity(n)), v) for 2-D t and 1-D c, v of length
    n, inf and nan included.

    t @ ((c + 1) * v), skipping the j where v[j] == 0. It is exact (up to rounding and the
    sign of zero) when t and v are all finite and c[j] is finite wherever v[j] == 0;
    otherwise it raises Deviation: the dense t @ (diag(c) + I) is nan at [r, j] when row r
    of t holds a non-finite entry outside column j, a skipped non-finite c[j] still meets
    v[j] == 0 there (inf * 0 = nan), and with non-finite v (t * (c + 1)) * v and
    t * ((c + 1) * v) can differ when a product underflows.

    `t_finite=True` says the caller has checked support_all_finite(t) (for t = y.T, the
    check of y answers for t too); it costs nothing, and a t that does hold inf or nan then
    gets a wrong answer. False (the default) makes this call scan t itself. c and v (length
    n) are always checked here, inside the loop that reads them.
    """
    if not t_finite and not support_all_finite(t):
        raise Deviation()
    c_finite = support_all_finite(c)  # one vectorized pass; else each skipped c[j] is looked at
    out = np.zeros(t.shape[0])
    for j in range(n):
        if v[j] != 0:
            if not _finite(v[j]):
                raise Deviation()
            scaled = (c[j] + 1.0) * v[j]
            for r in range(t.shape[0]):
                out[r] += t[r, j] * scaled
        elif not c_finite and not _finite(c[j]):
            raise Deviation()
    return out


#: support_inverse_dot pads rows to whole vectors of this many doubles (one AVX-512
#: register), so its row updates run as whole vector loops rather than scalar remainders.
_VECTOR = 8


#: The largest bound on |inverse(a)| (and on the dense product's partial sums) for which
#: support_inverse_dot keeps its LU solve: 2**-30 below the largest double, so that
#: rounding in either factorization cannot reach an overflow the bound did not foresee.
_INVERSE_BOUND_LIMIT = float(np.finfo(np.float64).max) * 2.0**-30


@njit(nogil=True, error_model="numpy")
def support_inverse_dot(a, b):  # pragma: no cover - compiled
    """inverse(a) @ b as one LU solve with partial pivoting, like LAPACK's gesv.

    Written out rather than np.linalg.solve: Numba needs several seconds per process to
    compile its solve, and these matrices are small. An exactly zero pivot is singular,
    as for LAPACK; rows are scaled by the pivot's reciprocal, as LAPACK's getf2 does.
    Column k's multipliers are not kept (b is eliminated alongside), so each row update
    may start at the vector boundary at or before column k + 1: the columns it then also
    rewrites are never read again, and every value read gets exactly the operations of
    the unpadded elimination (same results bit for bit, ~25 % less time at 40x40).

    The solve equals NumPy's np.dot(np.linalg.inv(a), b) (up to rounding and the sign of
    zero) only where that never meets an inf or a nan; otherwise it raises Deviation, and
    the interpreter runs NumPy's own expression:
    - a or b holding inf or nan (checked first, O(n^2)): LAPACK's inverse spreads them in
      its own pattern, and np.dot turns inf * 0 into nan where the solve gives finite
      values or inf where the solve gives nan;
    - an inverse that overflows although a is finite (e.g. [[1, 1e200, 0], [0, 1, 1e200],
      [0, 0, 1]]: inverse(a)[0, 2] = 1e400, so NumPy's product gives nan where the
      solve gives 1), or partial sums of the product that would. Found from the factors
      at O(n^2) cost: with A = P^T L U, |inverse(a)| <= inverse(M(U)) inverse(M(L)) P
      elementwise (M: the comparison matrix, |diagonal| and -|off-diagonal|), so z =
      inverse(M(U)) inverse(M(L)) 1 bounds the row sums of |inverse(a)|, and |u_kk| z_k
      the partial sums of the triangular solves; all must stay below _INVERSE_BOUND_LIMIT.
    """
    n = a.shape[0]
    if a.shape[1] != n or b.shape[0] != n:
        raise ValueError("inverse_dot: a must be square and b must have as many rows as a")
    if not (support_all_finite(a) and support_all_finite(b)):
        raise Deviation()
    width = (n + _VECTOR - 1) // _VECTOR * _VECTOR
    lu = np.zeros((n, width))
    for i in range(n):
        for j in range(n):
            lu[i, j] = a[i, j]
    rhs = np.ascontiguousarray(b).astype(np.float64).reshape((n, -1))
    # growth[i]: row i of inverse(M(L)) @ ones, summed as the multipliers are made.
    growth = np.zeros(n)
    for k in range(n):
        pivot, largest = k, abs(lu[k, k])
        for i in range(k + 1, n):
            if abs(lu[i, k]) > largest:
                pivot, largest = i, abs(lu[i, k])
        if largest == 0.0:
            raise np.linalg.LinAlgError("Matrix is singular to machine precision.")
        if pivot != k:
            for j in range(width):
                lu[k, j], lu[pivot, j] = lu[pivot, j], lu[k, j]
            for c in range(rhs.shape[1]):
                rhs[k, c], rhs[pivot, c] = rhs[pivot, c], rhs[k, c]
            growth[k], growth[pivot] = growth[pivot], growth[k]
        growth[k] += 1.0
        row_k, rhs_k = lu[k], rhs[k]
        reciprocal = 1.0 / row_k[k]
        start = (k + 1) // _VECTOR * _VECTOR
        for i in range(k + 1, n):
            row_i, rhs_i = lu[i], rhs[i]
            factor = row_i[k] * reciprocal
            growth[i] += abs(factor) * growth[k]
            for j in range(start, width):
                row_i[j] -= factor * row_k[j]
            for c in range(rhs.shape[1]):
                rhs_i[c] -= factor * rhs_k[c]
    if not _inverse_within_range(lu, growth, b):
        raise Deviation()
    for k in range(n - 1, -1, -1):
        for c in range(rhs.shape[1]):
            total = rhs[k, c]
            for j in range(k + 1, n):
                total -= lu[k, j] * rhs[j, c]
            rhs[k, c] = total / lu[k, k]
    return rhs.reshape(b.shape)


@njit(nogil=True, error_model="numpy")
def _inverse_within_range(lu, growth, b):  # pragma: no cover - compiled
    """Whether inverse(a) and np.dot(inverse(a), b) provably stay finite (see
    support_inverse_dot); `growth` is inverse(M(L)) @ ones, `lu`'s upper triangle is U."""
    n = growth.shape[0]
    limit = _INVERSE_BOUND_LIMIT
    scale = 1.0
    for value in b.flat:
        scale = max(scale, abs(value))
    bound = np.empty(n)
    for k in range(n - 1, -1, -1):
        total = growth[k]
        largest = 0.0
        for j in range(k + 1, n):
            total += abs(lu[k, j]) * bound[j]
            largest = max(largest, abs(lu[k, j]))
        diagonal = abs(lu[k, k])
        bound[k] = total / diagonal
        if not (
            total <= limit and bound[k] * scale <= limit and max(largest, diagonal) * n <= limit
        ):
            return False
    return True
