"""Copies of the arrays a compiled loop may write, so the interpreter can run it again.

When a compiled loop meets values it cannot compute exactly (`Deviation`: an int past 64
bits, `2 ** -1`, a division Python raises for) or fails, the interpreter runs the same loop
from the start and gives Python's and NumPy's own answer or error. That is only right if
the loop's first attempt left no trace: it binds nothing until it finishes, but it may
have written into arrays in place. Those arrays -- the inputs it stores into, or every input
array when it stores into a name that may be a view of any of them -- are copied before the
compiled run (`take`) and put back before the interpreter's (`restore`). Copies larger
than `SNAPSHOT_LIMIT_BYTES` are not taken: such a loop reports the compiled code's own
error instead. This module decides nothing about which loops compile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: The most bytes copied before one compiled loop runs (beyond: no second attempt).
SNAPSHOT_LIMIT_BYTES = 1 << 28


@dataclass(frozen=True)
class Snapshot:
    """The arrays a compiled loop may write, each with a copy of its contents."""

    arrays: tuple[tuple[np.ndarray, np.ndarray], ...]

    def restore(self) -> None:
        """Put every copied array back as it was before the loop ran."""
        for array, copy in self.arrays:
            np.copyto(array, copy)


NOTHING_WRITTEN = Snapshot(())


def take(names: Sequence[str], values: Sequence[Any], written: Sequence[str]) -> Snapshot | None:
    """A snapshot of what a loop over inputs `names` (bound to `values`) may write when it
    stores into the variables `written`; None when the copies would be too large."""
    if not written:
        return NOTHING_WRITTEN
    given = dict(zip(names, values, strict=True))
    if all(name in given for name in written):
        candidates = [given[name] for name in written]
    else:
        # A local may be a view of any input array.
        candidates = list(values)
    arrays = []
    seen: set[int] = set()
    for value in candidates:
        if isinstance(value, np.ndarray) and value.flags.writeable and id(value) not in seen:
            seen.add(id(value))
            arrays.append(value)
    if sum(a.nbytes for a in arrays) > SNAPSHOT_LIMIT_BYTES:
        return None
    return Snapshot(tuple((a, a.copy()) for a in arrays))
