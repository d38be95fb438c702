"""The profile of a trace and the execution tree joined with it.

`profile_arrays` computes the per-instance profile from the columns the way the runtime's
`Profile` does (count, inclusive time, exclusive time -- minus the overlap with direct
children, by Parent GUID, on the same location -- and eval_direct, the inline count), for
traces whose store folder has no profile.json (imported OTF2 archives). `join_tree` lays
the profile over tree.json; `flat_tree` makes a one-level tree from the instance names when
there is no tree. This module builds JSON-ready structures; it reads no files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from jetlag.runtime.measure.profile import display_name
from jetlag.runtime.store.columns import TraceColumns

Arrays = dict[str, np.ndarray]
PROFILE_FIELDS = ("count", "inclusive_ns", "exclusive_ns", "eval_direct")
_TAG = re.compile(r"^(?P<name>.*?)\$(?P<line>\d+)\$(?P<col>\d+)$")


def profile_arrays(columns: TraceColumns, guids: Arrays) -> Arrays:
    """Per primitive index: count, inclusive, exclusive ns and inline evaluations."""
    size = len(columns.primitives)
    start = np.asarray(columns.start, np.int64)
    end = np.asarray(columns.end, np.int64)
    duration = end - start
    primitive = np.asarray(columns.primitive, np.int64)
    location = np.asarray(columns.location)
    parent = np.asarray(columns.parent)
    keys = guids["sorted"]
    at = np.searchsorted(keys, parent, side="left")
    at_clipped = np.minimum(at, max(len(keys) - 1, 0))
    child = np.flatnonzero((at < len(keys)) & (keys[at_clipped] == parent))
    owner = np.asarray(guids["order"][at_clipped[child]], np.int64)
    # Only time the parent's own thread spent in the child is not the parent's.
    same = location[child] == location[owner]
    child, owner = child[same], owner[same]
    overlap = np.minimum(end[child], end[owner]) - np.maximum(start[child], start[owner])
    taken = np.bincount(owner, weights=np.maximum(overlap, 0), minlength=len(start))
    exclusive = duration - np.rint(taken).astype(np.int64)
    inline = columns.kinds.index("inline") if "inline" in columns.kinds else -1
    return {
        "count": np.bincount(primitive, minlength=size).astype(np.int64),
        "inclusive_ns": _sum(primitive, duration, size),
        "exclusive_ns": _sum(primitive, exclusive, size),
        "eval_direct": np.bincount(
            primitive, weights=np.asarray(columns.kind) == inline, minlength=size
        ).astype(np.int64),
    }


def _sum(keys: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.rint(np.bincount(keys, weights=values, minlength=size)).astype(np.int64)


def profile_rows(names: list[str], arrays: Arrays) -> list[dict[str, Any]]:
    """Profile.to_dict()-shaped rows of the instances that ran, most inclusive time first."""
    counts = arrays["count"]
    rows = [
        {
            "instance": names[i],
            "display_name": display_name(names[i]),
            **{field: int(arrays[field][i]) for field in PROFILE_FIELDS},
        }
        for i in np.flatnonzero(np.asarray(counts)).tolist()
    ]
    rows.sort(key=lambda row: (-row["inclusive_ns"], row["instance"]))
    return rows


def _stats(row: dict[str, Any] | None) -> dict[str, int] | None:
    if row is None:
        return None
    return {field: int(row.get(field, 0) or 0) for field in PROFILE_FIELDS}


def join_tree(tree: dict[str, Any], rows: Iterable[dict[str, Any]]) -> tuple[dict, list[dict]]:
    """(tree with "profile"/"chunks" on every node, profile rows no node took).

    A node's `profile` holds its instance's count, inclusive/exclusive ns and eval_direct
    (None when it never ran); `chunks` the same for its `#chunk` pieces when there are any.
    """
    by_instance = {row["instance"]: row for row in rows}
    placed: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        instance = node.get("instance")
        if node.get("kind") != "program" and isinstance(instance, str):
            node["profile"] = _stats(by_instance.get(instance))
            chunk = by_instance.get(f"{instance}#chunk")
            if chunk is not None:
                node["chunks"] = _stats(chunk)
                placed.add(chunk["instance"])
            if instance in by_instance:
                placed.add(instance)
        else:
            node["profile"] = None
        stack.extend(node.get("children") or [])
    unplaced = [row for instance, row in by_instance.items() if instance not in placed]
    return tree, unplaced


def location_of(instance: str) -> tuple[int | None, int | None]:
    """(line, col) from an instance name `name$line$col` (chunks: of their primitive)."""
    match = _TAG.match(instance.partition("#")[0])
    if match is None:
        return None, None
    return int(match["line"]), int(match["col"])


def flat_tree(rows: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """A program node with one child per instance that ran, in source order."""
    nodes: dict[str, dict[str, Any]] = {}
    for row in rows:
        base = row["instance"].partition("#")[0]
        if base not in nodes:
            line, col = location_of(base)
            nodes[base] = {
                "kind": "call",
                "name": display_name(base),
                "instance": base,
                "line": line,
                "col": col,
                "children": [],
                "profile": None,
            }
        key = "chunks" if "#" in row["instance"] else "profile"
        nodes[base][key] = _stats(row)
    children = sorted(
        nodes.values(),
        key=lambda n: (n["line"] is None, n["line"] or 0, n["col"] or 0, n["instance"]),
    )
    return {
        "kind": "program",
        "name": "program",
        "instance": "program",
        "line": None,
        "col": None,
        "children": children,
        "profile": None,
    }
