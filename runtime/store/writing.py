"""Write one trace's store folder: columns, meta.json, profile.json, tree and source.

`TraceSnapshot.of(trace)` takes what a save needs from a `Trace` without copying its
events (an EventTable is not changed after its run), so a background save may hold it
while the cell's caller goes on. `write_trace` fills a (partial) folder and returns the
index row; the store decides when the folder becomes visible. The folder layout is the
contract's "one trace in the store"; this module writes it and knows nothing of SQLite.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.profile import Profile
from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.measure.trace import Source, Trace
from jetlag.runtime.store.columns import write_columns
from jetlag.runtime.store.index import ROW_FIELDS

META_FILE = "meta.json"
#: The index row, written last: a complete folder that lost its row is listed again from it.
ROW_FILE = "row.json"
META_FORMAT = "jetlag-store-trace"
META_VERSION = 1
PROFILE_FILE = "profile.json"
TREE_JSON, TREE_PHYSL, SOURCE_FILE = "tree.json", "tree.physl", "source.txt"
#: Every file the traced functions came from and which function came from which.
SOURCES_JSON = "sources.json"
OTF2_DIR = "otf2"


@dataclass
class TraceSnapshot:
    """What a save writes, taken from a Trace (events shared, small parts copied)."""

    events: EventTable
    counters: Counters
    tree: ExecutionTree | None
    source: Source | None
    root_guid: int
    function: str | None
    metadata: dict[str, Any]
    profile: Profile | None = None
    location_prefix: str | None = None
    sources: dict[str, str] | None = None
    origins: dict[str, str] | None = None

    @classmethod
    def of(cls, trace: Trace, location_prefix: str | None = None) -> TraceSnapshot:
        """A snapshot of `trace`; `location_prefix` renames locations to "prefix/name"."""
        events = trace.events
        if location_prefix:
            # Same rows, new string table: nothing per event is copied.
            workers = [f"{location_prefix}/{w}" for w in events.workers]
            events = EventTable(events.rows, events.names, workers, events.kinds)
        return cls(
            events=events,
            counters=trace.counters,
            tree=trace.tree,
            source=trace.source,
            root_guid=int(trace.root_guid or 0),
            function=trace.function,
            metadata=dict(trace.metadata),
            # A profile-only trace has no events left; its computed profile is the data.
            profile=trace.__dict__.get("profile"),
            location_prefix=location_prefix or None,
            sources=dict(trace.sources),
            origins=dict(trace.origins),
        )

    def source_file(self) -> str | None:
        """The name of the file the traced function came from, when known."""
        if self.source is not None:
            return self.source.file
        return self.tree.program.source_file if self.tree is not None else None


def json_ready(value: Any) -> Any:
    """`value` as plain JSON types (tuples become lists, unknown objects their str)."""
    return json.loads(json.dumps(value, default=str))


def write_json(path: Path, document: Any) -> None:
    """Write JSON via a temporary file and a rename, so readers never see half a file."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    partial.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    os.replace(partial, path)


def _tree_counters(profile: Profile) -> dict[str, dict[str, int]]:
    return {
        name: {"count": stats["count"], "time_ns": stats["time_ns"]}
        for name, stats in profile.counters().items()
    }


def folder_bytes(directory: Path) -> int:
    """Total size of the files below `directory`."""
    total = 0
    for base, _, files in os.walk(directory):
        for name in files:
            try:
                total += os.lstat(os.path.join(base, name)).st_size
            except FileNotFoundError:  # pragma: no cover - a concurrent cache rewrite
                pass
    return total


def write_trace(snapshot: TraceSnapshot, directory: Path, fields: dict[str, Any]) -> dict[str, Any]:
    """Write the trace's folder contents into `directory`; returns the index row.

    `fields` holds the row's provenance: id, label, origin, notebook, cell, job_id,
    created_at. Files already in `directory` (an imported otf2/) are kept.
    """
    directory.mkdir(parents=True, exist_ok=True)
    metadata = json_ready(snapshot.metadata)
    if snapshot.location_prefix:
        metadata["location_prefix"] = snapshot.location_prefix
    events = snapshot.events
    write_columns(
        events, snapshot.counters, directory, clock_offset_ns=metadata.get("clock_offset_ns")
    )
    profile = snapshot.profile if snapshot.profile is not None else Profile.from_table(events)
    write_json(directory / PROFILE_FILE, profile.to_dict())
    if snapshot.tree is not None:
        counters = _tree_counters(profile)
        write_json(directory / TREE_JSON, snapshot.tree.to_json(counters=counters))
        (directory / TREE_PHYSL).write_text(snapshot.tree.physl(), encoding="utf-8")
    if snapshot.source is not None:
        (directory / SOURCE_FILE).write_text(snapshot.source.text, encoding="utf-8")
    if snapshot.sources or snapshot.origins:
        write_json(
            directory / SOURCES_JSON,
            {"files": snapshot.sources or {}, "origins": snapshot.origins or {}},
        )

    first, last = events.span()
    duration = last - first if len(events) else int(metadata.get("wall_ns", 0) or 0)
    meta = {
        "format": META_FORMAT,
        "version": META_VERSION,
        "id": fields["id"],
        "function": snapshot.function,
        "root_guid": snapshot.root_guid,
        "label": fields.get("label"),
        "origin": fields["origin"],
        "notebook": fields.get("notebook"),
        "cell": fields.get("cell"),
        "job_id": fields.get("job_id"),
        "created_at": fields["created_at"],
        "start_time": metadata.get("start_time"),
        "clock_offset_ns": metadata.get("clock_offset_ns"),
        "host": metadata.get("host", socket.gethostname()),
        "threads": metadata.get("threads", {}),
        "metadata": metadata,
        "source_file": snapshot.source_file(),
    }
    write_json(directory / META_FILE, meta)
    row = {name: meta.get(name) for name in ROW_FIELDS}
    row.update(
        events=len(events),
        locations=len(events.workers),
        duration_ns=int(duration),
        bytes=folder_bytes(directory),
    )
    write_json(directory / ROW_FILE, row)
    return row


def read_meta(directory: Path) -> dict[str, Any]:
    """The meta.json of a stored trace."""
    return json.loads((directory / META_FILE).read_text(encoding="utf-8"))
