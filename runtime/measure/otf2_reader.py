"""Read an OTF2 archive (ours, or APEX's as far as its content allows) into events + counters.

Regions become event names, locations become workers, Enter/Leave pairs become events.
The task tree comes from the UINT64 attributes `GUID` and `Parent GUID` when present
(ours and APEX's); an archive without them gets made-up GUIDs and parents taken from
nesting on each location. Our `Kind` attribute restores task/inline/chunk/call (default
"task"). Metric events become counter samples; a metric recorded on a thread location is
named `<metric>@<location>`. Times are converted to ns from the archive's timer resolution.

Definitions are read through the `_otf2` binding; the per-event callbacks are raw ctypes
functions into the OTF2 C library so a million events read in seconds. Columns are
accumulated in typed arrays, never one Python object per event. This module only reads.
"""

from __future__ import annotations

import ctypes
from array import array
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.events import KINDS
from jetlag.runtime.measure.otf2_writer import (
    FUNCTION_PROPERTY,
    GUID_ATTRIBUTE,
    KIND_ATTRIBUTE,
    PARENT_ATTRIBUTE,
    ROOT_PROPERTY,
)
from jetlag.runtime.measure.table import EventTable

_U64 = (1 << 64) - 1
_METRIC_LOCATION = 3  # OTF2_LOCATION_TYPE_METRIC
_TYPE_DOUBLE, _TYPE_INT64, _TYPE_UINT64 = 10, 7, 4
_SYNTHETIC_GUIDS = 1 << 62  # made-up GUIDs stay clear of real ones


@dataclass
class OTF2Contents:
    """What an archive holds, in the trace model's terms."""

    table: EventTable
    counters: Counters
    root_guid: int | None = None
    function: str | None = None
    clock_offset_ns: int | None = None
    properties: dict[str, str] = field(default_factory=dict)


def find_anchor(path: str | Path) -> Path:
    """The `.otf2` anchor file: `path` itself, or the one file inside a directory (APEX
    writes `OTF2_archive/APEX.otf2`)."""
    path = Path(path)
    if path.is_file():
        return path
    if path.is_dir():
        found = sorted(path.glob("*.otf2")) or sorted(path.glob("*/*.otf2"))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(str(p) for p in found)
            raise ValueError(f"{path} holds several OTF2 archives ({names}); name one")
    raise FileNotFoundError(f"no OTF2 archive (*.otf2 anchor file) at {path}")


class _Definitions:
    """The global definitions the event reader needs."""

    def __init__(self) -> None:
        self.strings: dict[int, str] = {}
        self.attributes: dict[int, str] = {}
        self.locations: dict[int, tuple[int, int]] = {}  # ref -> (name ref, type)
        self.regions: dict[int, int] = {}  # ref -> name ref
        self.members: dict[int, tuple[int, int]] = {}  # ref -> (name ref, unit ref)
        self.classes: dict[int, list[int]] = {}  # metric ref -> member refs
        self.clock = (1_000_000_000, 0, 0, _U64)  # resolution, offset, length, realtime

    def string(self, ref: int) -> str:
        return self.strings.get(ref, "")

    def attribute(self, name: str) -> int | None:
        refs = [ref for ref, s in self.attributes.items() if self.string(s) == name]
        return refs[0] if refs else None


