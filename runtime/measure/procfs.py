"""Reading this process's /proc counters cheaply: thread CPU time, resident memory, meminfo.

The sampler reads a handful of /proc files at the start and end of every traced call and
every interval in between. Opening, reading and closing a /proc file costs ~15 us on the
VM of NOTES.md; reading again through a descriptor kept open costs ~1 us, because a /proc
file is generated afresh by every read from offset 0. `ProcFiles` keeps those descriptors
(paths under /proc only; any other root, as the tests use, is opened each time), forgets
one whose thread is gone, and starts over in a forked child (whose /proc/self differs).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

_TICKS_PER_S = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
#: Larger than any file read here (/proc/meminfo is ~1.5 KB).
_READ_BYTES = 1 << 16


class ProcFiles:
    """Text of /proc files through descriptors kept open; None when a file is unreadable."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, int] = {}

    def read(self, path: str) -> str | None:
        """The file's current text (opened, read and closed when not under /proc)."""
        if not path.startswith("/proc/"):
            return _read_once(path)
        with self._lock:
            descriptor = self._open.get(path)
            if descriptor is None:
                try:
                    descriptor = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                except OSError:
                    return None
                self._open[path] = descriptor
        try:
            data = os.pread(descriptor, _READ_BYTES, 0)
        except OSError:
            data = b""
        if not data:  # the thread behind a task file has exited
            self.forget(path)
            return None
        return data.decode("ascii", errors="replace")

    def forget(self, path: str) -> None:
        """Close the descriptor kept for `path`, if any."""
        with self._lock:
            descriptor = self._open.pop(path, None)
        if descriptor is not None:
            os.close(descriptor)

    def keep_only(self, prefix: str, paths: set[str]) -> None:
        """Close the descriptors under `prefix` that are not in `paths` (exited threads)."""
        with self._lock:
            gone = [p for p in self._open if p.startswith(prefix) and p not in paths]
        for path in gone:
            self.forget(path)

    def reset_after_fork(self) -> None:
        """Drop every descriptor: a forked child's /proc/self is another process.

        Called in the child, where only the forking thread exists: a parent thread may have
        held the lock at the fork, so the lock is replaced, never waited for.
        """
        self._lock = threading.Lock()
        descriptors, self._open = list(self._open.values()), {}
        for descriptor in descriptors:
            try:
                os.close(descriptor)
            except OSError:
                pass


PROC_FILES = ProcFiles()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=PROC_FILES.reset_after_fork)


def _read_once(path: str) -> str | None:
    try:
        with open(path, encoding="ascii", errors="replace") as file:
            return file.read()
    except OSError:
        return None


def task_path(tid: int, proc: str = "/proc/self") -> str:
    """The /proc directory of one thread of this process."""
    return f"{proc}/task/{tid}"


def thread_cpu_ns(tid: int, proc: str = "/proc/self") -> int | None:
    """CPU time (ns) one thread of this process has used, None if it is gone."""
    text = PROC_FILES.read(f"{task_path(tid, proc)}/schedstat")
    if text:
        return int(text.split()[0])
    text = PROC_FILES.read(f"{task_path(tid, proc)}/stat")
    if not text:
        return None
    # The command name may contain spaces and parentheses; fields follow the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    ticks = int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return ticks * 1_000_000_000 // _TICKS_PER_S


def rss_bytes(proc: str = "/proc/self") -> int | None:
    """Resident set size of this process, None where /proc is unavailable.

    From statm (resident pages; the kernel formats it far faster than status), else
    VmRSS in status.
    """
    text = PROC_FILES.read(f"{proc}/statm")
    if text:
        fields = text.split()
        if len(fields) > 1:
            return int(fields[1]) * _PAGE_BYTES
    text = PROC_FILES.read(f"{proc}/status")
    if not text:
        return None
    for line in text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def meminfo_bytes(fields: Sequence[str], path: str = "/proc/meminfo") -> dict[str, int]:
    """The requested /proc/meminfo fields in bytes (missing fields are left out)."""
    text = "\n" + (PROC_FILES.read(path) or "")
    values: dict[str, int] = {}
    for key in fields:  # a few fields of ~50 lines: find them rather than split them all
        start = text.find(f"\n{key}:")
        if start < 0:
            continue
        end = text.find("\n", start + 1)
        parts = text[start + len(key) + 2 : end if end > 0 else None].split()
        scale = 1024 if len(parts) > 1 and parts[1] == "kB" else 1
        values[key] = int(parts[0]) * scale
    return values
