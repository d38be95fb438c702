"""Task events: who ran what, when, on which worker, spawned by whom.

One `TaskEvent` per primitive evaluation, chunk or inline evaluation. The scheduler marks
the task running on each thread (`task_scope`) so chunk tasks can name their parent.

`EventLog` is the event store of one run. Recording is on the hot path of every task, so
each thread appends to its own compact buffers (typed `array.array` columns, strings
interned to small ids): no lock per event, about 40 bytes per event instead of a Python
object. A lock is taken only the first time a thread, a name or a worker is seen.
This module only records; it never decides anything about scheduling and never formats.
"""

from __future__ import annotations

import itertools
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_guids = itertools.count(1)
_local = threading.local()

#: The kinds the scheduler records, in the order of their codes.
KINDS: tuple[str, ...] = ("task", "inline", "chunk", "call")


def new_guid() -> int:
    """A process-unique task id (next() on itertools.count is atomic under the GIL)."""
    return next(_guids)


@dataclass(slots=True)
class TaskEvent:
    """One measured task. Times are `time.perf_counter_ns()` (monotonic)."""

    guid: int
    parent_guid: int
    name: str  # primitive instance, e.g. "dot$12$15" or "dot$12$15#chunk"
    worker: str
    start_ns: int
    end_ns: int
    kind: str  # "task" (spawned), "inline" (ran where issued), "chunk", "call"

    @property
    def duration_ns(self) -> int:
        """end - start."""
        return self.end_ns - self.start_ns


class _Interner:
    """Strings to dense ids; lookups are lock-free, only a new string takes the lock."""

    __slots__ = ("ids", "strings", "_lock")

    def __init__(self, initial: tuple[str, ...] = ()) -> None:
        self.ids: dict[str, int] = {s: i for i, s in enumerate(initial)}
        self.strings: list[str] = list(initial)
        self._lock = threading.Lock()

    def add(self, text: str) -> int:
        with self._lock:
            code = self.ids.get(text)
            if code is None:
                # Append before publishing the id, so a reader never sees an id without text.
                self.strings.append(text)
                code = self.ids[text] = len(self.strings) - 1
            return code


class EventColumns:
    """One thread's events as parallel typed columns (append-only)."""

    __slots__ = ("guid", "parent", "start", "end", "name", "worker", "kind")

    def __init__(self) -> None:
        self.guid = array("Q")
        self.parent = array("Q")
        self.start = array("q")
        self.end = array("q")
        self.name = array("I")
        self.worker = array("H")
        self.kind = array("B")

    def __len__(self) -> int:
        # `kind` is appended last, so it counts only complete rows.
        return len(self.kind)


class EventLog:
    """The compact, append-only event store of one run (per-thread buffers, no hot-path lock).

    `add(TaskEvent)` is what the scheduler calls; `record(...)` is the same without building
    a TaskEvent first. Iteration yields TaskEvents ordered by end time; `columns()` gives
    the raw per-thread columns and the string tables for building a `Trace`.
    """

    def __init__(self) -> None:
        self._local = threading.local()
        self._buffers: list[EventColumns] = []
        self._buffers_lock = threading.Lock()
        self.names = _Interner()
        self.workers = _Interner()
        self.kinds = _Interner(KINDS)

    def _buffer(self) -> EventColumns:
        buffer = EventColumns()
        with self._buffers_lock:
            self._buffers.append(buffer)
        self._local.buffer = buffer
        return buffer

    def record(
        self,
        guid: int,
        parent_guid: int,
        name: str,
        worker: str,
        start_ns: int,
        end_ns: int,
        kind: str,
    ) -> None:
        """Record one event from its fields."""
        try:
            buffer = self._local.buffer
        except AttributeError:
            buffer = self._buffer()
        name_id = self.names.ids.get(name)
        if name_id is None:
            name_id = self.names.add(name)
        worker_id = self.workers.ids.get(worker)
        if worker_id is None:
            worker_id = self.workers.add(worker)
        kind_id = self.kinds.ids.get(kind)
        if kind_id is None:
            kind_id = self.kinds.add(kind)
        buffer.guid.append(guid)
        buffer.parent.append(parent_guid)
        buffer.start.append(start_ns)
        buffer.end.append(end_ns)
        buffer.name.append(name_id)
        buffer.worker.append(worker_id)
        buffer.kind.append(kind_id)

    def add(self, event: TaskEvent) -> None:
        """Record one event."""
        self.record(
            event.guid,
            event.parent_guid,
            event.name,
            event.worker,
            event.start_ns,
            event.end_ns,
            event.kind,
        )

    def columns(self) -> list[EventColumns]:
        """The per-thread column buffers recorded so far (do not modify)."""
        with self._buffers_lock:
            return list(self._buffers)

    def __len__(self) -> int:
        return sum(len(b) for b in self.columns())

    def __iter__(self) -> Iterator[TaskEvent]:
        rows = []
        for buffer in self.columns():
            for i in range(len(buffer)):
                rows.append((buffer.end[i], buffer, i))
        rows.sort(key=lambda row: row[0])
        names, workers, kinds = self.names.strings, self.workers.strings, self.kinds.strings
        for _, b, i in rows:
            yield TaskEvent(
                b.guid[i],
                b.parent[i],
                names[b.name[i]],
                workers[b.worker[i]],
                b.start[i],
                b.end[i],
                kinds[b.kind[i]],
            )

    @property
    def events(self) -> list[TaskEvent]:
        """All events as TaskEvent objects, by end time (a copy; for small logs and tests)."""
        return list(self)


def current_guid() -> int:
    """GUID of the task running on this thread (0 at top level)."""
    return getattr(_local, "guid", 0)


def current_log() -> EventLog | None:
    """The event log of the task running on this thread, if events are recorded."""
    return getattr(_local, "log", None)


@contextmanager
def task_scope(guid: int, log: EventLog | None):
    """Mark `guid` as the running task on this thread (for parent links of chunks)."""
    previous = (getattr(_local, "guid", 0), getattr(_local, "log", None))
    _local.guid, _local.log = guid, log
    try:
        yield
    finally:
        _local.guid, _local.log = previous


def now_ns() -> int:
    """Monotonic nanoseconds."""
    return time.perf_counter_ns()
