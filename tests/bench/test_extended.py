"""bench/extended.py: ALS in extended precision, the yardstick for "equal to 1e-10".

The yardstick must itself be right: its solver is exact on integer systems, and it
computes what Listing 2 computes (NumPy agrees where the systems are well conditioned).
Then JetLag's optimized ALS -- `solve` in place of `inverse`, zeros skipped -- is held to
1e-10 of it on systems with condition numbers above 1e7.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import examples.data as data
import examples.listings as listings
from jetlag import physl

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import extended  # noqa: E402
import references  # noqa: E402
from timing import relative_difference  # noqa: E402

pytestmark = pytest.mark.skipif(
    not extended.available(), reason="long double is float64 on this platform"
)


def test_batched_solver_is_exact_on_integer_systems_that_need_pivoting():
    rng = np.random.default_rng(3)
    a = rng.integers(-9, 10, size=(50, 6, 6)).astype(extended.EXTENDED)
    a[:, 0, 0] = 0  # the first pivot must come from another row
    a[:, range(6), range(6)] += 40  # nonsingular, yet row 0 still needs a swap
    a[:, 0, 0] = 0
    solution = rng.integers(-5, 6, size=(50, 6)).astype(extended.EXTENDED)
    b = np.einsum("kij,kj->ki", a, solution)
    before = a.copy()
    got = extended.solve_batched(a, b)
    assert np.max(np.abs(got - solution)) < 1e-15
    assert np.array_equal(a, before)  # inputs untouched


def test_extended_als_computes_listing_2():
    ratings = data.synthetic_ratings(30, 40, density=0.3, seed=5)
    rng = np.random.default_rng(2)  # well-conditioned systems: NumPy is exact to ~1e-14
    x0, y0 = rng.standard_normal((30, 6)), rng.standard_normal((40, 6))
    expected = listings.ALS(ratings, 0.1, 6, 2, 40.0, x0.copy(), y0.copy())
    got = extended.als_extended(ratings, 0.1, 6, 2, 40.0, x0, y0)
    assert relative_difference(got, expected) < 1e-12
    assert got.dtype == np.float64 and got.shape == (70, 6)


def test_jetlag_is_within_1e_10_of_the_exact_als_on_ill_conditioned_systems():
    ratings = data.synthetic_ratings(60, 80, seed=0)
    x0, y0 = data.als_start(60, 80, 8)
    args = (ratings, 0.1, 8, 1, 40.0)
    got = physl(listings.ALS)(*args, x0.copy(), y0.copy())
    exact = extended.als_extended(*args, x0, y0)
    new_x = listings.ALS(*args, x0.copy(), y0.copy())[:60]
    gram = x0.T @ x0 + 0.1 * np.identity(8)
    assert references.system_condition(40.0 * ratings.T, gram, new_x) > 1e7
    assert relative_difference(got, exact) < 1e-10