def _read_definitions(o, reader) -> tuple[_Definitions, list]:
    defs = _Definitions()

    def on_string(_, ref, text):
        defs.strings[ref] = text or ""

    def on_attribute(_, ref, name, description, kind):
        defs.attributes[ref] = name

    def on_location(_, ref, name, kind, events, group):
        defs.locations[ref] = (name, kind.value)

    def on_region(_, ref, name, canonical, *rest):
        defs.regions[ref] = name

    def on_member(_, ref, name, description, kind, mode, value_type, base, exponent, unit):
        defs.members[ref] = (name, unit)

    def on_class(_, ref, members, occurrence, recorder):
        defs.classes[ref] = list(members)

    def on_instance(_, ref, metric_class, recorder, scope, scope_ref):
        defs.classes[ref] = defs.classes.get(metric_class, [])

    def on_clock(_, resolution, offset, length, realtime=_U64):
        defs.clock = (resolution, offset, length, realtime)

    callbacks = [on_string, on_attribute, on_location, on_region, on_member, on_class]
    callbacks += [on_instance, on_clock]
    def_reader = o.Reader_GetGlobalDefReader(reader)
    cbs = o.GlobalDefReaderCallbacks_New()
    o.GlobalDefReaderCallbacks_SetStringCallback(cbs, on_string)
    o.GlobalDefReaderCallbacks_SetAttributeCallback(cbs, on_attribute)
    o.GlobalDefReaderCallbacks_SetLocationCallback(cbs, on_location)
    o.GlobalDefReaderCallbacks_SetRegionCallback(cbs, on_region)
    o.GlobalDefReaderCallbacks_SetMetricMemberCallback(cbs, on_member)
    o.GlobalDefReaderCallbacks_SetMetricClassCallback(cbs, on_class)
    o.GlobalDefReaderCallbacks_SetMetricInstanceCallback(cbs, on_instance)
    o.GlobalDefReaderCallbacks_SetClockPropertiesCallback(cbs, on_clock)
    o.Reader_RegisterGlobalDefCallbacks(reader, def_reader, cbs, None)
    o.GlobalDefReaderCallbacks_Delete(cbs)
    o.Reader_ReadAllGlobalDefinitions(reader, def_reader)
    o.Reader_CloseGlobalDefReader(reader, def_reader)
    return defs, callbacks  # the callbacks must outlive reading


def _properties(o, reader) -> dict[str, str]:
    try:
        return {
            name: o.Reader_GetProperty(reader, name) for name in o.Reader_GetPropertyNames(reader)
        }
    except o.Error:
        return {}


_ENTER = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_uint64,
    ctypes.c_uint64,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_uint32,
)
_METRIC = ctypes.CFUNCTYPE(
    ctypes.c_int,
    ctypes.c_uint64,
    ctypes.c_uint64,
    ctypes.c_void_p,
    ctypes.c_void_p,
    ctypes.c_uint32,
    ctypes.c_uint8,
    ctypes.POINTER(ctypes.c_uint8),
    ctypes.POINTER(ctypes.c_uint64),
)


