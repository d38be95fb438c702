"""Reading /proc through descriptors kept open: fresh values, exited threads, other roots."""

from __future__ import annotations

import os
import threading

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
    found: list[int] = []
    thread = threading.Thread(target=lambda: (found.append(threading.get_native_id()), _busy(0.01)))
    thread.start()
    thread.join()
    tid = found[0]
    files = ProcFiles()
    path = f"/proc/self/task/{tid}/schedstat"
    assert files.read(path) is None and path not in files._open  # noqa: SLF001
    live = threading.Thread(target=lambda: threading.Event().wait(0.2))
    live.start()
    try:
        live_path = f"/proc/self/task/{live.native_id}/schedstat"
        assert files.read(live_path)
    finally:
        live.join()
    assert files.read(live_path) is None and live_path not in files._open  # noqa: SLF001


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
