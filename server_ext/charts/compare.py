"""The compare chart: two traces' profiles side by side with per-primitive differences.

Left, inclusive time per instance for trace a and trace b (bars side by side); right, the
difference b minus a (red where b is slower). Bands are the comparison's rows (largest
absolute difference first, at most `MAX_BARS`); the point selection `primitive` (field
`primitive`: the instance name) is shared by both panels.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from jetlag.server_ext.charts.axes import named, spec
from jetlag.server_ext.charts.profile import label

#: Name of the point selection (and of the field it holds).
SELECTION = "primitive"
#: Most instances shown.
MAX_BARS = 40
#: Pixel width of each panel (concatenated views cannot use "container").
PANEL_WIDTH = 320


def compare_chart_rows(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    """Long-form rows: one per instance and side (`a`, `b`), with the difference."""
    out = []
    for rank, row in enumerate(comparison["rows"][:MAX_BARS]):
        for side in ("a", "b"):
            out.append(
                {
                    "primitive": row["instance"],
                    "display": row["display_name"],
                    "label": label(row["instance"], row["display_name"]),
                    "rank": rank,
                    "side": side,
                    "trace": comparison[side]["id"],
                    "inclusive_ms": row[f"{side}_inclusive_ns"] / 1e6,
                    "exclusive_ms": row[f"{side}_exclusive_ns"] / 1e6,
                    "count": row[f"{side}_count"],
                    "diff_ms": row["diff_inclusive_ns"] / 1e6,
                    "ratio": row["ratio_inclusive"],
                }
            )
    return out


def compare_chart(comparison: dict[str, Any]) -> dict[str, Any]:
    """The compare spec of a /compare answer (`compare_profiles`)."""
    rows = compare_chart_rows(comparison)
    selection = alt.selection_point(
        name=SELECTION, fields=["primitive"], on="click", clear="dblclick"
    )
    band = alt.Y("label:N", title=None, sort=alt.EncodingSortField("rank", op="min"))
    highlight = alt.when(selection).then(alt.value(1.0)).otherwise(alt.value(0.35))
    tooltip = [
        alt.Tooltip("display:N", title="primitive"),
        alt.Tooltip("primitive:N", title="instance"),
        alt.Tooltip("side:N", title="trace"),
        alt.Tooltip("inclusive_ms:Q", title="inclusive (ms)", format=",.3f"),
        alt.Tooltip("count:Q"),
        alt.Tooltip("diff_ms:Q", title="b - a (ms)", format="+,.3f"),
        alt.Tooltip("ratio:Q", title="b / a", format=".2f"),
    ]
    height = max(60, 20 * len(rows) // 2)
    base = alt.Chart()
    sides = (
        base.mark_bar()
        .encode(
            y=band,
            yOffset=alt.YOffset("side:N", sort=["a", "b"]),
            x=alt.X("inclusive_ms:Q", title="inclusive time (ms)"),
            color=alt.Color("side:N", title="trace", sort=["a", "b"]),
            opacity=highlight,
            tooltip=tooltip,
        )
        .add_params(selection)
        .properties(width=PANEL_WIDTH, height=height)
    )
    diff = (
        base.transform_filter(alt.datum.side == "a")
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=alt.EncodingSortField("rank", op="min"), axis=None),
            x=alt.X("diff_ms:Q", title="b - a, inclusive (ms)"),
            color=alt.condition(alt.datum.diff_ms > 0, alt.value("#d62728"), alt.value("#2ca02c")),
            opacity=highlight,
            tooltip=tooltip,
        )
        .add_params(selection)
        .properties(width=PANEL_WIDTH, height=height)
    )
    chart = alt.hconcat(sides, diff, data=named("compare")).resolve_scale(
        y="shared", color="independent"
    )
    meta = {
        "chart": "compare",
        "selections": {"primitive": SELECTION},
        "a": comparison["a"]["id"],
        "b": comparison["b"]["id"],
        "shown": min(len(comparison["rows"]), MAX_BARS),
        "hidden": max(len(comparison["rows"]) - MAX_BARS, 0),
    }
    return spec(chart, meta, {"compare": rows})
