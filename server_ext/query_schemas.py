"""JSON Schemas of the trace queries' answers (utilization, gantt, intervals, tree, ...).

They follow server_ext/queries' output field by field and change with it; tests validate
real answers against them and schemathesis checks the live server with them. Objects are
closed except the free-form ones (a trace's meta.json, a literal's value).
"""

from __future__ import annotations

from typing import Any

from jetlag.server_ext.schemas import (
    BOOLEAN,
    COUNT,
    FRACTION,
    INTEGER,
    NUMBER,
    STRING,
    array,
    nullable,
    record,
    ref,
)

GUID: dict[str, Any] = {
    "description": (
        "A task's GUID: a number up to 2^53, decimal text above (a browser would round "
        "a bigger number)."
    ),
    "anyOf": [
        {"type": "integer", "minimum": 0, "maximum": 2**53 - 1},
        {"type": "string", "pattern": "^[0-9]{16,20}$"},
    ],
}


def _window(bins: bool = True) -> dict[str, Any]:
    header: dict[str, Any] = {
        "begin": {"type": "integer", "description": "Window start, ns from the trace's start."},
        "end": {"type": "integer", "description": "Window end (exclusive), ns."},
    }
    if bins:
        header["bins"] = {"type": "integer", "minimum": 1, "maximum": 10_000}
        header["bin_ns"] = {"type": "number", "exclusiveMinimum": 0}
    return header


def _selection() -> dict[str, Any]:
    return {
        "locations": array(STRING),
        "primitive": nullable(STRING),
        "instances": nullable(array(STRING)),
    }


def _per_location(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": values,
        "description": "By location name, in the order asked.",
    }


_PROFILE_STATS = record(
    {"count": COUNT, "inclusive_ns": COUNT, "exclusive_ns": COUNT, "eval_direct": COUNT}
)

_PROFILE_ROW = record(
    {
        "instance": STRING,
        "display_name": STRING,
        "count": COUNT,
        "inclusive_ns": COUNT,
        "exclusive_ns": COUNT,
        "eval_direct": COUNT,
    }
)

_TREE_NODE = record(
    {
        "kind": {"type": "string", "enum": ["program", "call", "variable", "literal"]},
        "name": STRING,
        "instance": STRING,
        "line": nullable(INTEGER),
        "col": nullable(INTEGER),
        "children": array(ref("TreeNode")),
        "profile": nullable(_PROFILE_STATS),
        "chunks": _PROFILE_STATS,
        "counters": {"type": "object", "additionalProperties": True},
        "value": {"description": "A literal's value (inf and nan as strings)."},
        "type": STRING,
        "file": nullable(STRING),
        "keyword": STRING,
    },
    optional=("chunks", "counters", "value", "type", "file", "keyword"),
)


def _interval_fields() -> dict[str, Any]:
    return {
        "guid": GUID,
        "parent_guid": GUID,
        "location": STRING,
        "primitive": STRING,
        "display_name": STRING,
        "kind": STRING,
        "start": INTEGER,
        "end": INTEGER,
        "duration": COUNT,
    }


_SIDE = ("count", "inclusive_ns", "exclusive_ns")


def chart_schemas() -> dict[str, Any]:
    """The chart specs' and the comparison's schemas (server_ext/charts)."""
    return {
        "ChartSpec": {
            "type": "object",
            "description": (
                "A Vega-Lite v5 spec with its data inline; `usermeta.jetlag` names the chart, "
                "its selections (`brush`, `primitive`) and what was left out."
            ),
            "properties": {
                "$schema": {
                    "type": "string",
                    "pattern": "^https://vega.github.io/schema/vega-lite/v5",
                },
                "usermeta": record({"jetlag": {"type": "object"}}),
            },
            "required": ["$schema", "usermeta"],
            "additionalProperties": True,
        },
        "ComparisonRow": record(
            {
                "instance": STRING,
                "display_name": STRING,
                "line": nullable(INTEGER),
                "col": nullable(INTEGER),
                "in_a": BOOLEAN,
                "in_b": BOOLEAN,
                **{f"{side}_{m}": COUNT for m in _SIDE for side in ("a", "b")},
                **{f"diff_{m}": INTEGER for m in _SIDE},
                "ratio_inclusive": nullable({"type": "number", "minimum": 0}),
            },
            description="One primitive instance in both traces; diff_* are b minus a.",
        ),
        "Comparison": record(
            {
                "a": ref("Trace"),
                "b": ref("Trace"),
                "rows": array(ref("ComparisonRow")),
                "only_in_a": COUNT,
                "only_in_b": COUNT,
                "duration_diff_ns": INTEGER,
            },
            description="Rows sorted by the absolute difference in inclusive time.",
        ),
    }


