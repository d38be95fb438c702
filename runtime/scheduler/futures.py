"""A minimal future: a value that a task will produce, with completion callbacks.

Futures are how the driver hands values between tasks without waiting (dataflow).
Only the driver blocks on them, and always in short timed waits so Ctrl-C stays responsive.
Completion runs every callback even when one raises, so no waiter is skipped.

Completing a future is on the path of every task, so it costs one uncontended lock and a
flag: nobody pays for a wake-up primitive unless somebody actually waits (`wait_for`
then parks on a lock of its own, released by a completion callback).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

_WAIT_SLICE_S = 0.05  # the driver re-checks for KeyboardInterrupt this often while waiting


class Future:
    """The eventual result (or error) of one task."""

    __slots__ = ("_done", "_value", "_error", "_callbacks", "_lock", "label")

    def __init__(self, label: str = "") -> None:
        self._done = False
        self._value: Any = None
        self._error: BaseException | None = None
        self._callbacks: list[Callable[[Future], None]] | None = None
        self._lock = threading.Lock()
        self.label = label

    def done(self) -> bool:
        """True once a result or an error is set."""
        return self._done

    def failed(self) -> bool:
        """True when done with an error."""
        return self._done and self._error is not None

    @property
    def error(self) -> BaseException | None:
        """The error, once done with one."""
        return self._error

    def set_result(self, value: Any) -> None:
        """Complete with a value and run the callbacks."""
        self._complete(value, None)

    def set_error(self, error: BaseException) -> None:
        """Complete with an error and run the callbacks."""
        self._complete(None, error)

    def _complete(self, value: Any, error: BaseException | None) -> None:
        with self._lock:
            if self._done:
                return
            self._value, self._error = value, error
            self._done = True
            callbacks, self._callbacks = self._callbacks, None
        if callbacks:
            # Every callback runs even after one raises (a waiter's gate is one of them:
            # skipping it would leave that thread waiting forever); then the first error.
            first: BaseException | None = None
            for callback in callbacks:
                try:
                    callback(self)
                except BaseException as error:  # noqa: BLE001 - re-raised below
                    if first is None:
                        first = error
            if first is not None:
                raise first

    def add_done_callback(self, callback: Callable[[Future], None]) -> None:
        """Call `callback(self)` when done (at once, on this thread, if already done)."""
        if not self._done:
            with self._lock:
                if not self._done:
                    if self._callbacks is None:
                        self._callbacks = [callback]
                    else:
                        self._callbacks.append(callback)
                    return
        callback(self)

    def _gate(self) -> threading.Lock:
        """A held lock that completion releases (for one waiter)."""
        gate = threading.Lock()
        gate.acquire()
        self.add_done_callback(lambda _: gate.release())
        return gate

    def wait_for(self, timeout: float) -> bool:
        """Block up to `timeout` seconds; True when done."""
        if self._done:
            return True
        return self._gate().acquire(timeout=max(0.0, timeout)) or self._done

    def wait(self) -> None:
        """Block until done, in short slices so KeyboardInterrupt is delivered promptly."""
        if self._done:
            return
        gate = self._gate()
        while not gate.acquire(timeout=_WAIT_SLICE_S):
            pass

    def result(self) -> Any:
        """Block until done; return the value or raise the error."""
        self.wait()
        if self._error is not None:
            raise self._error
        return self._value

    def value_if_done(self) -> Any:
        """The value of a completed future without waiting (raises its error)."""
        if self._error is not None:
            raise self._error
        return self._value


def resolved(value: Any) -> Any:
    """The concrete value: waits for a Future, passes anything else through."""
    return value.result() if isinstance(value, Future) else value
