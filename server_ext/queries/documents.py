"""The small documents stored with a trace: meta.json, source.txt, tree.json instances.

`source` answers with the compiled function's text and the line:col of every primitive
instance (parsed from `name$line$col`); `metadata` with meta.json plus a summary of the
columns; `counter_indices` checks counter names. Reads small files only; no binning here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from jetlag.runtime.measure.profile import display_name
from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries.errors import QueryError
from jetlag.server_ext.queries.sources import source_sections


def read_json(path: Path) -> Any:
    """The JSON document at `path`, or None when it is missing or unreadable."""
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _tree_instances(node: Any) -> list[str]:
    found, stack = [], [node]
    while stack:
        current = stack.pop()
        if not isinstance(current, dict):
            continue
        instance = current.get("instance")
        if isinstance(instance, str) and current.get("kind") != "program":
            found.append(instance)
        stack.extend(current.get("children") or [])
    return found


def source(directory: Path, columns: TraceColumns) -> dict[str, Any]:
    """{"file", "text", "sections", "primitives": [{"instance", "primitive", "line", "col",
    "file", "file_line"}]}: see `sources.source_sections`."""
    try:
        text = (directory / "source.txt").read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        raise QueryError(
            "this trace has no source text (imported traces and hand-built ones have none); "
            "the tree, profile and timeline views still work",
            "source",
            404,
        ) from None
    meta = read_json(directory / "meta.json") or {}
    return source_sections(
        text,
        meta.get("source_file"),
        list(columns.primitives),
        read_json(directory / "tree.json"),
        read_json(directory / "sources.json"),
    )


def counter_indices(columns: TraceColumns, names: Any) -> list[int]:
    """Indices of the named counter series (all when None)."""
    known = [c["name"] for c in columns.document.get("counters", [])]
    if names is None:
        return list(range(len(known)))
    if isinstance(names, str):
        names = [names]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        shown = ", ".join(known[:20]) or "(none: this trace has no counters)"
        raise QueryError(
            f"unknown counter(s) {', '.join(map(repr, unknown[:5]))}; this trace has: {shown}"
            if unknown
            else "names is empty; name at least one counter or leave it out for all",
            "names",
        )
    return list(dict.fromkeys(known.index(n) for n in names))


def metadata(directory: Path, columns: TraceColumns) -> dict[str, Any]:
    """meta.json (None when absent) and the columns' summary."""
    document = columns.document
    samples = np.diff(np.asarray(columns.series_offsets)).tolist()
    first, last = columns.span_ns
    return {
        "meta": read_json(directory / "meta.json"),
        "events": len(columns),
        "span_ns": [first, last],
        "duration_ns": last - first,
        "origin_ns": document.get("origin_ns"),
        "clock_offset_ns": document.get("clock_offset_ns"),
        "locations": list(columns.locations),
        "primitives": len(columns.primitives),
        "display_names": sorted({display_name(name) for name in columns.primitives}),
        "kinds": list(columns.kinds),
        "counters": [
            {"name": c["name"], "unit": c.get("unit", ""), "samples": int(n)}
            for c, n in zip(document.get("counters", []), samples, strict=False)
        ],
        "available": {
            "tree": (directory / "tree.json").is_file(),
            "profile": (directory / "profile.json").is_file(),
            "source": (directory / "source.txt").is_file(),
            "otf2": (directory / "otf2").is_dir(),
        },
    }
