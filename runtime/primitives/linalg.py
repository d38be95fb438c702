"""Linear algebra primitives: numpy.linalg with PhySL names and clear errors.

Results equal numpy.linalg's; the results NumPy returns as named tuples (eigh, qr, svd,
slogdet, eig) and lstsq's tuple come back as plain Python tuples of arrays, the value PhySL's
`list(...)` produces. Arguments are checked first so shape problems (not square, not a
matrix, not aligned) and a singular or non-positive-definite matrix get a message saying
what to do; those errors are still caught as the np.linalg.LinAlgError (or ValueError,
TypeError) numpy.linalg raises for the same call. This module must not change BLAS/LAPACK
threading.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import argument_error, argument_errors
from jetlag.runtime.primitives.registry import primitive

_SINGULAR_HINT = "use pinv or lstsq for a least-squares answer"


def _matrix(a: Any, what: str = "a matrix") -> np.ndarray:
    """`a` as an array with at least two dimensions (a matrix or a stack of them)."""
    arr = np.asarray(a)
    if arr.ndim < 2:
        raise argument_error(
            f"expects {what} (2-D, or a stack of matrices), "
            f"got a {arr.ndim}-D value of shape {arr.shape}",
            np.linalg.LinAlgError,
        )
    return arr


def _square(a: Any, what: str = "a square matrix") -> np.ndarray:
    """`a` as an array whose last two dimensions are equal."""
    arr = _matrix(a, what)
    if arr.shape[-1] != arr.shape[-2]:
        raise argument_error(
            f"expects {what}, got shape {arr.shape} ({arr.shape[-2]} rows, {arr.shape[-1]} columns)",
            np.linalg.LinAlgError,
        )
    return arr


def _size_text(arr: np.ndarray) -> str:
    n = arr.shape[-1]
    return f"{n}x{n} matrix" if arr.ndim == 2 else f"stack of {n}x{n} matrices"


def _is_singular(exc: np.linalg.LinAlgError) -> bool:
    return "singular" in str(exc).lower()


@primitive(
    "inverse",
    "inverse(a)",
    "Inverse of a square matrix (or of each matrix in a stack).",
    "linalg",
    numpy="numpy.linalg.inv",
    aliases=("numpy.linalg.inv",),
)
@argument_errors
def inverse(a: Any) -> np.ndarray:
    """numpy.linalg.inv."""
    arr = _square(a)
    try:
        return np.linalg.inv(arr)
    except np.linalg.LinAlgError as exc:
        if not _is_singular(exc):
            raise
        raise PrimitiveArgumentError(
            f"matrix is singular: the {_size_text(arr)} has no inverse; {_SINGULAR_HINT}"
        ) from exc


@primitive(
    "solve",
    "solve(a, b)",
    "Solution x of the linear system a @ x = b for a square, non-singular a.",
    "linalg",
    numpy="numpy.linalg.solve",
    aliases=("numpy.linalg.solve",),
)
@argument_errors
def solve(a: Any, b: Any) -> np.ndarray:
    """numpy.linalg.solve."""
    arr = _square(a, "a square coefficient matrix")
    rhs = np.asarray(b)
    n = arr.shape[-1]
    if rhs.ndim == 0:
        raise PrimitiveArgumentError("b must be a vector or a matrix, got a scalar")
    rows = rhs.shape[0] if rhs.ndim == 1 else rhs.shape[-2]
    if rows != n:
        raise PrimitiveArgumentError(
            f"shapes {arr.shape} and {rhs.shape} are not aligned: "
            f"a is {n}x{n}, so b needs {n} rows, got {rows}"
        )
    try:
        return np.linalg.solve(arr, rhs)
    except np.linalg.LinAlgError as exc:
        if not _is_singular(exc):
            raise
        raise PrimitiveArgumentError(
            f"matrix is singular: the {_size_text(arr)} a has no unique solution; {_SINGULAR_HINT}"
        ) from exc


@primitive(
    "det",
    "det(a)",
    "Determinant of a square matrix (or of each matrix in a stack).",
    "linalg",
    numpy="numpy.linalg.det",
    aliases=("numpy.linalg.det",),
)
@argument_errors
def det(a: Any) -> Any:
    """numpy.linalg.det."""
    return np.linalg.det(_square(a))


@primitive(
    "slogdet",
    "slogdet(a)",
    "Sign and natural log of the absolute determinant, as list(sign, logabsdet).",
    "linalg",
    numpy="numpy.linalg.slogdet",
    aliases=("numpy.linalg.slogdet",),
)
@argument_errors
def slogdet(a: Any) -> tuple[Any, Any]:
    """numpy.linalg.slogdet as a plain tuple."""
    return tuple(np.linalg.slogdet(_square(a)))


@primitive(
    "norm",
    "norm(x, ord=nil, axis=nil, keepdims=false)",
    'Vector or matrix norm (ord: nil, inf, -inf, an int, "fro" or "nuc").',
    "linalg",
    numpy="numpy.linalg.norm",
    aliases=("numpy.linalg.norm",),
)
@argument_errors
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.linalg.norm."""
    return np.linalg.norm(x, ord=ord, axis=axis, keepdims=keepdims)


