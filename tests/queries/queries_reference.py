"""Small traces with known answers, and brute-force answers computed per pixel in Python.

`write_trace` writes rows through the real path (EventTable.from_columns -> write_columns);
the `reference_*` functions recompute what the queries answer directly from the rows read
back, one bin at a time with plain loops -- slow, obvious, and independent of the derived
indices they check.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.store.columns import TraceColumns, write_columns

KINDS = ("task", "inline", "chunk", "call")


def write_trace(
    directory: Path,
    rows: Sequence[tuple],
    *,
    locations: Sequence[str],
    names: Sequence[str],
    counters: Counters | None = None,
) -> TraceColumns:
    """Rows (location, start, end, primitive, guid, parent, kind) -> columns in `directory`."""
    table = EventTable.from_columns(
        guid=[r[4] for r in rows],
        parent=[r[5] for r in rows],
        start=[r[1] for r in rows],
        end=[r[2] for r in rows],
        name=[r[3] for r in rows],
        worker=[r[0] for r in rows],
        kind=[KINDS.index(r[6]) for r in rows],
        names=names,
        workers=locations,
        kinds=KINDS,
    )
    write_columns(table, counters, directory)
    return TraceColumns.open(directory)


def nested_rows(
    seed: int, locations: int, primitives: int, *, per_location: int = 25, empty: int | None = None
) -> list[tuple]:
    """Random properly nested intervals per location, with touching, zero-length and
    same-start/same-end children; location `empty` gets none. The first starts at 0."""
    rng = random.Random(seed)
    rows: list[tuple] = []
    guid = [1]

    def grow(k: int, start: int, end: int, parent: int, depth: int) -> None:
        at = start
        while at < end and len(rows) < 10_000:
            if rng.random() < 0.15:
                at += rng.randint(0, 3)  # small gaps, sometimes none (touching siblings)
            length = rng.choice([0, 1, 2, 5, 13, 40, 100]) if rng.random() < 0.9 else end - at
            s, e = at, min(at + length, end)
            guid[0] += 1
            me = guid[0]
            kind = "task" if depth == 0 else rng.choice(["inline", "chunk"])
            rows.append((k, s, e, rng.randrange(primitives), me, parent, kind))
            if depth < 3 and e - s > 3 and rng.random() < 0.6:
                grow(k, s, e, me, depth + 1)
            at = e + rng.randint(0, 20)
            if depth == 0 and sum(1 for r in rows if r[0] == k) >= per_location:
                return

    for k in range(locations):
        if k == empty:
            continue
        grow(k, rng.randint(0, 30) if k else 0, 2000 + rng.randint(0, 500), 1, 0)
    return rows


def read_rows(columns: TraceColumns) -> list[tuple[int, int, int, int, int, int, int]]:
    """(location, start, end, primitive, guid, parent, row) per row, from the columns."""
    return [
        (
            int(columns.location[i]),
            int(columns.start[i]),
            int(columns.end[i]),
            int(columns.primitive[i]),
            int(columns.guid[i]),
            int(columns.parent[i]),
            i,
        )
        for i in range(len(columns))
    ]


def edges(begin: int, end: int, bins: int) -> list[Fraction]:
    """Exact bin edges."""
    return [begin + Fraction(end - begin) * i / bins for i in range(bins + 1)]


def union(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merged [s, e) runs of non-empty intervals."""
    merged: list[list[int]] = []
    for s, e in sorted(i for i in intervals if i[1] > i[0]):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    return [(s, e) for s, e in merged]


def overlap(s: Fraction | int, e: Fraction | int, a: Fraction, b: Fraction) -> Fraction:
    """Length of [s, e) inside [a, b)."""
    return max(Fraction(0), min(Fraction(e), b) - max(Fraction(s), a))


def reference_busy(rows, location: int, begin: int, end: int, bins: int, keep=None) -> list[float]:
    """Busy fraction per bin of one location: union of its (kept) intervals, per pixel."""
    runs = union([(r[1], r[2]) for r in rows if r[0] == location and (keep is None or keep(r))])
    cuts = edges(begin, end, bins)
    answer = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        busy = sum((overlap(s, e, a, b) for s, e in runs), Fraction(0))
        answer.append(float(busy / (b - a)))
    return answer


def reference_exclusive(rows, location: int, begin: int, end: int, bins: int, keep=None):
    """Per bin {primitive: exclusive time}: at each moment the innermost running interval
    (latest in row order among those containing it) gets the time."""
    mine = [r for r in rows if r[0] == location and r[2] > r[1] and (keep is None or keep(r))]
    points = sorted({p for r in mine for p in (r[1], r[2])})
    pieces = []
    for x, y in zip(points[:-1], points[1:], strict=True):
        running = [r for r in mine if r[1] <= x and r[2] >= y]
        if running:
            pieces.append((x, y, max(running, key=lambda r: r[6])[3]))
    cuts = edges(begin, end, bins)
    answer = []
    for a, b in zip(cuts[:-1], cuts[1:], strict=True):
        times: dict[int, Fraction] = {}
        for x, y, p in pieces:
            part = overlap(x, y, a, b)
            if part:
                times[p] = times.get(p, Fraction(0)) + part
        answer.append(times)
    return answer


def reference_overlapping(rows, begin: int, end: int, locations=None, keep=None) -> list[int]:
    """Row numbers overlapping [begin, end), location order then row order."""
    chosen = [
        r
        for r in rows
        if r[1] < end
        and r[2] > begin
        and (keep is None or keep(r))
        and (locations is None or r[0] in locations)
    ]
    order = {k: i for i, k in enumerate(locations)} if locations is not None else None
    chosen.sort(key=lambda r: ((order[r[0]] if order else r[0]), r[6]))
    return [r[6] for r in chosen]
