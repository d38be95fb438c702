"""Each chart spec is valid Vega-Lite v5, names the params the panel reads, and carries the
same numbers the REST queries answer for the same window."""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import jsonschema
import pytest
from altair.vegalite.v5.schema.core import load_schema

from jetlag.server_ext import charts
from jetlag.server_ext.queries import QueryError


@cache
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(load_schema())


def valid_v5(spec: dict) -> dict:
    """Assert `spec` is a Vega-Lite v5 spec (schema URL and the v5 JSON schema)."""
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
    errors = list(_validator().iter_errors(spec))
    assert not errors, errors[0].message
    return spec


def params_of(spec: dict) -> dict[str, dict]:
    """Every param of the spec, by name (top level and in any view)."""
    found: dict[str, dict] = {}

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for param in node.get("params", []):
                found[param["name"]] = param
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec)
    return found


def layer_values(spec: dict) -> list[dict]:
    return spec["data"]["values"]


def test_utilization_spec_matches_the_query(services, chart_store):
    _, trace, _ = chart_store
    queries = services.queries(trace)
    answer = queries.utilization(bins=64)
    spec = valid_v5(charts.utilization_chart(queries, bins=64))
    brush = params_of(spec)["brush"]
    assert brush["select"]["type"] == "interval" and brush["select"]["encodings"] == ["x"]
    rows = layer_values(spec)
    assert [r["busy"] for r in rows if r["kind"] == "total"] == answer["total"]
    for location, values in answer["per_location"].items():
        assert [r["busy"] for r in rows if r["series"] == location] == values
    middles = [r["t_ns"] for r in rows if r["kind"] == "total"]
    assert middles == sorted(middles) and answer["begin"] < middles[0] < middles[-1] < answer["end"]
    assert spec["width"] == "container"
    assert spec["usermeta"]["jetlag"]["x_field"] == "t_ns"
    assert not any(r["kind"] == "primitive" for r in rows)
    # The share layer is there, empty, so the panel can fill it in place.
    assert spec["layer"][2]["data"] == {"name": "share"} and spec["datasets"]["share"] == []


