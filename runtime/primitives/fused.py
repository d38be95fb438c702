"""Fused primitives the GLM pass produces (runtime/passes/glm.py): one read of X per use.

`glm_gradient(x, w, f, operands...)` computes `dot(transpose(x), f(dot(x, w), operands...))`
-- the gradient of a generalized linear model -- in one blocked pass over the rows of `x`:
for each block of rows that fits in the L3 cache, z = x_blk @ w, e = f(z, operands_blk...), then
g += x_blkᵀ @ e while the block is still in cache. The row range is split into chunks run as
tasks (parallel_for); each chunk sums its own partial gradient and the partials are added in
chunk order, so the result does not depend on scheduling.

`f` is a PhySL lambda (a function value) whose body uses only elementwise primitives
(`fusable_call`), its parameters and literals. It is never run by the scheduler. When x, w
and the operands are float64/int64/bool arrays in C order (x 2-D, w 1-D, operands scalars or
vectors aligned with x's rows) and f has an exact spelling for their types (codegen/exact.py)
f is compiled with both products into one Numba kernel (codegen/kernels.py: four rows at a
time, each block of x read from memory once, no GIL; a row whose f(z) it cannot give
exactly sends the whole call to the blocked evaluation below);
otherwise blocks are evaluated with the registry's implementations, and when the operands are
not what the blocked identity needs at all, the original expression is evaluated unfused. It registers no Python
spelling: the name appears only in optimized trees.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np

from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.support_loops import Deviation
from jetlag.runtime.codegen.value_types import numpy_type, type_of
from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.ir.nodes import Node
from jetlag.runtime.locks import fork_safe_lock
from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.fused_body import (
    KERNEL_DTYPES,
    body_facts,
    elementwise_lambda,
    evaluate_elementwise,
)
from jetlag.runtime.primitives.parallel import MIN_CHUNK_ELEMENTS, chunk_bounds, parallel_for
from jetlag.runtime.primitives.registry import REGISTRY, primitive

#: Bytes of x one block should hold. Each block costs ~20 us of interpreted f (registry
#: calls holding the GIL), so blocks are sized for the shared L3 rather than a core's L2:
#: measured on LRA 10000² with two workers, 1 MiB blocks ran at 98 ms/iteration, 2 MiB at
#: 72, 4 MiB at 59, 8-16 MiB at 60.
BLOCK_BYTES = 1 << 22
#: Bounds on rows per block (few rows make the per-block NumPy calls dominate).
MIN_BLOCK_ROWS, MAX_BLOCK_ROWS = 4, 8192

_FLOAT_KINDS = frozenset("fc")
_Z = numpy_type("numpy", np.dtype(np.float64))
_NUMERIC_KINDS = frozenset("biufc")


class _NotBlockwise(Exception):
    """A block's value of f is not a vector of the block's rows: use the unfused form."""


def _aligned(operand: Any, rows: int) -> bool:
    """A scalar, or a numeric vector with one entry per row of x."""
    if isinstance(operand, (bool, int, float, complex)):
        return True
    if isinstance(operand, (np.ndarray, np.generic)):
        if operand.dtype.kind not in _NUMERIC_KINDS:
            return False
        return operand.ndim == 0 or (operand.ndim == 1 and operand.shape[0] == rows)
    return False


_lock = fork_safe_lock()
#: (body id, params, operand signature) -> (body, (layout, kernel) or None): glm_gradient
#: runs once per loop iteration, so what its operands' types allow is found once.
_plans: dict[tuple, tuple[Node, tuple[str, Any] | None]] = {}


def _signature(operand: Any) -> Hashable:
    """What of an operand the kernel plan depends on: its type, dtype and layout."""
    if isinstance(operand, np.ndarray):
        return ("a", operand.dtype, operand.ndim, operand.flags.c_contiguous)
    if type(operand) is int:
        return (int, -(2**63) <= operand < 2**63)
    return type(operand)


def _kernel_plan(
    matrix: np.ndarray, vector: np.ndarray, operands: tuple, params: tuple[str, ...], body: Node
) -> tuple[str, Any] | None:
    """(operand layout "s" + "a"/"s" per operand, compiled kernel) when the compiled kernel
    applies: float64 C-ordered x and w, and f exactly spelled for the operands' types."""
    if not (
        matrix.dtype == np.float64
        and vector.dtype == np.float64
        and matrix.flags.c_contiguous
        and vector.flags.c_contiguous
    ):
        return None
    key = (id(body), params, tuple(_signature(op) for op in operands))
    found = _plans.get(key)
    if found is None:
        plan = _new_kernel_plan(operands, params, body)
        with _lock:
            found = _plans.setdefault(key, (body, plan))  # keeps `body` alive: its id
    return found[1]


