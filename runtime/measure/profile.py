"""The per-primitive-instance profile of a run (APEX/Phylanx style) and its CSV form.

For every name in the events (a primitive instance such as `dot$12$15`, a chunk
`dot$12$15#chunk`, or a PhySL function call) the profile holds: count, inclusive time
(sum of end - start), exclusive time and `eval_direct` (how many evaluations ran inline,
on the thread that issued them, instead of as a spawned task).

Exclusive time is the inclusive time minus the time this thread spent inside direct
children: a child event is subtracted from its parent only when it ran on the same worker,
and only the part of it that overlaps the parent's interval. Children run concurrently by
other workers (a task's chunks taken by idle workers, tasks spawned by a call) are not
subtracted, because the parent's thread was still busy (or waiting) for that time. So for
work nested on one thread the exclusive times of a subtree add up exactly to the root's
inclusive time; with concurrency the sum over all events exceeds the wall time, as CPU
time does. This module computes and formats; it does not write files.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from jetlag.runtime.measure.table import NO_PARENT, EventTable

#: The Phylanx performance-counter CSV header (time in ns).
CSV_HEADER = ("primitive_instance", "display_name", "count", "time", "eval_direct")


def display_name(instance: str) -> str:
    """The primitive behind an instance name: `dot$12$15` -> `dot`, chunks keep `#chunk`."""
    base, _, suffix = instance.partition("#")
    name = base.split("$", 1)[0] or base
    return f"{name}#{suffix}" if suffix else name


@dataclass(frozen=True)
class ProfileEntry:
    """Measurements of one primitive instance (times in ns)."""

    instance: str
    count: int
    inclusive_ns: int
    exclusive_ns: int
    eval_direct: int

    @property
    def display_name(self) -> str:
        """The primitive's name without the `$line$col` tag."""
        return display_name(self.instance)

    @property
    def mean_ns(self) -> float:
        """Mean inclusive time of one evaluation."""
        return self.inclusive_ns / self.count if self.count else 0.0


def exclusive_times(table: EventTable) -> np.ndarray:
    """Per event: duration minus the overlap with direct children on the same worker."""
    rows = table.rows
    exclusive = (rows["end"] - rows["start"]).astype(np.int64)
    parents = table.parent_index()
    has_parent = parents != NO_PARENT
    child = np.flatnonzero(has_parent)
    parent = parents[has_parent]
    same_worker = rows["worker"][child] == rows["worker"][parent]
    child, parent = child[same_worker], parent[same_worker]
    overlap = np.minimum(rows["end"][child], rows["end"][parent]) - np.maximum(
        rows["start"][child], rows["start"][parent]
    )
    np.subtract.at(exclusive, parent, np.maximum(overlap, 0))
    return exclusive


class Profile:
    """Per-instance counters of one run: `profile["dot$1$2"].count`, `profile.top(5)`."""

    def __init__(self, entries: list[ProfileEntry]) -> None:
        self.entries = sorted(entries, key=lambda e: (-e.inclusive_ns, e.instance))
        self._by_name = {e.instance: e for e in self.entries}

    @classmethod
    def from_table(cls, table: EventTable) -> Profile:
        """Aggregate the events of a table per name."""
        rows = table.rows
        if not len(rows):
            return cls([])
        names = rows["name"].astype(np.int64)
        size = len(table.names)
        durations = rows["end"] - rows["start"]
        count = np.bincount(names, minlength=size)
        inclusive = np.zeros(size, np.int64)
        np.add.at(inclusive, names, durations)
        exclusive = np.zeros(size, np.int64)
        np.add.at(exclusive, names, exclusive_times(table))
        inline_code = table.kind_code("inline")
        direct = np.bincount(names, weights=rows["kind"] == inline_code, minlength=size)
        entries = [
            ProfileEntry(
                table.names[i],
                int(count[i]),
                int(inclusive[i]),
                int(exclusive[i]),
                int(direct[i]),
            )
            for i in np.flatnonzero(count)
        ]
        return cls(entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __iter__(self) -> Iterator[ProfileEntry]:
        return iter(self.entries)

    def __contains__(self, instance: object) -> bool:
        return instance in self._by_name

    def __getitem__(self, instance: str) -> ProfileEntry:
        return self._by_name[instance]

    def top(self, n: int = 10, by: str = "inclusive_ns") -> list[ProfileEntry]:
        """The `n` entries with the largest `by` (inclusive_ns, exclusive_ns, count...)."""
        return sorted(self.entries, key=lambda e: (-getattr(e, by), e.instance))[:n]

    def counters(self) -> dict[str, dict[str, int]]:
        """{instance: {"count", "time_ns", "exclusive_ns", "eval_direct"}} for tree exports."""
        return {
            e.instance: {
                "count": e.count,
                "time_ns": e.inclusive_ns,
                "exclusive_ns": e.exclusive_ns,
                "eval_direct": e.eval_direct,
            }
            for e in self.entries
        }

    def to_csv(self) -> str:
        """Phylanx's CSV: primitive_instance,display_name,count,time,eval_direct (ns)."""
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(CSV_HEADER)
        for e in self.entries:
            writer.writerow((e.instance, e.display_name, e.count, e.inclusive_ns, e.eval_direct))
        return out.getvalue()

    def to_dict(self) -> list[dict[str, object]]:
        """JSON-serializable rows (for REST APIs and the manifest)."""
        return [
            {
                "instance": e.instance,
                "display_name": e.display_name,
                "count": e.count,
                "inclusive_ns": e.inclusive_ns,
                "exclusive_ns": e.exclusive_ns,
                "eval_direct": e.eval_direct,
            }
            for e in self.entries
        ]

    def format(self, n: int = 10) -> str:
        """A readable table of the top `n` instances by inclusive time."""
        if not self.entries:
            return "  (no events)"
        width = max(12, *(len(e.instance) for e in self.top(n)))
        lines = [
            f"  {'instance':<{width}} {'count':>8} {'inclusive':>11} "
            f"{'exclusive':>11} {'mean':>11} {'inline':>7}"
        ]
        for e in self.top(n):
            lines.append(
                f"  {e.instance:<{width}} {e.count:>8} {format_ns(e.inclusive_ns):>11} "
                f"{format_ns(e.exclusive_ns):>11} {format_ns(e.mean_ns):>11} {e.eval_direct:>7}"
            )
        if len(self.entries) > n:
            lines.append(f"  ... {len(self.entries) - n} more")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<Profile: {len(self.entries)} instances>"


def format_ns(ns: float) -> str:
    """A duration with a readable unit: 950 ns, 12.3 us, 4.56 ms, 1.23 s."""
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if abs(ns) >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.0f} ns"


def read_profile_csv(text: str) -> Mapping[str, dict[str, int]]:
    """Parse a Phylanx-style profile CSV into {instance: {count, time, eval_direct}}."""
    reader = csv.reader(io.StringIO(text))
    header = tuple(next(reader, ()))
    if header != CSV_HEADER:
        raise ValueError(f"not a profile CSV: header {header!r}, expected {CSV_HEADER!r}")
    return {
        row[0]: {"count": int(row[2]), "time": int(row[3]), "eval_direct": int(row[4])}
        for row in reader
        if row
    }