def query_schemas() -> dict[str, Any]:
    """The component schemas of every trace query's answer, by name."""
    return {
        **chart_schemas(),
        "Utilization": record(
            {
                **_window(),
                **_selection(),
                "total": array(FRACTION),
                "per_location": _per_location(array(FRACTION)),
            },
            description="Busy fraction per bin: mean over the locations, and per location.",
        ),
        "Gantt": record(
            {
                **_window(),
                **_selection(),
                "legend": array(STRING),
                "legend_display_names": array(STRING),
                "per_location": _per_location(
                    record({"busy": array(FRACTION), "dominant": array(nullable(COUNT))})
                ),
                "interval_count": COUNT,
                "raw_limit": COUNT,
                "interval_fields": array(STRING),
                "intervals": nullable(_per_location(array(ref("RawInterval")))),
                "intervals_omitted": BOOLEAN,
            },
            description=(
                "Per location and bin: busy fraction and the dominant primitive (an index "
                "into legend, null when idle); the raw intervals only when the window holds "
                "at most raw_limit of them."
            ),
        ),
        "RawInterval": {
            "type": "array",
            "description": "[start, end, primitive (legend index), guid, parent_guid, kind].",
            "items": {"anyOf": [INTEGER, STRING]},
            "minItems": 6,
            "maxItems": 6,
        },
        "Interval": record(
            _interval_fields(), description="One task: times in ns from the trace's start."
        ),
        "Intervals": record(
            {
                **_window(bins=False),
                **_selection(),
                "min_duration": COUNT,
                "limit": {"type": "integer", "minimum": 1},
                "offset": COUNT,
                "total": COUNT,
                "next_offset": nullable(COUNT),
                "intervals": array(ref("Interval")),
            }
        ),
        "IntervalDetail": record(
            {
                **_interval_fields(),
                "ancestry": array(ref("Interval")),
                "missing_parent": nullable(GUID),
                "children": array(ref("Interval")),
                "children_total": COUNT,
                "same_guid": {"type": "integer", "minimum": 1},
            },
            description="A task with its parents (nearest first) and children.",
        ),
        "TreeNode": _TREE_NODE,
        "Tree": record(
            {
                "origin": {"type": "string", "enum": ["tree.json", "flat"]},
                "profile_origin": {"type": "string", "enum": ["profile.json", "columns"]},
                "tree": ref("TreeNode"),
                "unplaced": array(_PROFILE_ROW),
            }
        ),
        "Profile": record(
            {
                "origin": {"type": "string", "enum": ["profile.json", "columns"]},
                "rows": array(_PROFILE_ROW),
            }
        ),
        "Counters": record(
            {
                **_window(),
                "series": array(
                    record(
                        {
                            "name": STRING,
                            "unit": STRING,
                            "mean": array(nullable(NUMBER)),
                            "samples": COUNT,
                        }
                    )
                ),
            }
        ),
        "Source": record(
            {
                "file": nullable(STRING),
                "text": STRING,
                "sections": array(
                    record(
                        {
                            "file": STRING,
                            "functions": array(STRING),
                            "offset": COUNT,
                            "lines": COUNT,
                        }
                    ),
                ),
                "primitives": array(
                    record(
                        {
                            "instance": STRING,
                            "primitive": STRING,
                            "line": INTEGER,
                            "col": INTEGER,
                            "file": STRING,
                            "file_line": INTEGER,
                        }
                    )
                ),
            },
            description=(
                "The text of every file the trace's primitives point into, one section "
                "per file (the entry's file last); `line` is a line of `text`, "
                "`file_line` the same line in its own file."
            ),
        ),
        "Metadata": record(
            {
                "meta": nullable({"type": "object", "description": "The trace's meta.json."}),
                "events": COUNT,
                "span_ns": {"type": "array", "items": INTEGER, "minItems": 2, "maxItems": 2},
                "duration_ns": COUNT,
                "origin_ns": nullable(INTEGER),
                "clock_offset_ns": nullable(INTEGER),
                "locations": array(STRING),
                "primitives": COUNT,
                "display_names": array(STRING),
                "kinds": array(STRING),
                "counters": array(record({"name": STRING, "unit": STRING, "samples": COUNT})),
                "available": record(
                    {"tree": BOOLEAN, "profile": BOOLEAN, "source": BOOLEAN, "otf2": BOOLEAN}
                ),
            }
        ),
    }
