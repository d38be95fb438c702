"""The prints of one compiled-loop run: called back by the worker, written by the driver.

A compiled loop runs on a pool worker while the driver waits (compiled.py); its `print`s
call back into Python (codegen/printing.py, support_print.py) and are handed, in order,
to the driver, which formats and writes each exactly as the print primitive does -- on
the driver's thread, so the text lands in the cell's own output (ipykernel routes a
stream by the writing thread) with the driver's NumPy print options. The worker does not
wait: it hands over copies of the arrays it prints (their values at the print) and goes
on computing while the driver formats, so printing costs the loop little more than the
copy. An array too large to copy cheaply is formatted while the worker waits instead.

A failed write is the error of that print: the worker stops at its next print, and the
scheduler treats the run as failed at that print's site (the interpreter then runs the
loop again, when the arrays it writes could be put back). The texts written are kept so
that such a rerun does not write them twice (primitives/io.py `replaying`). This module
decides nothing about what is compiled.
"""

from __future__ import annotations

import queue
from typing import Any

import numpy as np

from jetlag.runtime.codegen.support_loops import LoopStopped
from jetlag.runtime.primitives.io import print_recorded

#: How often a waiting side looks at the stop flag (Ctrl-C).
_SLICE_S = 0.05
#: Prints handed over and not yet written, at most (then the worker waits).
_PENDING = 256
#: Arrays larger than this are formatted while the loop waits rather than copied.
COPY_LIMIT_BYTES = 1 << 20
_DONE = object()


class LoopPrints:
    """The print channel of one run (support_print.PrintChannel).

    `written`: the texts written, in order; `failure`: (error, site) of a failed write.
    """

    def __init__(self, stop: np.ndarray, where: np.ndarray) -> None:
        self.stop = stop
        self.where = where
        self.written: list[str] = []
        self.failure: tuple[BaseException, int] | None = None
        self._requests: queue.Queue = queue.Queue(maxsize=_PENDING)
        self._answers: queue.Queue = queue.Queue()

    # -- the worker's side ----------------------------------------------------------------

    def send(self, values: tuple, sep: str | None, end: str | None) -> None:
        """Hand print(*values, sep=sep, end=end) to the driver (at the running site)."""
        self._check()
        large = any(isinstance(v, np.ndarray) and v.nbytes > COPY_LIMIT_BYTES for v in values)
        if not large:
            # The loop may change its arrays before the driver formats them.
            values = tuple(v.copy() if isinstance(v, np.ndarray) else v for v in values)
        self._put((int(self.where[0]), values, sep, end, large))
        if large:
            self._await()  # the driver reads the array itself: it must not change meanwhile
            self._check()

    def finish(self) -> None:
        """The run is over (whatever its outcome): the driver stops serving."""
        try:
            self._put(_DONE)
        except LoopStopped:
            pass  # the driver stopped serving already

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure[0]

    def _put(self, item: Any) -> None:
        while True:
            try:
                self._requests.put(item, timeout=_SLICE_S)
                return
            except queue.Full:
                if self.stop[0] != 0:
                    raise LoopStopped() from None
                if item is not _DONE:
                    self._check()

    def _await(self) -> None:
        while True:
            try:
                self._answers.get(timeout=_SLICE_S)
                return
            except queue.Empty:
                if self.stop[0] != 0:  # the driver stopped serving (Ctrl-C, an error)
                    raise LoopStopped() from None

    # -- the driver's side ----------------------------------------------------------------

    def serve(self) -> None:
        """Write each print as it comes, in order, until the run is over."""
        while True:
            try:
                request = self._requests.get(timeout=_SLICE_S)  # slices: Ctrl-C gets through
            except queue.Empty:
                continue
            if request is _DONE:
                return
            site, values, sep, end, large = request
            if self.failure is None:  # after a failed write, nothing more is written
                try:
                    text = print_recorded(values, sep, end)
                except Exception as error:  # noqa: BLE001 - the error of that print
                    self.failure = (error, site)
                else:
                    self.written.append(text)
            if large:
                self._answers.put(None)
