"""A background thread sampling OS counters of this process into `Counters`.

Every `interval` seconds (default 0.1) it reads, from /proc only:
  - CPU time per thread of this process (/proc/self/task/<tid>/schedstat, in ns; the
    utime+stime ticks of .../stat where schedstat is missing) -> `cpu/thread/<name>`, named
    by the Python thread whose `native_id` is <tid> (e.g. `jetlag-worker-0`);
  - CPU time of the whole process (`time.process_time_ns`) -> `cpu/process`;
  - VmRSS from /proc/self/status -> `memory/rss`;
  - a few /proc/meminfo fields -> `meminfo/<field>`.
Utilizations are % of one core over the last interval, so they need two readings: the
first sample records memory only, and `stop()` takes a final sample so even a run shorter
than one interval gets utilizations. The sampler never blocks the measured run: it is a
daemon thread that only reads files, and a vanished thread or unreadable file is skipped.
It does not record task events and does not write files.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

from jetlag.runtime.measure.counters import Counters

#: /proc/meminfo fields sampled by default.
DEFAULT_MEMINFO = ("MemFree", "MemAvailable", "Cached")
#: Seconds between samples by default.
DEFAULT_INTERVAL = 0.1

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            return file.read()
    except OSError:
        return None


def thread_cpu_ns(tid: int, proc: str = "/proc/self") -> int | None:
    """CPU time (ns) one thread of this process has used, None if it is gone."""
    text = _read(f"{proc}/task/{tid}/schedstat")
    if text:
        return int(text.split()[0])
    text = _read(f"{proc}/task/{tid}/stat")
    if not text:
        return None
    # The command name may contain spaces and parentheses; fields follow the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks * 1_000_000_000 // _TICKS_PER_S


def rss_bytes(proc: str = "/proc/self") -> int | None:
    """Resident set size of this process (VmRSS), None where /proc is unavailable."""
    text = _read(f"{proc}/status")
    if not text:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def meminfo_bytes(fields: Sequence[str], path: str = "/proc/meminfo") -> dict[str, int]:
    """The requested /proc/meminfo fields in bytes (missing fields are left out)."""
    text = _read(path) or ""
    wanted = set(fields)
    values: dict[str, int] = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in wanted:
            parts = rest.split()
            scale = 1024 if len(parts) > 1 and parts[1] == "kB" else 1
            values[key] = int(parts[0]) * scale
    return values


class CounterSampler:
    """Samples CPU and memory counters every `interval` seconds on a daemon thread.

    Use `start()`/`stop()` or `with CounterSampler() as sampler:`; `samples` is a snapshot
    of what was sampled so far, `thread_ids` maps thread names to native ids.
    """

    def __init__(
        self,
        interval: float = DEFAULT_INTERVAL,
        meminfo: Sequence[str] = DEFAULT_MEMINFO,
        counters: Counters | None = None,
        proc: str = "/proc/self",
    ) -> None:
        if interval <= 0:
            raise ValueError(f"the sampling interval must be positive, got {interval}")
        self.interval = interval
        self.meminfo = tuple(meminfo)
        self.counters = counters if counters is not None else Counters()
        self.proc = proc
        self.thread_ids: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_wall: int | None = None
        self._last_process = 0
        self._last_threads: dict[int, int] = {}
        self._sample_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> CounterSampler:
        """Take a first sample and start the background thread (idempotent)."""
        if self._thread is not None:
            return self
        self._stop.clear()
        self.sample()
        self._thread = threading.Thread(target=self._loop, name="jetlag-sampler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> Counters:
        """Stop the thread, take a final sample, and return the counters."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout=self.interval + 1.0)
            self.sample()
        return self.counters

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._thread is not None

    @property
    def samples(self) -> Counters:
        """A snapshot of the counters sampled so far."""
        return self.counters.copy()

    def __enter__(self) -> CounterSampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except Exception:  # noqa: BLE001 - a sampler must never take the process down
                continue

    # -- one sample --------------------------------------------------------------------

    def _thread_names(self) -> dict[int, str]:
        names = {}
        for thread in threading.enumerate():
            native = getattr(thread, "native_id", None)
            if native is not None:
                names[native] = thread.name
        return names

    def sample(self) -> None:
        """Read every counter now and append the values (utilizations from the 2nd call)."""
        with self._sample_lock:
            self._sample()

    def _sample(self) -> None:
        wall = time.perf_counter_ns()
        process = time.process_time_ns()
        names = self._thread_names()
        own = threading.get_native_id()
        threads: dict[int, int] = {}
        try:
            tids = [int(t) for t in os.listdir(f"{self.proc}/task")]
        except OSError:
            tids = []
        for tid in tids:
            if tid == own and self._thread is not None:
                continue  # the sampler's own thread is noise in the run's picture
            used = thread_cpu_ns(tid, self.proc)
            if used is not None:
                threads[tid] = used
        values: dict[str, tuple[float, str]] = {}
        if self._last_wall is not None and wall > self._last_wall:
            elapsed = wall - self._last_wall
            values["cpu/process"] = (100.0 * (process - self._last_process) / elapsed, "%")
            for tid, used in threads.items():
                before = self._last_threads.get(tid)
                if before is None:
                    continue
                name = names.get(tid, f"thread-{tid}")
                self.thread_ids.setdefault(name, tid)
                values[f"cpu/thread/{name}"] = (100.0 * (used - before) / elapsed, "%")
        rss = rss_bytes(self.proc)
        if rss is not None:
            values["memory/rss"] = (float(rss), "bytes")
        for key, amount in meminfo_bytes(self.meminfo).items():
            values[f"meminfo/{key}"] = (float(amount), "bytes")
        self._last_wall, self._last_process, self._last_threads = wall, process, threads
        self.counters.add_many(wall, values)
