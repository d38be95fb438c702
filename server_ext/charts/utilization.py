"""The utilization chart: busy fraction over time, in total and per location, with a brush.

An area shows the total busy fraction (mean over the locations), a line each location's,
and a third layer the selected primitive's share of the total ("click a primitive, its
share lights up"). The share layer reads the named dataset `share` (empty without
`primitive`), so the panel swaps its rows in place when the selection changes instead of
embedding a new chart. The interval selection `brush` on x (ns from the trace's start) is
how the panel sets the Gantt chart's window. Values are the `/utilization` answers'.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from jetlag.server_ext.charts.axes import TIME_FIELD, bin_rows, named, spec, time_x
from jetlag.server_ext.queries import TraceQueries

#: Name of the interval selection on the time axis (the panel reads it).
BRUSH = "brush"
#: Name of the dataset of the primitive's share (the panel replaces its rows).
SHARE = "share"


def utilization_rows(
    answer: dict[str, Any], share: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Long-form rows: one per bin and series (`kind` total or location); with `share`
    (a `/utilization?primitive=` answer) its rows (`kind` primitive) instead."""
    bins = bin_rows(answer)
    rows: list[dict[str, Any]] = []

    def add(kind: str, series: str, values: list[float]) -> None:
        for edges, busy in zip(bins, values, strict=True):
            rows.append({**edges, "kind": kind, "series": series, "busy": busy})

    if share is not None:
        add("primitive", share["primitive"], share["total"])
        return rows
    add("total", "total", answer["total"])
    for location, values in answer["per_location"].items():
        add("location", location, values)
    return rows


def utilization_chart(
    queries: TraceQueries,
    begin: int | None = None,
    end: int | None = None,
    bins: int | None = None,
    locations: list[str] | None = None,
    primitive: str | None = None,
) -> dict[str, Any]:
    """The utilization spec for a window (the parameters of `TraceQueries.utilization`)."""
    answer = queries.utilization(begin=begin, end=end, bins=bins, locations=locations)
    share = None
    if primitive:
        share = queries.utilization(
            begin=begin, end=end, bins=bins, locations=locations, primitive=primitive
        )
    rows = utilization_rows(answer)
    share_rows = utilization_rows(answer, share) if share is not None else []
    x = time_x(answer)
    y = alt.Y(
        "busy:Q", title="busy fraction", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")
    )
    tooltip = [
        alt.Tooltip("series:N", title="series"),
        alt.Tooltip("busy:Q", title="busy", format=".1%"),
        alt.Tooltip(f"{TIME_FIELD}:Q", title="bin middle (ns)", format=",.0f"),
    ]
    brush = alt.selection_interval(name=BRUSH, encodings=["x"])
    total = (
        alt.Chart()
        .transform_filter(alt.datum.kind == "total")
        .mark_area(opacity=0.35, interpolate="step", color="#4c78a8")
        .encode(x=x, y=y, tooltip=tooltip)
        .add_params(brush)
    )
    lines = (
        alt.Chart()
        .transform_filter(alt.datum.kind == "location")
        .mark_line(interpolate="step", strokeWidth=1)
        .encode(x=x, y=y, color=alt.Color("series:N", title="location"), tooltip=tooltip)
    )
    share_layer = (
        alt.Chart(named(SHARE))
        .mark_area(opacity=0.8, interpolate="step", color="#f58518")
        .encode(x=x, y=y, tooltip=tooltip)
    )
    chart = alt.layer(total, lines, share_layer, data=named("utilization")).properties(
        width="container", height=160
    )
    meta = {
        "chart": "utilization",
        "x_field": TIME_FIELD,
        "x_unit": "ns",
        "selections": {"brush": BRUSH},
        "window": {key: answer[key] for key in ("begin", "end", "bins", "bin_ns")},
        "locations": answer["locations"],
        "primitive": primitive or None,
        "instances": share["instances"] if share is not None else None,
        "share_dataset": SHARE,
    }
    return spec(chart, meta, {"utilization": rows}, datasets={SHARE: share_rows})
