"""Numba nogil kernels for sum/min/max over a 1-D chunk and over the rows of a 2-D chunk.

The caller (reduction_engine) passes C-contiguous float64/float32/int64 chunks, combines the
per-chunk partial results and decides when these kernels may be used. Sums use eight
independent accumulators inside blocks of BLOCK items (so LLVM can vectorize without
reassociating) and add block totals into an outer accumulator; float results therefore
differ from NumPy's pairwise summation in the last bits only. Integer sums wrap like NumPy's.
min/max propagate NaN like NumPy. Numba is imported and kernels compiled on first use only.
"""

from __future__ import annotations

import functools
from typing import Any

#: Items summed with the eight-accumulator inner loop before joining the outer total.
BLOCK = 4096

# Measured: float loops vectorize only with the eight explicit accumulators (no fastmath, so
# LLVM may not reassociate), while integer loops vectorize only in the plain form (the
# unrolled integer form runs ~6x slower). Hence two variants of each kernel.


def _sum_plain(x, zero):
    total = zero
    for i in range(x.shape[0]):
        total += x[i]
    return total


def _sum_eight(x, zero):
    n = x.shape[0]
    s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = zero
    for j in range(n // 8):
        i = 8 * j
        s0 += x[i]
        s1 += x[i + 1]
        s2 += x[i + 2]
        s3 += x[i + 3]
        s4 += x[i + 4]
        s5 += x[i + 5]
        s6 += x[i + 6]
        s7 += x[i + 7]
    total = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
    for i in range(n - n % 8, n):
        total += x[i]
    return total


def _max_pair(m, v):
    # NumPy's maximum: NaN wins, ties give the second operand.
    return m if (m > v or m != m) else v


def _min_pair(m, v):
    return m if (m < v or m != m) else v


def _jit(function: Any) -> Any:
    import numba  # deferred: importing Numba costs ~0.5 s and most programs never need it

    return numba.njit(nogil=True, error_model="numpy")(function)


def _with_rows(flat: Any, takes_zero: bool) -> tuple[Any, Any]:
    """(flat, rows) where rows applies flat to each row of a 2-D chunk into `out`."""
    if takes_zero:

        def rows(x, zero, out):
            for r in range(x.shape[0]):
                out[r] = flat(x[r], zero)

    else:

        def rows(x, out):
            for r in range(x.shape[0]):
                out[r] = flat(x[r])

    return flat, _jit(rows)


@functools.cache
def sum_kernels(float_acc: bool) -> tuple[Any, Any]:
    """(flat, rows): flat(x, zero) -> total; rows(x2d, zero, out) writes each row's total.

    `zero` (0 or 0.0) selects the accumulator type: float64 for float data, and for int64
    data when a mean needs it; `float_acc` must say which, to pick the variant that vectorizes.
    """
    if not float_acc:
        return _with_rows(_jit(_sum_plain), takes_zero=True)
    eight = _jit(_sum_eight)

    def blocked(x, zero):
        n = x.shape[0]
        total = zero
        for start in range(0, n, BLOCK):
            total += eight(x[start : min(start + BLOCK, n)], zero)
        return total

    return _with_rows(_jit(blocked), takes_zero=True)


def _extremum_plain(pair: Any) -> Any:
    def flat(x):
        m = x[0]
        for i in range(1, x.shape[0]):
            m = pair(m, x[i])
        return m

    return flat


def _extremum_eight(pair: Any) -> Any:
    def flat(x):
        n = x.shape[0]
        m0 = m1 = m2 = m3 = m4 = m5 = m6 = m7 = x[0]
        for j in range(n // 8):
            i = 8 * j
            m0 = pair(m0, x[i])
            m1 = pair(m1, x[i + 1])
            m2 = pair(m2, x[i + 2])
            m3 = pair(m3, x[i + 3])
            m4 = pair(m4, x[i + 4])
            m5 = pair(m5, x[i + 5])
            m6 = pair(m6, x[i + 6])
            m7 = pair(m7, x[i + 7])
        m = pair(pair(pair(m0, m1), pair(m2, m3)), pair(pair(m4, m5), pair(m6, m7)))
        for i in range(n - n % 8, n):
            m = pair(m, x[i])
        return m

    return flat


@functools.cache
def extremum_kernels(op: str, float_data: bool) -> tuple[Any, Any]:
    """(flat, rows) for op "max" or "min": flat(x) of a non-empty x; rows(x2d, out) per row."""
    pair = _jit(_max_pair if op == "max" else _min_pair)
    build = _extremum_eight if float_data else _extremum_plain
    return _with_rows(_jit(build(pair)), takes_zero=False)
