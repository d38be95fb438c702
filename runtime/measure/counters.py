"""Sampled counters as time series: CPU utilization, memory, anything measured over time.

`Counters` stores samples in long form -- (time ns, counter id, value) in typed columns --
with one name and unit per counter, so adding a thread's series mid-run costs nothing and
writers can stream samples in time order. Names used by the sampler:

  cpu/process            % of one core used by the whole process
  cpu/thread/<name>      % of one core used by one thread (jetlag-worker-0, MainThread...)
  memory/rss             resident set size, bytes
  meminfo/<field>        /proc/meminfo fields (MemFree, MemAvailable, Cached), bytes

This module stores and selects; it does not sample (see sampler.py) or write files.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Iterable, Iterator

import numpy as np


class Counters:
    """Named time series. `series(name)` gives (times ns, values); `add` appends samples."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self.units: list[str] = []
        self._ids: dict[str, int] = {}
        self._time = array("q")
        self._counter = array("H")
        self._value = array("d")
        self._lock = threading.RLock()

    @classmethod
    def from_samples(cls, samples: Iterable[tuple[int, str, float, str]]) -> Counters:
        """Build from (time ns, name, value, unit) tuples."""
        counters = cls()
        for time_ns, name, value, unit in samples:
            counters.add(time_ns, name, value, unit)
        return counters

    def define(self, name: str, unit: str = "") -> int:
        """The id of counter `name`, defining it with `unit` on first use."""
        with self._lock:
            code = self._ids.get(name)
            if code is None:
                self.names.append(name)
                self.units.append(unit)
                code = self._ids[name] = len(self.names) - 1
            return code

    def add(self, time_ns: int, name: str, value: float, unit: str = "") -> None:
        """Append one sample."""
        with self._lock:
            code = self.define(name, unit)
            self._time.append(time_ns)
            self._counter.append(code)
            self._value.append(value)

    def add_many(self, time_ns: int, values: dict[str, tuple[float, str]]) -> None:
        """Append several counters sampled at the same time: {name: (value, unit)}."""
        with self._lock:
            for name, (value, unit) in values.items():
                code = self.define(name, unit)
                self._time.append(time_ns)
                self._counter.append(code)
                self._value.append(value)

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(times, counter ids, values) of all samples, ordered by time (copies)."""
        with self._lock:
            n = len(self._value)
            times = np.frombuffer(self._time, np.int64)[:n].copy()
            ids = np.frombuffer(self._counter, np.uint16)[:n].copy()
            values = np.frombuffer(self._value, np.float64)[:n].copy()
        order = np.argsort(times, kind="stable")
        return times[order], ids[order], values[order]

    def series(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(times ns, values) of one counter; KeyError when it was never sampled."""
        code = self._ids[name]
        times, ids, values = self.columns()
        mine = ids == code
        return times[mine], values[mine]

    def unit(self, name: str) -> str:
        """The unit of counter `name`."""
        return self.units[self._ids[name]]

    def span(self) -> tuple[int, int]:
        """(first, last) sample time, (0, 0) when empty."""
        times, _, _ = self.columns()
        if not len(times):
            return 0, 0
        return int(times[0]), int(times[-1])

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def __iter__(self) -> Iterator[str]:
        return iter(list(self.names))

    def __len__(self) -> int:
        """Number of samples (all counters)."""
        return len(self._value)

    def copy(self) -> Counters:
        """An independent snapshot."""
        clone = Counters()
        times, ids, values = self.columns()
        for name, unit in zip(self.names, self.units, strict=True):
            clone.define(name, unit)
        clone._time.extend(times.tolist())
        clone._counter.extend(ids.tolist())
        clone._value.extend(values.tolist())
        return clone

    def __repr__(self) -> str:
        return f"<Counters: {len(self.names)} series, {len(self)} samples>"
