"""Products of arrays: dot, matmul, vdot, inner, outer, tensordot, kron, cross, einsum.

Results, dtypes and broadcasting are NumPy's. A large 2-D x 2-D or 2-D x 1-D `dot`/`matmul`
splits the rows of its left operand into chunk tasks (parallel.py): the scheduler keeps BLAS
at one thread while its pool owns the cores, so row blocks are what spread one big product
over all cores. Each block is computed by the same NumPy call on a row slice, so every row
is rounded as NumPy would round it. This module must not touch thread pools or BLAS
settings itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import argument_error, argument_errors
from jetlag.runtime.primitives.parallel import chunk_bounds, parallel_for
from jetlag.runtime.primitives.registry import primitive

#: Each row chunk of a split product does at least this many floating-point operations,
#: so task overhead stays negligible next to the BLAS call.
MIN_CHUNK_FLOPS = 1_000_000

# Kinds NumPy can write into a preallocated `out=` with the dtype it would have chosen.
_CHUNKABLE_KINDS = frozenset("biufc")


def _not_aligned(
    a: np.ndarray, b: np.ndarray, a_axis: int, b_axis: int, how: str = "aligned"
) -> PrimitiveArgumentError:
    return PrimitiveArgumentError(
        f"shapes {a.shape} and {b.shape} are not {how}: "
        f"dimension {a_axis} of the first operand ({a.shape[a_axis]}) != "
        f"dimension {b_axis} of the second ({b.shape[b_axis]})"
    )


def _check_contraction(a: np.ndarray, b: np.ndarray) -> None:
    """dot/matmul contract a's last axis with b's second-to-last (its only one when 1-D)."""
    b_axis = 0 if b.ndim == 1 else b.ndim - 2
    if a.shape[-1] != b.shape[b_axis]:
        raise _not_aligned(a, b, a.ndim - 1, b_axis)


def row_chunked_product(
    product: Callable[..., np.ndarray], a: np.ndarray, b: np.ndarray
) -> np.ndarray | None:
    """`product(a, b)` computed as row blocks of `a`, one chunk task each.

    Returns None when the product is not 2-D x 2-D / 2-D x 1-D, has a dtype NumPy cannot
    write into `out=`, or is too small to be worth more than one task; the caller then
    computes it in one call.
    """
    if a.ndim != 2 or b.ndim not in (1, 2):
        return None
    if a.dtype.kind not in _CHUNKABLE_KINDS or b.dtype.kind not in _CHUNKABLE_KINDS:
        return None
    rows, inner = a.shape
    cols = b.shape[1] if b.ndim == 2 else 1
    flops_per_row = 2 * inner * cols
    if flops_per_row == 0:
        return None
    min_rows = max(1, -(-MIN_CHUNK_FLOPS // flops_per_row))
    bounds = chunk_bounds(rows, min_chunk=min_rows)
    if len(bounds) <= 1:
        return None
    out_shape = (rows, cols) if b.ndim == 2 else (rows,)
    out = np.empty(out_shape, dtype=np.result_type(a.dtype, b.dtype))

    def body(lo: int, hi: int) -> None:
        # out[lo:hi] of a C-ordered result is C-contiguous, as `out=` requires.
        product(a[lo:hi], b, out=out[lo:hi])

    parallel_for(bounds, body)
    return out


def contraction_chunked_matvec(
    product: Callable[..., np.ndarray], a: np.ndarray, b: np.ndarray
) -> np.ndarray | None:
    """`product(a, b)` for a column-major `a` (e.g. `transpose(x)`) and a vector `b`.

    Row blocks of a column-major matrix are strided and BLAS reads them slowly (measured
    ~5x slower than the whole product); column blocks are contiguous. So each chunk
    multiplies a block of columns by the matching slice of `b`, and the partial vectors
    are added. Returns None when this layout does not apply or one task suffices.
    """
    if a.ndim != 2 or b.ndim != 1 or a.flags.c_contiguous or not a.flags.f_contiguous:
        return None
    if a.dtype.kind not in "iufc" or b.dtype.kind not in "iufc":
        return None
    rows, inner = a.shape
    if rows == 0:
        return None
    min_cols = max(1, -(-MIN_CHUNK_FLOPS // (2 * rows)))
    bounds = chunk_bounds(inner, min_chunk=min_cols)
    if len(bounds) <= 1:
        return None
    dtype = np.result_type(a.dtype, b.dtype)
    partials = np.empty((len(bounds), rows), dtype=dtype)
    slot = {lo: index for index, (lo, _) in enumerate(bounds)}

    def body(lo: int, hi: int) -> None:
        product(a[:, lo:hi], b[lo:hi], out=partials[slot[lo]])

    parallel_for(bounds, body)
    return partials.sum(axis=0, dtype=dtype)


def chunked_product(
    product: Callable[..., np.ndarray], a: np.ndarray, b: np.ndarray
) -> np.ndarray | None:
    """The chunked form of a large 2-D product that suits the operands' layout, or None."""
    chunked = contraction_chunked_matvec(product, a, b)
    if chunked is None:
        chunked = row_chunked_product(product, a, b)
    return chunked


