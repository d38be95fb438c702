"""The counters chart: sampled counters (CPU per worker, memory) over the utilization's axis.

One panel per unit (`%`, `bytes`, ...), a line per counter, binned like `/counters` (the
mean per bin). Bins without a sample have no row, so the line joins the samples on either
side (Vega-Lite breaks a line at a null), and every sample is a dot as well: a short trace
has a few samples spread over hundreds of bins. The x field and scale are
the utilization chart's (`t_ns`, ns from the trace's start), so the panel can line them up.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from jetlag.server_ext.charts.axes import TIME_FIELD, bin_rows, named, spec, time_x
from jetlag.server_ext.queries import TraceQueries

#: Width of each panel: Vega-Lite sizes concatenated views only in pixels, not "container".
PANEL_WIDTH = 600


def counter_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Long-form rows: one per counter and bin that has a sample."""
    bins = bin_rows(answer)
    rows = []
    for series in answer["series"]:
        for edges, value in zip(bins, series["mean"], strict=True):
            if value is not None:
                rows.append(
                    {**edges, "name": series["name"], "unit": series["unit"], "value": value}
                )
    return rows


def counters_chart(
    queries: TraceQueries,
    begin: int | None = None,
    end: int | None = None,
    bins: int | None = None,
    names: list[str] | None = None,
) -> dict[str, Any]:
    """The counters spec for a window (the parameters of `TraceQueries.counters`)."""
    answer = queries.counters(begin=begin, end=end, bins=bins, names=names)
    rows = counter_rows(answer)
    units = list(dict.fromkeys(series["unit"] for series in answer["series"]))
    x = time_x(answer)
    panels = []
    for i, unit in enumerate(units):
        axis = alt.Axis(format="~s") if unit == "bytes" else alt.Axis()
        panels.append(
            alt.Chart(named(f"unit-{i}"))
            .mark_line(interpolate="step-after", point=alt.OverlayMarkDef(size=16))
            .encode(
                x=x,
                y=alt.Y("value:Q", title=unit or "value", axis=axis),
                color=alt.Color("name:N", title=f"counter ({unit or 'no unit'})"),
                tooltip=[
                    alt.Tooltip("name:N", title="counter"),
                    alt.Tooltip("value:Q", title=unit or "value", format=",.4~g"),
                    alt.Tooltip(f"{TIME_FIELD}:Q", title="bin middle (ns)", format=",.0f"),
                ],
            )
            .properties(width=PANEL_WIDTH, height=110, title=unit or "no unit")
        )
    if panels:
        chart = alt.vconcat(*panels).resolve_scale(color="independent")
    else:
        chart = (
            alt.Chart(alt.Data(values=[{"text": "this trace has no sampled counters"}]))
            .mark_text()
            .encode(text="text:N")
            .properties(width="container", height=40)
        )
    meta = {
        "chart": "counters",
        "x_field": TIME_FIELD,
        "x_unit": "ns",
        "window": {key: answer[key] for key in ("begin", "end", "bins", "bin_ns")},
        "units": units,
        "series": [series["name"] for series in answer["series"]],
    }
    data = {f"unit-{i}": [r for r in rows if r["unit"] == unit] for i, unit in enumerate(units)}
    return spec(chart, meta, data)