@primitive(
    "eigh",
    'eigh(a, UPLO="L")',
    "Eigenvalues (ascending) and eigenvectors of a symmetric/Hermitian matrix.",
    "linalg",
    numpy="numpy.linalg.eigh",
    aliases=("numpy.linalg.eigh",),
)
@argument_errors
def eigh(a: Any, UPLO: str = "L") -> tuple[np.ndarray, np.ndarray]:
    """numpy.linalg.eigh as the tuple (eigenvalues, eigenvectors)."""
    return tuple(np.linalg.eigh(_square(a), UPLO=UPLO))


@primitive(
    "eigvalsh",
    'eigvalsh(a, UPLO="L")',
    "Eigenvalues (ascending) of a symmetric/Hermitian matrix.",
    "linalg",
    numpy="numpy.linalg.eigvalsh",
    aliases=("numpy.linalg.eigvalsh",),
)
@argument_errors
def eigvalsh(a: Any, UPLO: str = "L") -> np.ndarray:
    """numpy.linalg.eigvalsh."""
    return np.linalg.eigvalsh(_square(a), UPLO=UPLO)


@primitive(
    "eig",
    "eig(a)",
    "Eigenvalues and right eigenvectors of a square matrix.",
    "linalg",
    numpy="numpy.linalg.eig",
    aliases=("numpy.linalg.eig",),
)
@argument_errors
def eig(a: Any) -> tuple[np.ndarray, np.ndarray]:
    """numpy.linalg.eig as the tuple (eigenvalues, eigenvectors)."""
    return tuple(np.linalg.eig(_square(a)))


@primitive(
    "eigvals",
    "eigvals(a)",
    "Eigenvalues of a square matrix.",
    "linalg",
    numpy="numpy.linalg.eigvals",
    aliases=("numpy.linalg.eigvals",),
)
@argument_errors
def eigvals(a: Any) -> np.ndarray:
    """numpy.linalg.eigvals."""
    return np.linalg.eigvals(_square(a))


@primitive(
    "cholesky",
    "cholesky(a, upper=false)",
    "Cholesky factor of a symmetric/Hermitian positive-definite matrix.",
    "linalg",
    numpy="numpy.linalg.cholesky",
    aliases=("numpy.linalg.cholesky",),
)
@argument_errors
def cholesky(a: Any, upper: bool = False) -> np.ndarray:
    """numpy.linalg.cholesky (lower factor unless upper=true)."""
    arr = _square(a)
    try:
        return np.linalg.cholesky(arr, upper=upper)
    except np.linalg.LinAlgError as exc:
        raise PrimitiveArgumentError(
            f"matrix is not positive definite: the {_size_text(arr)} has no Cholesky "
            "factor; cholesky needs a symmetric (Hermitian) positive-definite matrix "
            "(use eigh or svd for other symmetric matrices)"
        ) from exc


@primitive(
    "qr",
    'qr(a, mode="reduced")',
    'QR factorization, as list(q, r) (only r for mode "r").',
    "linalg",
    numpy="numpy.linalg.qr",
    aliases=("numpy.linalg.qr",),
)
@argument_errors
def qr(a: Any, mode: str = "reduced") -> Any:
    """numpy.linalg.qr; a plain tuple where NumPy returns a named tuple."""
    result = np.linalg.qr(_matrix(a), mode=mode)
    return result if isinstance(result, np.ndarray) else tuple(result)


