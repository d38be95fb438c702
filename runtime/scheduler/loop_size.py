"""Whether a compiled loop's whole-array work is better left to the interpreter.

A compiled loop is one Numba function on one core, and in it `glm_gradient` is its
definition, two passes over X. The interpreter runs the same primitives split across all
workers (products.py, fused.py), `glm_gradient` in one pass over X. Per iteration the
interpreter costs tens of microseconds more; on large operands the split work saves far
more than that (LRA 2000x2000: one pass on two cores instead of two passes on one). So a
loop none of whose iterations splits a row range (not a row loop) runs interpreted when
such a primitive reads an input array of at least `SPLIT_ELEMENTS` elements, and compiled
below, where the interpreter's per-primitive costs would dominate (LRA 400x50). This is a
choice, not a fallback: it is counted in the loop's history as `split_runs`, not
reported as a LoopFallbackWarning. This module only reads trees and values.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from jetlag.runtime.ir.nodes import Call, Variable
from jetlag.runtime.primitives.parallel import MIN_CHUNK_ELEMENTS

#: Primitives the interpreter splits across the workers (and glm_gradient reads X once).
SPLIT_PRIMITIVES = frozenset({"glm_gradient", "fused_elementwise", "dot"})
#: Operands at least this large (elements; 4 MiB of float64) make the split primitives
#: worth their tasks. Measured on 2 cores, LRA per iteration, compiled vs split: 400x50
#: 0.027 vs 0.059 ms, 700x700 0.26 vs 0.32 ms, 1000x1000 0.59 vs 0.44 ms.
SPLIT_ELEMENTS = 8 * MIN_CHUNK_ELEMENTS


def split_operands(loop: Call) -> frozenset[str]:
    """Names read directly as operands of a split primitive inside `loop`."""
    names = set()
    for node in loop.walk():
        if isinstance(node, Call) and node.name in SPLIT_PRIMITIVES:
            names.update(arg.name for arg in node.args if isinstance(arg, Variable))
    return frozenset(names)


def split_reason(
    operands: frozenset[str], names: Sequence[str], values: Sequence[Any]
) -> str | None:
    """Why the loop runs interpreted with its primitives split, or None to compile it."""
    for name, value in zip(names, values, strict=True):
        if name in operands and isinstance(value, np.ndarray) and value.size >= SPLIT_ELEMENTS:
            return (
                f"{name} has {value.size} elements: its primitives run split across the "
                "workers, one per task, rather than in one compiled function on one core"
            )
    return None