class _EventCollector:
    """Pairs Enters with Leaves per location and appends finished events to columns."""

    def __init__(self, lib, defs: _Definitions) -> None:
        self.defs = defs
        self.guid_ref = defs.attribute(GUID_ATTRIBUTE)
        self.parent_ref = defs.attribute(PARENT_ATTRIBUTE)
        self.kind_ref = defs.attribute(KIND_ATTRIBUTE)
        self.columns = {k: array(t) for k, t in _COLUMN_TYPES.items()}
        self.open: dict[int, list[list[int]]] = {}
        self.kinds = list(KINDS)
        self.synthetic = _SYNTHETIC_GUIDS
        self.counters = Counters()
        self._by_id = lib.OTF2_AttributeList_GetAttributeByID
        self._by_id.argtypes = [ctypes.c_void_p, ctypes.c_uint32] + [ctypes.c_void_p] * 2
        self._by_id.restype = ctypes.c_int
        self._type, self._value = ctypes.c_uint8(), ctypes.c_uint64()
        self._type_value = (ctypes.byref(self._type), ctypes.byref(self._value))
        self.enter = _ENTER(self._on_enter)
        self.leave = _ENTER(self._on_leave)
        self.metric = _METRIC(self._on_metric)

    def _attribute(self, attrs, ref: int | None) -> int | None:
        """The value of attribute `ref` in `attrs` (one lookup by id), or None."""
        if ref is None or not attrs or self._by_id(attrs, ref, *self._type_value) != 0:
            return None
        return self._value.value

    def _on_enter(self, location, time, _, attrs, region) -> int:
        stack = self.open.setdefault(location, [])
        guid = self._attribute(attrs, self.guid_ref)
        if guid is None:
            self.synthetic += 1
            guid = self.synthetic
        parent = self._attribute(attrs, self.parent_ref)
        if parent is None:
            parent = stack[-1][2] if stack else 0
        kind = self._kind(self._attribute(attrs, self.kind_ref))
        stack.append([time, region, guid, parent, kind])
        return 0

    def _kind(self, ref: int | None) -> int:
        if ref is None:
            return 0
        text = self.defs.string(ref & 0xFFFFFFFF)
        if text not in self.kinds:
            self.kinds.append(text)
        return self.kinds.index(text)

    def _on_leave(self, location, time, _, attrs, region) -> int:
        stack = self.open.get(location)
        if not stack:
            return 0  # a Leave without Enter (a truncated archive): nothing to pair
        at = len(stack) - 1
        # With one event open there is nothing to choose between: skip reading the GUID.
        if at > 0 and self.guid_ref is not None and attrs:
            guid = self._attribute(attrs, self.guid_ref)
            # Partially overlapping events leave out of stack order; find the right one.
            while guid is not None and at > 0 and stack[at][2] != guid:
                at -= 1
        start, opened_region, guid, parent, kind = stack.pop(at)
        c = self.columns
        c["guid"].append(guid)
        c["parent"].append(parent)
        c["start"].append(start)
        c["end"].append(time)
        c["name"].append(opened_region)
        c["worker"].append(location)
        c["kind"].append(kind)
        return 0

    def _on_metric(self, location, time, _, attrs, metric, count, types, values) -> int:
        members = self.defs.classes.get(metric, [])
        name_ref, kind = self.defs.locations.get(location, (0, 0))
        suffix = "" if kind == _METRIC_LOCATION else f"@{self.defs.string(name_ref)}"
        for i in range(min(count, len(members))):
            raw = values[i]
            if types[i] == _TYPE_DOUBLE:
                value = ctypes.c_double.from_buffer(ctypes.c_uint64(raw)).value
            elif types[i] == _TYPE_INT64:
                value = float(ctypes.c_int64(raw).value)
            else:
                value = float(raw)
            name, unit = self.defs.members.get(members[i], (0, 0))
            self.counters.add(time, self.defs.string(name) + suffix, value, self.defs.string(unit))
        return 0


_COLUMN_TYPES = {
    "guid": "Q",
    "parent": "Q",
    "start": "q",
    "end": "q",
    "name": "I",
    "worker": "Q",
    "kind": "B",
}


def _read_events(o, lib, reader, defs: _Definitions) -> _EventCollector:
    collector = _EventCollector(lib, defs)
    for ref in defs.locations:
        o.Reader_SelectLocation(reader, ref)
    try:
        o.Reader_OpenDefFiles(reader)
        def_files = True
    except o.Error:
        def_files = False
    o.Reader_OpenEvtFiles(reader)
    for ref in defs.locations:
        if def_files:
            local = o.Reader_GetDefReader(reader, ref)
            if local:
                o.Reader_ReadAllLocalDefinitions(reader, local)
                o.Reader_CloseDefReader(reader, local)
        o.Reader_GetEvtReader(reader, ref)
    if def_files:
        o.Reader_CloseDefFiles(reader)
    events = o.Reader_GetGlobalEvtReader(reader)
    cbs = o.GlobalEvtReaderCallbacks_New()
    handle = ctypes.cast(cbs, ctypes.c_void_p).value
    for name, callback in (
        ("Enter", collector.enter),
        ("Leave", collector.leave),
        ("Metric", collector.metric),
    ):
        setter = getattr(lib, f"OTF2_GlobalEvtReaderCallbacks_Set{name}Callback")
        setter.argtypes, setter.restype = [ctypes.c_void_p, type(callback)], ctypes.c_int
        if setter(handle, callback):
            raise RuntimeError(f"OTF2 refused the {name} callback")
    o.GlobalEvtReader_SetCallbacks(events, cbs, None)
    o.GlobalEvtReaderCallbacks_Delete(cbs)
    o.Reader_ReadAllGlobalEvents(reader, events)
    o.Reader_CloseGlobalEvtReader(reader, events)
    o.Reader_CloseEvtFiles(reader)
    return collector


