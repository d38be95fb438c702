"""Per-bin sums from prefix-summed segments: busy time, dominant primitive, counter means.

A *segment list* is a run of sorted, disjoint [start, end) segments that begins with a
sentinel (start = end = SENTINEL) and has a prefix sum of the lengths (`cum[i]`: the
length of the segments before i). The time it covers before t is
`cum[j + 1] - max(0, end[j] - t)`, j being the last segment that starts at or before t
(the sentinel when none does): one binary search, no special cases. So the busy time of
each bin of a window is the difference of that function at the bin edges -- O(bins log n),
whatever the number of intervals in the window. Edges are real numbers (begin + i *
width); times are integer ns, so searching floor(t) is exact. This module computes; it
does not choose windows or read files.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

#: Start and end of the empty segment that opens every segment list.
SENTINEL = -(2**62)


def covered_before(
    start: np.ndarray,
    end: np.ndarray,
    cum: np.ndarray,
    bounds: Sequence[tuple[int, int]],
    edges: np.ndarray,
) -> np.ndarray:
    """[len(bounds), len(edges)]: per segment list [lo, hi) the time it covers before each edge.

    `lo` is the list's sentinel. Values include the lengths of the segments before `lo`
    (an offset that cancels in differences).
    """
    keys = np.floor(edges).astype(np.int64)
    found = np.empty((len(bounds), len(edges)), np.int64)
    for row, (lo, hi) in enumerate(bounds):
        # One search per list on its own slice: small slices stay in cache.
        found[row] = np.searchsorted(start[lo:hi], keys, side="right")
    if len(bounds):
        found += np.array([lo - 1 for lo, _ in bounds], np.int64)[:, None]
    # np.take gathers several times faster than fancy indexing here.
    remaining = np.subtract(np.take(end, found), edges)
    np.maximum(remaining, 0.0, out=remaining)
    return np.subtract(np.take(cum[1:], found), remaining, out=remaining)


#: Segment lists evaluated together by `per_bin`: bounds the temporary matrices (a trace
#: with thousands of primitives would otherwise need [groups, bins] of several) and keeps
#: them in cache.
CHUNK = 16


def per_bin(
    start: np.ndarray,
    end: np.ndarray,
    cum: np.ndarray,
    bounds: Sequence[tuple[int, int]],
    edges: np.ndarray,
) -> np.ndarray:
    """[len(bounds), bins]: per segment list the time it covers in each bin (ns, float)."""
    out = np.empty((len(bounds), len(edges) - 1))
    for first in range(0, len(bounds), CHUNK):
        totals = covered_before(start, end, cum, bounds[first : first + CHUNK], edges)
        np.subtract(totals[:, 1:], totals[:, :-1], out=out[first : first + len(totals)])
    return out


def fractions(busy: np.ndarray, bin_ns: float) -> np.ndarray:
    """Busy ns per bin as fractions of the bin, clipped to [0, 1] against rounding."""
    return np.clip(busy / bin_ns, 0.0, 1.0)


def dominant(busy: np.ndarray, labels: np.ndarray, blocks: Sequence[tuple[int, int]]) -> np.ndarray:
    """[len(blocks), bins]: per block of rows of `busy`, the label of the row with most time.

    `labels[i]` names row i of `busy`; -1 where every row of the block is idle in a bin.
    Ties go to the first row (the lowest primitive index).
    """
    bins = busy.shape[1]
    result = np.full((len(blocks), bins), -1, np.int64)
    for index, (lo, hi) in enumerate(blocks):
        if hi <= lo:
            continue
        block = busy[lo:hi]
        best = np.argmax(block, axis=0)
        most = block[best, np.arange(bins)]
        result[index] = np.where(most > 0.0, labels[lo + best], -1)
    return result


def bin_means(
    times: np.ndarray, values: np.ndarray, edges: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(means, counts) of samples per bin; a bin holds edges[i] <= t < edges[i+1].

    The last bin also holds a sample exactly at the window's end. Means are NaN in
    empty bins. `times` are sorted integer ns.
    """
    keys = np.ceil(edges).astype(np.int64)  # t < edge  <=>  t < ceil(edge) for integer t
    position = np.searchsorted(times, keys, side="left")
    position[-1] = np.searchsorted(times, int(np.floor(edges[-1])), side="right")
    position = np.maximum.accumulate(position)
    counts = np.diff(position)
    means = np.full(len(counts), np.nan)
    filled = counts > 0
    if filled.any():
        window = np.asarray(values[position[0] : position[-1]], np.float64)
        sums = np.add.reduceat(window, position[:-1][filled] - position[0])
        means[filled] = sums / counts[filled]
    return means, counts


def json_floats(values: np.ndarray, digits: int | None = None) -> list[float | None]:
    """A float array as a JSON-ready list: NaN and infinities become None."""
    array = np.asarray(values, np.float64)
    if digits is not None:
        array = np.round(array, digits)
    out: list[float | None] = array.tolist()
    if not np.isfinite(array).all():
        bad = np.flatnonzero(~np.isfinite(array))
        for i in bad.tolist():
            out[i] = None
    return out
