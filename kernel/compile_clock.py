"""How long Numba has spent compiling in this kernel process, for the cell's compile line.

The first call of a compiled function generates Numba kernels and compiles them (about a
second; several for ALS's loops); later calls reuse them. `CompileClock` listens to Numba's
own `numba:compile` events (its public event API) and adds up the seconds between the
outermost start and end, so the shell can say under a cell "first call: compiled in 1.1 s"
and `%bench` can say what its untimed warm-up call spent compiling. Numba compiles under
its global compiler lock, so the events never overlap. This module only measures; it
prints nothing and changes nothing about compiling.
"""

from __future__ import annotations

import threading
import time

from numba.core import event

#: Compile time below this is not worth a line under the cell (seconds).
NOTEWORTHY_S = 0.1


class _Listener(event.Listener):
    def __init__(self, clock: CompileClock) -> None:
        self._clock = clock

    def on_start(self, ev: event.Event) -> None:
        self._clock._started()

    def on_end(self, ev: event.Event) -> None:
        self._clock._ended()


class CompileClock:
    """Total seconds spent inside Numba compiles since `install()`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depth = 0
        self._since = 0.0
        self._total = 0.0
        self._claimed = 0.0
        self._listener: _Listener | None = None

    def install(self) -> None:
        """Start listening (once per process; later calls do nothing)."""
        with self._lock:
            if self._listener is None:
                self._listener = _Listener(self)
                event.register("numba:compile", self._listener)

    def total(self) -> float:
        """Seconds compiled so far, including a compile still under way."""
        with self._lock:
            running = time.perf_counter() - self._since if self._depth else 0.0
            return self._total + running

    def claim(self, seconds: float) -> None:
        """Note that `seconds` of compiling were already reported (by `%bench`)."""
        with self._lock:
            self._claimed += seconds

    def unclaimed(self) -> float:
        """Seconds compiled so far less those already reported."""
        return self.total() - self._claimed

    def _started(self) -> None:
        with self._lock:
            if self._depth == 0:
                self._since = time.perf_counter()
            self._depth += 1

    def _ended(self) -> None:
        with self._lock:
            self._depth = max(self._depth - 1, 0)
            if self._depth == 0:
                self._total += time.perf_counter() - self._since


#: The kernel process's clock (the shell installs it when it starts).
COMPILE_CLOCK = CompileClock()


def compile_line(seconds: float) -> str:
    """The line printed under a cell whose run compiled Numba kernels."""
    return (
        f"JetLag: first call: compiled in {seconds:.1f} s (Numba kernels, once per kernel; "
        "this cell's time includes it, later calls reuse them)"
    )
