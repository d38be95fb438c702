"""Process-wide locks that a forked child gets fresh.

A `threading.Lock` held by another thread at `fork()` stays held forever in the child (the
thread that would release it does not exist there), so the first child call that needs it
hangs. Module-level locks of the runtime (kernel builds, fused bodies, compiled loops, BLAS
limits, pools) are made with `fork_safe_lock()`: every such lock is replaced by a new,
unlocked one in the child right after a fork. This module holds no other state.
"""

from __future__ import annotations

import os
import threading
import weakref
from types import TracebackType


class ForkSafeLock:
    """A non-reentrant lock (the `threading.Lock` interface) renewed in a forked child."""

    __slots__ = ("_lock", "__weakref__")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Acquire the lock, as `threading.Lock.acquire`."""
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        """Release the lock, as `threading.Lock.release`."""
        self._lock.release()

    def locked(self) -> bool:
        """Whether the lock is held."""
        return self._lock.locked()

    def __enter__(self) -> bool:
        return self._lock.acquire()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._lock.release()

    def renew(self) -> None:
        """Replace the lock by an unlocked one (only ever called in a fresh child)."""
        self._lock = threading.Lock()


_all: weakref.WeakSet[ForkSafeLock] = weakref.WeakSet()


def fork_safe_lock() -> ForkSafeLock:
    """A new lock that is unlocked again in a child process after `fork()`."""
    lock = ForkSafeLock()
    _all.add(lock)
    return lock


def _renew_all_after_fork() -> None:
    # Only the forking thread exists in the child: nothing can hold these locks legitimately.
    for lock in list(_all):
        lock.renew()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_renew_all_after_fork)
