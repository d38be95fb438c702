"""The one Trace model: what a run measured, in one object every other part uses.

A `Trace` holds the run's task events (a compact `EventTable`), its profile (computed
from the events on first use), its sampled counters, optionally the execution tree and
the source it came from, and metadata (function, root GUID, threads, wall-clock start).
Build it with `Trace.from_run(result, ...)` or `Trace.from_events(log, ...)`; write every
format with `trace.save(dir)`; read back with `Trace.load(dir)` or `Trace.from_otf2(path)`.
`print(trace)` shows a summary with the top primitives by time.

The model only assembles and summarizes; file formats live in their own modules
(otf2_writer/otf2_reader, chrome, archive) and measuring lives in events/sampler.
"""

from __future__ import annotations

import datetime as _dt
import math
import socket
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.ir.nodes import Node
from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.events import EventLog, TaskEvent
from jetlag.runtime.measure.otf2_writer import clock_offset_now
from jetlag.runtime.measure.profile import Profile, format_ns
from jetlag.runtime.measure.sampler import CounterSampler
from jetlag.runtime.measure.table import NO_PARENT, EventTable


@dataclass(frozen=True)
class Source:
    """The text a traced function was compiled from."""

    file: str
    text: str


EventsLike = EventLog | EventTable | Iterable[TaskEvent]
SourceLike = Source | tuple[str, str]
CountersLike = Counters | CounterSampler


