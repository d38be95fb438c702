"""Hand-written Numba routines that generated kernels call (names start with `support_`).

They hold the loops worth tuning by hand: the 4-row dot products and updates of the GLM
kernel (reassociation allowed so LLVM vectorizes the sums; no other fast-math). Generated
code imports every `support_` name except the exact operators (support_exact.py) from
here, so the rewritten linear algebra (support_algebra.py), the element store
(support_store.py) and a print's call back (support_print.py) are re-exported. This
module decides nothing about when they are used.
"""

from __future__ import annotations

from numba import njit

# Generated loops import every support_* name from this module.
from jetlag.runtime.codegen.support_algebra import (  # noqa: F401
    support_all_finite,
    support_inverse_dot,
    support_scale_columns,
    support_scale_rows,
    support_shifted_weighted_product,
    support_weighted_gram,
)
from jetlag.runtime.codegen.support_print import support_print, support_text  # noqa: F401
from jetlag.runtime.codegen.support_store import support_may_share, support_store  # noqa: F401

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
