"""Job states, ids and timestamps: the vocabulary every other jobs module shares.

A job moves SUBMITTED -> PENDING -> RUNNING -> one terminal state (COMPLETED, FAILED,
CANCELLED, TIMEOUT); PENDING and RUNNING may also end CANCELLED directly, and a RUNNING
job whose process never started goes back to PENDING. This module holds no I/O.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timezone

SUBMITTED = "SUBMITTED"
PENDING = "PENDING"
RUNNING = "RUNNING"
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
TIMEOUT = "TIMEOUT"

STATES = (SUBMITTED, PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT)
TERMINAL = frozenset({COMPLETED, FAILED, CANCELLED, TIMEOUT})
ACTIVE = frozenset({SUBMITTED, PENDING, RUNNING})

#: The exit code each terminal state is reported with when no process exit code is known.
EXIT_CODES = {COMPLETED: 0, FAILED: 1, TIMEOUT: 124, CANCELLED: -15}

JOB_ID = re.compile(r"^j[0-9a-f]{12}$")


def new_job_id() -> str:
    """A fresh job id: "j" and 12 lowercase hex digits from `secrets`."""
    return "j" + secrets.token_hex(6)


def is_job_id(text: object) -> bool:
    """True when `text` has the form of a job id (it may still be unknown)."""
    return isinstance(text, str) and JOB_ID.match(text) is not None


def now_iso() -> str:
    """The current UTC time as ISO 8601 with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def iso_age_s(stamp: str | None) -> float:
    """Seconds since an ISO timestamp written by `now_iso` (infinite when unknown)."""
    if not stamp:
        return float("inf")
    try:
        then = datetime.fromisoformat(stamp)
    except ValueError:
        return float("inf")
    return (datetime.now(timezone.utc) - then).total_seconds()
