"""Running a compiled row loop on all workers: the counter's range split into pieces.

A `compiled_loop(loop, inputs, outputs, "c")` names a loop whose iterations over `c` are
independent (passes/row_loops.py). Its generated function takes `lo, hi` and runs only
those iterations, so the range [c0, n) -- the counter's value before the loop up to its
bound -- is cut into contiguous pieces run as chunks on the pool. Each row is computed by
the same code from the same values as in one sequential call, so the result is identical.

The split happens only when it is safe with these values: the counter and the bound are
integers, and no array the loop writes rows of may share memory with another input array
(else a row written by one piece could be read by another). Otherwise the loop runs as
one call over its whole range, exactly as a loop without a counter.

When pieces fail, the one covering the earliest rows decides the error, as the first
failing iteration would in a sequential run (later pieces have run meanwhile, so rows past
the failing one may have been written too). Ctrl-C stops every piece.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from jetlag.runtime.ir.nodes import Literal, Variable
from jetlag.runtime.passes.row_loops import RowLoop
from jetlag.runtime.primitives.parallel import chunk_bounds, parallel_for

#: Fewest iterations a piece gets (a piece costs a chunk task, ~20-50 us).
MIN_ROWS_PER_PIECE = 16

_INTEGERS = (int, np.integer)


def _integer(value: Any) -> int | None:
    if isinstance(value, _INTEGERS) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    return None


def row_range(rows: RowLoop, names: Sequence[str], values: Sequence[Any]) -> tuple[int, int] | None:
    """[c0, n) for these input values when splitting is safe, else None."""
    given = dict(zip(names, values, strict=True))
    start = _integer(given.get(rows.counter))
    bound = rows.bound
    if isinstance(bound, Variable):
        stop = _integer(given.get(bound.name))
    else:
        assert isinstance(bound, Literal)
        stop = _integer(bound.value)
    if start is None or stop is None:
        return None
    written = [given.get(name) for name in rows.written]
    if not all(isinstance(array, np.ndarray) for array in written):
        return None
    others = [
        value
        for name, value in given.items()
        if isinstance(value, np.ndarray) and name not in rows.written
    ]
    for index, array in enumerate(written):
        for other in others + written[index + 1 :]:
            if np.may_share_memory(array, other):
                return None
    return start, max(start, stop)


class RowFailure(Exception):
    """A piece's error and the node index (`where`) it was raised at."""

    def __init__(self, error: BaseException, where: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.where = where


def run_rows(
    function: Callable[..., tuple],
    values: Sequence[Any],
    stop: np.ndarray,
    span: tuple[int, int],
) -> tuple:
    """Call `function(*values, where, stop, lo, hi)` over pieces of `span` on the pool;
    the outputs of the last piece (the counter's final value), or RowFailure."""
    start, end = span
    pieces = [(start + lo, start + hi) for lo, hi in chunk_bounds(end - start, MIN_ROWS_PER_PIECE)]
    last: list[tuple] = []
    failures: list[tuple[int, BaseException, int]] = []  # (first row, error, where)

    def piece(lo: int, hi: int) -> None:
        where = np.zeros(1, dtype=np.int64)
        try:
            outputs = function(*values, where, stop, lo, hi)
        except BaseException as error:  # noqa: BLE001 - the earliest piece's error wins
            failures.append((lo, error, int(where[0])))
            return
        if hi == end:
            last.append(outputs)

    parallel_for(pieces, piece)
    if failures:
        _, error, where = min(failures, key=lambda failure: failure[0])
        raise RowFailure(error, where)
    return last[0]
