"""The paper's listings 1 (LRA) and 2 (ALS), compiled with only the decorator, equal NumPy."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import data  # noqa: E402
import listings  # noqa: E402

from jetlag import physl  # noqa: E402


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    return float(np.max(np.abs(got - expected)) / np.max(np.abs(expected)))


@pytest.fixture(scope="module")
def lra():
    return physl(listings.lra)


@pytest.fixture(scope="module")
def als():
    """The listing as written (no rewrites): it must equal NumPy to 1e-10 on any data."""
    return physl(listings.ALS, optimize=False)


@pytest.fixture(scope="module")
def als_optimized():
    return physl(listings.ALS)


@pytest.mark.parametrize("rows,cols", [(300, 200), (2000, 500)])
def test_lra_matches_numpy(lra, rows, cols):
    x, y = data.lra_data(rows, cols, seed=rows)
    expected = listings.lra(x, y, 1e-3, 25, False)
    got = lra(x, y, 1e-3, 25, False)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    assert relative_error(got, expected) <= 1e-10


def test_lra_prints_exactly_what_numpy_prints(lra, capsys):
    x, y = data.lra_data(40, 5, seed=3)
    listings.lra(x, y, 1e-2, 4, True)
    expected = capsys.readouterr().out
    lra(x, y, 1e-2, 4, True)
    assert capsys.readouterr().out == expected
    assert expected.count("step:~") == 4


def test_lra_with_one_thread_equals_default(lra):
    x, y = data.lra_data(500, 100, seed=5)
    single = physl(listings.lra, threads=1)
    np.testing.assert_allclose(
        single(x, y, 1e-3, 10, False), lra(x, y, 1e-3, 10, False), rtol=1e-12
    )


def test_als_small_matches_numpy(als):
    ratings = data.synthetic_ratings(60, 80, density=0.1, seed=2)
    x0, y0 = data.als_start(60, 80, 8)
    expected = listings.ALS(ratings, 0.1, 8, 2, 40.0, x0.copy(), y0.copy())
    got = als(ratings, 0.1, 8, 2, 40.0, x0.copy(), y0.copy())
    assert relative_error(got, expected) <= 1e-10


def test_als_on_movielens_shaped_data_matches_numpy(als):
    ratings = data.synthetic_ratings(943, 1000, density=0.08, seed=0)
    assert 0.06 <= np.count_nonzero(ratings) / ratings.size <= 0.10
    x0, y0 = data.als_start(943, 1000, 40)
    expected = listings.ALS(ratings, 0.1, 40, 1, 40.0, x0.copy(), y0.copy())
    got = als(ratings, 0.1, 40, 1, 40.0, x0.copy(), y0.copy())
    assert got.shape == (1943, 40)
    assert relative_error(got, expected) <= 1e-10


def test_als_writes_factors_in_place_like_numpy(als):
    ratings = data.synthetic_ratings(30, 40, density=0.2, seed=4)
    x_numpy, y_numpy = data.als_start(30, 40, 5)
    x_jetlag, y_jetlag = x_numpy.copy(), y_numpy.copy()
    listings.ALS(ratings, 0.1, 5, 1, 40.0, x_numpy, y_numpy)
    als(ratings, 0.1, 5, 1, 40.0, x_jetlag, y_jetlag)
    np.testing.assert_allclose(x_jetlag, x_numpy, rtol=1e-10)
    np.testing.assert_allclose(y_jetlag, y_numpy, rtol=1e-10)


@pytest.mark.parametrize("users,items,iterations", [(60, 80, 2), (943, 1000, 1)])
def test_optimized_als_matches_numpy_on_well_conditioned_data(
    als_optimized, users, items, iterations
):
    # The rewrites replace inverse(A) @ b by an LU solve, which differs from NumPy by about
    # cond(A) * eps; with reg = 1.0 the systems are well conditioned and 1e-10 holds.
    ratings = data.synthetic_ratings(users, items, density=0.08, seed=7)
    x0, y0 = data.als_start(users, items, 40 if users > 100 else 8)
    factors = x0.shape[1]
    expected = listings.ALS(ratings, 1.0, factors, iterations, 40.0, x0.copy(), y0.copy())
    got = als_optimized(ratings, 1.0, factors, iterations, 40.0, x0.copy(), y0.copy())
    assert relative_error(got, expected) <= 1e-10
    assert "# rewrite: " in als_optimized.physl_optimized
    assert "weighted_gram" in als_optimized.physl_optimized


def test_optimized_lra_is_fused_and_matches_numpy(lra):
    assert "# rewrite: dot(transpose(X), f(dot(X, w), ...)) -> glm_gradient" in lra.physl_optimized
    x, y = data.lra_data(400, 300, seed=9)
    expected = listings.lra(x, y, 1e-3, 10, False)
    assert relative_error(lra(x, y, 1e-3, 10, False), expected) <= 1e-10
