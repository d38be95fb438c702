"""When a primitive runs inline (where it is issued) instead of as a task on the pool.

Spawning a task costs tens of microseconds; a primitive on a handful of elements costs
less. The static rule here estimates work from the operands' sizes; the measurement layer
can replace it with an adaptive policy that uses measured times per primitive instance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from jetlag.runtime.primitives.registry import Primitive

#: Work (element touches) below which a ready primitive runs inline.
DEFAULT_INLINE_WORK = 32_768


def estimate_work(primitive: Primitive, args: Sequence[Any]) -> int:
    """Rough element touches of one evaluation: operand sizes, m*n*k for products."""
    sizes = [a.size for a in args if isinstance(a, np.ndarray)]
    if primitive.category in ("product", "linalg") and len(sizes) >= 1:
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        if len(arrays) >= 2 and arrays[0].ndim >= 1 and arrays[1].ndim >= 1:
            return int(arrays[0].size) * int(arrays[1].shape[-1])
        if arrays and arrays[0].ndim == 2:
            return int(arrays[0].shape[0]) ** 3
    return int(sum(sizes))


@dataclass
class InlinePolicy:
    """Static inline-vs-spawn decision by estimated work."""

    inline_work: int = DEFAULT_INLINE_WORK

    def should_inline(self, primitive: Primitive, args: Sequence[Any]) -> bool:
        """True when the evaluation is too small to be worth a task."""
        return estimate_work(primitive, args) <= self.inline_work
