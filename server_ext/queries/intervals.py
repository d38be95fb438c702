"""Finding intervals: those overlapping a window (paged), and one by GUID with its family.

An interval overlaps the window [begin, end) when start < end and its end > begin. Per
location the rows are sorted by start, so the rows starting inside the window are one
contiguous range (two binary searches); the ones that started earlier and still run are
found from the running maximum of the ends (`reach`), which skips every row that ended
before the window, and the latest end per block of rows. Counting needs no row at all
(ends sorted per location). This module
turns row numbers into JSON-ready dicts; it does not bin or validate parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from jetlag.runtime.measure.profile import display_name
from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries.indices import BLOCK

Arrays = dict[str, np.ndarray]


@dataclass
class Selection:
    """The rows of a trace that a query looks at (all, or one primitive's), with their indices."""

    columns: TraceColumns
    arrays: Arrays

    @property
    def rows(self) -> np.ndarray | None:
        """Row numbers of the selection in the columns (None: every row, in order)."""
        return self.arrays.get("rows")

    @property
    def start(self) -> np.ndarray:
        """Start of each selected row (the columns' own for all rows)."""
        return self.arrays["start"] if "rows" in self.arrays else self.columns.start

    def global_rows(self, local: np.ndarray) -> np.ndarray:
        """Column row numbers of selection positions `local`."""
        rows = self.rows
        return np.asarray(local, np.int64) if rows is None else np.asarray(rows[local], np.int64)

    def run_bounds(self, locations: list[int]) -> list[tuple[int, int]]:
        """[lo, hi) of each location's busy runs."""
        offsets = self.arrays["run_offsets"]
        return [(int(offsets[k]), int(offsets[k + 1])) for k in locations]

    def _limits(self, k: int, begin: int, end: int) -> tuple[int, int, int, int]:
        offsets = self.arrays["row_offsets"]
        a, b = int(offsets[k]), int(offsets[k + 1])
        start = self.start[a:b]
        low = a + int(np.searchsorted(self.arrays["reach"][a:b], begin, side="right"))
        middle = a + int(np.searchsorted(start, begin, side="right"))
        high = a + int(np.searchsorted(start, end, side="left"))
        middle = max(low, middle)  # low <= middle <= high; kept so even bad data cannot invert
        return a, low, middle, max(high, middle)

    def count(self, k: int, begin: int, end: int) -> int:
        """How many selected rows of location k overlap [begin, end): no row is read."""
        offsets = self.arrays["row_offsets"]
        a, b = int(offsets[k]), int(offsets[k + 1])
        starting = int(np.searchsorted(self.start[a:b], end, side="left"))
        ended = int(np.searchsorted(self.arrays["end_sorted"][a:b], begin, side="right"))
        return starting - ended

    def _head_and_tail(self, k: int, begin: int, end: int) -> tuple[np.ndarray, int, int]:
        """(positions of earlier-started rows still running at `begin`, tail range [lo, hi)).

        Every row of the tail range starts inside the window, so it overlaps it.
        """
        _, low, middle, high = self._limits(k, begin, end)
        return self._running(low, middle, begin), middle, high

    def _running(self, low: int, middle: int, begin: int) -> np.ndarray:
        """Positions in [low, middle) whose interval ends after `begin`.

        A long interval early on (the run's root call) makes every later row a candidate;
        only the blocks whose latest end is after `begin` are read, so finding the few
        intervals still running costs O(rows / BLOCK + running x BLOCK), not O(rows).
        """
        if middle - low > 4 * BLOCK:
            blocks = self.arrays["block_end"][low // BLOCK : (middle - 1) // BLOCK + 1]
            chosen = low // BLOCK + np.flatnonzero(blocks > begin)
            candidates = (chosen[:, None] * BLOCK + np.arange(BLOCK)).ravel()
            candidates = candidates[(candidates >= low) & (candidates < middle)]
        else:
            candidates = np.arange(low, middle, dtype=np.int64)
        ends = np.asarray(self.columns.end[self.global_rows(candidates)])
        return candidates[ends > begin].astype(np.int64)

    def overlapping(self, k: int, begin: int, end: int, min_duration: int = 0) -> np.ndarray:
        """Selection positions of location k's rows overlapping the window, in start order."""
        head, middle, high = self._head_and_tail(k, begin, end)
        found = np.concatenate((head, np.arange(middle, high, dtype=np.int64)))
        if min_duration > 0 and len(found):
            rows = self.global_rows(found)
            duration = np.asarray(self.columns.end[rows]) - np.asarray(self.columns.start[rows])
            found = found[duration >= min_duration]
        return found

    def page(
        self,
        locations: list[int],
        begin: int,
        end: int,
        *,
        min_duration: int,
        limit: int,
        offset: int,
    ) -> tuple[np.ndarray, int]:
        """(column rows of the page, total matches), in location order then start order.

        Without `min_duration` only the rows of the page are read (the tail of a location
        is a range); with it, every overlapping row of the locations the page touches.
        """
        pieces: list[np.ndarray] = []
        total = 0
        wanted_lo, wanted_hi = offset, offset + limit
        for k in locations:
            if min_duration == 0:
                head, middle, high = self._head_and_tail(k, begin, end)
                size = len(head) + high - middle
                lo, hi = max(wanted_lo - total, 0), min(wanted_hi - total, size)
                if hi > lo:
                    part = head[lo:hi]
                    first, last = max(lo - len(head), 0), hi - len(head)
                    tail = np.arange(middle + first, middle + max(last, first), dtype=np.int64)
                    pieces.append(self.global_rows(np.concatenate((part, tail))))
            else:
                found = self.overlapping(k, begin, end, min_duration)
                size = len(found)
                lo, hi = max(wanted_lo - total, 0), min(wanted_hi - total, size)
                if hi > lo:
                    pieces.append(self.global_rows(found[lo:hi]))
            total += size
        rows = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
        return rows, total


#: Past this a JSON number loses digits in a browser (a double's 53-bit mantissa).
MAX_EXACT_JSON = 2**53


def json_guids(values: list[int]) -> list[int | str]:
    """GUIDs as JSON: numbers, except those a browser would round, which go as decimal
    text (APEX's 64-bit GUIDs; the panel takes both)."""
    return [str(v) if v >= MAX_EXACT_JSON else v for v in values]


def describe(columns: TraceColumns, rows: np.ndarray) -> list[dict[str, Any]]:
    """JSON-ready dicts of the given rows."""
    rows = np.asarray(rows, np.int64)
    if not len(rows):
        return []
    starts = np.asarray(columns.start[rows]).tolist()
    ends = np.asarray(columns.end[rows]).tolist()
    guids = json_guids(np.asarray(columns.guid[rows]).tolist())
    parents = json_guids(np.asarray(columns.parent[rows]).tolist())
    locations = np.asarray(columns.location[rows]).tolist()
    primitives = np.asarray(columns.primitive[rows]).tolist()
    kinds = np.asarray(columns.kind[rows]).tolist()
    names, places, kind_names = columns.primitives, columns.locations, columns.kinds
    return [
        {
            "guid": guids[i],
            "parent_guid": parents[i],
            "location": places[locations[i]],
            "primitive": names[primitives[i]],
            "display_name": display_name(names[primitives[i]]),
            "kind": kind_names[kinds[i]],
            "start": starts[i],
            "end": ends[i],
            "duration": ends[i] - starts[i],
        }
        for i in range(len(rows))
    ]


def rows_with(index: Arrays, value: int) -> np.ndarray:
    """Rows whose key equals `value` in a sorted index ({"order", "sorted"})."""
    keys = index["sorted"]
    lo = int(np.searchsorted(keys, np.uint64(value), side="left"))
    hi = int(np.searchsorted(keys, np.uint64(value), side="right"))
    return np.asarray(index["order"][lo:hi], np.int64)


def ancestry(
    columns: TraceColumns, guids: Arrays, row: int, limit: int = 10_000
) -> tuple[list[int], int | None]:
    """(rows of the parent chain nearest first, the first parent GUID without an interval)."""
    chain: list[int] = []
    seen = {int(columns.guid[row])}
    parent = int(columns.parent[row])
    while parent and len(chain) < limit:
        found = rows_with(guids, parent)
        if not len(found) or parent in seen:  # a missing parent, or a cycle in bad data
            return chain, (parent if not len(found) else None)
        seen.add(parent)
        chain.append(int(found[0]))
        parent = int(columns.parent[found[0]])
    return chain, None


def children(
    columns: TraceColumns, parents: Arrays, guid: int, limit: int
) -> tuple[np.ndarray, int]:
    """(up to `limit` child rows ordered by start, how many children there are)."""
    found = rows_with(parents, guid)
    order = np.argsort(np.asarray(columns.start[found]), kind="stable")[:limit]
    return found[order], len(found)
