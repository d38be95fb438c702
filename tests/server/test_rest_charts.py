"""REST chart specs and trace comparison against a real jupyter-server (jp_fetch): every
chart answers Vega-Lite v5 whose data equal the query endpoints', and bad parameters get
the right 4xx and field."""

from __future__ import annotations

from pathlib import Path

import pytest
from schema_check import conforms
from server_support import seed_trace

CHARTS = ("utilization", "counters", "tree", "profile")


@pytest.fixture
def two_traces(store_root: Path, jp_serverapp) -> tuple[str, str]:
    """Two real compiled-function traces in the server's store."""
    return seed_trace(store_root, label="a"), seed_trace(store_root, label="b")


async def test_every_chart_is_a_v5_spec(api, two_traces):
    a, _ = two_traces
    for chart in CHARTS:
        reply = await api("GET", f"traces/{a}/charts/{chart}")
        assert reply.status == 200, (chart, reply.body[:300])
        conforms(reply.json, "ChartSpec")
        assert reply.json["$schema"].startswith("https://vega.github.io/schema/vega-lite/v5")
        assert reply.json["usermeta"]["jetlag"]["chart"] == chart


async def test_utilization_chart_data_equal_the_query(api, two_traces):
    a, _ = two_traces
    window = {"begin": 0, "end": 50_000_000, "bins": 40, "primitive": "dot"}
    query = (await api("GET", f"traces/{a}/utilization", params=window)).json
    share = query["total"]
    whole = (await api("GET", f"traces/{a}/utilization", params={**window, "primitive": ""})).json
    spec = (await api("GET", f"traces/{a}/charts/utilization", params=window)).json
    rows = spec["data"]["values"]
    assert [r["busy"] for r in rows if r["kind"] == "total"] == whole["total"]
    # The primitive's share is the named dataset the panel refills in place.
    shared = spec["datasets"][spec["usermeta"]["jetlag"]["share_dataset"]]
    assert [r["busy"] for r in shared if r["kind"] == "primitive"] == share
    assert "brush" in {p["name"] for p in spec["params"]}


async def test_tree_chart_compare_and_color(api, two_traces):
    a, b = two_traces
    spec = (await api("GET", f"traces/{a}/charts/tree", params={"compare": b})).json
    assert spec["usermeta"]["jetlag"]["color"] == "difference"
    spec = (await api("GET", f"traces/{a}/charts/tree", params={"color": "exclusive"})).json
    assert spec["layer"][1]["encoding"]["color"]["field"] == "exclusive_ms"
    params = spec.get("params", []) + [
        p for layer in spec["layer"] for p in layer.get("params", [])
    ]
    (selection,) = [p for p in params if p["name"] == "primitive"]
    assert selection["select"]["fields"] == ["primitive"]


async def test_compare_answer_and_chart(api, two_traces):
    a, b = two_traces
    reply = await api("GET", "compare", params={"a": a, "b": b})
    assert reply.status == 200
    conforms(reply.json, "Comparison")
    assert reply.json["a"]["id"] == a and reply.json["b"]["id"] == b
    profile_a = (await api("GET", f"traces/{a}/profile")).json["rows"]
    profile_b = (await api("GET", f"traces/{b}/profile")).json["rows"]
    left = {row["instance"]: row for row in profile_a}
    right = {row["instance"]: row for row in profile_b}
    for row in reply.json["rows"]:
        va = left.get(row["instance"], {}).get("inclusive_ns", 0)
        vb = right.get(row["instance"], {}).get("inclusive_ns", 0)
        assert row["diff_inclusive_ns"] == vb - va
    chart = await api("GET", "compare/chart", params={"a": a, "b": b})
    assert chart.status == 200
    conforms(chart.json, "ChartSpec")
    assert chart.json["usermeta"]["jetlag"]["chart"] == "compare"


@pytest.mark.parametrize(
    "path,params,status,field",
    [
        ("charts/utilization", {"bins": 0}, 400, "bins"),
        ("charts/utilization", {"begin": 10, "end": 5}, 400, "end"),
        ("charts/utilization", {"primitive": "nonesuch"}, 400, "primitive"),
        ("charts/utilization", {"locations": "nowhere"}, 400, "locations"),
        ("charts/utilization", {"color": "red"}, 400, "color"),
        ("charts/counters", {"names": "nonesuch"}, 400, "names"),
        ("charts/tree", {"color": "rainbow"}, 400, "color"),
        ("charts/tree", {"compare": "nope"}, 400, "compare"),
        ("charts/tree", {"compare": "t000000000000"}, 404, "compare"),
        ("charts/profile", {"bins": 5}, 400, "bins"),
    ],
)
async def test_bad_chart_parameters(api, two_traces, path, params, status, field):
    a, _ = two_traces
    reply = await api("GET", f"traces/{a}/{path}", params=params)
    assert reply.status == status, reply.body
    assert reply.error[1] == field


async def test_bad_compare_parameters_and_unknown_things(api, two_traces):
    a, b = two_traces
    cases = [
        ("compare", {"a": a}, 400, "b"),
        ("compare", {"a": "x", "b": b}, 400, "a"),
        ("compare", {"a": a, "b": "t000000000000"}, 404, "b"),
        ("compare/chart", {"a": "t000000000000", "b": b}, 404, "a"),
        ("compare", {"a": a, "b": b, "c": 1}, 400, "c"),
    ]
    for path, params, status, field in cases:
        reply = await api("GET", path, params=params)
        assert reply.status == status, (path, params, reply.body)
        assert reply.error[1] == field, (path, params)
    assert (await api("GET", "traces/t000000000000/charts/tree")).status == 404
    assert (await api("GET", f"traces/{a}/charts/pie")).status == 404
    assert (await api("GET", f"traces/{a}/charts/tree", token=False)).status in (401, 403)
    assert (await api("GET", "compare", params={"a": a, "b": b}, token=False)).status in (401, 403)
