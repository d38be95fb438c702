"""`TraceQueries`: Traveler-style answers about one stored trace, sized by the screen.

Every window answer is binned -- the caller names `begin`, `end` (ns from the trace's
start) and `bins` (one per pixel) -- and computed from derived indices (indices.py,
timeline.py) with a few binary searches per bin edge: utilization costs O(bins x
locations x log n), not O(events); the Gantt view's dominant primitive at most
O(bins x primitives x log n) per location (gantt.py). The indices are built on first use and kept under `<trace dir>/derived/`, so
the first query after a server restart maps them instead of rebuilding. Documents that
come with the trace (tree.json, profile.json, source.txt, meta.json) are read from the
trace directory. Pure NumPy: no Jupyter, no tornado, no server import.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from jetlag.runtime.measure.profile import display_name
from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries import binning, documents, indices, timeline
from jetlag.server_ext.queries import gantt as gantt_parts
from jetlag.server_ext.queries import intervals as finding
from jetlag.server_ext.queries.derived import DerivedStore
from jetlag.server_ext.queries.errors import QueryError
from jetlag.server_ext.queries.tree import flat_tree, join_tree, profile_arrays, profile_rows
from jetlag.server_ext.queries.validation import (
    DEFAULT_BINS,
    MAX_NS,
    Window,
    location_indices,
    paging,
    primitive_indices,
    whole_number,
    window,
)

#: Raw intervals come with a Gantt answer only when the window holds at most this many.
DEFAULT_RAW_LIMIT = 5000
#: Digits kept of a busy fraction: a millionth of a pixel is invisible, and JSON shrinks.
DIGITS = 6


class TraceQueries:
    """Binned and paged queries on one trace's memory-mapped columns."""

    def __init__(self, columns: TraceColumns, directory: str | Path | None = None) -> None:
        # Plain ndarray views of the mapped columns (no copy): np.memmap's slicing and
        # indexing overhead is paid per call, and a Gantt answer makes hundreds of calls.
        self.columns = dataclasses.replace(
            columns,
            **{
                field.name: np.asarray(getattr(columns, field.name))
                for field in dataclasses.fields(columns)
                if isinstance(getattr(columns, field.name), np.ndarray)
            },
        )
        self.directory = Path(directory) if directory is not None else Path(columns.directory)
        columns = self.columns
        self.derived = DerivedStore(
            self.directory,
            {
                "events": len(columns),
                "span_ns": list(columns.span_ns),
                "origin_ns": columns.document.get("origin_ns"),
                "locations": len(columns.locations),
                "primitives": len(columns.primitives),
            },
        )

    def prepare(self) -> list[str]:
        """Build (and save) the indices every view needs; returns the names it had to build.

        Optional: each query builds what it needs on first use. A store can call this on a
        background thread right after saving or importing a trace, so that the first
        Gantt view of a big trace does not wait for the build.
        """
        before = len(self.derived.log)
        self._selection(None)
        self._timeline(None)
        self.derived.get("primitive-rows", lambda: indices.primitive_rows(self.columns))
        self.derived.get("guid", lambda: indices.guid_index(self.columns))
        self.derived.get("parent", lambda: indices.parent_index(self.columns))
        return [name for action, name in self.derived.log[before:] if action == "built"]

    # -- derived components --------------------------------------------------------------

    def _matched_rows(self, matched: np.ndarray) -> np.ndarray:
        table = self.derived.get("primitive-rows", lambda: indices.primitive_rows(self.columns))
        order, offsets = table["order"], table["offsets"]
        pieces = [np.asarray(order[offsets[p] : offsets[p + 1]]) for p in matched.tolist()]
        rows = np.concatenate(pieces) if pieces else np.zeros(0, np.int64)
        # One primitive's rows are in column order already; several are merged back into it.
        return rows if len(pieces) == 1 else np.sort(rows)

    @staticmethod
    def _key(matched: np.ndarray | None) -> str:
        if matched is None:
            return "all"
        if len(matched) == 1:
            return f"p{int(matched[0])}"
        text = ",".join(str(int(i)) for i in matched)
        return "p-" + hashlib.sha256(text.encode()).hexdigest()[:16]

    def _selection(self, matched: np.ndarray | None) -> finding.Selection:
        def build() -> dict[str, np.ndarray]:
            rows = None if matched is None else self._matched_rows(matched)
            return indices.selection(self.columns, rows)

        arrays = self.derived.get(f"selection-{self._key(matched)}", build)
        return finding.Selection(self.columns, arrays)

    def _timeline(self, matched: np.ndarray | None) -> dict[str, np.ndarray]:
        key = self._key(matched)

        def build() -> dict[str, np.ndarray]:
            rows = None if matched is None else self._matched_rows(matched)
            return timeline.timeline(self.columns, rows)

        return self.derived.get(f"timeline-{key}", build)

    # -- binned views ----------------------------------------------------------------------

    def _prepare(
        self, begin: object, end: object, bins: object, locations: object, primitive: object
    ) -> tuple[Window, list[int], np.ndarray | None]:
        """The checked window, location indices and matched instance indices (or None)."""
        win = window(begin, end, bins, self.columns.span_ns, default_bins=DEFAULT_BINS)
        chosen = location_indices(locations, self.columns.locations)
        matched = primitive_indices(primitive, self.columns.primitives)
        return win, chosen, matched

    def _busy(
        self, selection: finding.Selection, chosen: list[int], edges: np.ndarray
    ) -> np.ndarray:
        """[locations, bins] busy ns: the union of the selection's intervals per location."""
        arrays = selection.arrays
        return binning.per_bin(
            arrays["run_start"],
            arrays["run_end"],
            arrays["run_cum"],
            selection.run_bounds(chosen),
            edges,
        )

    def _header(
        self, win: Window, chosen: list[int], primitive: object, matched: np.ndarray | None
    ) -> dict[str, Any]:
        names = self.columns.primitives
        return {
            **win.describe(),
            "locations": [self.columns.locations[k] for k in chosen],
            "primitive": primitive or None,
            "instances": None if matched is None else [names[i] for i in matched.tolist()],
        }

    def utilization(
        self,
        begin: int | None = None,
        end: int | None = None,
        bins: int | None = None,
        locations: list[str] | None = None,
        primitive: str | None = None,
    ) -> dict[str, Any]:
        """Busy fraction per bin, in total (mean over `locations`) and per location.

        A location's busy time is the union of its intervals (nested ones count once);
        with `primitive` only that primitive's intervals count (instance name, or display
        name for all its instances; `dot#chunk` for chunks).
        """
        win, chosen, matched = self._prepare(begin, end, bins, locations, primitive)
        busy = self._busy(self._selection(matched), chosen, win.edges())
        fraction = binning.fractions(busy, win.bin_ns)
        total = fraction.mean(axis=0) if len(chosen) else np.zeros(win.bins)
        return {
            **self._header(win, chosen, primitive, matched),
            "total": binning.json_floats(total, DIGITS),
            "per_location": {
                self.columns.locations[k]: binning.json_floats(fraction[i], DIGITS)
                for i, k in enumerate(chosen)
            },
        }

    def gantt(
        self,
        begin: int | None = None,
        end: int | None = None,
        bins: int | None = None,
        locations: list[str] | None = None,
        primitive: str | None = None,
        raw_limit: int = DEFAULT_RAW_LIMIT,
    ) -> dict[str, Any]:
        """Per location and bin: busy fraction and the dominant primitive instance.

        `busy` is the utilization's per-location fraction. The dominant primitive of a bin
        is the one with the most *exclusive* time there: at each moment the innermost
        running interval of the location counts (a task's inline children take their time
        from it); ties go to the lowest instance index. With `primitive` only its intervals
        count, innermost among them. `legend` lists the instances the answer refers to
        (`dominant` holds positions in it, None for idle bins). Raw intervals (fields in
        `interval_fields`) come along only when the window holds at most `raw_limit`.
        """
        limit = whole_number(raw_limit, "raw_limit", 0, 100_000)
        win, chosen, matched = self._prepare(begin, end, bins, locations, primitive)
        edges = win.edges()
        selection = self._selection(matched)
        fraction = binning.fractions(self._busy(selection, chosen, edges), win.bin_ns)
        dominant = gantt_parts.dominant_primitives(self._timeline(matched), chosen, win, edges)
        count = sum(selection.count(k, win.begin, win.end) for k in chosen)
        raw_rows: dict[int, np.ndarray] | None = None
        if count <= limit:
            raw_rows = {
                k: selection.global_rows(selection.overlapping(k, win.begin, win.end))
                for k in chosen
            }
        used = [dominant[dominant >= 0].ravel()]
        if raw_rows is not None:
            used += [
                np.asarray(self.columns.primitive[rows], np.int64) for rows in raw_rows.values()
            ]
        legend = np.unique(np.concatenate(used))
        names = self.columns.primitives

        per_location = {}
        for i, k in enumerate(chosen):
            per_location[self.columns.locations[k]] = {
                "busy": binning.json_floats(fraction[i], DIGITS),
                "dominant": gantt_parts.legend_positions(legend, dominant[i]),
            }
        raw = None
        if raw_rows is not None:
            raw = {
                self.columns.locations[k]: gantt_parts.raw_intervals(self.columns, rows, legend)
                for k, rows in raw_rows.items()
            }
        return {
            **self._header(win, chosen, primitive, matched),
            "legend": [names[i] for i in legend.tolist()],
            "legend_display_names": [display_name(names[i]) for i in legend.tolist()],
            "per_location": per_location,
            "interval_count": int(count),
            "raw_limit": limit,
            "interval_fields": list(gantt_parts.RAW_FIELDS),
            "intervals": raw,
            "intervals_omitted": raw is None,
        }

    # -- intervals -------------------------------------------------------------------------

    def intervals(
        self,
        begin: int | None = None,
        end: int | None = None,
        locations: list[str] | None = None,
        primitive: str | None = None,
        min_duration: int = 0,
        limit: int = 1000,
        offset: int = 0,
    ) -> dict[str, Any]:
        """A page of the intervals overlapping [begin, end), by location then start.

        `total` counts every match; `next_offset` is the offset of the next page (None
        after the last). `min_duration` (ns) leaves out shorter intervals.
        """
        win, chosen, matched = self._prepare(begin, end, 1, locations, primitive)
        shortest = whole_number(min_duration, "min_duration", 0, MAX_NS)
        count, skip = paging(limit, offset)
        selection = self._selection(matched)
        rows, total = selection.page(
            chosen, win.begin, win.end, min_duration=shortest, limit=count, offset=skip
        )
        header = self._header(win, chosen, primitive, matched)
        for key in ("bins", "bin_ns"):
            header.pop(key)
        return {
            **header,
            "min_duration": shortest,
            "limit": count,
            "offset": skip,
            "total": int(total),
            "next_offset": skip + count if skip + count < total else None,
            "intervals": finding.describe(self.columns, rows),
        }

    def interval(self, guid: int | str, children_limit: int = 1000) -> dict[str, Any]:
        """One interval by GUID with its `ancestry` (parents, nearest first) and `children`."""
        key = whole_number(guid, "guid", 0, 2**64 - 1)
        most = whole_number(children_limit, "children_limit", 0, 100_000)
        guids = self.derived.get("guid", lambda: indices.guid_index(self.columns))
        found = finding.rows_with(guids, key)
        if not len(found):
            raise QueryError(
                f"no interval with GUID {key} in this trace; list intervals to find GUIDs",
                "guid",
                404,
            )
        row = int(found[0])
        chain, missing = finding.ancestry(self.columns, guids, row)
        parents = self.derived.get("parent", lambda: indices.parent_index(self.columns))
        kids, total = finding.children(self.columns, parents, key, most)
        return {
            **finding.describe(self.columns, np.array([row]))[0],
            "ancestry": finding.describe(self.columns, np.array(chain, np.int64)),
            "missing_parent": None if missing is None else finding.json_guids([missing])[0],
            "children": finding.describe(self.columns, kids),
            "children_total": int(total),
            "same_guid": int(len(found)),
        }

    # -- documents -------------------------------------------------------------------------

    def _profile_rows(self) -> tuple[str, list[dict[str, Any]]]:
        stored = documents.read_json(self.directory / "profile.json")
        if isinstance(stored, list):
            return "profile.json", stored

        def build() -> dict[str, np.ndarray]:
            guids = self.derived.get("guid", lambda: indices.guid_index(self.columns))
            return profile_arrays(self.columns, guids)

        return "columns", profile_rows(self.columns.primitives, self.derived.get("profile", build))

    def profile(self) -> dict[str, Any]:
        """Per instance: count, inclusive/exclusive ns, eval_direct (profile.json or computed)."""
        origin, rows = self._profile_rows()
        return {"origin": origin, "rows": rows}

    def tree(self) -> dict[str, Any]:
        """The execution tree with the profile on each node (a flat one when there is none)."""
        origin, rows = self._profile_rows()
        stored = documents.read_json(self.directory / "tree.json")
        if isinstance(stored, dict):
            root, unplaced = join_tree(stored, rows)
            return {
                "origin": "tree.json",
                "profile_origin": origin,
                "tree": root,
                "unplaced": unplaced,
            }
        return {"origin": "flat", "profile_origin": origin, "tree": flat_tree(rows), "unplaced": []}

    def counters(
        self,
        begin: int | None = None,
        end: int | None = None,
        bins: int | None = None,
        names: list[str] | None = None,
    ) -> dict[str, Any]:
        """Sampled counters binned: the mean per bin (None where a bin has no sample)."""
        win = window(begin, end, bins, self.columns.span_ns, default_bins=DEFAULT_BINS)
        series = documents.counter_indices(self.columns, names)
        edges = win.edges()
        answer = []
        for index in series:
            rows = self.columns.counter_rows(index)
            means, counts = binning.bin_means(
                np.asarray(self.columns.counter_time[rows]), self.columns.counter_value[rows], edges
            )
            info = self.columns.document["counters"][index]
            answer.append(
                {
                    "name": info["name"],
                    "unit": info.get("unit", ""),
                    "mean": binning.json_floats(means),
                    "samples": int(counts.sum()),
                }
            )
        return {**win.describe(), "series": answer}

    def source(self) -> dict[str, Any]:
        """The compiled function's text and each primitive instance's line:col (404 if none)."""
        return documents.source(self.directory, self.columns)

    def metadata(self) -> dict[str, Any]:
        """meta.json (when stored) and a summary of the columns."""
        return documents.metadata(self.directory, self.columns)
