"""Listing 2 (ALS) in extended precision: the answer every float64 result is measured against.

Comparing JetLag with NumPy alone cannot tell which one is wrong when they differ: the
listing computes `dot(inverse(A), b)` for systems whose condition numbers reach ~1e7, so
any two float64 evaluation orders (NumPy with one or two BLAS threads, or `solve` in
place of `inverse`) may differ by cond(A) x 1e-16. Here the same iteration runs in
`np.longdouble` (x87 80-bit on x86-64: 64-bit mantissa, eps 1.1e-19), with the zero
confidences skipped (they add exact zeros) and every system solved by Gaussian
elimination with partial pivoting, batched over all rows. Its own error is about
cond(A) x 1e-19, so it decides differences at the 1e-10 level.
"""

from __future__ import annotations

import numpy as np

EXTENDED = np.longdouble

#: Largest epsilon still called extended: where long double is float64 (Windows, macOS on
#: arm64) there is nothing more exact to compare with.
EXTENDED_EPS = 1e-18


def available() -> bool:
    """True when this platform's long double is wider than float64."""
    return float(np.finfo(EXTENDED).eps) < EXTENDED_EPS


def solve_batched(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """x with a[k] @ x[k] == b[k] for every k: Gaussian elimination, partial pivoting.

    `a` is (count, n, n) and `b` (count, n); both are copied, computed in their own dtype.
    """
    a, b = a.copy(), b.copy()
    count, n = b.shape
    systems = np.arange(count)
    for k in range(n):
        pivot = k + np.argmax(np.abs(a[:, k:, k]), axis=1)
        a[systems, k], a[systems, pivot] = a[systems, pivot], a[systems, k].copy()
        b[systems, k], b[systems, pivot] = b[systems, pivot], b[systems, k].copy()
        factor = a[:, k + 1 :, k] / a[:, k, k][:, None]
        a[:, k + 1 :, k:] -= factor[:, :, None] * a[:, k, k:][:, None, :]
        b[:, k + 1 :] -= factor * b[:, k][:, None]
    x = np.zeros_like(b)
    for k in range(n - 1, -1, -1):
        known = np.einsum("ij,ij->i", a[:, k, k + 1 :], x[:, k + 1 :])
        x[:, k] = (b[:, k] - known) / a[:, k, k]
    return x


def _sweep(conf: np.ndarray, factors: np.ndarray, gram: np.ndarray) -> np.ndarray:
    """New factors for every row of `conf`: (gram + Fᵀ C F) x = Fᵀ (C + I) p."""
    rows, width = conf.shape[0], factors.shape[1]
    systems = np.empty((rows, width, width), dtype=EXTENDED)
    sides = np.empty((rows, width), dtype=EXTENDED)
    for row in range(rows):
        used = conf[row] != 0
        weights, chosen = conf[row, used], factors[used]
        systems[row] = gram + (chosen.T * weights) @ chosen
        sides[row] = chosen.T @ (weights + 1)
    return solve_batched(systems, sides)


def als_extended(
    ratings: np.ndarray,
    reg: float,
    num_factors: int,
    iterations: int,
    alpha: float,
    X: np.ndarray,  # noqa: N803 - the listing's names
    Y: np.ndarray,  # noqa: N803
) -> np.ndarray:
    """What Listing 2 returns, computed in extended precision and rounded to float64.

    As in the listing, the item sweep pairs the Gram matrix of the X from before the user
    sweep with the new X. The inputs are not modified.
    """
    conf = EXTENDED(alpha) * np.asarray(ratings, dtype=EXTENDED)
    x, y = np.asarray(X, dtype=EXTENDED), np.asarray(Y, dtype=EXTENDED)
    ridge = EXTENDED(reg) * np.identity(num_factors, dtype=EXTENDED)
    for _ in range(int(iterations)):
        yty, xtx = y.T @ y + ridge, x.T @ x + ridge
        x = _sweep(conf, y, yty)
        y = _sweep(np.ascontiguousarray(conf.T), x, xtx)
    return np.vstack((x, y)).astype(np.float64)
