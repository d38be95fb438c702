"""Reading /proc through descriptors kept open: fresh values, exited threads, other roots."""

from __future__ import annotations

import os
import threading
import time

from jetlag.runtime.measure.procfs import PROC_FILES, ProcFiles, thread_cpu_ns


def _busy(seconds_of_cpu: float) -> None:
    start = thread_cpu_ns(threading.get_native_id())
    while thread_cpu_ns(threading.get_native_id()) - start < seconds_of_cpu * 1e9:
        sum(range(1000))


def test_a_kept_descriptor_reads_the_current_value():
    tid = threading.get_native_id()
    before = thread_cpu_ns(tid)
    path = f"/proc/self/task/{tid}/schedstat"
    assert path in PROC_FILES._open  # noqa: SLF001 - the descriptor is kept
    _busy(0.02)
    assert thread_cpu_ns(tid) >= before + 20_000_000


def test_an_exited_thread_reads_as_none_and_its_descriptor_is_closed():
    # The descriptor, opened while the thread runs, stays bound to that thread: reading it
    # after the exit reads nothing even if Linux has given its id to a new thread since
    # (opening the path afresh could then find the new thread).
    files = ProcFiles()
    opened, finish = threading.Event(), threading.Event()
    thread = threading.Thread(target=lambda: (opened.set(), finish.wait(60)))
    thread.start()
    try:
        assert opened.wait(60)
        path = f"/proc/self/task/{thread.native_id}/schedstat"
        assert files.read(path) and path in files._open  # noqa: SLF001 - kept
    finally:
        finish.set()
        thread.join(60)
    assert not thread.is_alive()
    # join() returns when Python is done with the thread; the kernel may take a moment
    # more to let it go. Read until it is gone (bounded): never a value after None.
    deadline = time.monotonic() + 60
    while files.read(path) is not None:
        assert time.monotonic() < deadline, "the exited thread's file still reads"
        time.sleep(0.001)
    assert path not in files._open  # noqa: SLF001 - closed and forgotten


def test_a_file_that_cannot_be_opened_reads_as_none_and_is_not_kept():
    files = ProcFiles()
    path = "/proc/self/task/0/schedstat"  # no thread has id 0
    assert files.read(path) is None and path not in files._open  # noqa: SLF001


def test_files_outside_proc_are_read_afresh_and_never_kept(tmp_path):
    files = ProcFiles()
    target = tmp_path / "value"
    target.write_text("1")
    assert files.read(str(target)) == "1"
    target.write_text("22")
    assert files.read(str(target)) == "22"
    assert files.read(str(tmp_path / "missing")) is None
    assert not files._open  # noqa: SLF001


def test_keep_only_and_reset_close_descriptors():
    files = ProcFiles()
    assert files.read("/proc/self/statm") and files.read("/proc/meminfo")
    files.keep_only("/proc/self/", set())
    assert list(files._open) == ["/proc/meminfo"]  # noqa: SLF001
    descriptor = files._open["/proc/meminfo"]  # noqa: SLF001
    files.reset_after_fork()
    assert not files._open  # noqa: SLF001
    try:
        os.fstat(descriptor)
        closed = False
    except OSError:
        closed = True
    assert closed
    assert files.read("/proc/meminfo")  # opens again on demand
