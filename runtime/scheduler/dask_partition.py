"""Row-block partitioning of arrays for the Dask executor, and the rules of what is big.

An array is partitioned when it holds at least `Partitioning.threshold_bytes`; it is cut
into blocks of whole rows (axis 0), as many rows per block as fit the block budget taken
from the workers' memory limit, and never fewer blocks than workers. The blocks go into a
Dask graph that holds their data (`da.from_array`), so a block lost with a worker can be
made again by Dask. This module decides and cuts; it does not run primitives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from jetlag.runtime.settings import whole_number

#: Arrays of at least this many bytes are partitioned (JETLAG_DASK_THRESHOLD overrides).
DEFAULT_THRESHOLD_BYTES = 32 << 20
#: A block holds at most this share of one worker's memory limit...
MEMORY_SHARE = 16
#: ...and at most this many bytes (more gives no more parallelism and slower recovery).
MAX_BLOCK_BYTES = 256 << 20


def default_threshold() -> int:
    """JETLAG_DASK_THRESHOLD (bytes) when set, else DEFAULT_THRESHOLD_BYTES."""
    return whole_number(
        "JETLAG_DASK_THRESHOLD",
        DEFAULT_THRESHOLD_BYTES,
        0,
        "bytes from which arrays are partitioned",
    )


@dataclass
class Partitioning:
    """How the Dask executor cuts arrays.

    threshold_bytes: arrays at least this big are partitioned; smaller ones stay on the
                     client (0 partitions every array of at least `workers` rows).
    block_rows:      rows per block; None chooses from the data and the workers' memory.
    workers:         how many workers share the blocks (at least one block each).
    memory_limit:    one worker's memory limit in bytes (0: unknown, no memory bound).
    """

    threshold_bytes: int = DEFAULT_THRESHOLD_BYTES
    block_rows: int | None = None
    workers: int = 1
    memory_limit: int = 0

    def is_big(self, value: Any) -> bool:
        """Whether `value` is an ndarray this partitioning cuts into row blocks."""
        return (
            isinstance(value, np.ndarray)
            and value.ndim >= 1
            and value.shape[0] >= 2
            and value.nbytes >= self.threshold_bytes
            and value.dtype.kind in "biufc"
        )

    def rows_per_block(self, shape: tuple[int, ...], itemsize: int) -> int:
        """Rows in each block of an array of `shape`: the override, else as many as fit
        the block budget, and few enough that every worker gets a block."""
        rows = max(1, shape[0])
        if self.block_rows is not None:
            return max(1, min(rows, self.block_rows))
        row_bytes = max(1, math.prod(shape[1:]) * itemsize)
        budget = MAX_BLOCK_BYTES
        if self.memory_limit > 0:
            budget = min(budget, self.memory_limit // MEMORY_SHARE)
        blocks = max(self.workers, math.ceil(rows * row_bytes / max(budget, row_bytes)))
        return max(1, math.ceil(rows / blocks))

    def row_chunks(self, shape: tuple[int, ...], itemsize: int) -> tuple[int, ...]:
        """The sizes of the row blocks of an array of `shape`."""
        step = self.rows_per_block(shape, itemsize)
        rows = shape[0]
        return tuple(min(step, rows - start) for start in range(0, rows, step)) or (0,)


def partition(array: np.ndarray, rows: tuple[int, ...]) -> Any:
    """`array` as a dask array of row blocks of the sizes `rows` (whole along other axes)."""
    import dask.array as da

    chunks = (rows, *((n,) for n in array.shape[1:]))
    # A private copy: the caller may write into `array` later, and the graph keeps
    # references to its blocks until the run ends.
    return da.from_array(np.array(array, copy=True), chunks=chunks, asarray=False)


def is_distributed(value: Any) -> bool:
    """Whether `value` is a dask array (without importing Dask when nobody else did)."""
    module = type(value).__module__
    if not module.startswith("dask"):
        return False
    import dask.array as da

    return isinstance(value, da.Array)


def partitioned_axis(array: Any) -> int | None:
    """The one axis of a dask array cut into several blocks; -1 for none, None for several."""
    cut = [axis for axis, sizes in enumerate(array.chunks) if len(sizes) > 1]
    if not cut:
        return -1
    return cut[0] if len(cut) == 1 else None


__all__ = [
    "DEFAULT_THRESHOLD_BYTES",
    "Partitioning",
    "default_threshold",
    "is_distributed",
    "partition",
    "partitioned_axis",
]
