"""One background thread that runs queued saves in order, so a cell's caller never waits.

`BackgroundWriter.submit(job)` returns at once; jobs run one at a time on a daemon thread
started on first use (and again in a forked child, which inherits no threads). A failing
job is logged and remembered by key, never raised into the submitter. `flush` waits for
everything queued so far; an exit hook flushes too, so the last cell's trace is written
when the interpreter ends normally. This module knows nothing of traces.
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import threading
import time
import weakref
from collections.abc import Callable

log = logging.getLogger("jetlag.store")

#: How long the exit hook waits for queued saves.
EXIT_FLUSH_SECONDS = 60.0


class BackgroundWriter:
    """A FIFO of callables run on one daemon thread; `flush` waits for them."""

    def __init__(self, name: str = "jetlag-store-writer") -> None:
        self.name = name
        self.failures: dict[str, str] = {}
        self._queue: queue.SimpleQueue[tuple[str, Callable[[], None]]] = queue.SimpleQueue()
        self._done = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        hook = weakref.WeakMethod(self._flush_at_exit)
        atexit.register(lambda: (method := hook()) is not None and method())

    def submit(self, key: str, job: Callable[[], None]) -> None:
        """Queue `job` (identified by `key` in `failures`); returns immediately."""
        with self._done:
            if self._pid != os.getpid():  # a forked child: the parent's queue is not ours
                self._queue = queue.SimpleQueue()
                self._pending = 0
                self._thread = None
                self._pid = os.getpid()
            self._pending += 1
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()
        self._queue.put((key, job))

    def _run(self) -> None:
        while True:
            key, job = self._queue.get()
            try:
                job()
            except Exception as error:  # noqa: BLE001 - the submitter is gone; log it
                self.failures[key] = f"{type(error).__name__}: {error}"
                log.warning("JetLag could not save trace %s in the background: %s", key, error)
            finally:
                with self._done:
                    self._pending -= 1
                    self._done.notify_all()

    @property
    def pending(self) -> int:
        """Jobs queued or running."""
        return self._pending

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every job queued so far ran; False when `timeout` s passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._done:
            while self._pending:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._done.wait(left)
        return True

    def _flush_at_exit(self) -> None:
        if self._pending and self._pid == os.getpid():
            if not self.flush(EXIT_FLUSH_SECONDS):
                log.warning("JetLag exits with %d trace save(s) unfinished", self._pending)
