"""Benchmark: Traveler-style trace queries on 1M and 10M intervals.

Generates a trace directly as store columns (16 locations, ~20 primitive instances, nested
like a real run: a root call on the driver, tasks on every location, each with inline or
chunk children and some grandchildren), then times one 1000-bin window over the whole trace
for `utilization`, `gantt` (16 locations) and the primitive filter, three ways:

  warm           the same TraceQueries again: median (min-max) of --repeats runs
  after restart  a fresh TraceColumns + TraceQueries on the directory, derived indices
                 already on disk (what a restarted server does first); median of 5
  first ever     the first query of its row on a fresh TraceQueries: it builds and writes
                 the derived indices it needs that the rows above did not (the first row
                 starts from a directory without any)

Then the 1M trace is written as an OTF2 archive (our writer, `GUID`/`Parent GUID`
attributes) and imported into a fresh store: median (min-max) of --import-repeats imports.

Targets from issue #15: warm median <= 20 ms at 1M and <= 100 ms at 10M; first query after
a restart <= 200 ms at 1M; import of a 1M-event OTF2 archive <= 10 s. The OS page cache is warm for "after restart" (the files were
just written); nothing here drops caches. The temp directory is removed at the end.

    python bench/bench_queries.py            # 1M and 10M
    python bench/bench_queries.py --quick    # 1M only
    python bench/bench_queries.py --sizes 20000 --repeats 2   # a smoke run
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import OtherLoad, machine_description  # noqa: E402

from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2  # noqa: E402
from jetlag.runtime.store.columns import COLUMNS_FILE, FORMAT, VERSION, TraceColumns  # noqa: E402
from jetlag.runtime.store.loading import counters_of, events_of  # noqa: E402
from jetlag.runtime.store.traces import TraceStore  # noqa: E402
from jetlag.server_ext.queries import TraceQueries  # noqa: E402

LOCATIONS = 16
#: Instance names: the root call, 16 primitives (two `dot`s), two chunk names, one more.
PRIMITIVES = [
    "run",
    "dot$3$10",
    "dot$5$12",
    "add$3$4",
    "multiply$4$8",
    "transpose$3$15",
    "exp$6$9",
    "sum$7$5",
    "subtract$8$11",
    "divide$9$7",
    "sqrt$10$3",
    "maximum$11$6",
    "power$12$9",
    "negative$13$2",
    "where$14$4",
    "argmax$15$8",
    "inverse$16$1",
    "dot$3$10#chunk",
    "dot$5$12#chunk",
    "slice$17$6",
]
KINDS = ["task", "inline", "chunk", "call"]
TASK_PRIMITIVES = np.arange(1, 17)
CHILD_PRIMITIVES = np.array([3, 4, 6, 7, 8, 9, 10, 17, 18, 19, 17, 18])
CHUNK_CODES = {17, 18}
TARGETS = {"warm": {1_000_000: 20.0, 10_000_000: 100.0}, "restart": {1_000_000: 200.0}}
IMPORT_TARGET_S = {1_000_000: 10.0}
DTYPES = {
    "start": np.int64,
    "end": np.int64,
    "location": np.uint16,
    "primitive": np.uint32,
    "kind": np.uint8,
    "guid": np.uint64,
    "parent": np.uint64,
}


def _location_rows(rng: np.random.Generator, count: int, first_guid: int) -> dict[str, np.ndarray]:
    """`count` rows of one location: tasks back to back, children and grandchildren nested."""
    tasks = count // 3 + 2
    while True:
        children = rng.integers(0, 5, tasks)
        grand = rng.random(int(children.sum())) < 0.25
        if tasks + len(grand) + int(grand.sum()) >= count:
            break
        tasks *= 2
    duration = rng.integers(2_000, 20_000, tasks)
    gap = rng.integers(100, 3_000, tasks)
    task_start = np.cumsum(gap + duration) - duration
    # Row layout per task: the task, then each child followed by its grandchild if any.
    owner = np.repeat(np.arange(tasks), children)
    first_child = np.concatenate(([0], np.cumsum(children)[:-1]))
    nth = np.arange(len(owner)) - first_child[owner]
    grand_before = np.cumsum(grand) - grand
    grand_before -= grand_before[first_child[owner]] if len(owner) else 0
    per_task = 1 + children + np.bincount(owner, weights=grand, minlength=tasks).astype(np.int64)
    task_row = np.concatenate(([0], np.cumsum(per_task)[:-1]))
    child_row = task_row[owner] + 1 + nth + grand_before
    grand_row = child_row[grand] + 1
    slot = duration[owner] // np.maximum(children[owner], 1)
    child_start = task_start[owner] + nth * slot + slot // 10 + 1
    child_end = child_start + np.maximum(slot * 6 // 10, 1)
    grand_start = child_start[grand] + (child_end[grand] - child_start[grand]) // 4 + 1
    grand_end = grand_start + np.maximum((child_end[grand] - child_start[grand]) // 2, 1)

    total = int(per_task.sum())
    start = np.empty(total, np.int64)
    end = np.empty(total, np.int64)
    primitive = np.empty(total, np.int64)
    parent_row = np.full(total, -1, np.int64)
    start[task_row], end[task_row] = task_start, task_start + duration
    start[child_row], end[child_row] = child_start, child_end
    start[grand_row], end[grand_row] = grand_start, grand_end
    primitive[task_row] = rng.choice(TASK_PRIMITIVES, tasks)
    primitive[child_row] = rng.choice(CHILD_PRIMITIVES, len(child_row))
    primitive[grand_row] = rng.choice(CHILD_PRIMITIVES[:7], len(grand_row))
    parent_row[child_row] = task_row[owner]
    parent_row[grand_row] = child_row[grand]
    kind = np.full(total, KINDS.index("inline"), np.int64)
    kind[task_row] = KINDS.index("task")
    kind[np.isin(primitive, list(CHUNK_CODES))] = KINDS.index("chunk")
    guid = first_guid + np.arange(total, dtype=np.int64)
    parent = np.where(parent_row >= 0, first_guid + parent_row, 1)  # tasks hang off the root
    return {
        "start": start[:count],
        "end": end[:count],
        "primitive": primitive[:count],
        "kind": kind[:count],
        "guid": guid[:count],
        "parent": parent[:count],
    }


def generate(directory: Path, events: int, *, locations: int = LOCATIONS, seed: int = 0) -> Path:
    """Write a synthetic trace of exactly `events` intervals as store columns into `directory`.

    The driver location (0) holds the root call (GUID 1) spanning the whole trace; every
    location's rows are in the store's order (start, longer first, GUID). Written column
    by column into memory-mapped files, one location at a time, so memory stays small.
    """
    if events < locations + 1:
        raise ValueError(f"events must be at least {locations + 1}; got {events}")
    rng = np.random.default_rng(seed)
    directory = Path(directory)
    (directory / "events").mkdir(parents=True, exist_ok=True)
    files = {
        name: np.lib.format.open_memmap(
            directory / "events" / f"{name}.npy", mode="w+", dtype=dtype, shape=(events,)
        )
        for name, dtype in DTYPES.items()
    }
    sizes = np.full(locations, events // locations, np.int64)
    sizes[: events % locations] += 1
    offsets = np.concatenate(([0], np.cumsum(sizes)))
    last_end, next_guid = 0, 2
    for k in range(locations):
        generated = int(sizes[k]) - (1 if k == 0 else 0)  # the root call is one of location 0's
        rows = _location_rows(rng, generated, next_guid)
        next_guid += generated
        at = int(offsets[k]) + (1 if k == 0 else 0)
        for name, column in rows.items():
            files[name][at : at + generated] = column
        files["location"][int(offsets[k]) : int(offsets[k + 1])] = k
        last_end = max(last_end, int(rows["end"].max()))
    root = int(offsets[0])
    files["start"][root], files["end"][root] = 0, last_end
    files["primitive"][root], files["kind"][root] = 0, KINDS.index("call")
    files["guid"][root], files["parent"][root] = 1, 0
    for column in files.values():
        column.flush()
    del files
    np.save(directory / "events" / "location_offsets.npy", offsets.astype(np.int64))
    (directory / "counters").mkdir(exist_ok=True)
    times = np.arange(0, last_end, 1_000_000, dtype=np.int64)  # cpu/process every 1 ms
    np.save(directory / "counters" / "time.npy", times)
    np.save(directory / "counters" / "series.npy", np.zeros(len(times), np.uint16))
    np.save(directory / "counters" / "value.npy", rng.uniform(50, 200, len(times)))
    np.save(directory / "counters" / "series_offsets.npy", np.array([0, len(times)], np.int64))
    document = {
        "format": FORMAT,
        "version": VERSION,
        "events": int(events),
        "origin_ns": 0,
        "clock_offset_ns": None,
        "span_ns": [0, last_end],
        "locations": ["driver"] + [f"jetlag-worker-{k}" for k in range(1, locations)],
        "primitives": list(PRIMITIVES),
        "kinds": list(KINDS),
        "counters": [{"name": "cpu/process", "unit": "%"}],
    }
    (directory / COLUMNS_FILE).write_text(json.dumps(document, indent=1) + "\n", "utf-8")
    return directory


def _ms(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return (time.perf_counter() - started) * 1e3


QUERIES: dict[str, Callable[[TraceQueries], Any]] = {
    "utilization": lambda q: q.utilization(bins=1000),
    "gantt (16 locations)": lambda q: q.gantt(bins=1000),
    "utilization primitive=dot": lambda q: q.utilization(bins=1000, primitive="dot"),
    "gantt primitive=dot$3$10": lambda q: q.gantt(bins=1000, primitive="dot$3$10"),
}


def measure(directory: Path, repeats: int) -> dict[str, dict[str, Any]]:
    """Per query: first-ever ms, warm ms list, after-restart ms list."""
    results: dict[str, dict[str, Any]] = {}
    for label, query in QUERIES.items():
        # The very first query of this kind, on a fresh instance, builds what it needs.
        first = _ms(lambda query=query: query(TraceQueries(TraceColumns.open(directory))))
        queries = TraceQueries(TraceColumns.open(directory))
        query(queries)
        warm = [_ms(lambda q=queries, query=query: query(q)) for _ in range(repeats)]
        restart = [
            _ms(lambda query=query: query(TraceQueries(TraceColumns.open(directory))))
            for _ in range(5)
        ]
        results[label] = {"first": first, "warm": warm, "restart": restart}
    return results


def measure_import(directory: Path, repeats: int) -> tuple[float, list[float]]:
    """(seconds to write the columns in `directory` as OTF2, seconds per import into a
    fresh store) -- the import is what `jetlag trace import` and an upload do."""
    columns = TraceColumns.open(directory)
    archive = directory.parent / f"{directory.name}-otf2"
    info = OTF2Info(root_guid=1, function="run")
    started = time.perf_counter()
    anchor = write_otf2(events_of(columns), archive, counters_of(columns), info)
    written = time.perf_counter() - started
    imports = []
    for round_ in range(repeats):
        store = TraceStore(directory.parent / f"store-{round_}")
        imports.append(_ms(lambda store=store: store.import_path(anchor)) / 1e3)
        store.close()
        shutil.rmtree(store.root, ignore_errors=True)
    shutil.rmtree(archive, ignore_errors=True)
    return written, imports


def _summary(times: list[float]) -> str:
    return f"{statistics.median(times):8.1f} ({min(times):.1f}-{max(times):.1f})"


def _size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1M intervals only")
    parser.add_argument("--sizes", type=int, nargs="+", help="interval counts (default 1M 10M)")
    parser.add_argument("--repeats", type=int, default=7, help="warm runs per query")
    parser.add_argument(
        "--import-repeats", type=int, default=3, help="OTF2 imports of the 1M trace (0: none)"
    )
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1_000_000] if args.quick else [1_000_000, 10_000_000])
    missed: list[str] = []
    scratch = Path(tempfile.mkdtemp(prefix="jetlag-bench-queries-"))
    load = OtherLoad()
    try:
        print(machine_description())
        print("Trace queries: one 1000-bin window over the whole trace, all 16 locations")
        print(
            f"(ms; warm: median (min-max) of {args.repeats} runs; after restart: of 5; "
            "first ever: builds the derived indices the rows above did not)\n"
        )
        for events in sizes:
            directory = scratch / f"trace-{events}"
            generate_ms = _ms(lambda d=directory, n=events: generate(d, n))
            results = measure(directory, args.repeats)
            print(
                f"{events:,} intervals (generated in {generate_ms / 1e3:.1f} s; columns "
                f"{_size(directory) / 2**20 - _size(directory / 'derived') / 2**20:.0f} MiB, "
                f"derived {_size(directory / 'derived') / 2**20:.0f} MiB)"
            )
            print(f"  {'query':28} {'warm':>22} {'after restart':>22} {'first ever (builds)':>20}")
            for label, times in results.items():
                print(
                    f"  {label:28} {_summary(times['warm']):>22} "
                    f"{_summary(times['restart']):>22} {times['first']:20.0f}"
                )
                warm_target = TARGETS["warm"].get(events)
                if warm_target and statistics.median(times["warm"]) > warm_target:
                    missed.append(f"{events:,} {label}: warm median over {warm_target:.0f} ms")
                restart_target = TARGETS["restart"].get(events)
                if restart_target and statistics.median(times["restart"]) > restart_target:
                    missed.append(f"{events:,} {label}: after restart over {restart_target:.0f} ms")
            import_target = IMPORT_TARGET_S.get(events)
            if import_target and args.import_repeats > 0:
                written, imports = measure_import(directory, args.import_repeats)
                print(
                    f"  OTF2 archive written in {written:.1f} s; imported into a fresh store in "
                    f"{_summary(imports).strip()} s (median (min-max) of {len(imports)})"
                )
                if statistics.median(imports) > import_target:
                    missed.append(f"{events:,} OTF2 import over {import_target:.0f} s")
            print()
            shutil.rmtree(directory, ignore_errors=True)
        targets = [f"warm <= {v:.0f} ms at {k:,}" for k, v in TARGETS["warm"].items()]
        targets += [f"after restart <= {v:.0f} ms at {k:,}" for k, v in TARGETS["restart"].items()]
        targets += [f"OTF2 import <= {v:.0f} s at {k:,}" for k, v in IMPORT_TARGET_S.items()]
        print(load.report())
        print("Targets: " + "; ".join(targets))
        if missed:
            print("MISSED: " + "; ".join(missed))
        else:
            print("All targets met for the sizes run.")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
