"""Write a trace's task events and counters as an OTF2 archive (what APEX writes, what
Vampir, Traveler and Debian's `otf2-print` read).

Layout: one location (CPU thread) per worker, one region per event name, every event an
Enter/Leave pair carrying the UINT64 attributes `GUID` and `Parent GUID` (APEX's names)
plus a STRING attribute `Kind` (task/inline/chunk/call) on the Enter. Counter samples are
Metric events (one metric class per counter, DOUBLE values) on an extra location of type
METRIC. Timestamps are the events' monotonic ns; the clock properties carry the offset to
wall-clock time. OTF2 rejects backwards timestamps per location, so each location's
events are emitted in nesting order with a heap of pending Leaves.

The writer streams: events are converted to Python ints in blocks, never all at once, and
the hot path calls the OTF2 C library through ctypes functions prepared once. This module
writes only; reading is otf2_reader.py.
"""

from __future__ import annotations

import ctypes
import heapq
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.table import EventTable

#: Attribute names Traveler and APEX use for the task tree.
GUID_ATTRIBUTE = "GUID"
PARENT_ATTRIBUTE = "Parent GUID"
KIND_ATTRIBUTE = "Kind"
#: Archive properties carrying what OTF2 has no field for.
ROOT_PROPERTY = "JETLAG::ROOT_GUID"
FUNCTION_PROPERTY = "JETLAG::FUNCTION"
#: Name of the metric location holding counter samples.
COUNTER_LOCATION = "counters"
_BLOCK = 1 << 16
_TAG = re.compile(r"\$(\d+)\$(\d+)(?:#|$)")


def _otf2():
    try:
        import _otf2  # the low-level binding shipped in the `otf2` wheel
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "writing OTF2 needs the 'otf2' Python package (pip install otf2==3.2)"
        ) from error
    return _otf2


class _Calls:
    """The C functions of the event hot path, with argument types set once."""

    def __init__(self, lib_path: str) -> None:
        lib = ctypes.CDLL(lib_path)
        p, u32, u64 = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64
        self.enter = self._fn(lib.OTF2_EvtWriter_Enter, [p, p, u64, u32])
        self.leave = self._fn(lib.OTF2_EvtWriter_Leave, [p, p, u64, u32])
        self.add_u64 = self._fn(lib.OTF2_AttributeList_AddUint64, [p, u32, u64])
        self.add_string = self._fn(lib.OTF2_AttributeList_AddStringRef, [p, u32, u32])
        self.metric = self._fn(
            lib.OTF2_EvtWriter_Metric,
            [p, p, u64, u32, ctypes.c_uint8, ctypes.POINTER(ctypes.c_uint8), p],
        )

    @staticmethod
    def _fn(function, argtypes):
        function.argtypes = argtypes
        function.restype = ctypes.c_int
        return function


def _check(code: int, what: str) -> None:
    if code:
        raise RuntimeError(f"OTF2 failed while writing {what} (error code {code})")


@dataclass
class OTF2Info:
    """What the writer needs besides events and counters."""

    root_guid: int = 0
    function: str = ""
    clock_offset_ns: int | None = None  # wall-clock ns minus monotonic ns
    description: str = "JetLag task trace"
    source_file: str = ""  # regions named `name$line$col` point into this file


