"""Builders of the derived indices the queries answer from (pure NumPy over the columns).

- `selection`: for a set of rows (all, or one primitive's), per location: the union of the
  intervals as sorted disjoint runs with a prefix sum of their lengths (busy time in [a, b)
  is two binary searches), the running maximum of the ends in start order and the latest
  end per block of rows (which rows can still overlap a window) and the ends sorted (how
  many rows overlap a window).
- `primitive_rows`, `guid_index`, `parent_index`: row orders by primitive, GUID, parent GUID.

Busy runs open with a sentinel segment (binning.py); the innermost-interval timeline is
built in timeline.py. Each builder returns a dict of arrays for `DerivedStore`; none of
them answers a query.
Rows of one location are ordered by start, enclosing intervals first (columns.py).
"""

from __future__ import annotations

import numpy as np

from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries.binning import SENTINEL

Arrays = dict[str, np.ndarray]
#: Rows per block of `block_end` (the latest end of each block of selected rows).
BLOCK = 256


def _runs(start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The union of intervals sorted by start, as disjoint [run_start, run_end) runs."""
    keep = end > start  # an empty interval adds no busy time
    start, end = start[keep], end[keep]
    if not len(start):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    reach = np.maximum.accumulate(end)
    # A run begins where an interval starts after everything before it has ended;
    # touching intervals ([0, 5) and [5, 9)) are one run.
    first = np.flatnonzero(np.concatenate(([True], start[1:] > reach[:-1])))
    last = np.concatenate((first[1:] - 1, [len(start) - 1]))
    return start[first].astype(np.int64), reach[last].astype(np.int64)


def selection(columns: TraceColumns, rows: np.ndarray | None = None) -> Arrays:
    """Busy unions, reach and sorted ends per location for `rows` (all rows when None)."""
    count = len(columns.locations)
    if rows is None:
        offsets = np.asarray(columns.location_offsets, np.int64)
        size = len(columns)
    else:
        rows = np.asarray(rows, np.int64)
        offsets = np.searchsorted(np.asarray(columns.location[rows]), np.arange(count + 1))
        offsets = offsets.astype(np.int64)
        size = len(rows)
    reach = np.empty(size, np.int64)
    end_sorted = np.empty(size, np.int64)
    ends = np.empty(size, np.int64)
    opening = np.array([SENTINEL], np.int64)
    run_starts, run_ends, run_offsets = [], [], [0]
    for k in range(count):
        a, b = int(offsets[k]), int(offsets[k + 1])
        chosen = slice(a, b) if rows is None else rows[a:b]
        start = np.asarray(columns.start[chosen], np.int64)
        end = np.asarray(columns.end[chosen], np.int64)
        if b > a:
            ends[a:b] = end
            reach[a:b] = np.maximum.accumulate(end)
            end_sorted[a:b] = np.sort(end)
        run_start, run_end = _runs(start, end)
        run_starts += [opening, run_start]
        run_ends += [opening, run_end]
        run_offsets.append(run_offsets[-1] + 1 + len(run_start))
    run_start = np.concatenate(run_starts) if run_starts else np.zeros(0, np.int64)
    run_end = np.concatenate(run_ends) if run_ends else np.zeros(0, np.int64)
    arrays = {
        "row_offsets": offsets,
        "reach": reach,
        "block_end": (
            np.maximum.reduceat(ends, np.arange(0, size, BLOCK)) if size else ends
        ).astype(np.int64),
        "end_sorted": end_sorted,
        "run_start": run_start,
        "run_end": run_end,
        "run_cum": np.concatenate(([0], np.cumsum(run_end - run_start))).astype(np.int64),
        "run_offsets": np.asarray(run_offsets, np.int64),
    }
    if rows is not None:
        arrays["rows"] = rows
        arrays["start"] = np.asarray(columns.start[rows], np.int64)
    return arrays


def primitive_rows(columns: TraceColumns) -> Arrays:
    """Rows ordered by (primitive, location, start), with each primitive's boundaries."""
    primitive = np.asarray(columns.primitive)
    order = np.argsort(primitive, kind="stable")  # stable: (location, start) order kept
    bounds = np.searchsorted(primitive[order], np.arange(len(columns.primitives) + 1))
    return {"order": order.astype(np.int64), "offsets": bounds.astype(np.int64)}


def guid_index(columns: TraceColumns) -> Arrays:
    """Rows ordered by GUID, for finding an interval (and its parent) by GUID."""
    guid = np.asarray(columns.guid)
    order = np.argsort(guid, kind="stable")
    return {"order": order.astype(np.int64), "sorted": guid[order]}


def parent_index(columns: TraceColumns) -> Arrays:
    """Rows ordered by parent GUID, for finding an interval's children."""
    parent = np.asarray(columns.parent)
    order = np.argsort(parent, kind="stable")
    return {"order": order.astype(np.int64), "sorted": parent[order]}
