"""`fused_elementwise`: a tree of elementwise operations run as one generated Numba loop.

The elementwise-fusion pass (passes/fuse_elementwise.py) turns `1.0 / (1.0 + exp(-z))`,
four primitives and three temporary arrays, into `fused_elementwise(lambda(z, body), z)`.
This primitive runs the body as one compiled loop (codegen/kernels.py `map_kernel`) over
chunks of the flattened arrays on the pool: one read of each input, one write of the result.

The compiled loop is used when every array operand has the broadcast shape, is in C order
and is float64/int64/bool, the scalars are Python or NumPy numbers, the body has an exact
spelling for these types whose result is float64/int64/bool (codegen/exact.py: decided from
the types with NumPy's own rules, never from the values), and the arrays hold at least
`FUSE_MIN_ELEMENTS` elements (below that, NumPy's calls are cheaper than a first compile).
Otherwise -- and when the kernel meets an element whose exact value it cannot give, such as
an integer to a negative power (`Deviation`) -- the body is evaluated with the registry's
implementations, which is exactly the unfused program, its errors included. Results equal
NumPy's up to rounding of transcendental functions (Numba calls the C library; NumPy its
own SIMD loops).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.support_loops import Deviation
from jetlag.runtime.codegen.value_types import numpy_type, type_of
from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.ir.nodes import Node
from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.fused_body import (
    KERNEL_DTYPES,
    body_facts,
    elementwise_lambda,
    evaluate_elementwise,
)
from jetlag.runtime.primitives.parallel import chunk_bounds, parallel_for
from jetlag.runtime.primitives.registry import primitive

#: Smallest result (elements) worth a compiled loop; smaller ones evaluate through NumPy.
FUSE_MIN_ELEMENTS = 1 << 14


def _plan(operands: tuple, params: tuple[str, ...], body: Node) -> tuple[str, tuple, Any] | None:
    """(layout, kernel arguments, compiled kernel) when the compiled loop applies."""
    arrays = [op for op in operands if isinstance(op, np.ndarray) and op.ndim > 0]
    if not arrays or arrays[0].size < FUSE_MIN_ELEMENTS or not body_facts(body, params)[1]:
        return None
    shape = arrays[0].shape
    layout, inputs, types = "", [], []
    for operand in operands:
        if isinstance(operand, np.ndarray) and operand.ndim > 0:
            if (
                operand.shape != shape
                or operand.dtype not in KERNEL_DTYPES
                or not operand.flags.c_contiguous
            ):
                return None
            layout += "a"
            inputs.append(operand.reshape(-1))
            types.append(numpy_type("numpy", operand.dtype))  # its elements
        else:
            # A 0-D array takes part in NumPy's promotion as a NumPy scalar does.
            scalar = operand[()] if isinstance(operand, np.ndarray) else operand
            found = type_of(scalar)  # None for what a kernel cannot hold (big ints, complex)
            if found is None:
                return None
            layout += "s"
            inputs.append(scalar)
            types.append(found)
    from jetlag.runtime.codegen.kernels import map_kernel

    try:
        built = map_kernel(params, body, layout, types)
    except NotLowerable:
        return None  # no exact compiled form for these types
    return layout, tuple(inputs), built


@primitive(
    "fused_elementwise",
    "fused_elementwise(f, *operands)",
    "f(operands...) for an elementwise lambda f, as one compiled loop over the arrays (no "
    "temporaries); produced by the elementwise-fusion pass.",
    "rewrite",
)
@argument_errors
def fused_elementwise(f: Any, *operands: Any) -> Any:
    """f's body over `operands` in one pass, or through the registry when that cannot apply."""
    params, body = elementwise_lambda(
        f,
        "fused_elementwise: the first argument must be a lambda",
        "fused_elementwise: the lambda's body may use only elementwise primitives, its "
        "parameters and literals",
    )
    if len(params) != len(operands):
        raise PrimitiveArgumentError(
            f"fused_elementwise: f takes {len(params)} parameter(s) but {len(operands)} "
            "value(s) were given"
        )
    plan = _plan(operands, params, body)
    if plan is not None:
        _, inputs, built = plan
        shape = next(op for op in operands if isinstance(op, np.ndarray) and op.ndim > 0).shape
        out = np.empty(shape, dtype=built.dtype)
        flat = out.reshape(-1)
        try:
            parallel_for(
                chunk_bounds(flat.shape[0]), lambda lo, hi: built.kernel(flat, *inputs, lo, hi)
            )
            return out
        except Deviation:
            pass  # an element NumPy computes differently (or raises for): NumPy decides
    return evaluate_elementwise(body, dict(zip(params, operands, strict=True)))
