"""The innermost-interval timeline of each location: what the Gantt view colours by.

At every moment a location (thread) runs a stack of nested intervals; the innermost one
(the latest started still running) is the one doing the work, so it gets the time: a
task's inline children take their time from it. `timeline` cuts each location's time into
disjoint segments labelled with that interval's primitive, kept twice:

- in time order (`seg_end`, `seg_length`, `seg_local`: per-location primitive ids):
  summing a window's segments per bin and primitive costs O(segments in the window);
- grouped by (location, primitive) with a prefix sum of lengths, each group opening with
  a sentinel (binning.py): one primitive's time in [a, b) is two binary searches, so a
  zoomed-out window costs O(primitives x bins x log n) whatever it holds.

Exact when the intervals of a thread nest (as a task runtime records them); for partly
overlapping intervals (imported traces) the innermost one is approximated. Builds only.
"""

from __future__ import annotations

import numpy as np

from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries.binning import SENTINEL

Arrays = dict[str, np.ndarray]


def _enclosing(start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Per interval (sorted by start, outer first) the nearest enclosing one on its thread.

    The depth of an interval is how many earlier ones are still open when it starts; its
    enclosing interval is the last earlier one one level up. Exact when the intervals of a
    thread nest (a stack, as a task runtime records them); -1 at the top.
    """
    n = len(start)
    depth = np.arange(n) - np.searchsorted(np.sort(end), start, side="right")
    key = depth * (n + 1) + np.arange(n)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    below = (depth - 1) * (n + 1)
    at = np.searchsorted(ordered, below + np.arange(n), side="left") - 1
    at_clipped = np.maximum(at, 0)
    found = (depth > 0) & (at >= 0) & (ordered[at_clipped] >= below)
    return np.where(found, order[at_clipped], -1)


def _location_timeline(
    start: np.ndarray, end: np.ndarray, primitive: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment starts, ends, primitives) of the innermost running interval of one thread."""
    keep = end > start
    start, end, primitive = start[keep], end[keep], primitive[keep]
    n = len(start)
    if not n:
        empty = np.zeros(0, np.int64)
        return empty, empty, empty
    parent = _enclosing(start, end)
    # After an interval ends, the innermost one still running is its nearest ancestor
    # that ends later (ancestors ending at the same time end with it).
    after = parent.copy()
    while True:
        live = after >= 0
        stale = np.flatnonzero(live)[end[after[live]] <= end[live]]
        if not len(stale):
            break
        after[stale] = parent[after[stale]]
    times = np.concatenate((start, end))
    labels = np.concatenate((np.arange(n), after))
    # Ends before starts at one time; starts in row order, so the innermost start is last.
    is_start = np.concatenate((np.ones(n, np.int8), np.zeros(n, np.int8)))
    order = np.lexsort((np.concatenate((np.arange(n), np.arange(n))), is_start, times))
    times, labels = times[order], labels[order]
    last = np.concatenate((times[1:] != times[:-1], [True]))
    times, labels = times[last], labels[last]
    seg_start, seg_end, seg_label = times[:-1], times[1:], labels[:-1]
    busy = seg_label >= 0
    seg_start, seg_end = seg_start[busy], seg_end[busy]
    seg_prim = primitive[seg_label[busy]].astype(np.int64)
    if len(seg_start) > 1:
        # Neighbouring pieces of one primitive (a chunk right after a chunk) become one.
        joined = (seg_prim[1:] == seg_prim[:-1]) & (seg_start[1:] == seg_end[:-1])
        first = np.flatnonzero(np.concatenate(([True], ~joined)))
        last_piece = np.concatenate((first[1:] - 1, [len(seg_start) - 1]))
        seg_start, seg_end, seg_prim = seg_start[first], seg_end[last_piece], seg_prim[first]
    return seg_start, seg_end, seg_prim


def timeline(columns: TraceColumns, rows: np.ndarray | None = None) -> Arrays:
    """Innermost-interval segments per location, in time order and grouped by primitive.

    With `rows` (sorted column rows, e.g. one primitive's) only those intervals count:
    the innermost running one among them.
    """
    count = len(columns.locations)
    if rows is None:
        offsets = np.asarray(columns.location_offsets, np.int64)
    else:
        rows = np.asarray(rows, np.int64)
        offsets = np.searchsorted(np.asarray(columns.location[rows]), np.arange(count + 1))
    parts: dict[str, list[np.ndarray]] = {key: [] for key in _PARTS}
    location_segments, location_groups = [0], [0]
    for k in range(count):
        a, b = int(offsets[k]), int(offsets[k + 1])
        chosen = slice(a, b) if rows is None else rows[a:b]
        seg_start, seg_end, seg_prim = _location_timeline(
            np.asarray(columns.start[chosen], np.int64),
            np.asarray(columns.end[chosen], np.int64),
            np.asarray(columns.primitive[chosen], np.int64),
        )
        prims, local = np.unique(seg_prim, return_inverse=True)
        parts["seg_end"].append(seg_end)
        # Lengths as float64: the per-bin sums weigh by them without a conversion pass.
        parts["seg_length"].append((seg_end - seg_start).astype(np.float64))
        parts["seg_local"].append(local.astype(np.int32))
        parts["location_prims"].append(prims)
        location_segments.append(location_segments[-1] + len(seg_start))
        # The grouped copy: time order kept within each primitive, and each group opens
        # with a sentinel segment (one inserted before each group's first).
        order = np.argsort(local, kind="stable")
        first = np.searchsorted(local[order], np.arange(len(prims)))
        sizes = np.diff(np.append(first, len(order)))
        parts["group_start"].append(np.insert(seg_start[order], first, SENTINEL))
        parts["group_end"].append(np.insert(seg_end[order], first, SENTINEL))
        parts["group_prim"].append(prims)
        parts["group_sizes"].append(sizes + 1)
        location_groups.append(location_groups[-1] + len(prims))
    joined = {
        key: np.concatenate(pieces) if pieces else np.zeros(0, _PARTS[key])
        for key, pieces in parts.items()
    }
    sizes = joined.pop("group_sizes")
    group_start, group_end = joined["group_start"], joined["group_end"]
    prim_offsets = np.concatenate(([0], np.cumsum([len(p) for p in parts["location_prims"]])))
    return {
        **{key: value.astype(_PARTS[key]) for key, value in joined.items()},
        "group_cum": np.concatenate(([0], np.cumsum(group_end - group_start))).astype(np.int64),
        "group_offsets": np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
        "location_groups": np.asarray(location_groups, np.int64),
        "location_segments": np.asarray(location_segments, np.int64),
        "location_prim_offsets": prim_offsets.astype(np.int64),
    }


#: The per-location pieces `timeline` concatenates, with their dtypes.
_PARTS = {
    "seg_end": np.int64,
    "seg_length": np.float64,
    "seg_local": np.int32,
    "location_prims": np.int64,
    "group_start": np.int64,
    "group_end": np.int64,
    "group_prim": np.int64,
    "group_sizes": np.int64,
}
