"""Vega-Lite v5 chart specs of a trace, built with Altair (import `jetlag.server_ext.charts`).

One chart per module: `utilization`, `tree`, `counters`, `profile` (and `compare` for two
traces). Each takes a trace's `TraceQueries` and the same parameters as the query behind
it, and returns the spec as a JSON-ready dict with its data inline (`data.values`), checked
against the Vega-Lite v5 schema. `comparison` computes the per-primitive differences of two
traces. No tornado, no Jupyter: the REST handlers call these on the worker pool.
"""

from __future__ import annotations

from jetlag.server_ext.charts.compare import compare_chart
from jetlag.server_ext.charts.comparison import compare_profiles
from jetlag.server_ext.charts.counters import counters_chart
from jetlag.server_ext.charts.profile import profile_chart
from jetlag.server_ext.charts.tree import tree_chart
from jetlag.server_ext.charts.utilization import utilization_chart

#: Chart name -> builder(queries, **arguments) for GET /traces/{id}/charts/{chart}.
CHARTS = {
    "utilization": utilization_chart,
    "tree": tree_chart,
    "counters": counters_chart,
    "profile": profile_chart,
}

__all__ = [
    "CHARTS",
    "compare_chart",
    "compare_profiles",
    "counters_chart",
    "profile_chart",
    "tree_chart",
    "utilization_chart",
]
