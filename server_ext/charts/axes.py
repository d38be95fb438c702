"""What every chart shares: the time axis convention, instance labels and the final spec.

Time charts (utilization, counters) put one row per bin with `t_ns` (the bin's middle, in
ns from the trace's start; the window and `bin_ns` are in `usermeta.jetlag`) on a quantitative
x axis over `t_ns` whose labels read in ms; so an interval selection on x (`brush`) holds
ns directly, the unit the queries take. This module builds no chart of its own.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import altair as alt
import jsonschema
from altair.vegalite.v5.schema.core import load_schema

#: The field and title of the shared time axis.
TIME_FIELD = "t_ns"
TIME_TITLE = "time from the trace's start (ms)"
#: Vega expression showing an ns axis value in ms.
MS_LABEL = "format(datum.value / 1e6, ',.4~f')"
#: The Vega-Lite major version the lab extension renders (vega-embed 6 / vega-lite 5).
SCHEMA_PREFIX = "https://vega.github.io/schema/vega-lite/v5"


def time_x(window: dict[str, Any], **extra: Any) -> alt.X:
    """The x encoding of a time chart over the answer's window [begin, end)."""
    return alt.X(
        f"{TIME_FIELD}:Q",
        title=TIME_TITLE,
        scale=alt.Scale(domain=[window["begin"], window["end"]], nice=False, zero=False),
        axis=alt.Axis(labelExpr=MS_LABEL, tickCount=8),
        **extra,
    )


def bin_rows(window: dict[str, Any]) -> list[dict[str, float]]:
    """Per bin of a binned answer: `t_ns`, its middle (the edges follow from `bin_ns`)."""
    begin, width, count = window["begin"], window["bin_ns"], window["bins"]
    return [{TIME_FIELD: round(begin + (i + 0.5) * width, 1)} for i in range(count)]


def line_col(line: int | None, col: int | None) -> str:
    """`line:col` (empty when unknown)."""
    return "" if line is None else f"{line}:{col if col is not None else 0}"


@cache
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(load_schema())


def _sampled(node: Any) -> Any:
    """A copy of a spec whose inline data keep only their first rows (for validation)."""
    if isinstance(node, dict):
        return {
            key: value[:3]
            if key == "values" and isinstance(value, list)
            else {name: rows[:3] for name, rows in value.items()}
            if key == "datasets" and isinstance(value, dict)
            else _sampled(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_sampled(value) for value in node]
    return node


def named(name: str) -> alt.Data:
    """A data source the chart names; `spec` puts its rows inline (`data.values`)."""
    return alt.Data(name=name)


def _inline(node: Any, data: dict[str, list[dict[str, Any]]]) -> Any:
    if isinstance(node, dict):
        if set(node) == {"name"} and node["name"] in data:
            return {"values": data[node["name"]]}
        return {key: _inline(value, data) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, data) for value in node]
    return node


def spec(
    chart: alt.TopLevelMixin,
    meta: dict[str, Any],
    data: dict[str, list[dict[str, Any]]],
    datasets: dict[str, list[dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """The chart as a Vega-Lite v5 dict with `data` (rows by `named` source) inline and
    `usermeta.jetlag`, validated against the schema. The sources in `datasets` stay named
    (their rows in the top-level `datasets`), so a Vega view can replace them by name.

    Altair converts only the spec (its per-row conversion would cost seconds on a 10,000-bin
    answer); the rows go in afterwards, and validation sees a few of them (they all have
    one shape).
    """
    document = chart.properties(usermeta={"jetlag": meta}).to_dict(validate=False)
    document = _inline(document, data)
    if datasets:
        document["datasets"] = {**document.get("datasets", {}), **datasets}
    if not document.get("$schema", "").startswith(SCHEMA_PREFIX):  # pragma: no cover
        raise RuntimeError(f"Altair emitted {document.get('$schema')}, not Vega-Lite v5")
    error = jsonschema.exceptions.best_match(_validator().iter_errors(_sampled(document)))
    if error is not None:  # pragma: no cover - a bug in a chart module
        raise RuntimeError(f"invalid Vega-Lite v5 spec: {error.message}")
    return document