@primitive(
    "dot",
    "dot(a, b)",
    "Dot product of two arrays; the matrix product for 2-D operands.",
    "product",
    numpy="numpy.dot",
    aliases=("numpy.dot",),
    methods=("dot",),
)
@argument_errors
def dot(a: Any, b: Any) -> Any:
    """numpy.dot, splitting large 2-D x 2-D and 2-D x 1-D products into row chunks."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.ndim and b_arr.ndim:
        _check_contraction(a_arr, b_arr)
        chunked = chunked_product(np.dot, a_arr, b_arr)
        if chunked is not None:
            return chunked
    return np.dot(a_arr, b_arr)


@primitive(
    "matmul",
    "matmul(a, b)",
    "Matrix product (Python's a @ b), broadcasting over stacked matrices.",
    "product",
    numpy="numpy.matmul",
    aliases=("numpy.matmul",),
)
@argument_errors
def matmul(a: Any, b: Any) -> Any:
    """numpy.matmul, splitting large 2-D x 2-D and 2-D x 1-D products into row chunks."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.ndim == 0 or b_arr.ndim == 0:
        raise PrimitiveArgumentError(
            "operands must have at least one dimension, got a scalar; "
            "use __mul (a * b) to scale by a scalar"
        )
    _check_contraction(a_arr, b_arr)
    stack_a, stack_b = a_arr.shape[:-2], b_arr.shape[:-2]
    try:
        np.broadcast_shapes(stack_a, stack_b)
    except ValueError:
        raise PrimitiveArgumentError(
            f"shapes {a_arr.shape} and {b_arr.shape} cannot be "
            f"broadcast together: stacked dimensions {stack_a} and "
            f"{stack_b} differ"
        ) from None
    chunked = chunked_product(np.matmul, a_arr, b_arr)
    if chunked is not None:
        return chunked
    return np.matmul(a_arr, b_arr)


@primitive(
    "vdot",
    "vdot(a, b)",
    "Dot product of two arrays flattened to 1-D, conjugating the first.",
    "product",
    numpy="numpy.vdot",
    aliases=("numpy.vdot",),
)
@argument_errors
def vdot(a: Any, b: Any) -> Any:
    """numpy.vdot."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.size != b_arr.size:
        raise PrimitiveArgumentError(
            f"operands have {a_arr.size} and {b_arr.size} elements; "
            "vdot needs the same number of elements"
        )
    return np.vdot(a_arr, b_arr)


@primitive(
    "inner",
    "inner(a, b)",
    "Inner product over the last axes of two arrays.",
    "product",
    numpy="numpy.inner",
    aliases=("numpy.inner",),
)
@argument_errors
def inner(a: Any, b: Any) -> Any:
    """numpy.inner."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.ndim and b_arr.ndim and a_arr.shape[-1] != b_arr.shape[-1]:
        raise _not_aligned(a_arr, b_arr, a_arr.ndim - 1, b_arr.ndim - 1)
    return np.inner(a_arr, b_arr)


@primitive(
    "outer",
    "outer(a, b)",
    "Outer product of two arrays flattened to 1-D.",
    "product",
    numpy="numpy.outer",
    aliases=("numpy.outer",),
)
@argument_errors
def outer(a: Any, b: Any) -> np.ndarray:
    """numpy.outer."""
    return np.outer(a, b)


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


_AXES_FORM = "axes must be an int or a pair of axis lists such as list(list(1), list(0))"


