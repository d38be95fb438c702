"""Errors of the trace store, and the checks of the values a client names.

Every error is a `StoreError` (a ValueError) carrying the input field it is about and the
HTTP status a server should answer with, so handlers turn it into
`{"error": ..., "field": ...}` without knowing the cases. Messages say what to fix.
This module only defines errors and validates values; it touches no files.
"""

from __future__ import annotations

import re
from typing import Any

#: A trace id: "t" + 12 lowercase hex digits.
TRACE_ID = re.compile(r"t[0-9a-f]{12}")
#: A job id: "j" + 12 lowercase hex digits.
JOB_ID = re.compile(r"j[0-9a-f]{12}")
MAX_LABEL = 200
MAX_TEXT = 1000
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ORIGIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,49}")


class StoreError(ValueError):
    """A request the store cannot carry out; `field` names the input, `status` the HTTP code."""

    status = 400

    def __init__(self, message: str, field: str | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        if status is not None:
            self.status = status


class TraceNotFound(StoreError):
    """No trace with that id is in the store (404)."""

    status = 404

    def __init__(self, trace_id: str) -> None:
        super().__init__(
            f"no trace {trace_id} in the store; list the stored traces with "
            "`jetlag trace list` or GET /jetlag/api/traces",
            "trace_id",
        )


class BadArchive(StoreError):
    """An import or upload that is not a usable, safe trace archive (400)."""


class ArchiveTooLarge(BadArchive):
    """An archive past the size or member limits (413)."""

    status = 413


def check_trace_id(value: Any, field: str = "trace_id") -> str:
    """`value` if it is a well-formed trace id, else a 400 naming the expected form."""
    if not isinstance(value, str) or not TRACE_ID.fullmatch(value):
        raise StoreError(
            f"{field} {value!r} is not a trace id: expected 't' and 12 lowercase hex digits "
            "(like t3f9a0c41b27e), as `jetlag trace list` shows them",
            field,
        )
    return value


def check_job_id(value: Any, field: str = "job_id") -> str | None:
    """`value` if it is None or a well-formed job id, else a 400."""
    if value is not None and (not isinstance(value, str) or not JOB_ID.fullmatch(value)):
        raise StoreError(
            f"{field} {value!r} is not a job id: expected 'j' and 12 lowercase hex digits",
            field,
        )
    return value


def check_text(
    value: Any, field: str, *, limit: int = MAX_TEXT, optional: bool = True
) -> str | None:
    """A short single-line text (label, origin, notebook path): a str of at most `limit`
    characters without control characters; None passes when `optional`."""
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise StoreError(f"{field} must be a string, got {type(value).__name__}", field)
    if len(value) > limit:
        raise StoreError(
            f"{field} is {len(value)} characters long; shorten it to at most {limit}", field
        )
    if _CONTROL.search(value):
        raise StoreError(
            f"{field} {value[:40]!r} contains control characters (newline, tab, ...); "
            "use one line of printable text",
            field,
        )
    return value


def check_label(value: Any, field: str = "label") -> str | None:
    """A trace label: None or a str of at most 200 printable characters ('' clears it)."""
    text = check_text(value, field, limit=MAX_LABEL)
    return text or None


def check_origin(value: Any, field: str = "origin", optional: bool = False) -> str | None:
    """Where a trace came from: a short word ("cell", "save", "import", "upload", "job")."""
    if value is None and optional:
        return None
    if not isinstance(value, str) or not _ORIGIN.fullmatch(value):
        raise StoreError(
            f"{field} {value!r} is not an origin: use a word of letters, digits, '_', '.' "
            "or '-' (at most 50), like 'cell', 'save', 'import' or 'job'",
            field,
        )
    return value


def check_count(value: Any, field: str, *, low: int, high: int) -> int:
    """An integer in [low, high] (paging limits and offsets), else a 400 naming the range."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise StoreError(f"{field} must be an integer from {low} to {high}, got {value!r}", field)
    return value