@primitive(
    "svd",
    "svd(a, full_matrices=true, compute_uv=true, hermitian=false)",
    "Singular value decomposition, as list(u, s, vh) (only s when compute_uv=false).",
    "linalg",
    numpy="numpy.linalg.svd",
    aliases=("numpy.linalg.svd",),
)
@argument_errors
def svd(
    a: Any, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False
) -> Any:
    """numpy.linalg.svd; a plain tuple where NumPy returns a named tuple."""
    result = np.linalg.svd(
        _matrix(a), full_matrices=full_matrices, compute_uv=compute_uv, hermitian=hermitian
    )
    return result if isinstance(result, np.ndarray) else tuple(result)


@primitive(
    "lstsq",
    "lstsq(a, b, rcond=nil)",
    "Least-squares solution of a @ x = b, as list(x, residuals, rank, s).",
    "linalg",
    numpy="numpy.linalg.lstsq",
    aliases=("numpy.linalg.lstsq",),
)
@argument_errors
def lstsq(a: Any, b: Any, rcond: Any = None) -> tuple[Any, Any, Any, Any]:
    """numpy.linalg.lstsq."""
    arr = np.asarray(a)
    if arr.ndim != 2:
        raise argument_error(
            f"expects a 2-D matrix a, got a {arr.ndim}-D value of shape {arr.shape}",
            np.linalg.LinAlgError,
        )
    rhs = np.asarray(b)
    if rhs.ndim not in (1, 2):
        raise argument_error(
            f"b must be 1-D or 2-D, got a {rhs.ndim}-D value of shape {rhs.shape}",
            np.linalg.LinAlgError,
        )
    if rhs.shape[0] != arr.shape[0]:
        raise argument_error(
            f"shapes {arr.shape} and {rhs.shape} are not aligned: "
            f"a has {arr.shape[0]} rows, b has {rhs.shape[0]}",
            np.linalg.LinAlgError,
        )
    return tuple(np.linalg.lstsq(arr, rhs, rcond=rcond))


@primitive(
    "pinv",
    "pinv(a, rcond=nil, hermitian=false)",
    "Moore-Penrose pseudo-inverse of a matrix.",
    "linalg",
    numpy="numpy.linalg.pinv",
    aliases=("numpy.linalg.pinv",),
)
@argument_errors
def pinv(a: Any, rcond: Any = None, hermitian: bool = False) -> np.ndarray:
    """numpy.linalg.pinv."""
    return np.linalg.pinv(_matrix(a), rcond=rcond, hermitian=hermitian)


@primitive(
    "matrix_rank",
    "matrix_rank(A, tol=nil, hermitian=false)",
    "Rank of a matrix from its singular values.",
    "linalg",
    numpy="numpy.linalg.matrix_rank",
    aliases=("numpy.linalg.matrix_rank",),
)
@argument_errors
def matrix_rank(A: Any, tol: Any = None, hermitian: bool = False) -> Any:
    """numpy.linalg.matrix_rank."""
    return np.linalg.matrix_rank(A, tol=tol, hermitian=hermitian)


@primitive(
    "matrix_power",
    "matrix_power(a, n)",
    "A square matrix raised to an integer power (negative powers invert it).",
    "linalg",
    numpy="numpy.linalg.matrix_power",
    aliases=("numpy.linalg.matrix_power",),
)
@argument_errors
def matrix_power(a: Any, n: int) -> np.ndarray:
    """numpy.linalg.matrix_power."""
    arr = _square(a)
    if not isinstance(n, (int, np.integer)) or isinstance(n, (bool, np.bool_)):
        message = f"the exponent must be an integer, got {type(n).__name__} {n!r}"
        try:
            operator.index(n)
        except TypeError as exc:  # NumPy's TypeError too
            raise PrimitiveArgumentError(message) from exc
        raise PrimitiveArgumentError(message)  # NumPy takes a bool: JetLag's limitation
    try:
        return np.linalg.matrix_power(arr, int(n))
    except np.linalg.LinAlgError as exc:
        if not _is_singular(exc):
            raise
        raise PrimitiveArgumentError(
            f"matrix is singular: the {_size_text(arr)} has no inverse, "
            f"so it cannot be raised to the negative power {int(n)}; {_SINGULAR_HINT}"
        ) from exc


@primitive(
    "cond",
    "cond(x, p=nil)",
    'Condition number of a matrix (p: nil, 1, -1, 2, -2, inf, -inf, "fro", "nuc").',
    "linalg",
    numpy="numpy.linalg.cond",
    aliases=("numpy.linalg.cond",),
)
@argument_errors
def cond(x: Any, p: Any = None) -> Any:
    """numpy.linalg.cond."""
    return np.linalg.cond(_matrix(x), p=p)