class Trace:
    """Events + profile + counters + execution tree + source + metadata of one run."""

    def __init__(
        self,
        events: EventTable,
        *,
        counters: Counters | None = None,
        tree: ExecutionTree | None = None,
        source: Source | None = None,
        root_guid: int = 0,
        function: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        sources: Mapping[str, str] | None = None,
        origins: Mapping[str, str] | None = None,
    ) -> None:
        self.events = events
        self.counters = counters if counters is not None else Counters()
        self.tree = tree
        self.source = source
        self.root_guid = root_guid
        self.function = function
        self.metadata: dict[str, Any] = dict(metadata or {})
        #: Text of every file the traced functions came from (file -> text), when known:
        #: a cell's run may call functions defined in other cells, whose tags are lines
        #: of those cells.
        self.sources: dict[str, str] = dict(sources or {})
        #: The file each compiled function (PhySL define) came from (name -> file).
        self.origins: dict[str, str] = dict(origins or {})

    # -- construction ------------------------------------------------------------------

    @classmethod
    def from_events(
        cls,
        events: EventsLike,
        tree: ExecutionTree | Node | None = None,
        source: SourceLike | None = None,
        counters: CountersLike | None = None,
        root_guid: int = 0,
        *,
        function: str | None = None,
        threads: Mapping[str, int] | None = None,
        metadata: Mapping[str, Any] | None = None,
        clock_offset_ns: int | None = None,
        sources: Mapping[str, str] | None = None,
        origins: Mapping[str, str] | None = None,
    ) -> Trace:
        """Assemble a trace from an EventLog (or table, or TaskEvents) and what else is known.

        `counters` may be a CounterSampler (its samples and thread ids are taken);
        `clock_offset_ns` (wall-clock minus monotonic ns) defaults to this process's now,
        right for events timed with `now_ns()` here.
        """
        if isinstance(events, EventTable):
            table = events
        elif isinstance(events, EventLog):
            table = EventTable.from_log(events)
        else:
            table = EventTable.from_events(events)
        thread_ids = dict(threads or {})
        if isinstance(counters, CounterSampler):
            thread_ids = {**counters.thread_ids, **thread_ids}
            counters = counters.samples
        if tree is not None and not isinstance(tree, ExecutionTree):
            tree = ExecutionTree(tree)
        if isinstance(source, tuple):
            source = Source(*source)
        if source is None and tree is not None and tree.program.source_lines:
            program = tree.program
            source = Source(program.source_file, "\n".join(program.source_lines) + "\n")
        offset = clock_offset_now() if clock_offset_ns is None else clock_offset_ns
        first, _ = table.span()
        info: dict[str, Any] = {
            "host": socket.gethostname(),
            "clock_offset_ns": offset,
            "start_time": _iso(first + offset) if len(table) else None,
            "threads": thread_ids,
        }
        info.update(metadata or {})
        return cls(
            table,
            counters=counters,
            tree=tree,
            source=source,
            root_guid=root_guid,
            function=function,
            metadata=info,
            sources=sources,
            origins=origins,
        )

    @classmethod
    def from_run(
        cls,
        result: Any,
        tree: ExecutionTree | Node | None = None,
        source: SourceLike | None = None,
        counters: CountersLike | None = None,
        *,
        function: str | None = None,
        **options: Any,
    ) -> Trace:
        """A trace of a scheduler `RunResult` (its `log` and `root_guid`)."""
        log = result.log if result.log is not None else EventLog()
        return cls.from_events(
            log, tree, source, counters, result.root_guid, function=function, **options
        )

    @classmethod
    def load(cls, directory: str | Path) -> Trace:
        """Read a directory written by `save` (the OTF2 archive plus the manifest)."""
        from jetlag.runtime.measure.archive import load_trace

        return load_trace(directory)

    @classmethod
    def from_otf2(cls, path: str | Path) -> Trace:
        """Read any OTF2 archive (ours or APEX's): `.otf2` anchor file or its directory."""
        from jetlag.runtime.measure.otf2_reader import read_otf2

        contents = read_otf2(path)
        metadata: dict[str, Any] = {"otf2": str(path), "otf2_properties": contents.properties}
        if contents.clock_offset_ns is not None:
            metadata["clock_offset_ns"] = contents.clock_offset_ns
            first, _ = contents.table.span()
            metadata["start_time"] = _iso(first + contents.clock_offset_ns)
        return cls(
            contents.table,
            counters=contents.counters,
            root_guid=contents.root_guid or 0,
            function=contents.function,
            metadata=metadata,
        )

    # -- writing -----------------------------------------------------------------------

    def save(self, directory: str | Path, **options: Any) -> Path:
        """Write all formats into `directory`; returns the manifest path (see archive.py)."""
        from jetlag.runtime.measure.archive import save_trace

        return save_trace(self, directory, **options)

    def write_otf2(self, directory: str | Path) -> Path:
        """Only the OTF2 archive, into `directory`; returns its `.otf2` anchor file."""
        from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2

        info = OTF2Info(
            root_guid=self.root_guid,
            function=self.function or "",
            clock_offset_ns=self.metadata.get("clock_offset_ns"),
        )
        return write_otf2(self.events, directory, self.counters, info)

    def write_chrome(self, path: str | Path, **options: Any) -> Path:
        """Only the Chrome/Perfetto JSON; returns the file written (`.json` or `.json.gz`)."""
        from jetlag.runtime.measure.chrome import write_chrome

        options.setdefault("process_name", self.function or "jetlag")
        return write_chrome(self.events, path, self.counters, **options)

    def keep_profile_only(self) -> None:
        """Compute the profile, then drop the per-task events (trace mode "profile").

        The wall time and event count are kept in the metadata so summaries stay true.
        """
        _ = self.profile
        self.metadata["wall_ns"] = self.wall_ns
        self.metadata["events_dropped"] = len(self.events)
        self.events = EventTable.empty()

    # -- derived -----------------------------------------------------------------------

    @cached_property
    def profile(self) -> Profile:
        """Per primitive instance: count, inclusive/exclusive ns, eval_direct."""
        return Profile.from_table(self.events)

    def tree_counters(self) -> dict[str, dict[str, int]]:
        """{instance: {"count", "time_ns"}} for `tree.dot(counters=...)` and `to_json`."""
        return {
            name: {"count": stats["count"], "time_ns": stats["time_ns"]}
            for name, stats in self.profile.counters().items()
        }

    @property
    def workers(self) -> list[str]:
        """Worker (thread) names, in location order."""
        return list(self.events.workers)

    @property
    def wall_ns(self) -> int:
        """Last end minus first start of the events."""
        if not len(self.events) and "wall_ns" in self.metadata:
            return int(self.metadata["wall_ns"])
        first, last = self.events.span()
        return last - first

    def check_tree(self) -> list[str]:
        """Problems with the GUID parent chains; empty when they form one tree at root_guid."""
        rows = self.events.rows
        problems = []
        guids, counts = np.unique(rows["guid"], return_counts=True)
        if (counts > 1).any():
            problems.append(f"duplicate GUIDs: {guids[counts > 1][:5].tolist()}")
        roots = self.events.roots()
        if (rows["guid"] == self.root_guid).any():
            roots = roots - {0}  # the run's own event hangs off nothing
        if roots - {self.root_guid}:
            problems.append(
                f"events hang off GUIDs without events {sorted(roots - {self.root_guid})[:5]}, "
                f"not off the root GUID {self.root_guid}"
            )
        ancestor = self.events.parent_index()
        for _ in range(max(1, math.ceil(math.log2(max(len(rows), 2)))) + 1):
            ancestor = np.where(ancestor != NO_PARENT, ancestor[ancestor], NO_PARENT)
        if (ancestor != NO_PARENT).any():
            problems.append("the parent chains contain a cycle")
        return problems

    # -- display -----------------------------------------------------------------------

    def summary(self, top: int = 10) -> str:
        """A readable multi-line summary with the `top` primitives by inclusive time."""
        rows = self.events.rows
        kinds = ", ".join(
            f"{kind} {int((rows['kind'] == code).sum()):,}"
            for code, kind in enumerate(self.events.kinds)
            if (rows["kind"] == code).any()
        )
        title = f"JetLag trace of {self.function}" if self.function else "JetLag trace"
        if "events_dropped" in self.metadata and not len(rows):
            head = f"profile of {self.metadata['events_dropped']:,} task events"
        else:
            head = (
                f"{len(rows):,} events ({kinds or 'none'}) on {len(self.events.workers)} worker(s)"
            )
        lines = [f"{title}: {head}"]
        start = self.metadata.get("start_time")
        when = f" from {start}" if start else ""
        lines.append(f"  wall {format_ns(self.wall_ns)}{when}; root GUID {self.root_guid}")
        if len(self.counters):
            shown = ", ".join(list(self.counters)[:4])
            more = ", ..." if len(self.counters.names) > 4 else ""
            lines.append(
                f"  counters: {len(self.counters.names)} series, {len(self.counters):,} "
                f"samples ({shown}{more})"
            )
        if self.tree is not None:
            lines.append(f"  tree: {self.tree!r}")
        lines.append(f"  top {min(top, len(self.profile))} by inclusive time:")
        lines.append(self.profile.format(top))
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        name = f" {self.function}" if self.function else ""
        return (
            f"<Trace{name}: {len(self.events):,} events, {len(self.events.workers)} workers, "
            f"{len(self.counters.names)} counters>"
        )


def _iso(wall_ns: int) -> str:
    """UTC ISO-8601 text of wall-clock ns."""
    moment = _dt.datetime.fromtimestamp(wall_ns / 1e9, tz=_dt.timezone.utc)
    return moment.isoformat(timespec="milliseconds")
