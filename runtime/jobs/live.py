"""Live task events: the runner's growing record of a running job, as numbered chunk files.

While a job runs, `LiveWriter` (a thread of the runner) writes the task events recorded
since its last look into the job folder's `live/` every couple of seconds, one chunk per
flush: `live/events-000001.npz`, `events-000002.npz`, ... Each chunk is written under a
temporary name and renamed into place, so a reader (or a copy to another machine) sees
whole chunks only, and a crash loses at most the events of one interval. A chunk holds
the new event rows (uint64, the EventLog's 7 columns) and the string tables as they are
then (names, workers, kinds only grow, so ids stay valid), as plain arrays: `.npz` read
with `allow_pickle=False`, never pickle. `read_chunks` checks and reads them back;
`LiveEvents` accumulates them into an `EventTable`. The final trace replaces the live
one when the job ends (live_import.py); this module only writes and reads chunks.
"""

from __future__ import annotations

import io
import logging
import os
import re
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jetlag.runtime.jobs.package import write_atomic
from jetlag.runtime.measure.events import EventColumns, EventLog
from jetlag.runtime.measure.table import EventTable

log = logging.getLogger(__name__)

#: The job folder's subfolder of chunk files.
LIVE_DIR = "live"
#: Environment variable: seconds between two flushes in the runner (0 turns them off).
LIVE_INTERVAL_ENV = "JETLAG_LIVE_INTERVAL_S"
DEFAULT_INTERVAL_S = 2.0
#: Environment variable: the folder the runner writes chunks into, instead of the job
#: folder's live/ (a Tapis app points it into the output folder Tapis can list).
LIVE_FOLDER_ENV = "JETLAG_LIVE_DIR"
CHUNK = re.compile(r"events-(\d{6})\.npz")
#: A chunk bigger than this is not read (a live view is a preview; the final trace is whole).
MAX_CHUNK_BYTES = 256 << 20
_WIDTH = EventColumns.WIDTH


def chunk_name(index: int) -> str:
    """The file name of chunk `index` (1, 2, ...); names sort in chunk order."""
    return f"events-{index:06d}.npz"


def chunk_index(name: str) -> int | None:
    """The index of a chunk file name, None for any other name."""
    match = CHUNK.fullmatch(name)
    return int(match.group(1)) if match else None


def seconds_from_environment(name: str, default: float) -> float:
    """The seconds in environment variable `name`; `default` when unset, not a number or
    negative (a live view is a preview: a bad setting must not stop a job)."""
    try:
        value = float(os.environ.get(name, "") or default)
    except ValueError:
        return default
    return value if value >= 0 else default  # NaN compares False: the default too


def interval_from_environment() -> float:
    """The runner's flush interval: $JETLAG_LIVE_INTERVAL_S, default 2 s (0: no chunks)."""
    return seconds_from_environment(LIVE_INTERVAL_ENV, DEFAULT_INTERVAL_S)


