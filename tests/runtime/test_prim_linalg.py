"""Linear algebra primitives against numpy.linalg, tuple results, and exact error messages."""

from __future__ import annotations

import numpy as np
import pytest
from primitive_calls import call, error

from jetlag.runtime.primitives import REGISTRY


def same(result, expected):
    if isinstance(expected, tuple) or type(expected).__name__.endswith("Result"):
        assert type(result) is tuple
        assert len(result) == len(expected)
        for got, want in zip(result, expected, strict=True):
            same(got, want)
        return
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


M = np.array([[4.0, 1.0, 2.0], [1.0, 5.0, 3.0], [2.0, 3.0, 6.0]])  # symmetric positive definite
G = np.array([[1.0, 2.0, 0.0], [-1.0, 0.5, 3.0], [2.0, 0.0, 1.0]])
R = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 7.0]])
INT = np.array([[2, 1], [1, 3]])
STACK = np.stack([M, G])
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])


def test_registration():
    assert REGISTRY.resolve_alias("numpy.linalg.inv") == "inverse"
    assert REGISTRY["inverse"].numpy == "numpy.linalg.inv"
    for name in (
        "solve", "det", "slogdet", "norm", "eigh", "eigvalsh", "eig", "eigvals", "cholesky",
        "qr", "svd", "lstsq", "pinv", "matrix_rank", "matrix_power", "cond",
    ):  # fmt: skip
        assert REGISTRY.resolve_alias(f"numpy.linalg.{name}") == name
        assert REGISTRY[name].category == "linalg"


@pytest.mark.parametrize("a", [M, G, INT, STACK])
def test_square_matrix_functions(a):
    same(call("inverse", a), np.linalg.inv(a))
    same(call("det", a), np.linalg.det(a))
    same(call("slogdet", a), np.linalg.slogdet(a))
    same(call("eigvals", a), np.linalg.eigvals(a))
    same(call("eig", a), np.linalg.eig(a))
    same(call("matrix_power", a, 3), np.linalg.matrix_power(a, 3))
    same(call("matrix_power", a, -2), np.linalg.matrix_power(a, -2))
    same(call("matrix_power", a, 0), np.linalg.matrix_power(a, 0))


def test_symmetric_functions():
    same(call("eigh", M), np.linalg.eigh(M))
    same(call("eigh", G, UPLO="U"), np.linalg.eigh(G, UPLO="U"))
    same(call("eigvalsh", M), np.linalg.eigvalsh(M))
    same(call("cholesky", M), np.linalg.cholesky(M))
    same(call("cholesky", M, upper=True), np.linalg.cholesky(M, upper=True))


def test_solve():
    b = np.array([1.0, 2.0, 3.0])
    same(call("solve", G, b), np.linalg.solve(G, b))
    rhs = np.arange(6.0).reshape(3, 2)
    same(call("solve", G, rhs), np.linalg.solve(G, rhs))
    same(call("solve", STACK, np.ones((2, 3, 1))), np.linalg.solve(STACK, np.ones((2, 3, 1))))
    same(call("solve", INT, np.array([1, 2])), np.linalg.solve(INT, np.array([1, 2])))


def test_decompositions():
    same(call("qr", R), np.linalg.qr(R))
    same(call("qr", R, mode="complete"), np.linalg.qr(R, mode="complete"))
    same(call("qr", R, mode="r"), np.linalg.qr(R, mode="r"))
    same(call("svd", R), np.linalg.svd(R))
    same(call("svd", R, full_matrices=False), np.linalg.svd(R, full_matrices=False))
    same(call("svd", R, compute_uv=False), np.linalg.svd(R, compute_uv=False))
    same(call("svd", M, hermitian=True), np.linalg.svd(M, hermitian=True))


def test_least_squares_and_rank():
    b = np.array([1.0, 0.0, 2.0])
    result = call("lstsq", R, b)
    same(result, np.linalg.lstsq(R, b))
    assert len(result) == 4
    same(
        call("lstsq", R, np.ones((3, 2)), rcond=1e-10),
        np.linalg.lstsq(R, np.ones((3, 2)), rcond=1e-10),
    )
    same(call("pinv", R), np.linalg.pinv(R))
    same(call("pinv", SINGULAR, rcond=1e-8), np.linalg.pinv(SINGULAR, rcond=1e-8))
    same(call("pinv", M, hermitian=True), np.linalg.pinv(M, hermitian=True))
    same(call("matrix_rank", SINGULAR), np.linalg.matrix_rank(SINGULAR))
    same(call("matrix_rank", M, tol=0.5), np.linalg.matrix_rank(M, tol=0.5))
    same(call("matrix_rank", np.ones(3)), np.linalg.matrix_rank(np.ones(3)))


