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


@njit(nogil=True)
def support_inverse_dot(a, b):  # pragma: no cover - compiled
    """inverse(a) @ b as one LU solve (LAPACK gesv)."""
    return np.linalg.solve(a, b)
