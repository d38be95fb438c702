"""The Gantt answer's parts: the dominant primitive per bin, the legend and raw intervals.

The dominant primitive of a bin is the one with the most *exclusive* time there: at each
moment the innermost running interval of the location gets the time (timeline.py); ties
go to the lowest instance index. Per location it is computed one of two exact ways,
whichever touches less: summing the window's segments per bin and primitive (O(segments
in the window): zoomed-in views and small traces), or two binary searches per primitive
and bin edge in the prefix-summed groups (O(primitives x bins x log n): a zoomed-out view
of a big trace). This module computes those parts; TraceQueries.gantt assembles them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries import binning
from jetlag.server_ext.queries.intervals import json_guids
from jetlag.server_ext.queries.validation import Window

#: Fields of one raw interval in a Gantt answer, in order.
RAW_FIELDS = ("start", "end", "primitive", "guid", "parent_guid", "kind")
#: Summing one segment costs 1/7 (1M intervals) to 1/13 (10M) of one primitive-edge
#: evaluation of the prefix path (bench/bench_queries.py): sum while the window holds fewer
#: than DIRECT_RATIO x primitives x edges segments.
DIRECT_RATIO = 8
#: Largest bins x primitives matrix the summing path allocates for one location.
MAX_DIRECT_CELLS = 4_000_000

Arrays = dict[str, np.ndarray]


def dominant_primitives(
    timeline: Arrays, chosen: list[int], win: Window, edges: np.ndarray
) -> np.ndarray:
    """[len(chosen), bins]: per location the primitive with most exclusive time (-1: idle)."""
    bins = len(edges) - 1
    result = np.full((len(chosen), bins), -1, np.int64)
    keys = np.floor(edges).astype(np.int64)
    segments, prim_offsets = timeline["location_segments"], timeline["location_prim_offsets"]
    groups = timeline["location_groups"]
    searched: list[int] = []
    for row, k in enumerate(chosen):
        a, b = int(segments[k]), int(segments[k + 1])
        if a == b:
            continue  # nothing ever ran here
        ends = timeline["seg_end"][a:b]
        # First segment ending after each edge: the window holds [first[0], first[-1]).
        first = np.searchsorted(ends, keys, side="right")
        prims = timeline["location_prims"][int(prim_offsets[k]) : int(prim_offsets[k + 1])]
        held = int(first[-1] - first[0])
        cost = DIRECT_RATIO * int(groups[k + 1] - groups[k]) * len(edges)
        if held < cost and len(prims) * bins <= MAX_DIRECT_CELLS:
            result[row] = _summed(
                ends,
                timeline["seg_length"][a:b],
                timeline["seg_local"][a:b],
                prims,
                first,
                edges,
            )
        else:
            searched.append(row)
    if searched:
        result[searched] = _searched(timeline, [chosen[r] for r in searched], win, edges)
    return result


def _summed(
    end: np.ndarray,
    length: np.ndarray,
    local: np.ndarray,
    prims: np.ndarray,
    first: np.ndarray,
    edges: np.ndarray,
) -> np.ndarray:
    """One location's dominant primitives by summing the window's segments.

    The segments in [first[i], first[i+1]) end inside bin i and count whole there; the
    one running across edge i (first[i]) gives its part before the edge to earlier bins.
    """
    bins, count = len(edges) - 1, len(prims)
    lo, hi = int(first[0]), int(first[-1])
    ends_in = np.repeat(np.arange(bins, dtype=np.int64), np.diff(first))
    ends_in *= count
    ends_in += local[lo:hi]
    times = np.bincount(ends_in, weights=length[lo:hi], minlength=bins * count)
    times = times.astype(np.float64, copy=False)  # an empty bincount comes back as int
    across = first < len(end)
    at = np.minimum(first, len(end) - 1)
    before = np.where(across, np.maximum(edges - (end[at] - length[at]), 0.0), 0.0)
    cell = np.arange(bins, dtype=np.int64) * count
    label = local[at].astype(np.int64)
    np.add.at(times, cell + label[1:], before[1:])
    np.subtract.at(times, cell + label[:-1], before[:-1])
    times = times.reshape(bins, count)
    best = np.argmax(times, axis=1)
    most = times[np.arange(bins), best]
    return np.where(most > 0.0, prims[best], -1)


def _searched(timeline: Arrays, chosen: list[int], win: Window, edges: np.ndarray) -> np.ndarray:
    """Dominant primitives of several locations from the prefix-summed primitive groups."""
    groups, offsets = timeline["location_groups"], timeline["group_offsets"]
    wanted = [np.arange(groups[k], groups[k + 1]) for k in chosen]
    group = np.concatenate(wanted) if wanted else np.zeros(0, np.int64)
    lo, hi = offsets[group], offsets[group + 1]
    # A primitive with no time in the window cannot dominate a bin: leave it out.
    # Every group holds its sentinel and at least one segment: lo + 1 <= hi - 1.
    active = (timeline["group_end"][hi - 1] > win.begin) & (
        timeline["group_start"][lo + 1] < win.end
    )
    owner = np.repeat(np.arange(len(chosen)), [len(w) for w in wanted])[active]
    group, lo, hi = group[active], lo[active], hi[active]
    blocks = np.searchsorted(owner, np.arange(len(chosen) + 1))
    exclusive = binning.per_bin(
        timeline["group_start"],
        timeline["group_end"],
        timeline["group_cum"],
        list(zip(lo.tolist(), hi.tolist(), strict=True)),
        edges,
    )
    labels = np.asarray(timeline["group_prim"])[group]
    spans = list(zip(blocks[:-1].tolist(), blocks[1:].tolist(), strict=True))
    return binning.dominant(exclusive, labels, spans)


def legend_positions(legend: np.ndarray, values: np.ndarray) -> list[int | None]:
    """Positions of primitive indices in the sorted `legend`; None for -1 (an idle bin)."""
    at = np.searchsorted(legend, np.maximum(values, 0)).astype(object)
    at[values < 0] = None
    return at.tolist()


def raw_intervals(columns: TraceColumns, rows: np.ndarray, legend: np.ndarray) -> list[list[Any]]:
    """Rows as [start, end, legend position, guid, parent_guid, kind] lists (RAW_FIELDS)."""
    kinds = columns.kinds
    fields = zip(
        np.asarray(columns.start[rows]).tolist(),
        np.asarray(columns.end[rows]).tolist(),
        np.searchsorted(legend, np.asarray(columns.primitive[rows], np.int64)).tolist(),
        json_guids(np.asarray(columns.guid[rows]).tolist()),
        json_guids(np.asarray(columns.parent[rows]).tolist()),
        np.asarray(columns.kind[rows]).tolist(),
        strict=True,
    )
    return [[s, e, p, g, q, kinds[k]] for s, e, p, g, q, k in fields]