def read_otf2(path: str | Path) -> OTF2Contents:
    """Read an archive: `path` is its `.otf2` anchor file or a directory holding one."""
    try:
        import _otf2 as o
    except ImportError as error:  # pragma: no cover - depends on the installation
        raise RuntimeError(
            "reading OTF2 needs the 'otf2' Python package (pip install otf2==3.2)"
        ) from error
    anchor = find_anchor(path)
    lib = ctypes.CDLL(o.Config.lib_path())
    reader = o.Reader_Open(str(anchor))
    try:
        o.Reader_SetSerialCollectiveCallbacks(reader)
        defs, keep = _read_definitions(o, reader)
        properties = _properties(o, reader)
        collector = _read_events(o, lib, reader, defs)
    finally:
        o.Reader_Close(reader)
    del keep
    return _contents(defs, properties, collector)


def _contents(defs: _Definitions, properties: dict[str, str], got: _EventCollector) -> OTF2Contents:
    c = {k: np.frombuffer(v, dtype=_numpy_type(v.typecode)) for k, v in got.columns.items()}
    region_refs = sorted(defs.regions)
    region_index = {ref: i for i, ref in enumerate(region_refs)}
    location_refs = sorted(r for r, (_, kind) in defs.locations.items() if kind != _METRIC_LOCATION)
    location_refs += sorted(set(np.unique(c["worker"]).tolist()) - set(location_refs))
    location_index = {ref: i for i, ref in enumerate(location_refs)}
    resolution, offset, _, realtime = defs.clock
    start, end = c["start"], c["end"]
    if resolution != 1_000_000_000:
        scale = 1e9 / resolution
        start = (start * scale).astype(np.int64)
        end = (end * scale).astype(np.int64)
    table = EventTable.from_columns(
        guid=c["guid"],
        parent=c["parent"],
        start=start,
        end=end,
        name=_remap(c["name"], region_index),
        worker=_remap(c["worker"], location_index),
        kind=c["kind"],
        names=[defs.string(defs.regions[r]) for r in region_refs],
        workers=[defs.string(defs.locations.get(r, (0, 0))[0]) for r in location_refs],
        kinds=got.kinds,
    )
    root = properties.get(ROOT_PROPERTY)
    root_guid = int(root) if root and root.isdigit() else None
    if root_guid is None:
        roots = table.roots()
        root_guid = roots.pop() if len(roots) == 1 else None
    clock_offset = None
    if realtime != _U64:
        clock_offset = int(realtime) - int(offset * 1e9 / resolution)
    return OTF2Contents(
        table,
        got.counters,
        root_guid,
        properties.get(FUNCTION_PROPERTY),
        clock_offset,
        properties,
    )


def _numpy_type(code: str) -> str:
    return {"Q": "<u8", "q": "<i8", "I": "<u4", "B": "<u1"}[code]


def _remap(values: np.ndarray, index: dict[int, int]) -> np.ndarray:
    """Replace each ref by its dense index (refs may be sparse or huge)."""
    if not len(values):
        return values.astype(np.int64)
    keys = np.array(sorted(index), dtype=np.uint64)
    dense = np.array([index[k] for k in sorted(index)], dtype=np.int64)
    at = np.searchsorted(keys, values.astype(np.uint64))
    return dense[np.minimum(at, len(keys) - 1)]
