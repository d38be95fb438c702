"""Checking the parameters of a trace query: windows, bins, locations, primitives, paging.

Every check raises `QueryError` naming the parameter and saying what to give instead, so a
REST handler passes the message through unchanged. Parameter names follow Traveler:
`begin`/`end` (ns from the trace's start), `bins`, `locations`, `primitive`. This module
only checks and normalizes; it reads no trace data beyond the name tables it is given.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jetlag.runtime.measure.profile import display_name
from jetlag.server_ext.queries.errors import QueryError

#: Most bins one answer may have (one per pixel of a very wide screen, with room).
MAX_BINS = 10_000
#: Bins when the caller names none.
DEFAULT_BINS = 1000
#: Largest page of intervals.
MAX_LIMIT = 10_000
#: Largest |time| in ns a window may name (about 146 years): anything larger is a typo.
MAX_NS = 2**62


def whole_number(value: object, field: str, low: int, high: int) -> int:
    """`value` as an int in [low, high]; ints, integral floats and decimal text are accepted."""
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, numbers.Integral):
        number = int(value)
    elif isinstance(value, numbers.Real) and float(value).is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    if number is None:
        raise QueryError(
            f"{field} must be a whole number from {low} to {high}; got {value!r}", field
        )
    if not low <= number <= high:
        raise QueryError(f"{field} must be from {low} to {high}; got {number}", field)
    return number


@dataclass(frozen=True)
class Window:
    """A time window [begin, end) in ns from the trace's start, cut into `bins` equal bins."""

    begin: int
    end: int
    bins: int

    @property
    def bin_ns(self) -> float:
        """Width of one bin in ns (fractional when the window is not a multiple of bins)."""
        return (self.end - self.begin) / self.bins

    def edges(self) -> np.ndarray:
        """The bins+1 edges as float64: begin + i * (end - begin) / bins, exactly end last."""
        steps = np.arange(self.bins + 1, dtype=np.float64)
        edges = self.begin + steps * (float(self.end - self.begin) / self.bins)
        edges[-1] = self.end
        return edges

    def describe(self) -> dict[str, int | float]:
        """The window as an answer states it."""
        return {"begin": self.begin, "end": self.end, "bins": self.bins, "bin_ns": self.bin_ns}


def window(
    begin: object, end: object, bins: object, span: tuple[int, int], *, default_bins: int = 1
) -> Window:
    """Check begin/end/bins; begin and end default to the trace's span, bins to `default_bins`."""
    first, last = span
    low = whole_number(first if begin is None else begin, "begin", -MAX_NS, MAX_NS)
    if end is None:
        # An empty trace spans [0, 0]; the default window must still be a window.
        high = max(last, low + 1)
    else:
        high = whole_number(end, "end", -MAX_NS, MAX_NS)
    if high <= low:
        raise QueryError(
            f"end ({high}) must be after begin ({low}); give a window with begin < end, both in "
            f"ns from the trace's start (this trace spans {first}..{last})",
            "end",
        )
    count = whole_number(default_bins if bins is None else bins, "bins", 1, MAX_BINS)
    return Window(low, high, count)


def location_indices(locations: object, names: Sequence[str]) -> list[int]:
    """Indices of the named locations (all when None), in the order given, without repeats."""
    if locations is None:
        return list(range(len(names)))
    if isinstance(locations, str):
        locations = [locations]
    if not isinstance(locations, Sequence) or not all(isinstance(n, str) for n in locations):
        raise QueryError("locations must be a list of location names", "locations")
    if not locations:
        raise QueryError(
            "locations is empty; name at least one location or leave it out for all", "locations"
        )
    index = {name: i for i, name in enumerate(names)}
    unknown = [name for name in locations if name not in index]
    if unknown:
        known = ", ".join(names[:20]) + (" ..." if len(names) > 20 else "")
        raise QueryError(
            f"unknown location(s) {', '.join(map(repr, unknown[:5]))}; this trace has: {known}",
            "locations",
        )
    return list(dict.fromkeys(index[name] for name in locations))


def primitive_indices(primitive: object, names: Sequence[str]) -> np.ndarray | None:
    """Instance indices matched by `primitive` (None when no filter is given).

    An instance name (`dot$12$15`, `dot$12$15#chunk`) matches exactly; a display name
    (`dot`) matches every instance whose display name it is, chunks only when asked as
    `dot#chunk`.
    """
    if primitive is None or primitive == "":
        return None
    if not isinstance(primitive, str):
        raise QueryError(f"primitive must be a primitive name; got {primitive!r}", "primitive")
    exact = [i for i, name in enumerate(names) if name == primitive]
    if exact:
        return np.array(exact[:1], np.int64)
    matched = [i for i, name in enumerate(names) if display_name(name) == primitive]
    if not matched:
        shown = sorted({display_name(n) for n in names})
        known = ", ".join(shown[:30]) + (" ..." if len(shown) > 30 else "")
        raise QueryError(
            f"no primitive {primitive!r} in this trace; give an instance name like 'dot$12$15' "
            f"or a display name, one of: {known or '(none: the trace has no events)'}",
            "primitive",
        )
    return np.array(matched, np.int64)


def paging(limit: object, offset: object) -> tuple[int, int]:
    """`limit` in 1..MAX_LIMIT and `offset` >= 0."""
    count = whole_number(limit, "limit", 1, MAX_LIMIT)
    skip = whole_number(offset, "offset", 0, MAX_NS)
    return count, skip
