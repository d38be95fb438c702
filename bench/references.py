"""Hand-written Numba references for the paper's workloads, and the read-bandwidth floor.

These are what a careful programmer would write by hand for the two listings, so the
benchmark can say how far JetLag is from hand-tuned code and from the memory system:

- `lra_reference`: logistic regression with one fused pass over X per iteration (blocks of
  4 rows: z = x_blk @ w, e = 1/(1+exp(-z)) - y, g += x_blkᵀ e while the block is in cache).
- `als_reference`: the listing's ALS, but each user's (item's) system is built only from
  the items (users) with a nonzero confidence, as the diagonal matrices make the rest zero,
  and solved by Cholesky (the systems are symmetric positive definite).
- `read_seconds`: one read of every element of X, the floor for anything that must read X.
- `system_condition`: how ill-conditioned ALS's systems are, which bounds how closely any
  implementation can agree with NumPy's rounding.

Every kernel is `njit(nogil=True)` with the fast-math flags of the JetLag code it is
compared with, so neither side is allowed a rewrite of the arithmetic the other is denied
(checked against runtime/codegen/ and runtime/primitives/kernels_*.py; keep in step):

- LRA. JetLag optimized runs the listing as its generated GLM kernel (codegen/kernels.py:
  `njit(nogil=True, error_model="numpy")`, no fast-math, which evaluates the sigmoid) calling
  support_rows_dot4/dot1/axpy4/axpy1 (codegen/support.py: `fastmath={"reassoc",
  "contract"}`, `_SUMS`, so LLVM may reorder the row sums into vector lanes and fuse
  multiply-adds). The reference has the same split: `_rows_dot4`, `_rows_dot1`,
  `_rows_axpy4`, `_rows_axpy1` carry `SUMS` (the same set), and `_lra_gradient_rows`, which
  evaluates the sigmoid, has no fast-math and NumPy's error model. Numba compiles a
  function's flags into its own instructions, so they stay per routine when LLVM inlines
  the helpers. The results then differ from NumPy's by rounding order only (checked to
  1e-10 like JetLag's).
- ALS. JetLag optimized runs the user and item loops as a generated loop (codegen/loops.py:
  nogil, bounds-checked, no fast-math) whose arithmetic is in support_weighted_gram and
  support_shifted_weighted_product (`njit(nogil=True)`, no fast-math) and
  support_inverse_dot (`njit(nogil=True, error_model="numpy")`, no fast-math). So
  `_als_solve_rows`, which builds the same products, has no fast-math, and
  `_cholesky_solve`, the counterpart of support_inverse_dot, has no fast-math and NumPy's
  error model. Bounds checking is not mirrored: in JetLag it guards the generated driver
  loop's own indexing (so errors surface as Python's), not the routines doing the
  arithmetic, which are unchecked like every loop here.
- The read-bandwidth floor (`_sum_rows`) mirrors JetLag's sum kernels
  (primitives/kernels_reduce.py: `njit(nogil=True, error_model="numpy")`, no fast-math,
  eight explicit accumulators so LLVM vectorizes without reassociating).
- Every other kernel in runtime/codegen/ and runtime/primitives/kernels_*.py (elementwise
  kernels, fused maps, support_store) uses no fast-math; no reference mirrors them.

Parallelism is Python threads each running a nogil kernel on a contiguous range of
rows (measured faster here than numba prange with per-thread partials: 27 vs 34 ms per
LRA 10000² iteration on 2 cores), and only as many threads as the work pays for (tiny
inputs run on the caller); partial results are added in range order, so the result
does not depend on timing. This module must not import jetlag: the references
are independent of the system they measure.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
from numba import njit

#: Fast-math flags of the row dot products and updates: those of JetLag's `_SUMS`
#: (runtime/codegen/support.py), reassociation and multiply-add contraction, nothing else.
SUMS = {"reassoc", "contract"}

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()


def _row_ranges(rows: int, threads: int) -> list[tuple[int, int]]:
    """`threads` contiguous [lo, hi) ranges covering range(rows)."""
    return [(rows * t // threads, rows * (t + 1) // threads) for t in range(threads)]


#: Work (element updates) below which a thread is not worth starting: handing a range to a
#: thread costs tens of microseconds, about what this much work takes.
MIN_WORK_PER_THREAD = 1 << 17


def _threads_for(threads: int, work: int) -> int:
    """`threads`, or fewer when the work is too small to split that far."""
    return max(1, min(threads, work // MIN_WORK_PER_THREAD))


def _on_threads(threads: int, kernel: Callable[..., Any], calls: list[tuple]) -> list[Any]:
    """Run kernel(*args) for each args tuple, on `threads` threads; results in order."""
    if threads <= 1 or len(calls) <= 1:
        return [kernel(*args) for args in calls]
    with _pools_lock:
        pool = _pools.get(threads)
        if pool is None:
            pool = _pools[threads] = ThreadPoolExecutor(threads, "reference")
    futures = [pool.submit(kernel, *args) for args in calls]
    return [future.result() for future in futures]


# -- LRA ------------------------------------------------------------------------------


@njit(nogil=True, fastmath=SUMS)
def _rows_dot4(x, w, r):  # pragma: no cover - compiled by Numba
    # (x[r] @ w, ..., x[r+3] @ w) in one sweep over w: w is streamed once per four rows.
    s0 = s1 = s2 = s3 = 0.0
    for j in range(w.shape[0]):
        wj = w[j]
        s0 += x[r, j] * wj
        s1 += x[r + 1, j] * wj
        s2 += x[r + 2, j] * wj
        s3 += x[r + 3, j] * wj
    return s0, s1, s2, s3


@njit(nogil=True, fastmath=SUMS)
def _rows_dot1(x, w, r):  # pragma: no cover - compiled by Numba
    s = 0.0
    for j in range(w.shape[0]):
        s += x[r, j] * w[j]
    return s


@njit(nogil=True, fastmath=SUMS)
def _rows_axpy4(g, x, r, e0, e1, e2, e3):  # pragma: no cover - compiled by Numba
    # g += e0 x[r] + ... + e3 x[r+3], while the four rows are still in L2.
    for j in range(g.shape[0]):
        g[j] += e0 * x[r, j] + e1 * x[r + 1, j] + e2 * x[r + 2, j] + e3 * x[r + 3, j]


@njit(nogil=True, fastmath=SUMS)
def _rows_axpy1(g, x, r, e0):  # pragma: no cover - compiled by Numba
    for j in range(g.shape[0]):
        g[j] += e0 * x[r, j]


@njit(nogil=True, error_model="numpy")
def _lra_gradient_rows(x, y, w, g, lo, hi):  # pragma: no cover - compiled by Numba
    # g += x[lo:hi]ᵀ (sigmoid(x[lo:hi] @ w) - y[lo:hi]), four rows per block; the sigmoid
    # is evaluated here, without fast-math, as in JetLag's generated GLM kernel.
    r = lo
    while r + 4 <= hi:
        s0, s1, s2, s3 = _rows_dot4(x, w, r)
        e0 = 1.0 / (1.0 + np.exp(-s0)) - y[r]
        e1 = 1.0 / (1.0 + np.exp(-s1)) - y[r + 1]
        e2 = 1.0 / (1.0 + np.exp(-s2)) - y[r + 2]
        e3 = 1.0 / (1.0 + np.exp(-s3)) - y[r + 3]
        _rows_axpy4(g, x, r, e0, e1, e2, e3)
        r += 4
    while r < hi:
        e = 1.0 / (1.0 + np.exp(-_rows_dot1(x, w, r))) - y[r]
        _rows_axpy1(g, x, r, e)
        r += 1


def lra_gradient(x: np.ndarray, y: np.ndarray, w: np.ndarray, threads: int) -> np.ndarray:
    """xᵀ (1/(1+exp(-x @ w)) - y) in one pass over x, split by rows over `threads`."""
    threads = _threads_for(threads, x.size)
    ranges = _row_ranges(x.shape[0], threads)
    partials = np.zeros((len(ranges), x.shape[1]))
    _on_threads(
        threads,
        _lra_gradient_rows,
        [(x, y, w, partials[t], lo, hi) for t, (lo, hi) in enumerate(ranges)],
    )
    gradient = partials[0].copy()
    for part in partials[1:]:
        gradient += part
    return gradient


def lra_reference(
    x: np.ndarray, y: np.ndarray, alpha: float, iterations: int, threads: int = 2
) -> np.ndarray:
    """The weights Listing 1 computes (without its printing), by the fused kernel."""
    x = np.ascontiguousarray(x, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    weights = np.zeros(x.shape[1])
    for _ in range(int(iterations)):
        weights = weights - alpha * lra_gradient(x, y, weights, threads)
    return weights


# -- ALS ------------------------------------------------------------------------------


@njit(nogil=True, error_model="numpy")
def _cholesky_solve(a, b):  # pragma: no cover - compiled by Numba
    # Solves a x = b for symmetric positive definite a, reading only a's lower triangle;
    # a is overwritten by its Cholesky factor and b by x.
    k = a.shape[0]
    for j in range(k):
        d = a[j, j]
        for p in range(j):
            d -= a[j, p] * a[j, p]
        d = np.sqrt(d)
        a[j, j] = d
        for i in range(j + 1, k):
            s = a[i, j]
            for p in range(j):
                s -= a[i, p] * a[j, p]
            a[i, j] = s / d
    for i in range(k):
        s = b[i]
        for p in range(i):
            s -= a[i, p] * b[p]
        b[i] = s / a[i, i]
    for i in range(k - 1, -1, -1):
        s = b[i]
        for p in range(i + 1, k):
            s -= a[p, i] * b[p]
        b[i] = s / a[i, i]


@njit(nogil=True)
def _als_solve_rows(conf, factors, gram, out, lo, hi):  # pragma: no cover - compiled by Numba
    # For each row r: A = gram + Fᵀ diag(c) F and b = Fᵀ (c + 1) over the j with c_j != 0
    # (the listing's p is 1 exactly there), then out[r] = A⁻¹ b. A is symmetric positive
    # definite (gram has reg > 0 on its diagonal), so only its lower triangle is built and
    # a Cholesky solve is used: a third of the work of the listing's inverse, and it
    # compiles in a fraction of the time of Numba's LAPACK bindings. The products are
    # formed in the listing's order, (F[j, p] * c_j) * F[j, q].
    k = factors.shape[1]
    a = np.empty((k, k))
    b = np.empty(k)
    for r in range(lo, hi):
        # Element loops, not slice assignments: those cost seconds of Numba compile time.
        for p in range(k):
            b[p] = 0.0
            for q in range(p + 1):
                a[p, q] = gram[p, q]
        for j in range(conf.shape[1]):
            c = conf[r, j]
            if c != 0.0:
                for p in range(k):
                    scaled = factors[j, p] * c
                    b[p] += factors[j, p] * (c + 1.0)
                    for q in range(p + 1):
                        a[p, q] += scaled * factors[j, q]
        _cholesky_solve(a, b)
        for p in range(k):
            out[r, p] = b[p]


def _solve_all(
    conf: np.ndarray, factors: np.ndarray, gram: np.ndarray, out: np.ndarray, threads: int
) -> None:
    k = factors.shape[1]
    threads = _threads_for(threads, np.count_nonzero(conf) * k * (k + 1) // 2)
    _on_threads(
        threads,
        _als_solve_rows,
        [(conf, factors, gram, out, lo, hi) for lo, hi in _row_ranges(conf.shape[0], threads)],
    )


def als_reference(
    ratings: np.ndarray,
    reg: float,
    num_factors: int,
    iterations: int,
    alpha: float,
    X: np.ndarray,  # noqa: N803 - the listing's names
    Y: np.ndarray,  # noqa: N803
    threads: int = 2,
) -> np.ndarray:
    """What Listing 2 computes (X and Y updated in place, then stacked), skipping zeros.

    Like the listing, XtX is taken before the user sweep updates X, so the item sweep
    uses the previous X's Gram matrix with the new X's weighted term.
    """
    conf = np.ascontiguousarray(alpha * ratings, dtype=np.float64)
    conf_items = np.ascontiguousarray(conf.T)
    identity = np.identity(num_factors)
    for _ in range(int(iterations)):
        yty = Y.T @ Y + reg * identity
        xtx = X.T @ X + reg * identity
        _solve_all(conf, Y, yty, X, threads)
        _solve_all(conf_items, X, xtx, Y, threads)
    return np.vstack((X, Y))


# -- read bandwidth -------------------------------------------------------------------


@njit(nogil=True, error_model="numpy")
def _sum_rows(x, lo, hi):  # pragma: no cover - compiled by Numba
    # Eight independent sums so the loop is limited by loads, not by add latency.
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    cols = x.shape[1]
    for r in range(lo, hi):
        j = 0
        while j + 8 <= cols:
            a0 += x[r, j]
            a1 += x[r, j + 1]
            a2 += x[r, j + 2]
            a3 += x[r, j + 3]
            a4 += x[r, j + 4]
            a5 += x[r, j + 5]
            a6 += x[r, j + 6]
            a7 += x[r, j + 7]
            j += 8
        while j < cols:
            a0 += x[r, j]
            j += 1
    return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7))


def read_seconds(x: np.ndarray, threads: int) -> float:
    """Seconds to read every element of the C-contiguous 2-D `x` once (a parallel sum)."""
    ranges = _row_ranges(x.shape[0], _threads_for(threads, x.size))
    start = time.perf_counter()
    _on_threads(threads, _sum_rows, [(x, lo, hi) for lo, hi in ranges])
    return time.perf_counter() - start


def warm_up() -> None:
    """Compile every kernel (on tiny inputs) so no timed run pays for Numba."""
    x = np.ones((9, 10))
    lra_reference(x, np.ones(9), 1e-3, 1, threads=1)
    read_seconds(x, threads=1)
    ratings = np.zeros((6, 5))
    ratings[::2, 1::2] = 3.0
    als_reference(ratings, 0.1, 3, 1, 40.0, np.full((6, 3), 0.01), np.full((5, 3), 0.02), 1)


def system_condition(conf: np.ndarray, gram: np.ndarray, factors: np.ndarray) -> float:
    """The largest condition number of ALS's systems gram + Fᵀ diag(c) F over rows c of conf.

    A diagnostic: results computed in any order other than NumPy's differ from NumPy's by
    up to about this times the float64 epsilon, relative.
    """
    worst = 1.0
    for row in conf:
        used = row != 0
        a = gram + (factors[used].T * row[used]) @ factors[used]
        worst = max(worst, float(np.linalg.cond(a)))
    return worst
