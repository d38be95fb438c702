"""A forked child gets the runtime's locks unlocked, even when a parent thread held them.

A thread of the parent holds the locks while the main thread forks; the child, where that
thread does not exist, takes each lock with a timeout (or runs a compiled function) and
reports through its exit status. Every wait is bounded: a regression fails, never hangs.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections.abc import Callable

import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime import errors
from jetlag.runtime.locks import ForkSafeLock, fork_safe_lock
from jetlag.runtime.measure.procfs import PROC_FILES
from jetlag.runtime.scheduler import blas, pool, spin

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

CHILD_WAIT_S = 60  # the parent's bound on the child
LOCK_WAIT_S = 10  # the child's bound on each lock


@physl
def gram_plus_sum(a):
    return np.dot(a, a) + np.sum(a)


def runtime_locks() -> dict[str, ForkSafeLock]:
    """The module-level locks converted to fork_safe_lock (looked up at call time)."""
    return {
        "blas": blas._blas_lock,  # noqa: SLF001
        "pools": pool._pools_lock,  # noqa: SLF001
        "spin": spin._lock,  # noqa: SLF001
        "error types": errors._runtime_types_lock,  # noqa: SLF001
    }


def fork_while_held(locks: list, in_child: Callable[[], bool]) -> int:
    """Fork while another thread holds `locks`; the child's exit code (0: `in_child` True)."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        for lock in locks:
            lock.acquire()
        held.set()
        try:
            release.wait(CHILD_WAIT_S)
        finally:
            for lock in reversed(locks):
                lock.release()

    thread = threading.Thread(target=holder, daemon=True)
    thread.start()
    try:
        assert held.wait(CHILD_WAIT_S), "the holder thread never took the locks"
        with warnings.catch_warnings():
            # Python 3.12+ warns that forking a threaded process may deadlock: the point.
            warnings.simplefilter("ignore", DeprecationWarning)
            pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through its exit code
            try:
                os._exit(0 if in_child() else 1)
            except BaseException:  # noqa: BLE001
                os._exit(2)
    finally:
        release.set()
        thread.join(CHILD_WAIT_S)
    return wait_for_child(pid)


def wait_for_child(pid: int) -> int:
    deadline = time.monotonic() + CHILD_WAIT_S
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    pytest.fail(f"the forked child did not finish within {CHILD_WAIT_S} s (a lock stayed held)")


def take_each(locks: list) -> bool:
    taken = [lock.acquire(timeout=LOCK_WAIT_S) for lock in locks]
    for lock, ok in zip(locks, taken, strict=True):
        if ok:
            lock.release()
    return all(taken)


def test_fork_safe_locks_held_by_a_parent_thread_are_free_in_the_child():
    locks = [fork_safe_lock(), fork_safe_lock(), *runtime_locks().values()]
    assert fork_while_held(locks, lambda: take_each(locks)) == 0
    # And in the parent they are still the same, working locks.
    assert take_each(locks)


def test_the_runtime_locks_are_fork_safe():
    for name, lock in runtime_locks().items():
        assert isinstance(lock, ForkSafeLock), f"the {name} lock is not renewed after a fork"


def test_a_child_runs_a_compiled_function_while_a_parent_thread_held_the_locks():
    a = np.random.default_rng(7).random((300, 300))
    expected = a @ a + a.sum()
    np.testing.assert_allclose(gram_plus_sum(a), expected, rtol=1e-12)  # pools and BLAS ready
    # ProcFiles' lock too: the child's fork hook must not wait for it.
    locks = [*runtime_locks().values(), PROC_FILES._lock]  # noqa: SLF001

    def child_runs() -> bool:
        return bool(np.allclose(gram_plus_sum(a), expected, rtol=1e-12))

    assert fork_while_held(locks, child_runs) == 0
    np.testing.assert_allclose(gram_plus_sum(a), expected, rtol=1e-12)
