"""Strict parsing of the REST API's query parameters, shared with the OpenAPI document.

Every bound a handler enforces is declared here once (`BOUNDS`), so the document's
`minimum`/`maximum` are the values the server really checks. Parsing works on plain
mappings of name -> list of strings (tornado's `query_arguments`, decoded), so it is
tested without HTTP; it never imports tornado.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

#: Largest time in ns a window may name (about 146 years): anything above is a typo.
MAX_NS = 2**62
#: Largest uint64 (GUIDs are 64-bit unsigned).
MAX_GUID = 2**64 - 1

#: (minimum, maximum) of every integer parameter, by name.
BOUNDS: dict[str, tuple[int, int]] = {
    "begin": (0, MAX_NS),
    "end": (0, MAX_NS),
    "bins": (1, 10_000),
    "min_duration": (0, MAX_NS),
    "limit": (1, 10_000),
    "offset": (0, 10**9),
    "guid": (0, MAX_GUID),
}

#: Defaults the handlers use when a parameter is omitted.
DEFAULT_BINS = 1000
DEFAULT_LIMIT = 100

_INTEGER = re.compile(r"^[0-9]{1,20}$")
_TRACE_ID = re.compile(r"^t[0-9a-f]{12}$")
_JOB_ID = re.compile(r"^j[0-9a-f]{12}$")
#: Trace and job id patterns, as the OpenAPI document states them.
TRACE_ID_PATTERN = _TRACE_ID.pattern
JOB_ID_PATTERN = _JOB_ID.pattern
#: Machine names as configured (letters, digits, `-`, `_`, `.`).
MACHINE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

Query = Mapping[str, Sequence[str]]


class ParamError(ValueError):
    """A query or path parameter that is malformed or out of range (HTTP 400 by default)."""

    def __init__(self, message: str, field: str | None, status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.status = status


def _single(query: Query, name: str) -> str | None:
    values = query.get(name) or []
    if len(values) > 1:
        raise ParamError(
            f"query parameter {name!r} was given {len(values)} times; give it once", name
        )
    return values[0] if values else None


def integer(query: Query, name: str, default: int | None = None) -> int | None:
    """The integer parameter `name` within `BOUNDS[name]`, or `default` when omitted."""
    text = _single(query, name)
    if text is None or text == "":
        return default
    return parse_integer(text, name)


def parse_integer(text: str, name: str) -> int:
    """`text` as a decimal integer within `BOUNDS[name]` (ParamError naming `name` if not)."""
    low, high = BOUNDS[name]
    if not _INTEGER.match(text):
        raise ParamError(
            f"{name} must be a whole number from {low} to {high} (decimal digits only); got {text!r}",
            name,
        )
    value = int(text)
    if value < low or value > high:
        raise ParamError(f"{name} must be from {low} to {high}; got {value}", name)
    return value


def string(query: Query, name: str, *, choices: Sequence[str] | None = None) -> str | None:
    """The text parameter `name` (None when omitted or empty), one of `choices` if given."""
    text = _single(query, name)
    if text is None or text == "":
        return None
    if choices is not None and text not in choices:
        raise ParamError(f"{name} must be one of {', '.join(choices)}; got {text!r}", name)
    if len(text) > 1000 or "\x00" in text:
        raise ParamError(f"{name} must be a short text without NUL characters", name)
    return text


def names(query: Query, name: str) -> list[str] | None:
    """A list parameter given comma-separated (`a,b`), repeated (`x=a&x=b`) or both.

    None when omitted; empty items are dropped.
    """
    values = query.get(name)
    if not values:
        return None
    items = [item.strip() for value in values for item in value.split(",")]
    items = [item for item in items if item]
    if any(len(item) > 1000 or "\x00" in item for item in items):
        raise ParamError(f"{name} items must be short names without NUL characters", name)
    return items or None


def window(query: Query) -> tuple[int | None, int | None]:
    """`begin` and `end` (ns from the trace's start); end must not come before begin."""
    begin = integer(query, "begin")
    end = integer(query, "end")
    if begin is not None and end is not None and end < begin:
        raise ParamError(
            f"end ({end}) is before begin ({begin}); give a window with begin <= end, "
            "both in ns from the trace's start",
            "end",
        )
    return begin, end


def trace_id(text: str) -> str:
    """A trace id from a path, checked for its form (404: no such trace can exist)."""
    if not _TRACE_ID.match(text):
        raise ParamError(
            f"{text!r} is not a trace id (they look like t3f9a0c41b27e); "
            "list the traces with GET /jetlag/api/traces",
            "trace_id",
            404,
        )
    return text


def job_id(text: str) -> str:
    """A job id from a path, checked for its form (404: no such job can exist)."""
    if not _JOB_ID.match(text):
        raise ParamError(
            f"{text!r} is not a job id (they look like j3f9a0c41b27e); "
            "list the jobs with GET /jetlag/api/jobs",
            "job_id",
            404,
        )
    return text
