"""Task events: who ran what, when, on which worker, spawned by whom.

One `TaskEvent` per primitive evaluation, chunk or inline evaluation. The scheduler marks
the task running on each thread (`task_scope`) so chunk tasks can name their parent.

`EventLog` is the event store of one run. Recording is on the hot path of every task, so
each thread appends to its own compact buffer (one `array.array` of uint64 rows, strings
interned to small ids): no lock per event, 56 bytes per event instead of a Python
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

import numpy as np

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
    """One thread's events: rows of 7 unsigned 64-bit values in one growing array.

    A row is (guid, parent, start, end, name id, worker id, kind id). It is appended with
    one `array.extend` call, which runs no Python code in between, so a KeyboardInterrupt
    can never leave half a row behind.
    """

    __slots__ = ("data",)

    WIDTH = 7
    FIELDS = ("guid", "parent", "start", "end", "name", "worker", "kind")

    def __init__(self) -> None:
        self.data = array("Q")

    def __len__(self) -> int:
        return len(self.data) // self.WIDTH

    def rows(self, start: int = 0) -> np.ndarray:
        """A copy of the complete rows from row `start` on as an (n, 7) uint64 array."""
        data = self.data[start * self.WIDTH :] if start else self.data
        raw = data.tobytes()  # a copy taken without exporting the array's buffer
        n = len(raw) // (8 * self.WIDTH)
        return np.frombuffer(raw, dtype=np.uint64, count=n * self.WIDTH).reshape(n, self.WIDTH)


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
        # The hot path reads these dicts directly (lock-free lookups).
        self._name_ids = self.names.ids
        self._worker_ids = self.workers.ids
        self._kind_ids = self.kinds.ids

    def _buffer(self) -> EventColumns:
        buffer = EventColumns()
        with self._buffers_lock:
            self._buffers.append(buffer)
        self._local.extend = buffer.data.extend
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
            extend = self._local.extend
        except AttributeError:
            extend = self._buffer().data.extend
        name_id = self._name_ids.get(name)
        if name_id is None:
            name_id = self.names.add(name)
        worker_id = self._worker_ids.get(worker)
        if worker_id is None:
            worker_id = self.workers.add(worker)
        kind_id = self._kind_ids.get(kind)
        if kind_id is None:
            kind_id = self.kinds.add(kind)
        try:
            extend((guid, parent_guid, start_ns, end_ns, name_id, worker_id, kind_id))
        except OverflowError:
            self._drop_partial_row()
            raise ValueError(
                f"task event fields must be integers in 0..2**64-1: guid={guid}, "
                f"parent={parent_guid}, start={start_ns}, end={end_ns}"
            ) from None

    def _drop_partial_row(self) -> None:
        data = self._local.extend.__self__
        del data[len(data) - len(data) % EventColumns.WIDTH :]

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
        buffers = [b.rows() for b in self.columns()]
        if not buffers:
            return
        rows = np.concatenate(buffers)
        rows = rows[np.argsort(rows[:, 3], kind="stable")]
        names, workers, kinds = self.names.strings, self.workers.strings, self.kinds.strings
        for guid, parent, start, end, name, worker, kind in rows.tolist():
            yield TaskEvent(guid, parent, names[name], workers[worker], start, end, kinds[kind])

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
    previous = enter_task(guid, log)
    try:
        yield
    finally:
        leave_task(previous)


def enter_task(guid: int, log: EventLog | None) -> tuple[int, EventLog | None]:
    """`task_scope` without a context manager, for the per-task hot path.

    Returns what `leave_task` needs to restore the enclosing task.
    """
    local = _local
    previous = (getattr(local, "guid", 0), getattr(local, "log", None))
    local.guid = guid
    local.log = log
    return previous


def leave_task(previous: tuple[int, EventLog | None]) -> None:
    """Restore the task that `enter_task` replaced."""
    _local.guid, _local.log = previous


def now_ns() -> int:
    """Monotonic nanoseconds."""
    return time.perf_counter_ns()