def _new_kernel_plan(
    operands: tuple, params: tuple[str, ...], body: Node
) -> tuple[str, Any] | None:
    if not body_facts(body, params)[1]:
        return None
    layout, types = "s", [_Z]  # z = x·w, a NumPy float64 per row
    for operand in operands:
        if isinstance(operand, np.ndarray) and operand.ndim == 1:
            if operand.dtype not in KERNEL_DTYPES or not operand.flags.c_contiguous:
                return None
            layout += "a"
            types.append(numpy_type("numpy", operand.dtype))
        elif not isinstance(operand, np.ndarray) and type_of(operand) is not None:
            layout += "s"
            types.append(type_of(operand))  # type: ignore[arg-type]
        else:
            return None
    from jetlag.runtime.codegen.kernels import glm_kernel

    try:
        return layout, glm_kernel(params, body, layout, types)
    except NotLowerable:
        return None  # f has no exact compiled form for these types


def _compiled(matrix: np.ndarray, vector: np.ndarray, operands: tuple, built: Any) -> np.ndarray:
    rows, cols = matrix.shape
    bounds = chunk_bounds(rows, min_chunk=max(4, MIN_CHUNK_ELEMENTS // max(1, cols)))
    partials = {piece: np.zeros(cols) for piece in bounds}

    def chunk(lo: int, hi: int) -> None:
        built.kernel(matrix, vector, partials[lo, hi], *operands, lo, hi)

    parallel_for(bounds, chunk)
    result = partials[bounds[0]]
    for piece in bounds[1:]:
        result += partials[piece]
    return result


def _blocked(
    x: np.ndarray, w: np.ndarray, params: tuple[str, ...], body: Node, operands: tuple
) -> np.ndarray:
    rows, cols = x.shape
    block = BLOCK_BYTES // max(1, cols * x.itemsize)
    block = min(MAX_BLOCK_ROWS, max(MIN_BLOCK_ROWS, block))
    bounds = chunk_bounds(rows, min_chunk=max(block, MIN_CHUNK_ELEMENTS // max(1, cols)))
    partials: list[np.ndarray | None] = [None] * len(bounds)
    sliced = [np.ndim(op) == 1 for op in operands]

    def chunk(lo: int, hi: int) -> None:
        total = None
        for start in range(lo, hi, block):
            stop = min(hi, start + block)
            x_block = x[start:stop]
            values = {params[0]: x_block @ w}
            for name, operand, cut in zip(params[1:], operands, sliced, strict=True):
                values[name] = operand[start:stop] if cut else operand
            e = np.asarray(evaluate_elementwise(body, values))
            if e.ndim != 1 or e.shape[0] != stop - start or e.dtype.kind not in _NUMERIC_KINDS:
                raise _NotBlockwise
            part = x_block.T @ e
            total = part if total is None else total + part
        partials[bounds.index((lo, hi))] = total

    parallel_for(bounds, chunk)
    result = None
    for part in partials:
        if part is not None:
            result = part if result is None else result + part
    return result


def _unfused(x: Any, w: Any, params: tuple[str, ...], body: Node, operands: tuple) -> Any:
    """dot(transpose(x), f(dot(x, w), operands...)) evaluated as written."""
    try:
        values = {params[0]: REGISTRY["dot"].impl(x, w)}
        values.update(zip(params[1:], operands, strict=True))
        e = evaluate_elementwise(body, values)
        return REGISTRY["dot"].impl(REGISTRY["transpose"].impl(x), e)
    except PrimitiveArgumentError as error:
        raise PrimitiveArgumentError(f"dot(transpose(x), f(dot(x, w), ...)): {error}") from error


@primitive(
    "glm_gradient",
    "glm_gradient(x, w, f, *operands)",
    "dot(transpose(x), f(dot(x, w), operands...)) in one blocked pass over x (f an "
    "elementwise lambda); produced by the GLM pass from the gradient of a linear model.",
    "rewrite",
)
@argument_errors
def glm_gradient(x: Any, w: Any, f: Any, *operands: Any) -> Any:
    """xᵀ·f(x·w, operands...) reading x once, else the unfused evaluation."""
    params, body = elementwise_lambda(
        f,
        "glm_gradient: f must be a lambda of at least one parameter",
        "glm_gradient: f's body may use only elementwise primitives, its parameters and literals",
    )
    if len(params) != len(operands) + 1:
        raise PrimitiveArgumentError(
            f"glm_gradient: f takes {len(params)} parameter(s) but {len(operands) + 1} "
            "value(s) were given"
        )
    matrix, vector = np.asarray(x), np.asarray(w)
    if (
        matrix.ndim == 2
        and vector.ndim == 1
        and matrix.shape[0] > 0
        and matrix.shape[1] == vector.shape[0]
        and matrix.dtype.kind in _FLOAT_KINDS
        and vector.dtype.kind in _FLOAT_KINDS
        and all(_aligned(op, matrix.shape[0]) for op in operands)
    ):
        plan = _kernel_plan(matrix, vector, operands, params, body)
        if plan is not None:
            try:
                return _compiled(matrix, vector, operands, plan[1])
            except Deviation:
                pass  # a row's f(z) NumPy computes differently: the blocked form decides
        try:
            return _blocked(matrix, vector, params, body, operands)
        except _NotBlockwise:
            pass  # f broadcasts differently from row blocks: the unfused form decides
    return _unfused(x, w, params, body, operands)
