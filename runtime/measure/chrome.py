"""Write a trace as Chrome trace-event JSON, the format the Perfetto UI and chrome://tracing open.

One process; one thread track per worker (named by `M` metadata events); every task a
complete `X` slice (ts/dur in microseconds with ns decimals, so nesting is exact); a flow
arrow (`s` on the parent's slice, `f` with binding point "enclosing" on the child's) for
every child that ran on another worker than its parent, with the child's GUID as the flow
id; every counter a `C` track. Slices of one thread are written in nesting order, and on
one thread they never partially overlap as long as the events came from one real thread.

The writer streams through a size-capped sink: while the JSON stays under the cap
(default 50 MB) it is a plain `.json`; once it grows past the cap the part written so far
is compressed and the rest goes straight into `<name>.json.gz`. This module only writes.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import numpy as np

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.table import NO_PARENT, EventTable

#: Above this many bytes the JSON is written gzip-compressed.
DEFAULT_SIZE_CAP = 50 * 1024 * 1024
_PID = 1
_BLOCK = 1 << 15


class CappedSink:
    """A text sink that writes `path` until `cap` bytes, then continues as `path + '.gz'`."""

    def __init__(self, path: Path, cap: int) -> None:
        self.path = path
        self.cap = cap
        self.size = 0
        self._file = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self._compressed = False

    @property
    def final_path(self) -> Path:
        """Where the JSON ends up (`.json` or `.json.gz`)."""
        return self.path.with_name(self.path.name + ".gz") if self._compressed else self.path

    def write(self, text: str) -> None:
        """Append text, switching to gzip when the cap is crossed."""
        if not self._compressed and self.size + len(text) > self.cap:
            self._switch()
        self._file.write(text)
        self.size += len(text)

    def _switch(self) -> None:
        self._file.close()
        gz_path = self.path.with_name(self.path.name + ".gz")
        compressed = gzip.open(gz_path, "wt", encoding="utf-8")  # noqa: SIM115
        with open(self.path, encoding="utf-8") as plain:
            shutil.copyfileobj(plain, compressed, 1 << 20)
        os.remove(self.path)
        self._file = compressed
        self._compressed = True

    def close(self) -> None:
        """Flush and close."""
        self._file.close()


def _us(ns: int) -> str:
    """Non-negative ns as exact microseconds text (`1234.567`)."""
    return f"{ns // 1000}.{ns % 1000:03d}"


def write_chrome(
    table: EventTable,
    path: str | Path,
    counters: Counters | None = None,
    *,
    process_name: str = "jetlag",
    size_cap: int = DEFAULT_SIZE_CAP,
    metadata: dict | None = None,
) -> Path:
    """Write Chrome trace-event JSON to `path` (or `path.gz` past `size_cap`); returns the file.

    Times are relative to the first event or sample; `otherData.t0_ns` is that origin.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in (path, path.with_name(path.name + ".gz")):
        stale.unlink(missing_ok=True)
    origin = _origin(table, counters)
    sink = CappedSink(path, size_cap)
    try:
        other = {"t0_ns": origin, **(metadata or {})}
        sink.write(
            '{"displayTimeUnit":"ns","otherData":' + json.dumps(other) + ',"traceEvents":[\n'
        )
        lines = [_meta("process_name", 0, {"name": process_name})]
        for worker, name in enumerate(table.workers):
            lines.append(_meta("thread_name", worker, {"name": name}))
            lines.append(_meta("thread_sort_index", worker, {"sort_index": worker}))
        sink.write(",\n".join(lines))
        _write_slices(sink, table, origin)
        _write_flows(sink, table, origin)
        if counters is not None:
            _write_counters(sink, counters, origin)
        sink.write("\n]}\n")
    finally:
        sink.close()
    return sink.final_path


def _origin(table: EventTable, counters: Counters | None) -> int:
    starts = []
    if len(table):
        starts.append(table.span()[0])
    if counters is not None and len(counters):
        starts.append(counters.span()[0])
    return min(starts) if starts else 0


def _meta(name: str, tid: int, args: dict) -> str:
    return json.dumps({"ph": "M", "pid": _PID, "tid": tid, "name": name, "args": args})


def _write_slices(sink: CappedSink, table: EventTable, origin: int) -> None:
    names = [json.dumps(n) for n in table.names]
    kinds = [json.dumps(k) for k in table.kinds]
    rows = table.rows
    for worker, indices in table.by_worker():
        for at in range(0, len(indices), _BLOCK):
            block = rows[indices[at : at + _BLOCK]]
            lines = [
                f'{{"ph":"X","pid":{_PID},"tid":{worker},"ts":{_us(s - origin)},'
                f'"dur":{_us(e - s)},"name":{names[n]},"cat":{kinds[k]},'
                f'"args":{{"guid":{g},"parent":{p}}}}}'
                for s, e, n, k, g, p in zip(
                    block["start"].tolist(),
                    block["end"].tolist(),
                    block["name"].tolist(),
                    block["kind"].tolist(),
                    block["guid"].tolist(),
                    block["parent"].tolist(),
                    strict=True,
                )
            ]
            sink.write(",\n" + ",\n".join(lines))


def _write_flows(sink: CappedSink, table: EventTable, origin: int) -> None:
    rows = table.rows
    parents = table.parent_index()
    child = np.flatnonzero(parents != NO_PARENT)
    parent = parents[child]
    across = rows["worker"][child] != rows["worker"][parent]
    child, parent = child[across], parent[across]
    for at in range(0, len(child), _BLOCK):
        c, p = child[at : at + _BLOCK], parent[at : at + _BLOCK]
        lines = []
        # The arrow leaves at the parent's start (so it binds to the parent's own slice)
        # and arrives at the child's start, bound to the enclosing (child) slice.
        for guid, ptid, pstart, ctid, cstart in zip(
            rows["guid"][c].tolist(),
            rows["worker"][p].tolist(),
            rows["start"][p].tolist(),
            rows["worker"][c].tolist(),
            rows["start"][c].tolist(),
            strict=True,
        ):
            lines.append(
                f'{{"ph":"s","pid":{_PID},"tid":{ptid},"ts":{_us(pstart - origin)},'
                f'"id":{guid},"name":"spawn","cat":"spawn"}}'
            )
            lines.append(
                f'{{"ph":"f","bp":"e","pid":{_PID},"tid":{ctid},"ts":{_us(cstart - origin)},'
                f'"id":{guid},"name":"spawn","cat":"spawn"}}'
            )
        sink.write(",\n" + ",\n".join(lines))


def _write_counters(sink: CappedSink, counters: Counters, origin: int) -> None:
    times, ids, values = counters.columns()
    names = [json.dumps(n) for n in counters.names]
    for at in range(0, len(times), _BLOCK):
        lines = [
            f'{{"ph":"C","pid":{_PID},"ts":{_us(max(t - origin, 0))},"name":{names[i]},'
            f'"args":{{"value":{json.dumps(v if np.isfinite(v) else 0.0)}}}}}'
            for t, i, v in zip(
                times[at : at + _BLOCK].tolist(),
                ids[at : at + _BLOCK].tolist(),
                values[at : at + _BLOCK].tolist(),
                strict=True,
            )
        ]
        sink.write(",\n" + ",\n".join(lines))