def _tensordot_axes(axes: Any, a: np.ndarray, b: np.ndarray) -> tuple[list[int], list[int]]:
    """The summed (a axes, b axes) that `axes` names, checked against both operands.

    Errors are caught as what numpy.tensordot raises: IndexError for an axis it cannot
    look up, TypeError or ValueError for axes of the wrong form, ValueError for lists of
    different lengths. A negative count and bool axes, which NumPy takes, are JetLag's
    limitation (ValueError).
    """
    if _is_int(axes):
        n = int(axes)
        if n < 0:
            raise PrimitiveArgumentError(f"{_AXES_FORM}; got the negative count {n}")
        if n > a.ndim or n > b.ndim:
            raise argument_error(
                f"axes={n} sums over the last {n} axes of the first operand and the first {n} "
                f"of the second, but their shapes are {a.shape} and {b.shape}",
                IndexError,
            )
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    try:
        first, second = axes
        first = [first] if _is_int(first) else list(first)
        second = [second] if _is_int(second) else list(second)
    except (TypeError, ValueError) as exc:  # NumPy fails on the same axes with the same type
        refused = PrimitiveArgumentError(f"{_AXES_FORM}; got {axes!r}")
        raise refused from (None if isinstance(axes, bool) else exc)
    if not all(map(_is_int, first + second)):
        python_takes = all(_is_int(i) or isinstance(i, bool) for i in first + second)
        raise argument_error(
            f"{_AXES_FORM}; got {axes!r}", ValueError if python_takes else TypeError
        )
    if len(first) != len(second):
        raise PrimitiveArgumentError(
            f"the axis lists {tuple(first)} and {tuple(second)} have different lengths; "
            "each summed axis of the first operand needs a partner in the second"
        )
    for which, arr, listed in (("first", a, first), ("second", b, second)):
        for axis in listed:
            if not -arr.ndim <= axis < arr.ndim:
                raise argument_error(
                    f"axis {axis} is out of bounds for the {which} operand of shape {arr.shape}",
                    IndexError,
                )
    return [int(i) % a.ndim for i in first], [int(i) % b.ndim for i in second]


@primitive(
    "tensordot",
    "tensordot(a, b, axes=2)",
    "Sum of products over the given axes of two arrays.",
    "product",
    numpy="numpy.tensordot",
    aliases=("numpy.tensordot",),
)
@argument_errors
def tensordot(a: Any, b: Any, axes: Any = 2) -> np.ndarray:
    """numpy.tensordot; bad axes and a mismatch on a summed axis get their own messages."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    first, second = _tensordot_axes(axes, a_arr, b_arr)
    for a_axis, b_axis in zip(first, second, strict=True):
        if a_arr.shape[a_axis] != b_arr.shape[b_axis]:
            raise _not_aligned(a_arr, b_arr, a_axis, b_axis, "aligned for the sum")
    return np.tensordot(a_arr, b_arr, axes=(first, second))


@primitive(
    "kron",
    "kron(a, b)",
    "Kronecker product of two arrays.",
    "product",
    numpy="numpy.kron",
    aliases=("numpy.kron",),
)
@argument_errors
def kron(a: Any, b: Any) -> np.ndarray:
    """numpy.kron."""
    return np.kron(a, b)


@primitive(
    "cross",
    "cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=nil)",
    "Cross product of (arrays of) 2- or 3-component vectors.",
    "product",
    numpy="numpy.cross",
    aliases=("numpy.cross",),
)
@argument_errors
def cross(
    a: Any, b: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None
) -> np.ndarray:
    """numpy.cross; vectors must have 2 or 3 components along their axis."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if axis is not None:
        axisa = axisb = axisc = axis
    for which, arr, ax in (("first", a_arr, axisa), ("second", b_arr, axisb)):
        if arr.ndim and -arr.ndim <= ax < arr.ndim and arr.shape[ax] not in (2, 3):
            raise PrimitiveArgumentError(
                f"vectors must have 2 or 3 components, but the {which} operand "
                f"(shape {arr.shape}) has {arr.shape[ax]} along axis {ax}"
            )
    return np.cross(a_arr, b_arr, axisa=axisa, axisb=axisb, axisc=axisc)


@primitive(
    "einsum",
    "einsum(subscripts, *operands, optimize=false)",
    "Einstein summation over operands, given a literal subscripts string.",
    "product",
    numpy="numpy.einsum",
    aliases=("numpy.einsum",),
)
@argument_errors
def einsum(subscripts: str, *operands: Any, optimize: Any = False) -> Any:
    """numpy.einsum; only the string form of the subscripts is accepted."""
    if not isinstance(subscripts, str):
        raise PrimitiveArgumentError(
            f'einsum: the subscripts must be a string such as "ij,jk->ik", '
            f"got {type(subscripts).__name__}"
        )
    if not operands:
        raise PrimitiveArgumentError("needs at least one operand after the subscripts")
    return np.einsum(subscripts, *operands, optimize=optimize)
