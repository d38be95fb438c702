"""A background thread sampling OS counters of this process into `Counters`.

Every `interval` seconds (default 0.1) it reads, from /proc only:
  - CPU time per thread of this process (/proc/self/task/<tid>/schedstat, in ns; the
    utime+stime ticks of .../stat where schedstat is missing) -> `cpu/thread/<name>`, named
    by the Python thread whose `native_id` is <tid> (e.g. `jetlag-worker-0`);
  - CPU time of the whole process (`time.process_time_ns`) -> `cpu/process`;
  - the resident set size from /proc/self/statm -> `memory/rss`;
  - a few /proc/meminfo fields -> `meminfo/<field>`.
Utilizations are % of one core over the last interval, so they need two readings. `start()`
only notes the wall and process CPU clocks (reading every thread's files costs ~40 us, which
each call of a compiled function would pay); the first background sample, an interval
later, reads everything, and `stop()` takes a final sample: a full one when the run
outlived an interval, else a light one -- `cpu/process` over the whole run and the memory
counters, no per-thread CPU (the run's events show each worker's busy time exactly). One
daemon thread (`jetlag-sampler`, started with the first sampler and idle when none runs)
samples every running sampler when it is due. The sampler never blocks the measured run: it only reads files, and a vanished
thread or unreadable file is skipped. It does not record task events and does not write
files.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.procfs import (
    PROC_FILES,
    meminfo_bytes,
    rss_bytes,
    task_path,
    thread_cpu_ns,
)

__all__ = ["CounterSampler", "meminfo_bytes", "rss_bytes", "thread_cpu_ns"]

#: /proc/meminfo fields sampled by default.
DEFAULT_MEMINFO = ("MemFree", "MemAvailable", "Cached")
#: Seconds between samples by default.
DEFAULT_INTERVAL = 0.1
#: Seconds the sampling thread stays without samplers before it exits.
IDLE_EXIT_S = 10.0


class _Ticker:
    """The one background thread that samples every running CounterSampler when due.

    Creating and joining a thread per traced call cost ~0.1 ms of a call's ~0.5 ms of
    measuring, and a call shorter than an interval needs no background sample at all. Nor
    is the thread woken when a call starts: that wake-up made it compete with the starting
    run for the GIL (~45 us a call). It looks for due samplers at least every
    DEFAULT_INTERVAL instead, is notified only for a sampler due before its next look, and
    exits after IDLE_EXIT_S without samplers (started again by the next one).
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._due: dict[CounterSampler, float] = {}
        self._thread: threading.Thread | None = None
        self._next_look = 0.0  # monotonic time the thread wakes up by itself
        self.native_id: int | None = None

    def add(self, sampler: CounterSampler) -> None:
        """Sample `sampler` every interval from now on."""
        with self._condition:
            due = time.monotonic() + sampler.interval
            self._due[sampler] = due
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._loop, name="jetlag-sampler", daemon=True
                )
                self._next_look = 0.0
                self._thread.start()
            elif due < self._next_look:
                self._condition.notify()

    def remove(self, sampler: CounterSampler) -> None:
        """Stop sampling `sampler`; returns after any sample of it in progress."""
        with self._condition:
            self._due.pop(sampler, None)
        with sampler._sample_lock:  # noqa: SLF001 - wait out a background sample
            pass

    def running(self, sampler: CounterSampler) -> bool:
        """Whether `sampler` is being sampled in the background."""
        return sampler in self._due

    def _loop(self) -> None:
        self.native_id = threading.get_native_id()
        idle_since = time.monotonic()
        while True:
            with self._condition:
                now = time.monotonic()
                if not self._due:
                    if now - idle_since >= IDLE_EXIT_S:
                        self._thread = None  # under the lock: add() starts a new one
                        return
                    self._next_look = now + DEFAULT_INTERVAL
                    self._condition.wait(DEFAULT_INTERVAL)
                    continue
                idle_since = now
                soonest = min(self._due.values())
                if soonest > now:
                    self._next_look = min(soonest, now + DEFAULT_INTERVAL)
                    self._condition.wait(self._next_look - now)
                    continue
                due = [sampler for sampler, at in self._due.items() if at <= now]
                for sampler in due:
                    self._due[sampler] = now + sampler.interval
            for sampler in due:
                with sampler._sample_lock:  # noqa: SLF001
                    if sampler not in self._due:
                        continue  # stopped meanwhile: its counters are final
                    try:
                        sampler._sample()  # noqa: SLF001
                    except Exception:  # noqa: BLE001 - a sampler must never take the process down
                        continue

    def reset_after_fork(self) -> None:
        """A forked child has no sampling thread and samples nothing of its parent's."""
        self._condition = threading.Condition()
        self._due = {}
        self._thread = None
        self.native_id = None


_TICKER = _Ticker()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_TICKER.reset_after_fork)
#: The per-thread files thread_cpu_ns reads.
_TASK_FILES = ("schedstat", "stat")


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
        self._last_wall: int | None = None
        self._last_process = 0
        self._last_threads: dict[int, int] = {}
        self._full_samples = 0
        self._sample_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> CounterSampler:
        """Note the clocks and have the background thread sample every interval
        (idempotent)."""
        if self.running:
            return self
        with self._sample_lock:
            self._last_wall = time.perf_counter_ns()
            self._last_process = time.process_time_ns()
            self._last_threads = {}
            self._full_samples = 0
        _TICKER.add(self)
        return self

    def stop(self) -> Counters:
        """Stop background sampling, take a final sample (light for a run shorter than an
        interval), and return the counters."""
        if self.running:
            _TICKER.remove(self)
            with self._sample_lock:
                if self._full_samples:
                    self._sample()
                else:
                    self._light_sample()
        return self.counters

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return _TICKER.running(self)

    @property
    def samples(self) -> Counters:
        """A snapshot of the counters sampled so far."""
        return self.counters.copy()

    def __enter__(self) -> CounterSampler:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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

    def _light_sample(self) -> None:
        """The process's CPU since the last reading and the memory counters."""
        wall, process = time.perf_counter_ns(), time.process_time_ns()
        values: dict[str, tuple[float, str]] = {}
        if self._last_wall is not None and wall > self._last_wall:
            used = process - self._last_process
            values["cpu/process"] = (100.0 * used / (wall - self._last_wall), "%")
        self._memory(values)
        for tid, name in self._thread_names().items():  # the trace's thread ids, as a full
            if tid != _TICKER.native_id:  # sample would have named them
                self.thread_ids.setdefault(name, tid)
        self._last_wall, self._last_process = wall, process
        self.counters.add_many(wall, values)

    def _memory(self, values: dict[str, tuple[float, str]]) -> None:
        rss = rss_bytes(self.proc)
        if rss is not None:
            values["memory/rss"] = (float(rss), "bytes")
        for key, amount in meminfo_bytes(self.meminfo).items():
            values[f"meminfo/{key}"] = (float(amount), "bytes")

    def _sample(self) -> None:
        self._full_samples += 1
        wall = time.perf_counter_ns()
        process = time.process_time_ns()
        names = self._thread_names()
        threads: dict[int, int] = {}
        try:
            tids = [int(t) for t in os.listdir(f"{self.proc}/task")]
        except OSError:
            tids = []
        PROC_FILES.keep_only(
            f"{self.proc}/task/",
            {f"{task_path(t, self.proc)}/{f}" for t in tids for f in _TASK_FILES},
        )
        for tid in tids:
            if tid == _TICKER.native_id:
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
        self._memory(values)
        self._last_wall, self._last_process, self._last_threads = wall, process, threads
        self.counters.add_many(wall, values)
