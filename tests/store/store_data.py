"""Small traces and archives shared by the store tests (each test builds what it needs fast)."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import otf2

from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.events import EventLog, TaskEvent
from jetlag.runtime.measure.trace import Trace

ROOT = 1
TEXT = "define$1$0(f, x, dot$1$13(x, x))\n"
T0 = 5_000_000_000


def small_trace(shift: int = 0) -> Trace:
    """A hand-made run of `f`: a call, a task with chunks on two workers, counters, tree."""
    log = EventLog()
    for event in (
        TaskEvent(2, ROOT, "f", "driver", 0, 1000, "call"),
        TaskEvent(3, 2, "dot$1$13", "w0", 100, 900, "task"),
        TaskEvent(4, 3, "dot$1$13#chunk", "w0", 200, 400, "chunk"),
        TaskEvent(5, 3, "dot$1$13#chunk", "w1", 210, 500, "chunk"),
        TaskEvent(6, 2, "x$1$17", "driver", 950, 950, "inline"),
    ):
        log.add(
            TaskEvent(
                event.guid,
                event.parent_guid,
                event.name,
                event.worker,
                T0 + shift + event.start_ns,
                T0 + shift + event.end_ns,
                event.kind,
            )
        )
    counters = Counters()
    counters.add(T0 + shift + 50, "cpu/process", 150.5, "%")
    counters.add(T0 + shift + 60, "memory/rss", 2.5e8, "bytes")
    counters.add(T0 + shift + 700, "cpu/process", 99.0, "%")
    tree = ExecutionTree.from_physl(TEXT, file="prog.physl")
    return Trace.from_events(
        log,
        tree,
        ("prog.physl", TEXT),
        counters,
        ROOT,
        function="f",
        threads={"driver": 11, "w0": 12},
        clock_offset_ns=1_700_000_000_000_000_000,
    )


def by_guid(trace: Trace) -> list[TaskEvent]:
    """The trace's events, in GUID order (comparable across sort orders)."""
    return sorted(trace.events, key=lambda e: e.guid)


#: (guid, parent guid, region, thread, enter, leave) of the APEX-style archive, in us.
APEX_EVENTS = (
    (100, 0, "APEX MAIN", "OS Thread 0", 10, 90),
    (101, 100, "dot$1$2", "OS Thread 0", 20, 30),
    (103, 101, "add$2$4", "OS Thread 0", 22, 28),
    (102, 100, "dot$1$2", "OS Thread 1", 40, 60),
    (104, 102, "add$2$4", "OS Thread 1", 45, 50),
)


def write_apex_archive(directory: Path) -> Path:
    """An OTF2 archive as APEX writes it (`OTF2_archive/APEX.otf2`, GUID/Parent GUID UINT64
    attributes on Enter and Leave, microsecond ticks), via the `otf2` package's writer."""
    folder = Path(directory) / "OTF2_archive"
    with otf2.writer.open(str(folder), archive_name="APEX", timer_resolution=1_000_000) as trace:
        node = trace.definitions.system_tree_node("node")
        group = trace.definitions.location_group("rank 0", system_tree_parent=node)
        guid = trace.definitions.attribute("GUID", type=otf2.Type.UINT64)
        parent = trace.definitions.attribute("Parent GUID", type=otf2.Type.UINT64)
        regions = {}
        writers = {}
        timeline = []
        for g, p, region, thread, enter, leave in APEX_EVENTS:
            if region not in regions:
                regions[region] = trace.definitions.region(region)
            if thread not in writers:
                writers[thread] = trace.event_writer(thread, group=group)
            timeline.append((enter, 0, g, p, region, thread))
            timeline.append((leave, 1, g, p, region, thread))
        for time, leave, g, p, region, thread in sorted(timeline, key=lambda e: (e[0], -e[1])):
            write = writers[thread].leave if leave else writers[thread].enter
            write(time, regions[region], attributes={guid: g, parent: p})
    return folder / "APEX.otf2"


def zip_folder(folder: Path, target: Path, top: str | None = None) -> Path:
    """Zip every file below `folder` (names relative to it, under `top/` when given)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                archive.write(path, f"{top}/{name}" if top else name)
    return target


def tar_folder(folder: Path, target: Path, mode: str = "w:gz") -> Path:
    """Tar every file below `folder` (names relative to it)."""
    with tarfile.open(target, mode) as archive:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file():
                archive.add(path, path.relative_to(folder).as_posix())
    return target


def zip_bytes(members: dict[str, bytes]) -> bytes:
    """A zip holding the given members (names written as they are)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()
