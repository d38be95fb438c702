"""Numba nogil kernels for reductions: integer sums, NumPy's float sum orders, and min/max.

The caller (reduction_engine) passes C-contiguous float64/float32/int64 chunks, combines the
per-chunk results and decides when these kernels may be used. Integer sums wrap like NumPy's,
so any grouping of them is exact. `pairwise_blocks` repeats, operation for operation, NumPy's
pairwise summation (numpy/_core/src/umath/loops_utils.h.src, `pairwise_sum`) over blocks of a
row, converting each element to the accumulator type first as NumPy's casting buffers do, and
`column_sums` repeats NumPy's row-after-row order of a sum over axis 0: they give NumPy's bits,
not an approximation of them. These float kernels report no floating-point errors, so the
caller uses them only where none can occur, or checks that the total is finite (an overflow or
inf - inf leaves it infinite or NaN) and otherwise lets NumPy redo the sum. min/max propagate
NaN like NumPy; which zero they return for a mix of 0.0 and -0.0 depends on the order, so the
caller settles zero results with NumPy. Numba is imported and kernels compiled on first use.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

#: NumPy's PW_BLOCKSIZE: ranges up to this length are summed with eight accumulators.
PAIRWISE_BLOCK = 128


def _sum_plain(x, zero):
    # On uint64 bits: NumPy's int64 sum wraps, while Numba's signed `+` tells LLVM it never
    # overflows (an overflow would be undefined, not wrapped).
    total = np.uint64(zero)
    for i in range(x.shape[0]):
        total += np.uint64(x[i])
    return np.int64(total)


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
def sum_kernels() -> tuple[Any, Any]:
    """(flat, rows) integer sums: flat(x, 0) -> total; rows(x2d, 0, out) writes each row's.

    The plain loop is the form LLVM vectorizes for integers (it may reorder the adds, done
    on uint64 bits that wrap, so the total is NumPy's whatever the order).
    """
    return _with_rows(_jit(_sum_plain), takes_zero=True)


@functools.cache
def pairwise_blocks(accumulator: str) -> Any:
    """blocks(x2d, first, stop, size, out): out[r, j - first] = NumPy's sum of block j of row r.

    Block j is x2d[r, j * size:(j + 1) * size]; each element is converted to `accumulator`
    ("float32" or "float64") and the block is summed in NumPy's pairwise order, starting,
    like a NumPy reduction, from +0.0.
    """
    import numba

    convert = getattr(numba, accumulator)

    def pairwise(x, lo, hi):
        n = hi - lo
        if n < 8:
            total = -convert(0.0)  # NumPy starts at -0.0 so that a sum of -0.0 stays -0.0
            for i in range(lo, hi):
                total += convert(x[i])
            return total
        if n <= PAIRWISE_BLOCK:
            r0 = convert(x[lo])
            r1 = convert(x[lo + 1])
            r2 = convert(x[lo + 2])
            r3 = convert(x[lo + 3])
            r4 = convert(x[lo + 4])
            r5 = convert(x[lo + 5])
            r6 = convert(x[lo + 6])
            r7 = convert(x[lo + 7])
            i = lo + 8
            end = hi - n % 8
            while i < end:
                r0 += convert(x[i])
                r1 += convert(x[i + 1])
                r2 += convert(x[i + 2])
                r3 += convert(x[i + 3])
                r4 += convert(x[i + 4])
                r5 += convert(x[i + 5])
                r6 += convert(x[i + 6])
                r7 += convert(x[i + 7])
                i += 8
            total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
            while i < hi:
                total += convert(x[i])
                i += 1
            return total
        half = n // 2
        half -= half % 8
        return pairwise(x, lo, lo + half) + pairwise(x, lo + half, hi)

    pairwise = _jit(pairwise)  # the closure's recursive call now reaches the compiled kernel

    def blocks(x, first, stop, size, out):
        for r in range(x.shape[0]):
            row = x[r]
            for j in range(first, stop):
                out[r, j - first] = convert(0.0) + pairwise(row, j * size, (j + 1) * size)

    return _jit(blocks)


@functools.cache
def column_sums(accumulator: str) -> Any:
    """sums(x2d, out): out[j] += x2d[i, j] converted to `accumulator`, row after row.

    That is NumPy's order for a sum over axis 0 of a C-contiguous matrix (each row added to
    the running totals element by element, from 0), without NumPy's per-row loop overhead.
    """
    import numba

    convert = getattr(numba, accumulator)

    def sums(x, out):
        # Up to four columns at a time in registers: each column is one chain of dependent
        # adds, so interleaving chains is what makes this fast; no column's order changes.
        j = 0
        while j < x.shape[1]:
            width = min(4, x.shape[1] - j)
            s0 = out[j]
            s1 = out[j + 1] if width > 1 else s0
            s2 = out[j + 2] if width > 2 else s0
            s3 = out[j + 3] if width > 3 else s0
            for i in range(x.shape[0]):
                s0 += convert(x[i, j])
                if width > 1:
                    s1 += convert(x[i, j + 1])
                if width > 2:
                    s2 += convert(x[i, j + 2])
                if width > 3:
                    s3 += convert(x[i, j + 3])
            out[j] = s0
            if width > 1:
                out[j + 1] = s1
            if width > 2:
                out[j + 2] = s2
            if width > 3:
                out[j + 3] = s3
            j += width

    return _jit(sums)


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
