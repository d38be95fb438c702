"""The profile chart: inclusive and exclusive time per primitive instance, as bars.

One band per instance (`display` with its line:col), most inclusive time first, at most
`MAX_BARS` of them; two bars each (inclusive, exclusive). The point selection `primitive`
(field `primitive`: the instance name) selects an instance like the tree chart's does.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from jetlag.server_ext.charts.axes import line_col, named, spec
from jetlag.server_ext.queries import TraceQueries
from jetlag.server_ext.queries.tree import location_of

#: Name of the point selection (and of the field it holds).
SELECTION = "primitive"
#: Most instances shown (the rest are counted in `usermeta.jetlag.hidden`).
MAX_BARS = 40


def label(instance: str, display: str) -> str:
    """`display line:col` (the band's name)."""
    where = line_col(*location_of(instance))
    return f"{display} {where}" if where else display


def profile_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Long-form rows: one per instance and measure (`inclusive`, `exclusive`)."""
    out = []
    for rank, row in enumerate(rows):
        for measure in ("inclusive", "exclusive"):
            ns = int(row[f"{measure}_ns"])
            out.append(
                {
                    "primitive": row["instance"],
                    "display": row["display_name"],
                    "label": label(row["instance"], row["display_name"]),
                    "rank": rank,
                    "measure": measure,
                    "ns": ns,
                    "ms": ns / 1e6,
                    "count": int(row["count"]),
                }
            )
    return out


def profile_chart(queries: TraceQueries) -> dict[str, Any]:
    """The profile spec of one trace."""
    rows = queries.profile()["rows"]
    shown = rows[:MAX_BARS]
    selection = alt.selection_point(
        name=SELECTION, fields=["primitive"], on="click", clear="dblclick"
    )
    chart = (
        alt.Chart(named("profile"))
        .mark_bar()
        .encode(
            y=alt.Y("label:N", title=None, sort=alt.EncodingSortField("rank", op="min")),
            yOffset=alt.YOffset("measure:N", sort=["inclusive", "exclusive"]),
            x=alt.X("ms:Q", title="time (ms)"),
            color=alt.Color("measure:N", title="time", sort=["inclusive", "exclusive"]),
            opacity=alt.when(selection).then(alt.value(1.0)).otherwise(alt.value(0.35)),
            tooltip=[
                alt.Tooltip("display:N", title="primitive"),
                alt.Tooltip("primitive:N", title="instance"),
                alt.Tooltip("measure:N"),
                alt.Tooltip("ms:Q", title="ms", format=",.3f"),
                alt.Tooltip("count:Q"),
            ],
        )
        .add_params(selection)
        .properties(width="container", height=max(60, 20 * len(shown)))
    )
    meta = {
        "chart": "profile",
        "selections": {"primitive": SELECTION},
        "shown": len(shown),
        "hidden": len(rows) - len(shown),
    }
    return spec(chart, meta, {"profile": profile_rows(shown)})
