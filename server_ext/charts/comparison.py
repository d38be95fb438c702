"""Comparing two traces' profiles primitive by primitive (the data of GET /compare).

Rows are keyed by instance name (`dot$12$15`: the same source line and column in both
runs); a primitive that ran in only one trace is included with zeros on the other side.
Differences are b minus a; `ratio_inclusive` is b / a (null when a spent no time). Rows are
sorted by the absolute difference in inclusive time, largest first. Pure Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jetlag.runtime.measure.profile import display_name
from jetlag.server_ext.queries.tree import location_of

#: The measures compared, per side.
MEASURES = ("count", "inclusive_ns", "exclusive_ns")


def _by_instance(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["instance"]: row for row in rows}


def compare_rows(
    rows_a: Iterable[dict[str, Any]], rows_b: Iterable[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per-instance rows of two profiles (`/profile` rows): a's and b's measures, b - a."""
    a, b = _by_instance(rows_a), _by_instance(rows_b)
    out = []
    for instance in sorted(set(a) | set(b)):
        left, right = a.get(instance), b.get(instance)
        line, col = location_of(instance)
        row: dict[str, Any] = {
            "instance": instance,
            "display_name": display_name(instance),
            "line": line,
            "col": col,
            "in_a": left is not None,
            "in_b": right is not None,
        }
        for measure in MEASURES:
            va = int((left or {}).get(measure) or 0)
            vb = int((right or {}).get(measure) or 0)
            row[f"a_{measure}"] = va
            row[f"b_{measure}"] = vb
            row[f"diff_{measure}"] = vb - va
        inclusive = row["a_inclusive_ns"]
        row["ratio_inclusive"] = row["b_inclusive_ns"] / inclusive if inclusive else None
        out.append(row)
    out.sort(key=lambda r: (-abs(r["diff_inclusive_ns"]), r["instance"]))
    return out


def compare_profiles(
    summary_a: dict[str, Any],
    profile_a: dict[str, Any],
    summary_b: dict[str, Any],
    profile_b: dict[str, Any],
) -> dict[str, Any]:
    """The /compare answer: both traces' summaries, per-primitive rows and totals."""
    rows = compare_rows(profile_a["rows"], profile_b["rows"])
    return {
        "a": summary_a,
        "b": summary_b,
        "rows": rows,
        "only_in_a": sum(1 for row in rows if not row["in_b"]),
        "only_in_b": sum(1 for row in rows if not row["in_a"]),
        "duration_diff_ns": int(summary_b["duration_ns"]) - int(summary_a["duration_ns"]),
    }
