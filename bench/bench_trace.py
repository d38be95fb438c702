"""Benchmark: one million task events through the measurement layer.

Records N synthetic task events (default 1,000,000) into an `EventLog` from several
threads exactly as the scheduler does (`log.add(TaskEvent(...))`: tasks with nested chunk
events), builds the `Trace`, and writes the OTF2 archive. Prints seconds per stage (median
and min-max of the repeats) and the memory each run needs: the growth of the process's
peak RSS (VmHWM, reset before each run through /proc/self/clear_refs) over the RSS before
the run. `--tracemalloc` adds the tracemalloc peak of one extra run (slow: it traces every
allocation). Targets from the issue: <= 200 MB and <= 60 s.

    python bench/bench_trace.py                 # 1M events, 3 repeats
    python bench/bench_trace.py --events 100000 --repeats 1
    python bench/bench_trace.py --read          # also time reading the archive back
"""

from __future__ import annotations

import argparse
import gc
import shutil
import statistics
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from jetlag.runtime.measure.events import EventLog, TaskEvent
from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2
from jetlag.runtime.measure.trace import Trace

#: Events per task: the task itself and this many chunks nested in it on its worker.
CHUNKS = 3


def record(events: int, workers: int) -> EventLog:
    """Record `events` synthetic events from `workers` threads into a new EventLog."""
    log = EventLog()
    per_worker = events // workers

    def work(index: int) -> None:
        name = f"jetlag-worker-{index}"
        guid = 1_000_000_000 * (index + 1)
        t = 1_000_000
        made = 0
        while made < per_worker:
            task = guid
            guid += 1
            chunks = min(CHUNKS, per_worker - made - 1)
            for c in range(chunks):
                log.add(
                    TaskEvent(
                        guid,
                        task,
                        f"dot${index}${c % 7}#chunk",
                        name,
                        t + 10 + 30 * c,
                        t + 30 + 30 * c,
                        "chunk",
                    )
                )
                guid += 1
            log.add(TaskEvent(task, 1, f"dot${index}${made % 7}", name, t, t + 120, "task"))
            made += chunks + 1
            t += 200

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return log


def _status_kb(field: str) -> int:
    """A field of /proc/self/status in kB (0 where /proc is unavailable)."""
    try:
        text = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    for line in text.splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def _reset_peak_rss() -> bool:
    """Reset VmHWM to the current RSS (Linux); False when not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def run_once(events: int, workers: int, directory: Path) -> dict[str, float]:
    """One pass: record, build the Trace, write OTF2. Seconds per stage, peak MB."""
    gc.collect()
    baseline = _status_kb("VmRSS")
    resettable = _reset_peak_rss()
    times = {}
    start = time.perf_counter()
    log = record(events, workers)
    times["record"] = time.perf_counter() - start
    start = time.perf_counter()
    trace = Trace.from_events(log, root_guid=1, function="bench")
    del log
    times["trace"] = time.perf_counter() - start
    start = time.perf_counter()
    write_otf2(trace.events, directory, trace.counters, OTF2Info(root_guid=1, function="bench"))
    times["otf2"] = time.perf_counter() - start
    times["total"] = times["record"] + times["trace"] + times["otf2"]
    times["peak_mb"] = (_status_kb("VmHWM") - baseline) / 1024 if resettable else float("nan")
    return times


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--read", action="store_true", help="also time Trace.from_otf2")
    parser.add_argument(
        "--tracemalloc", action="store_true", help="also measure one run with tracemalloc"
    )
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="jetlag-bench-trace-"))
    try:
        runs = [run_once(args.events, args.workers, scratch / "otf2") for _ in range(args.repeats)]
        size = sum(f.stat().st_size for f in (scratch / "otf2").rglob("*") if f.is_file())
        print(f"bench_trace: {args.events:,} events from {args.workers} threads")
        for stage in ("record", "trace", "otf2", "total"):
            values = [r[stage] for r in runs]
            print(
                f"  {stage:<7} median {statistics.median(values):7.2f} s  "
                f"(min {min(values):.2f} - max {max(values):.2f}, {len(values)} runs)"
            )
        peaks = [r["peak_mb"] for r in runs]
        peak = max(peaks)
        print(
            f"  memory: peak RSS growth per run {statistics.median(peaks):.1f} MB "
            f"(max {peak:.1f} MB)"
        )
        print(f"  OTF2 archive on disk: {size / 2**20:.1f} MB")
        if args.tracemalloc:
            gc.collect()
            tracemalloc.start()
            log = record(args.events, args.workers)
            stored = tracemalloc.get_traced_memory()[0]
            trace = Trace.from_events(log, root_guid=1, function="bench")
            del log
            write_otf2(trace.events, scratch / "otf2", trace.counters, OTF2Info(root_guid=1))
            traced_peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            print(
                f"  tracemalloc: event store {stored / 2**20:.1f} MB, peak {traced_peak / 2**20:.1f} MB"
            )
        if args.read:
            start = time.perf_counter()
            back = Trace.from_otf2(scratch / "otf2")
            print(f"  read back {len(back.events):,} events in {time.perf_counter() - start:.2f} s")
        verdict = statistics.median(r["total"] for r in runs) <= 60 and not peak > 200
        print(f"  target (<= 200 MB, <= 60 s): {'met' if verdict else 'NOT met'}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