def write_otf2(
    table: EventTable,
    directory: str | Path,
    counters: Counters | None = None,
    info: OTF2Info | None = None,
    archive_name: str = "traces",
) -> Path:
    """Write `<directory>/<archive_name>.otf2` (+ its data); returns the anchor file path.

    An existing archive of that name in `directory` is replaced.
    """
    o = _otf2()
    info = info or OTF2Info()
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for suffix in (".otf2", ".def"):
        (directory / f"{archive_name}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(directory / archive_name, ignore_errors=True)

    archive = o.Archive_Open(
        str(directory),
        archive_name,
        o.FILEMODE_WRITE,
        1024 * 1024,
        4 * 1024 * 1024,
        o.SUBSTRATE_POSIX,
        o.COMPRESSION_NONE,
    )
    # OTF2 calls back into these; they must stay referenced until the archive is closed.
    flush = o.FlushCallbacks(pre_flush=lambda *_: o.FLUSH, post_flush=None)
    try:
        o.Archive_SetFlushCallbacks(archive, flush, None)
        o.Archive_SetSerialCollectiveCallbacks(archive)
        o.Archive_SetCreator(archive, "JetLag")
        o.Archive_SetDescription(archive, info.description)
        o.Archive_SetMachineName(archive, socket.gethostname())
        o.Archive_SetProperty(archive, ROOT_PROPERTY, str(info.root_guid), True)
        if info.function:
            o.Archive_SetProperty(archive, FUNCTION_PROPERTY, info.function, True)
        strings = _Strings()
        kind_refs = [strings.ref(kind) for kind in table.kinds]
        calls = _Calls(o.Config.lib_path())
        o.Archive_OpenEvtFiles(archive)
        counts = _write_events(o, calls, archive, table, kind_refs)
        if counters is not None and len(counters):
            counts.append(_write_counters(o, calls, archive, len(table.workers), counters))
        o.Archive_CloseEvtFiles(archive)
        o.Archive_OpenDefFiles(archive)
        for location in range(len(counts)):
            o.Archive_CloseDefWriter(archive, o.Archive_GetDefWriter(archive, location))
        o.Archive_CloseDefFiles(archive)
        _write_definitions(o, archive, table, counters, counts, strings, info)
    finally:
        o.Archive_Close(archive)
        del flush
    return directory / f"{archive_name}.otf2"


class _Strings:
    """The global string table: text -> ref, in definition order."""

    def __init__(self) -> None:
        self.refs: dict[str, int] = {}

    def ref(self, text: str) -> int:
        if text not in self.refs:
            self.refs[text] = len(self.refs)
        return self.refs[text]


def _pointer(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value


def _write_events(o, calls: _Calls, archive, table: EventTable, kind_refs: list[int]) -> list[int]:
    """Enter/Leave records of every worker; returns the record count per location."""
    counts = [0] * len(table.workers)
    attributes = o.AttributeList_New()
    attrs = _pointer(attributes)
    enter, leave, add_u64, add_string = calls.enter, calls.leave, calls.add_u64, calls.add_string
    rows = table.rows
    try:
        # Every location gets an event file, even one without events, so readers find it.
        for worker in set(range(len(table.workers))) - {w for w, _ in table.by_worker()}:
            o.Archive_CloseEvtWriter(archive, o.Archive_GetEvtWriter(archive, worker))
        for worker, indices in table.by_worker():
            writer = o.Archive_GetEvtWriter(archive, worker)
            handle = _pointer(writer)
            pending: list[tuple[int, int, int, int, int]] = []  # (end, -seq, guid, parent, region)
            sequence = 0
            for at in range(0, len(indices), _BLOCK):
                block = rows[indices[at : at + _BLOCK]]
                for start, end, guid, parent, name, kind in zip(
                    block["start"].tolist(),
                    block["end"].tolist(),
                    block["guid"].tolist(),
                    block["parent"].tolist(),
                    block["name"].tolist(),
                    block["kind"].tolist(),
                    strict=True,
                ):
                    while pending and pending[0][0] <= start:
                        t, _, g, pg, region = heapq.heappop(pending)
                        code = add_u64(attrs, 0, g) | add_u64(attrs, 1, pg)
                        _check(code | leave(handle, attrs, t, region), "a Leave event")
                    code = add_u64(attrs, 0, guid) | add_u64(attrs, 1, parent)
                    code |= add_string(attrs, 2, kind_refs[kind])
                    _check(code | enter(handle, attrs, start, name), "an Enter event")
                    sequence += 1
                    heapq.heappush(pending, (end, -sequence, guid, parent, name))
            while pending:
                t, _, g, pg, region = heapq.heappop(pending)
                code = add_u64(attrs, 0, g) | add_u64(attrs, 1, pg)
                _check(code | leave(handle, attrs, t, region), "a Leave event")
            counts[worker] = 2 * len(indices)
            o.Archive_CloseEvtWriter(archive, writer)
    finally:
        o.AttributeList_Delete(attributes)
    return counts


def _write_counters(o, calls: _Calls, archive, location: int, counters: Counters) -> int:
    """Metric events for every counter sample on the metric location; returns the count."""
    times, ids, values = counters.columns()
    writer = o.Archive_GetEvtWriter(archive, location)
    handle = _pointer(writer)
    types = (ctypes.c_uint8 * 1)(o.TYPE_DOUBLE.value)
    value = (ctypes.c_double * 1)()
    for at in range(0, len(times), _BLOCK):
        for t, metric, v in zip(
            times[at : at + _BLOCK].tolist(),
            ids[at : at + _BLOCK].tolist(),
            values[at : at + _BLOCK].tolist(),
            strict=True,
        ):
            value[0] = v
            _check(calls.metric(handle, None, t, metric, 1, types, value), "a Metric event")
    o.Archive_CloseEvtWriter(archive, writer)
    return len(times)


def _write_definitions(
    o,
    archive,
    table: EventTable,
    counters: Counters | None,
    counts: list[int],
    strings: _Strings,
    info: OTF2Info,
) -> None:
    """Global definitions: clock, strings, attributes, system tree, locations, regions, metrics."""
    first, last = table.span()
    if counters is not None and len(counters):
        c_first, c_last = counters.span()
        first, last = (
            (c_first, c_last) if not len(table) else (min(first, c_first), max(last, c_last))
        )
    realtime = (
        o.UNDEFINED_TIMESTAMP.value
        if info.clock_offset_ns is None
        else max(first + info.clock_offset_ns, 0)
    )
    empty = strings.ref("")
    attribute_names = [strings.ref(n) for n in (GUID_ATTRIBUTE, PARENT_ATTRIBUTE, KIND_ATTRIBUTE)]
    descriptions = [
        strings.ref(d)
        for d in ("task id", "id of the task that spawned this one", "task/inline/chunk/call")
    ]
    machine = strings.ref(socket.gethostname())
    node_class = strings.ref("node")
    process = strings.ref(info.function or "jetlag")
    worker_names = [strings.ref(w) for w in table.workers]
    counter_location = strings.ref(COUNTER_LOCATION)
    region_names = [strings.ref(n) for n in table.names]
    source_file = strings.ref(info.source_file)
    metric_names: list[int] = []
    metric_units: list[int] = []
    if counters is not None and len(counters):
        metric_names = [strings.ref(n) for n in counters.names]
        metric_units = [strings.ref(u) for u in counters.units]

    g = o.Archive_GetGlobalDefWriter(archive)
    o.GlobalDefWriter_WriteClockProperties(g, 1_000_000_000, first, max(last - first, 0), realtime)
    for text, ref in strings.refs.items():
        o.GlobalDefWriter_WriteString(g, ref, text)
    types = (o.TYPE_UINT64, o.TYPE_UINT64, o.TYPE_STRING)
    for ref, (name, description, kind) in enumerate(
        zip(attribute_names, descriptions, types, strict=True)
    ):
        o.GlobalDefWriter_WriteAttribute(g, ref, name, description, kind)
    o.GlobalDefWriter_WriteSystemTreeNode(g, 0, machine, node_class, o.UNDEFINED_SYSTEM_TREE_NODE)
    o.GlobalDefWriter_WriteLocationGroup(
        g, 0, process, o.LOCATION_GROUP_TYPE_PROCESS, 0, o.UNDEFINED_LOCATION_GROUP
    )
    for ref, name in enumerate(worker_names):
        o.GlobalDefWriter_WriteLocation(g, ref, name, o.LOCATION_TYPE_CPU_THREAD, counts[ref], 0)
    if metric_names:
        location = len(worker_names)
        o.GlobalDefWriter_WriteLocation(
            g, location, counter_location, o.LOCATION_TYPE_METRIC, counts[location], 0
        )
    for ref, (name, text) in enumerate(zip(region_names, table.names, strict=True)):
        line = _line_of(text)
        o.GlobalDefWriter_WriteRegion(
            g,
            ref,
            name,
            name,
            empty,
            o.REGION_ROLE_FUNCTION,
            o.PARADIGM_USER,
            o.REGION_FLAG_NONE,
            source_file if line else empty,
            line,
            line,
        )
    for ref, (name, unit) in enumerate(zip(metric_names, metric_units, strict=True)):
        o.GlobalDefWriter_WriteMetricMember(
            g,
            ref,
            name,
            empty,
            o.METRIC_TYPE_OTHER,
            o.METRIC_ABSOLUTE_POINT,
            o.TYPE_DOUBLE,
            o.BASE_DECIMAL,
            0,
            unit,
        )
        o.GlobalDefWriter_WriteMetricClass(
            g, ref, [ref], o.METRIC_ASYNCHRONOUS, o.RECORDER_KIND_ABSTRACT
        )


def _line_of(instance: str) -> int:
    """The source line of a Phylanx instance name `name$line$col[#chunk]` (0 if untagged)."""
    match = _TAG.search(instance)
    return int(match.group(1)) if match else 0


def clock_offset_now() -> int:
    """Wall-clock ns minus monotonic ns, measured now (for events timed in this process)."""
    return time.time_ns() - time.perf_counter_ns()


__all__ = [
    "GUID_ATTRIBUTE",
    "PARENT_ATTRIBUTE",
    "KIND_ATTRIBUTE",
    "OTF2Info",
    "clock_offset_now",
    "write_otf2",
]