def write_chunk(folder: Path, index: int, rows: np.ndarray, event_log: EventLog, offset: int):
    """Write chunk `index` atomically (temporary name, then rename); returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez(
        buffer,
        rows=np.ascontiguousarray(rows, dtype=np.uint64).reshape(-1, _WIDTH),
        names=np.array(list(event_log.names.strings), dtype=np.str_),
        workers=np.array(list(event_log.workers.strings), dtype=np.str_),
        kinds=np.array(list(event_log.kinds.strings), dtype=np.str_),
        clock_offset_ns=np.array(offset, dtype=np.int64),
    )
    final = folder / chunk_name(index)
    write_atomic(final, buffer.getvalue())
    return final


class LiveWriter:
    """The runner's thread that flushes new task events as chunks (module docstring)."""

    def __init__(
        self, folder: Path, event_log: EventLog, clock_offset_ns: int, interval_s: float
    ) -> None:
        self.folder = Path(folder)
        self.log = event_log
        self.clock_offset_ns = int(clock_offset_ns)
        self.interval_s = float(interval_s)
        #: Rows already written, per per-thread buffer (the log's buffer list only grows).
        self._written: list[int] = []
        self._index = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LiveWriter:
        """Start flushing every `interval_s` seconds."""
        self._thread = threading.Thread(target=self._run, name="jetlag-live-events", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.flush()
            except Exception as error:  # noqa: BLE001 - a live view must never stop the job
                log.warning("live task events could not be written: %s", error)
                return

    def flush(self) -> int:
        """Write the events recorded since the last flush as one chunk; returns how many."""
        blocks = []
        for position, buffer in enumerate(self.log.columns()):
            if position == len(self._written):
                self._written.append(0)
            # Only the new rows are copied; an incomplete last row is left for later.
            block = buffer.rows(self._written[position])
            if len(block):
                blocks.append(block)
                self._written[position] += len(block)
        if not blocks:
            return 0
        rows = np.concatenate(blocks)
        self._index += 1
        write_chunk(self.folder, self._index, rows, self.log, self.clock_offset_ns)
        return len(rows)

    def stop(self) -> None:
        """Stop flushing (the final trace carries every event; no last chunk is written)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)


@dataclass
class Chunk:
    """One chunk read back: its rows and the string tables as of its writing."""

    index: int
    rows: np.ndarray
    names: list[str]
    workers: list[str]
    kinds: list[str]
    clock_offset_ns: int


class BadChunk(ValueError):
    """A chunk file that is not what LiveWriter writes (named in the message)."""


def _strings(data: np.lib.npyio.NpzFile, key: str, path: Path) -> list[str]:
    array = data[key]
    if array.ndim != 1 or array.dtype.kind != "U":
        raise BadChunk(f"{path}: {key} must be a list of strings")
    return [str(text) for text in array.tolist()]


def read_chunk(path: Path) -> Chunk:
    """Read and check one chunk (BadChunk when it is not one)."""
    index = chunk_index(path.name)
    if index is None:
        raise BadChunk(f"{path} is not named like a chunk ({chunk_name(1)})")
    if path.stat().st_size > MAX_CHUNK_BYTES:
        raise BadChunk(f"{path} is larger than {MAX_CHUNK_BYTES} bytes")
    try:
        with np.load(path, allow_pickle=False) as data:
            rows = data["rows"]
            names = _strings(data, "names", path)
            workers = _strings(data, "workers", path)
            kinds = _strings(data, "kinds", path)
            offset = data["clock_offset_ns"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise BadChunk(f"{path} cannot be read: {error}") from None
    if rows.dtype != np.uint64 or rows.ndim != 2 or rows.shape[1] != _WIDTH:
        raise BadChunk(f"{path}: rows must be uint64 of shape (n, {_WIDTH})")
    if offset.shape != () or offset.dtype != np.int64:
        raise BadChunk(f"{path}: clock_offset_ns must be one int64")
    for column, table in ((4, names), (5, workers), (6, kinds)):
        if len(rows) and int(rows[:, column].max()) >= len(table):
            raise BadChunk(f"{path}: an event names string {column} beyond its table")
    return Chunk(index, rows, names, workers, kinds, int(offset))


def chunk_files(folder: Path, after: int = 0) -> Iterator[tuple[int, Path]]:
    """(index, path) of the complete chunks in `folder` with an index above `after`, in order."""
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return
    found = sorted((i, n) for n in names if (i := chunk_index(n)) is not None and i > after)
    for index, name in found:
        yield index, folder / name


@dataclass
class LiveEvents:
    """The events of a job's chunks read so far (`add` the next chunks in order)."""

    blocks: list[np.ndarray] = field(default_factory=list)
    last: Chunk | None = None

    @property
    def index(self) -> int:
        """The index of the last chunk read (0: none)."""
        return self.last.index if self.last is not None else 0

    def add(self, chunk: Chunk) -> None:
        """Take the next chunk (chunks must come in order, none missing)."""
        if chunk.index != self.index + 1:
            raise BadChunk(f"chunk {chunk.index} came after chunk {self.index}; one is missing")
        self.blocks.append(chunk.rows)
        self.last = chunk

    def read_new(self, folder: Path) -> int:
        """Read the chunks in `folder` after the last one read; returns how many."""
        count = 0
        for index, path in chunk_files(folder, self.index):
            if index != self.index + 1:
                break  # a gap: the missing one has not arrived yet
            self.add(read_chunk(path))
            count += 1
        return count

    def __len__(self) -> int:
        return sum(len(block) for block in self.blocks)

    def table(self) -> EventTable:
        """Every event read so far as an EventTable (empty before the first chunk)."""
        if self.last is None:
            return EventTable.empty()
        rows = np.concatenate(self.blocks) if self.blocks else np.zeros((0, _WIDTH), np.uint64)
        columns = {name: rows[:, i] for i, name in enumerate(EventColumns.FIELDS)}
        return EventTable.from_columns(
            guid=columns["guid"],
            parent=columns["parent"],
            start=columns["start"].astype(np.int64),
            end=columns["end"].astype(np.int64),
            name=columns["name"],
            worker=columns["worker"],
            kind=columns["kind"],
            names=self.last.names,
            workers=self.last.workers,
            kinds=self.last.kinds,
        )
