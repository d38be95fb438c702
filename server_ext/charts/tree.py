"""The execution-tree chart: a node-link diagram of the tree with the profile on it.

Nodes are circles sized by `count` and coloured by inclusive or exclusive time (`color`),
or, with `compare` (another trace's queries), by the difference in inclusive time (this
trace minus the other, diverging colours). Edges are rules from parent to child. The point
selection `primitive` (field `primitive`: the instance name, e.g. `dot$12$15`, which
`/utilization?primitive=` accepts) is how the panel learns which primitive was clicked.
The layout is tree_layout's; big trees are capped and say so in `usermeta.jetlag`.
"""

from __future__ import annotations

from typing import Any

import altair as alt

from jetlag.server_ext.charts.axes import line_col, named, spec
from jetlag.server_ext.charts.tree_layout import MAX_NODES, Layout, layout_tree, node_name
from jetlag.server_ext.queries import QueryError, TraceQueries

#: Name of the point selection (and the field it holds: the instance name).
SELECTION = "primitive"
#: `color` choices -> (field, legend title).
COLORS = {
    "inclusive": ("inclusive_ms", "inclusive time (ms)"),
    "exclusive": ("exclusive_ms", "exclusive time (ms)"),
}
DIFF = ("diff_ms", "inclusive time minus the other trace's (ms)")


def _stats(profile: dict[str, Any] | None) -> dict[str, int]:
    profile = profile or {}
    return {key: int(profile.get(key) or 0) for key in ("count", "inclusive_ns", "exclusive_ns")}


def node_rows(layout: Layout, other: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """One row per placed node: id, parent, depth, x, names, where, profile, difference."""
    rows = []
    for index, node in enumerate(layout.nodes):
        instance, display = node_name(node)
        source = node.source or {}
        stats = _stats(source.get("profile"))
        row: dict[str, Any] = {
            "id": index,
            "parent": node.parent,
            "depth": node.depth,
            "x": node.x,
            "primitive": instance,
            "display": display,
            "kind": source.get("kind", "more"),
            "line": source.get("line"),
            "col": source.get("col"),
            "where": line_col(source.get("line"), source.get("col")),
            **stats,
            "inclusive_ms": stats["inclusive_ns"] / 1e6,
            "exclusive_ms": stats["exclusive_ns"] / 1e6,
            "more": node.more,
        }
        if other is not None:
            theirs = other.get(instance or "", 0)
            row["other_inclusive_ns"] = theirs
            row["diff_ns"] = stats["inclusive_ns"] - theirs
            row["diff_ms"] = row["diff_ns"] / 1e6
        rows.append(row)
    return rows


def edge_rows(layout: Layout) -> list[dict[str, Any]]:
    """One rule per parent-child pair: (x, y) at the parent, (x2, y2) at the child."""
    nodes = layout.nodes
    return [
        {
            "parent": node.parent,
            "child": index,
            "x": nodes[node.parent].x,
            "y": nodes[node.parent].depth,
            "x2": node.x,
            "y2": node.depth,
        }
        for index, node in enumerate(nodes)
        if node.parent is not None
    ]


def tree_chart(
    queries: TraceQueries,
    color: str | None = None,
    compare: TraceQueries | None = None,
    max_nodes: int = MAX_NODES,
) -> dict[str, Any]:
    """The tree spec; `color` is inclusive (default) or exclusive; `compare` another trace."""
    choice = color or "inclusive"
    if choice not in COLORS:
        raise QueryError(f"color must be one of {', '.join(COLORS)}; got {choice!r}", "color")
    answer = queries.tree()
    layout = layout_tree(answer["tree"], max_nodes)
    other = None
    if compare is not None:
        other = {row["instance"]: int(row["inclusive_ns"]) for row in compare.profile()["rows"]}
    nodes = node_rows(layout, other)
    depth = max(row["depth"] for row in nodes)
    x = alt.X("x:Q", axis=None, scale=alt.Scale(zero=False, nice=False, padding=12))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(reverse=True, zero=False, padding=12))
    edges = (
        alt.Chart(named("edges"))
        .mark_rule(color="#999", strokeWidth=1)
        .encode(x=x, y=y, x2="x2:Q", y2="y2:Q")
    )
    field, title = DIFF if other is not None else COLORS[choice]
    scale = (
        alt.Scale(scheme="redblue", domainMid=0, reverse=True)
        if other is not None
        else alt.Scale(scheme="viridis")
    )
    selection = alt.selection_point(
        name=SELECTION, fields=["primitive"], on="click", clear="dblclick"
    )
    tooltip = [
        alt.Tooltip("display:N", title="primitive"),
        alt.Tooltip("primitive:N", title="instance"),
        alt.Tooltip("where:N", title="line:col"),
        alt.Tooltip("count:Q", title="count"),
        alt.Tooltip("inclusive_ms:Q", title="inclusive (ms)", format=",.3f"),
        alt.Tooltip("exclusive_ms:Q", title="exclusive (ms)", format=",.3f"),
    ]
    if other is not None:
        tooltip.append(alt.Tooltip("diff_ms:Q", title="difference (ms)", format="+,.3f"))
    base = alt.Chart(named("nodes")).encode(
        x=x, y=alt.Y("depth:Q", axis=None, scale=alt.Scale(reverse=True, zero=False, padding=12))
    )
    circles = (
        # A thin outline keeps nodes visible whose colour is the background's (a zero
        # difference is white in the diverging scheme); the selected node's is thick.
        base.mark_circle(opacity=1, stroke="#444")
        .encode(
            size=alt.Size("count:Q", title="count", scale=alt.Scale(range=[40, 600])),
            color=alt.Color(f"{field}:Q", title=title, scale=scale),
            strokeWidth=alt.when(selection, empty=False)
            .then(alt.value(3))
            .otherwise(alt.value(0.75)),
            tooltip=tooltip,
        )
        .add_params(selection)
    )
    labels = base.mark_text(dy=14, fontSize=9, color="#555").encode(text="display:N")
    chart = alt.layer(edges, circles, labels).properties(
        width="container", height=min(60 * (depth + 1), 2000)
    )
    meta = {
        "chart": "tree",
        "selections": {"primitive": SELECTION},
        "color": "difference" if other is not None else choice,
        "origin": answer["origin"],
        "nodes": sum(1 for row in nodes if row["kind"] != "more"),
        "hidden_nodes": layout.hidden,
        "max_nodes": layout.max_nodes,
        "truncated": layout.hidden > 0,
        "unplaced": [row["instance"] for row in answer["unplaced"]],
    }
    return spec(chart, meta, {"edges": edge_rows(layout), "nodes": nodes})
