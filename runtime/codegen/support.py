"""Hand-written Numba routines that generated kernels call (names start with `support_`).

They hold the loops worth tuning by hand: the 4-row dot products and updates of the GLM
kernel (reassociation allowed so LLVM vectorizes the sums; no other fast-math), and the
rewritten ALS primitives without temporaries (`weighted_gram` touching only rows whose
weight is non-zero). Each matches the NumPy expression in its docstring up to rounding.
This module decides nothing about when they are used.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Generated loops import every support_* name from this module.
from jetlag.runtime.codegen.support_store import support_store  # noqa: F401

_SUMS = {"reassoc", "contract"}


@njit(nogil=True, fastmath=_SUMS)
def support_rows_dot4(x, w, r):  # pragma: no cover - compiled
    """(x[r] @ w, x[r+1] @ w, x[r+2] @ w, x[r+3] @ w) in one pass over w."""
    a0 = a1 = a2 = a3 = 0.0
    for j in range(w.shape[0]):
        wj = w[j]
        a0 += x[r, j] * wj
        a1 += x[r + 1, j] * wj
        a2 += x[r + 2, j] * wj
        a3 += x[r + 3, j] * wj
    return a0, a1, a2, a3


@njit(nogil=True, fastmath=_SUMS)
def support_rows_dot1(x, w, r):  # pragma: no cover - compiled
    """x[r] @ w."""
    total = 0.0
    for j in range(w.shape[0]):
        total += x[r, j] * w[j]
    return total


@njit(nogil=True, fastmath=_SUMS)
def support_rows_axpy4(g, x, r, e0, e1, e2, e3):  # pragma: no cover - compiled
    """g += e0 * x[r] + e1 * x[r+1] + e2 * x[r+2] + e3 * x[r+3]."""
    for j in range(g.shape[0]):
        g[j] += e0 * x[r, j] + e1 * x[r + 1, j] + e2 * x[r + 2, j] + e3 * x[r + 3, j]


@njit(nogil=True, fastmath=_SUMS)
def support_rows_axpy1(g, x, r, e0):  # pragma: no cover - compiled
    """g += e0 * x[r]."""
    for j in range(g.shape[0]):
        g[j] += e0 * x[r, j]


@njit(nogil=True)
def support_weighted_gram(y, c):  # pragma: no cover - compiled
    """(y.T * c) @ y for 2-D y and 1-D c, from only the rows where c != 0 (one BLAS call)."""
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
def support_shifted_weighted_product(t, c, n, v):  # pragma: no cover - compiled
    """t @ ((c + 1) * v) for 2-D t and 1-D c, v of length n, skipping v == 0."""
    out = np.zeros(t.shape[0])
    for j in range(n):
        if v[j] != 0:
            scaled = (c[j] + 1.0) * v[j]
            for r in range(t.shape[0]):
                out[r] += t[r, j] * scaled
    return out


#: support_inverse_dot pads rows to whole vectors of this many doubles (one AVX-512
#: register), so its row updates run as whole vector loops rather than scalar remainders.
_VECTOR = 8


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
    """
    n = a.shape[0]
    if a.shape[1] != n or b.shape[0] != n:
        raise ValueError("inverse_dot: a must be square and b must have as many rows as a")
    width = (n + _VECTOR - 1) // _VECTOR * _VECTOR
    lu = np.zeros((n, width))
    for i in range(n):
        for j in range(n):
            lu[i, j] = a[i, j]
    rhs = np.ascontiguousarray(b).astype(np.float64).reshape((n, -1))
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
        row_k, rhs_k = lu[k], rhs[k]
        reciprocal = 1.0 / row_k[k]
        start = (k + 1) // _VECTOR * _VECTOR
        for i in range(k + 1, n):
            row_i, rhs_i = lu[i], rhs[i]
            factor = row_i[k] * reciprocal
            for j in range(start, width):
                row_i[j] -= factor * row_k[j]
            for c in range(rhs.shape[1]):
                rhs_i[c] -= factor * rhs_k[c]
    for k in range(n - 1, -1, -1):
        for c in range(rhs.shape[1]):
            total = rhs[k, c]
            for j in range(k + 1, n):
                total -= lu[k, j] * rhs[j, c]
            rhs[k, c] = total / lu[k, k]
    return rhs.reshape(b.shape)
