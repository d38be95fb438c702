"""A trace's bulk data as memory-mappable NumPy columns (the store's columnar form).

Layout of one trace directory (written by `write_columns`, read by `TraceColumns.open`):

  columns.json            format/version, origin_ns, clock_offset_ns, span, string tables
                          (locations, primitives, kinds, counter names and units)
  events/start.npy        int64   ns from the trace's start (origin_ns), sorted per location
  events/end.npy          int64   same clock
  events/location.npy     uint16  index into `locations` (a worker thread; "node/thread" later)
  events/primitive.npy    uint32  index into `primitives` (instance names: `dot$12$15`,
                                  `dot$12$15#chunk`, function calls)
  events/kind.npy         uint8   index into `kinds` (task, inline, chunk, call)
  events/guid.npy         uint64  the task's GUID
  events/parent.npy       uint64  its Parent GUID (0: none)
  events/location_offsets.npy int64 [L+1]: rows of location k are [off[k], off[k+1])
  counters/time.npy       int64   ns from origin_ns, sorted per series
  counters/series.npy     uint16  index into counter names
  counters/value.npy      float64
  counters/series_offsets.npy int64 [S+1]

Rows of one location are ordered by (start, longer first, GUID): an enclosing interval
comes before the ones nested in it. Every file is written with `np.save` (no pickle:
plain dtypes only) and opened with `mmap_mode="r"`, so a server answers queries on a
10M-event trace without reading it into memory. This module only writes and maps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.measure.counters import Counters
    from jetlag.runtime.measure.table import EventTable

FORMAT = "jetlag-columns"
VERSION = 1
COLUMNS_FILE = "columns.json"
EVENT_COLUMNS = ("start", "end", "location", "primitive", "kind", "guid", "parent")
COUNTER_COLUMNS = ("time", "series", "value")


def _save(path: Path, array: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def _offsets(keys: np.ndarray, count: int) -> np.ndarray:
    """[count+1] boundaries of the runs of each key 0..count-1 in sorted `keys`."""
    return np.searchsorted(keys, np.arange(count + 1)).astype(np.int64)


def write_columns(
    events: EventTable,
    counters: Counters | None,
    directory: str | Path,
    *,
    clock_offset_ns: int | None = None,
) -> dict[str, Any]:
    """Write the columnar form of `events` (and `counters`) into `directory`.

    Returns the `columns.json` document (also written, last). Times become ns from the
    trace's first timestamp, so queries name windows from 0.
    """
    directory = Path(directory)
    rows = events.rows
    counter_time, counter_series, counter_value = (
        counters.columns()
        if counters is not None and len(counters)
        else (np.zeros(0, np.int64), np.zeros(0, np.uint16), np.zeros(0, np.float64))
    )
    starts = [int(rows["start"].min())] if len(rows) else []
    if len(counter_time):
        starts.append(int(np.min(counter_time)))
    origin = min(starts) if starts else 0

    order = np.lexsort((rows["guid"], -rows["end"], rows["start"], rows["worker"]))
    location = rows["worker"][order].astype(np.uint16)
    columns = {
        "start": (rows["start"][order] - origin).astype(np.int64),
        "end": (rows["end"][order] - origin).astype(np.int64),
        "location": location,
        "primitive": rows["name"][order].astype(np.uint32),
        "kind": rows["kind"][order].astype(np.uint8),
        "guid": rows["guid"][order].astype(np.uint64),
        "parent": rows["parent"][order].astype(np.uint64),
    }
    for name, column in columns.items():
        _save(directory / "events" / f"{name}.npy", column)
    _save(directory / "events" / "location_offsets.npy", _offsets(location, len(events.workers)))

    series = np.asarray(counter_series, np.uint16)
    corder = np.lexsort((np.asarray(counter_time), series))
    names = list(counters.names) if counters is not None else []
    units = list(counters.units) if counters is not None else []
    _save(directory / "counters" / "time.npy", (np.asarray(counter_time)[corder] - origin))
    _save(directory / "counters" / "series.npy", series[corder])
    _save(directory / "counters" / "value.npy", np.asarray(counter_value, np.float64)[corder])
    _save(directory / "counters" / "series_offsets.npy", _offsets(series[corder], len(names)))

    end = int(columns["end"].max()) if len(rows) else 0
    if len(counter_time):
        end = max(end, int(np.max(counter_time)) - origin)
    document = {
        "format": FORMAT,
        "version": VERSION,
        "events": int(len(rows)),
        "origin_ns": origin,
        "clock_offset_ns": clock_offset_ns,
        "span_ns": [0, end],
        "locations": list(events.workers),
        "primitives": list(events.names),
        "kinds": list(events.kinds),
        "counters": [{"name": n, "unit": u} for n, u in zip(names, units, strict=True)],
    }
    (directory / COLUMNS_FILE).write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    return document


@dataclass
class TraceColumns:
    """A trace's columns, memory-mapped read-only (see the module docstring)."""

    directory: Path
    document: dict[str, Any]
    start: np.ndarray
    end: np.ndarray
    location: np.ndarray
    primitive: np.ndarray
    kind: np.ndarray
    guid: np.ndarray
    parent: np.ndarray
    location_offsets: np.ndarray
    counter_time: np.ndarray
    counter_series: np.ndarray
    counter_value: np.ndarray
    series_offsets: np.ndarray

    @classmethod
    def open(cls, directory: str | Path) -> TraceColumns:
        """Map the columns of the trace in `directory`; a clear error when it is not one."""
        directory = Path(directory)
        path = directory / COLUMNS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"{directory} holds no columnar trace ({COLUMNS_FILE})")
        document = json.loads(path.read_text("utf-8"))
        if document.get("format") != FORMAT or document.get("version", 0) > VERSION:
            raise ValueError(
                f"{path}: format {document.get('format')!r} version "
                f"{document.get('version')!r} is not {FORMAT!r} <= {VERSION}; upgrade JetLag"
            )

        def load(sub: str, name: str) -> np.ndarray:
            array = np.load(directory / sub / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            return array

        events = {name: load("events", name) for name in EVENT_COLUMNS}
        return cls(
            directory=directory,
            document=document,
            location_offsets=np.asarray(load("events", "location_offsets")),
            counter_time=load("counters", "time"),
            counter_series=load("counters", "series"),
            counter_value=load("counters", "value"),
            series_offsets=np.asarray(load("counters", "series_offsets")),
            **events,
        )

    def __len__(self) -> int:
        return int(self.document["events"])

    @property
    def locations(self) -> list[str]:
        """Location (worker) names, by index."""
        return self.document["locations"]

    @property
    def primitives(self) -> list[str]:
        """Primitive instance names, by index."""
        return self.document["primitives"]

    @property
    def kinds(self) -> list[str]:
        """Event kinds, by index."""
        return self.document["kinds"]

    @property
    def span_ns(self) -> tuple[int, int]:
        """(0, last timestamp) in ns from the trace's start."""
        first, last = self.document["span_ns"]
        return int(first), int(last)

    def location_rows(self, index: int) -> slice:
        """The rows of location `index` (sorted by start, enclosing first)."""
        return slice(int(self.location_offsets[index]), int(self.location_offsets[index + 1]))

    def counter_rows(self, index: int) -> slice:
        """The samples of counter series `index` (sorted by time)."""
        return slice(int(self.series_offsets[index]), int(self.series_offsets[index + 1]))
