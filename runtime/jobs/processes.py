"""Which process runs a job: its pid plus its start time, so a recycled pid is never taken
for it, and signals to the job's process group only after that check.

The start time is field 22 of `/proc/<pid>/stat` (clock ticks since boot). Where there is
no /proc (macOS), only the pid is compared. This module must not touch the database.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except (OSError, ValueError):
        return None
    # The command name (field 2) is in parentheses and may contain spaces and ')'.
    return text[text.rfind(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None when unknown."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    return int(fields[19])  # field 22; fields[0] is field 3


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def is_running(pid: int | None, start: int | None) -> bool:
    """True when `pid` is alive, not a zombie, and started at `start` (when both are known)."""
    if not pid or pid <= 0:
        return False
    if not PROC.is_dir():
        return _exists(pid)
    fields = _stat_fields(pid)
    if fields is None:
        return False
    if fields[0] in ("Z", "X", "x"):
        return False
    return start is None or int(fields[19]) == start


def signal_job(pid: int, start: int | None, sig: int) -> bool:
    """Send `sig` to the job's process group (its own session), after checking identity.

    Returns False (and sends nothing) when the process is gone or is another process now.
    """
    if not is_running(pid, start):
        return False
    try:
        group = os.getpgid(pid)
        if group == pid:
            os.killpg(pid, sig)
        else:
            os.kill(pid, sig)
    except ProcessLookupError:
        return False
    return True


def stop_job(pid: int, start: int | None, grace_s: float = 3.0) -> bool:
    """SIGTERM the job's process group, then SIGKILL if it is still there after `grace_s`.

    Returns True when a process was signalled.
    """
    if not signal_job(pid, start, signal.SIGTERM):
        return False
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not is_running(pid, start):
            return True
        time.sleep(0.02)
    signal_job(pid, start, signal.SIGKILL)
    return True