def test_norm_and_cond():
    v = np.array([3.0, -4.0, 12.0])
    same(call("norm", v), np.linalg.norm(v))
    same(call("norm", v, ord=1), np.linalg.norm(v, ord=1))
    same(call("norm", v, ord=np.inf), np.linalg.norm(v, ord=np.inf))
    same(call("norm", G, ord="fro"), np.linalg.norm(G, ord="fro"))
    same(call("norm", G, ord="nuc"), np.linalg.norm(G, ord="nuc"))
    same(call("norm", G, ord=-np.inf), np.linalg.norm(G, ord=-np.inf))
    same(call("norm", G, axis=1), np.linalg.norm(G, axis=1))
    same(call("norm", G, axis=0, keepdims=True), np.linalg.norm(G, axis=0, keepdims=True))
    same(call("norm", STACK, axis=(1, 2)), np.linalg.norm(STACK, axis=(1, 2)))
    same(call("norm", INT), np.linalg.norm(INT))
    same(call("cond", G), np.linalg.cond(G))
    same(call("cond", G, p=1), np.linalg.cond(G, p=1))
    same(call("cond", G, p="fro"), np.linalg.cond(G, p="fro"))


# --- errors -----------------------------------------------------------------------------


def test_singular_matrix_errors():
    assert error("inverse", SINGULAR) == (
        "matrix is singular: the 2x2 matrix has no inverse; "
        "use pinv or lstsq for a least-squares answer"
    )
    assert error("inverse", np.stack([M, np.zeros((3, 3))])) == (
        "matrix is singular: the stack of 3x3 matrices has no inverse; "
        "use pinv or lstsq for a least-squares answer"
    )
    assert error("solve", SINGULAR, np.ones(2)) == (
        "matrix is singular: the 2x2 matrix a has no unique solution; "
        "use pinv or lstsq for a least-squares answer"
    )
    assert error("matrix_power", SINGULAR, -1) == (
        "matrix is singular: the 2x2 matrix has no inverse, so it cannot be "
        "raised to the negative power -1; use pinv or lstsq for a least-squares answer"
    )


def test_shape_errors():
    assert error("inverse", R) == ("expects a square matrix, got shape (3, 2) (3 rows, 2 columns)")
    assert error("inverse", np.ones(3)) == (
        "expects a square matrix (2-D, or a stack of matrices), got a 1-D value of shape (3,)"
    )
    assert error("det", 2.0) == (
        "expects a square matrix (2-D, or a stack of matrices), got a 0-D value of shape ()"
    )
    assert error("eigh", R) == "expects a square matrix, got shape (3, 2) (3 rows, 2 columns)"
    assert error("solve", R, np.ones(3)) == (
        "expects a square coefficient matrix, got shape (3, 2) (3 rows, 2 columns)"
    )
    assert error("solve", G, np.ones(4)) == (
        "shapes (3, 3) and (4,) are not aligned: a is 3x3, so b needs 3 rows, got 4"
    )
    assert error("solve", G, np.ones((2, 5))) == (
        "shapes (3, 3) and (2, 5) are not aligned: a is 3x3, so b needs 3 rows, got 2"
    )
    assert error("solve", G, 1.0) == "b must be a vector or a matrix, got a scalar"
    assert error("svd", np.ones(4)) == (
        "expects a matrix (2-D, or a stack of matrices), got a 1-D value of shape (4,)"
    )
    assert error("lstsq", np.ones(3), np.ones(3)) == (
        "expects a 2-D matrix a, got a 1-D value of shape (3,)"
    )
    assert error("lstsq", R, np.ones((2, 2, 2))) == (
        "b must be 1-D or 2-D, got a 3-D value of shape (2, 2, 2)"
    )
    assert error("lstsq", R, np.ones(4)) == (
        "shapes (3, 2) and (4,) are not aligned: a has 3 rows, b has 4"
    )


def test_cholesky_not_positive_definite():
    assert error("cholesky", np.array([[1.0, 2.0], [2.0, 1.0]])) == (
        "matrix is not positive definite: the 2x2 matrix has no Cholesky factor; "
        "cholesky needs a symmetric (Hermitian) positive-definite matrix "
        "(use eigh or svd for other symmetric matrices)"
    )


def test_argument_errors_from_numpy():
    assert error("matrix_power", M, 1.5) == ("the exponent must be an integer, got float 1.5")
    assert error("norm", G, ord=3) == "Invalid norm order for matrices."
    assert error("qr", R, mode="x") == "Unrecognized mode 'x'"
    assert error("eigvals", np.array([[np.nan, 1.0], [1.0, 1.0]])) == (
        "Array must not contain infs or NaNs"
    )
