"""Read a stored trace folder back into the runtime's `Trace` model.

The columns are the source of truth for events and counters (times go back to the
trace's own clock by adding `origin_ns`); meta.json gives the function, root GUID and
metadata; tree.physl, source.txt and profile.json the rest. This module only reads.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.profile import Profile, ProfileEntry
from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.measure.trace import Source, Trace
from jetlag.runtime.store.columns import TraceColumns
from jetlag.runtime.store.writing import (
    PROFILE_FILE,
    SOURCE_FILE,
    SOURCES_JSON,
    TREE_PHYSL,
    read_meta,
)


def events_of(columns: TraceColumns) -> EventTable:
    """The EventTable of mapped columns, on the trace's original clock."""
    origin = int(columns.document["origin_ns"])
    return EventTable.from_columns(
        guid=columns.guid,
        parent=columns.parent,
        start=np.asarray(columns.start) + origin,
        end=np.asarray(columns.end) + origin,
        name=columns.primitive,
        worker=columns.location,
        kind=columns.kind,
        names=columns.primitives,
        workers=columns.locations,
        kinds=columns.kinds,
    )


def counters_of(columns: TraceColumns) -> Counters:
    """The sampled counters of mapped columns, on the trace's original clock."""
    counters = Counters()
    series = columns.document.get("counters", [])
    for entry in series:
        counters.define(entry["name"], entry["unit"])
    origin = int(columns.document["origin_ns"])
    names = [entry["name"] for entry in series]
    for index, name in enumerate(names):
        rows = columns.counter_rows(index)
        times = (np.asarray(columns.counter_time[rows]) + origin).tolist()
        for time_ns, value in zip(times, columns.counter_value[rows].tolist(), strict=True):
            counters.add(time_ns, name, value)
    return counters


def profile_of(directory: Path) -> Profile | None:
    """The profile saved in profile.json (None when missing)."""
    path = directory / PROFILE_FILE
    if not path.is_file():
        return None
    entries = [
        ProfileEntry(
            e["instance"], e["count"], e["inclusive_ns"], e["exclusive_ns"], e["eval_direct"]
        )
        for e in json.loads(path.read_text(encoding="utf-8"))
    ]
    return Profile(entries)


def _read_sources(directory: Path) -> dict[str, dict[str, str]]:
    """sources.json's `files` and `origins` (empty when the trace has none)."""
    path = directory / SOURCES_JSON
    if not path.is_file():
        return {}
    document = json.loads(path.read_text(encoding="utf-8"))
    return {
        key: {str(k): str(v) for k, v in (document.get(key) or {}).items()}
        for key in ("files", "origins")
    }


def load_folder(directory: Path, columns: TraceColumns | None = None) -> Trace:
    """The Trace stored in `directory` (events, counters, tree, source, profile, metadata)."""
    columns = columns if columns is not None else TraceColumns.open(directory)
    meta = read_meta(directory)
    source_file = meta.get("source_file") or "<physl>"
    source = None
    if (directory / SOURCE_FILE).is_file():
        source = Source(source_file, (directory / SOURCE_FILE).read_text(encoding="utf-8"))
    tree = None
    if (directory / TREE_PHYSL).is_file():
        text = (directory / TREE_PHYSL).read_text(encoding="utf-8")
        tree = ExecutionTree.from_physl(text, file=source_file)
    sources = _read_sources(directory)
    trace = Trace(
        events_of(columns),
        counters=counters_of(columns),
        tree=tree,
        source=source,
        root_guid=int(meta.get("root_guid") or 0),
        function=meta.get("function"),
        metadata=meta.get("metadata") or {},
        sources=sources.get("files"),
        origins=sources.get("origins"),
    )
    profile = profile_of(directory)
    if profile is not None:
        # The saved profile is exact, and the only one left for a profile-only trace.
        trace.__dict__["profile"] = profile
    return trace