def test_utilization_with_a_primitive_adds_its_share(services, chart_store):
    _, trace, _ = chart_store
    queries = services.queries(trace)
    window = {"begin": 0, "end": queries.metadata()["duration_ns"] // 2, "bins": 20}
    share = queries.utilization(primitive="dot", **window)
    spec = valid_v5(charts.utilization_chart(queries, primitive="dot", **window))
    rows = spec["datasets"][spec["usermeta"]["jetlag"]["share_dataset"]]
    assert [r["busy"] for r in rows if r["kind"] == "primitive"] == share["total"]
    assert [r["t_ns"] for r in rows] == [
        r["t_ns"] for r in layer_values(spec) if r["kind"] == "total"
    ]
    assert spec["layer"][2]["data"] == {"name": "share"}
    assert spec["usermeta"]["jetlag"]["instances"] == share["instances"]
    with pytest.raises(QueryError) as error:
        charts.utilization_chart(queries, primitive="nonesuch")
    assert error.value.field == "primitive"


def _tree_parts(spec: dict) -> tuple[list[dict], list[dict]]:
    edges = spec["layer"][0]["data"]["values"]
    nodes = spec["layer"][1]["data"]["values"]
    return nodes, edges


def test_tree_spec_layout_selection_and_profile(services, chart_store):
    _, trace, _ = chart_store
    queries = services.queries(trace)
    spec = valid_v5(charts.tree_chart(queries))
    selection = params_of(spec)["primitive"]
    assert selection["select"]["type"] == "point"
    assert selection["select"]["fields"] == ["primitive"]
    nodes, edges = _tree_parts(spec)
    by_id = {node["id"]: node for node in nodes}
    # Parents are above children (depth grows downward: the y scale is reversed).
    assert spec["layer"][1]["encoding"]["y"]["scale"]["reverse"] is True
    for node in nodes:
        if node["parent"] is not None:
            assert by_id[node["parent"]]["depth"] == node["depth"] - 1
    assert len(edges) == len(nodes) - 1
    # No two nodes of one depth overlap: at least one slot apart.
    levels = defaultdict(list)
    for node in nodes:
        levels[node["depth"]].append(node["x"])
    for xs in levels.values():
        xs.sort()
        assert all(b - a >= 1 for a, b in zip(xs, xs[1:], strict=False))
    # The nodes carry the profile, and their names are what /utilization?primitive= takes.
    profile = {row["instance"]: row for row in queries.profile()["rows"]}
    ran = [node for node in nodes if node["count"] > 0]
    assert ran
    for node in ran:
        row = profile[node["primitive"]]
        assert (node["count"], node["inclusive_ns"], node["exclusive_ns"]) == (
            row["count"],
            row["inclusive_ns"],
            row["exclusive_ns"],
        )
        assert node["where"] == f"{node['line']}:{node['col']}"
        queries.utilization(primitive=node["primitive"], bins=1)
    assert {"dot"} <= {node["display"] for node in ran}
    color = spec["layer"][1]["encoding"]["color"]["field"]
    assert color == "inclusive_ms"
    exclusive = charts.tree_chart(queries, color="exclusive")
    assert exclusive["layer"][1]["encoding"]["color"]["field"] == "exclusive_ms"
    assert spec["usermeta"]["jetlag"]["truncated"] is False
    with pytest.raises(QueryError) as error:
        charts.tree_chart(queries, color="rainbow")
    assert error.value.field == "color"


def test_tree_compare_colours_by_difference(services, chart_store):
    _, a, b = chart_store
    spec = valid_v5(charts.tree_chart(services.queries(a), compare=services.queries(b)))
    nodes, _ = _tree_parts(spec)
    other = {row["instance"]: row["inclusive_ns"] for row in services.queries(b).profile()["rows"]}
    assert spec["layer"][1]["encoding"]["color"]["field"] == "diff_ms"
    assert spec["layer"][1]["encoding"]["color"]["scale"]["domainMid"] == 0
    for node in nodes:
        assert node["diff_ns"] == node["inclusive_ns"] - other.get(node["primitive"] or "", 0)


def test_big_tree_is_capped_with_more_nodes(services, chart_store):
    _, trace, _ = chart_store
    queries = services.queries(trace)
    full = _tree_parts(charts.tree_chart(queries))[0]
    spec = valid_v5(charts.tree_chart(queries, max_nodes=6))
    nodes, _ = _tree_parts(spec)
    real = [node for node in nodes if node["kind"] != "more"]
    more = [node for node in nodes if node["kind"] == "more"]
    meta = spec["usermeta"]["jetlag"]
    assert len(real) == 6 == meta["nodes"] and meta["truncated"]
    assert more and all(node["display"] == f"+{node['more']} more" for node in more)
    assert sum(node["more"] for node in more) == meta["hidden_nodes"] == len(full) - 6


def test_counters_spec_matches_the_query(services, chart_store):
    _, trace, _ = chart_store
    queries = services.queries(trace)
    answer = queries.counters(bins=32)
    spec = valid_v5(charts.counters_chart(queries, bins=32))
    panels = spec["vconcat"]
    units = {series["unit"] for series in answer["series"]}
    assert {panel["title"] for panel in panels} == units
    got = defaultdict(list)
    for panel in panels:
        assert panel["encoding"]["x"]["field"] == "t_ns"
        assert panel["encoding"]["x"]["scale"]["domain"] == [answer["begin"], answer["end"]]
        for row in panel["data"]["values"]:
            got[row["name"]].append(row["value"])
    # Bins without a sample have no row (a null would break the line into dots nobody sees).
    assert got == {
        series["name"]: [v for v in series["mean"] if v is not None] for series in answer["series"]
    }
    assert any(None in series["mean"] for series in answer["series"])
    assert all(panel["mark"]["point"] for panel in panels)


def test_profile_spec_matches_the_query(services, chart_store):
    _, trace, _ = chart_store
    queries = services.queries(trace)
    spec = valid_v5(charts.profile_chart(queries))
    assert params_of(spec)["primitive"]["select"]["fields"] == ["primitive"]
    rows = spec["data"]["values"]
    for row in queries.profile()["rows"][: charts.profile.MAX_BARS]:
        mine = {r["measure"]: r for r in rows if r["primitive"] == row["instance"]}
        assert mine["inclusive"]["ns"] == row["inclusive_ns"]
        assert mine["exclusive"]["ns"] == row["exclusive_ns"]
