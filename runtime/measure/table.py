"""The finished, compact form of a run's task events: one numpy structured array.

`EventTable` is what a `Trace` holds: one row per event (guid, parent, start, end and
small ids into the `names`, `workers` and `kinds` string tables), about 40 bytes per
event. It answers the questions writers and the profile ask (events per worker in
nesting order, the parent row of each event) with numpy, without Python objects per
event. It does not compute profiles and does not write files.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np

from jetlag.runtime.measure.events import KINDS, EventColumns, EventLog, TaskEvent

EVENT_DTYPE = np.dtype(
    [
        ("guid", "<u8"),
        ("parent", "<u8"),
        ("start", "<i8"),
        ("end", "<i8"),
        ("name", "<u4"),
        ("worker", "<u2"),
        ("kind", "<u1"),
    ]
)

#: `parent_index` value of an event whose parent has no event in the table.
NO_PARENT = -1


class EventTable:
    """Task events as a structured array plus the string tables its ids point into."""

    def __init__(
        self,
        rows: np.ndarray,
        names: Sequence[str],
        workers: Sequence[str],
        kinds: Sequence[str] = KINDS,
    ) -> None:
        if rows.dtype != EVENT_DTYPE:
            raise TypeError(f"event rows must have dtype {EVENT_DTYPE}, got {rows.dtype}")
        self.rows = rows
        self.names = list(names)
        self.workers = list(workers)
        self.kinds = list(kinds)
        self._parent_index: np.ndarray | None = None

    # -- construction ------------------------------------------------------------------

    @classmethod
    def empty(cls) -> EventTable:
        """A table without events."""
        return cls(np.zeros(0, EVENT_DTYPE), [], [])

    @classmethod
    def from_log(cls, log: EventLog) -> EventTable:
        """Copy an EventLog's per-thread columns into one array, ordered by start time."""
        buffers = log.columns()
        sizes = [len(b) for b in buffers]  # rows recorded later (a late task) are left out
        rows = np.empty(sum(sizes), EVENT_DTYPE)
        at = 0
        for buffer, size in zip(buffers, sizes, strict=True):
            # One buffer at a time: the transient copy stays one thread's worth of events.
            block = buffer.rows()[:size]
            n = len(block)
            for column, field in enumerate(EventColumns.FIELDS):
                rows[field][at : at + n] = block[:, column]
            at += n
        table = cls(rows, log.names.strings, log.workers.strings, log.kinds.strings)
        table._sort_in_place()
        return table

    @classmethod
    def from_events(cls, events: Iterable[TaskEvent]) -> EventTable:
        """Build from TaskEvent objects (any order)."""
        log = EventLog()
        for event in events:
            log.add(event)
        return cls.from_log(log)

    @classmethod
    def from_columns(
        cls,
        *,
        guid: Sequence[int] | np.ndarray,
        parent: Sequence[int] | np.ndarray,
        start: Sequence[int] | np.ndarray,
        end: Sequence[int] | np.ndarray,
        name: Sequence[int] | np.ndarray,
        worker: Sequence[int] | np.ndarray,
        kind: Sequence[int] | np.ndarray,
        names: Sequence[str],
        workers: Sequence[str],
        kinds: Sequence[str] = KINDS,
    ) -> EventTable:
        """Build from parallel columns of ids and values (e.g. read from a file)."""
        rows = np.empty(len(guid), EVENT_DTYPE)
        for field, column in zip(
            EVENT_DTYPE.names, (guid, parent, start, end, name, worker, kind), strict=True
        ):
            # The field's own dtype: a list of Python ints past 2^63 would otherwise be
            # inferred as float64 and lose its GUIDs.
            rows[field] = np.asarray(column, dtype=EVENT_DTYPE[field])
        return cls(rows, names, workers, kinds).sorted()

    def _order(self) -> np.ndarray:
        return np.lexsort((self.rows["guid"], -self.rows["end"], self.rows["start"]))

    def sorted(self) -> EventTable:
        """The same events ordered by (start, longer first, guid): outer events first."""
        return EventTable(self.rows[self._order()], self.names, self.workers, self.kinds)

    def _sort_in_place(self) -> None:
        # Field by field, so the extra memory is one column, not a second table.
        order = self._order()
        for field in EVENT_DTYPE.names:
            self.rows[field] = self.rows[field][order]
        self._parent_index = None

    # -- access ------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> TaskEvent:
        row = self.rows[index]
        return TaskEvent(
            int(row["guid"]),
            int(row["parent"]),
            self.names[row["name"]],
            self.workers[row["worker"]],
            int(row["start"]),
            int(row["end"]),
            self.kinds[row["kind"]],
        )

    def __iter__(self) -> Iterator[TaskEvent]:
        for index in range(len(self.rows)):
            yield self[index]

    def kind_code(self, kind: str) -> int:
        """The id of `kind` in this table (-1 when no event has it)."""
        return self.kinds.index(kind) if kind in self.kinds else -1

    @property
    def nbytes(self) -> int:
        """Bytes held by the event rows."""
        return int(self.rows.nbytes)

    def span(self) -> tuple[int, int]:
        """(first start, last end) in ns, (0, 0) when empty."""
        if not len(self.rows):
            return 0, 0
        return int(self.rows["start"].min()), int(self.rows["end"].max())

    def by_worker(self) -> Iterator[tuple[int, np.ndarray]]:
        """(worker id, row indices) per worker, rows in nesting order (start, longer first)."""
        if not len(self.rows):
            return
        workers = self.rows["worker"]
        # The table is sorted by start already; a stable sort keeps that order per worker.
        order = np.argsort(workers, kind="stable")
        bounds = np.flatnonzero(np.diff(workers[order])) + 1
        for chunk in np.split(order, bounds):
            yield int(workers[chunk[0]]), chunk

    def parent_index(self) -> np.ndarray:
        """For each row the row index of its parent event, or NO_PARENT."""
        if self._parent_index is None:
            guids = self.rows["guid"]
            order = np.argsort(guids, kind="stable")
            sorted_guids = guids[order]
            parents = self.rows["parent"]
            at = np.searchsorted(sorted_guids, parents)
            at_clipped = np.minimum(at, max(len(sorted_guids) - 1, 0))
            found = (at < len(sorted_guids)) & (sorted_guids[at_clipped] == parents)
            result = np.full(len(guids), NO_PARENT, dtype=np.int64)
            result[found] = order[at_clipped[found]]
            self._parent_index = result
        return self._parent_index

    def roots(self) -> set[int]:
        """Parent GUIDs that have no event in the table (a single run has exactly one)."""
        missing = self.parent_index() == NO_PARENT
        return {int(g) for g in np.unique(self.rows["parent"][missing])}
