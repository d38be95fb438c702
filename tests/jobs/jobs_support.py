"""Helpers shared by the job tests: exact comparison, polling, and a job that runs forever."""

from __future__ import annotations

import time

import numpy as np

from jetlag.runtime.jobs import JobService
from jetlag.runtime.jobs.arguments import encode_arguments

WAIT = 120  # generous: the suite runs on two loaded cores
FOREVER = "def forever(x):\n    s = 0.0\n    while s >= 0.0:\n        s = s + x\n    return s\n"
TINY = "def tiny(i):\n    return i + 1\n"


def same(a, b) -> bool:
    """Equal in type and value (NaN equal to NaN, arrays by dtype, shape and bits)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, (float, complex)):
        return repr(a) == repr(b)  # NaN equals NaN; -0.0 differs from 0.0
    return a == b


def until(condition, what: str, timeout: float = WAIT):
    """Poll `condition` until it returns something true (the job tests never sleep blindly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def running_pid(service: JobService, job_id: str) -> tuple[int, int]:
    def started():
        row = service.records.get(job_id)
        return row["state"] == "RUNNING" and row["pid"] and (row["pid"], row["pid_start"])

    return until(started, f"{job_id} to run")


def forever(service, **options):
    options.setdefault("trace", "off")
    return service.submit(
        source=FOREVER, entry="forever", args_npz=encode_arguments((1.0,)), options=options
    )["id"]
