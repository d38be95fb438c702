"""support_inverse_dot, the compiled loops' LU solve: LAPACK's answers on every size."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.codegen.support import support_inverse_dot


@pytest.mark.parametrize("n", [1, 2, 7, 8, 9, 16, 17, 40, 41])
def test_equals_lapack_on_sizes_around_the_vector_width(n):
    # Sizes on both sides of a padded row's 8-double vectors.
    rng = np.random.default_rng(n)
    a = rng.standard_normal((n, n)) + n * np.identity(n)
    for b in (rng.standard_normal(n), rng.standard_normal((n, 3))):
        expected = np.linalg.solve(a, b)
        got = support_inverse_dot(a, b)
        assert got.shape == b.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_rows_are_swapped_where_a_pivot_is_needed_and_integers_solve_exactly():
    # A zero leading pivot: elimination without row swaps would divide by zero.
    a = np.array([[0, 2, 1], [1, 1, 0], [3, 0, 1]])
    x = np.array([2.0, -1.0, 3.0])
    got = support_inverse_dot(a, a @ x)
    np.testing.assert_allclose(got, x, rtol=0, atol=1e-15)


def test_a_badly_scaled_system_matches_lapack_to_its_conditioning():
    rng = np.random.default_rng(7)
    a = rng.standard_normal((40, 40)) * np.logspace(-4, 4, 40)[:, None]
    b = rng.standard_normal(40)
    expected = np.linalg.solve(a, b)
    relative = np.abs(support_inverse_dot(a, b) - expected).max() / np.abs(expected).max()
    assert relative < np.linalg.cond(a) * 1e-15


def test_a_singular_matrix_is_refused_as_numpy_refuses_it():
    with pytest.raises(np.linalg.LinAlgError, match="Matrix is singular to machine precision"):
        support_inverse_dot(np.array([[1.0, 2.0], [2.0, 4.0]]), np.ones(2))


def test_shapes_that_do_not_fit_are_refused():
    with pytest.raises(ValueError, match="a must be square and b must have as many rows as a"):
        support_inverse_dot(np.ones((2, 3)), np.ones(2))
