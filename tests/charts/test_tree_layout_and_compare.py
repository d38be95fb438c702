"""The tidy tree layout on synthetic trees, and the comparison of two real LRA traces
(optimize=False vs the default passes) against differences computed by hand."""

from __future__ import annotations

from collections import defaultdict

from jetlag.server_ext import charts
from jetlag.server_ext.charts.comparison import compare_rows
from jetlag.server_ext.charts.tree_layout import layout_tree


def node(name: str, *children: dict, kind: str = "call") -> dict:
    return {"kind": kind, "instance": f"{name}$1$1", "children": list(children), "profile": None}


def wide_tree(fanout: int, depth: int, prefix: str = "n") -> dict:
    if depth == 0:
        return node(prefix)
    return node(prefix, *(wide_tree(fanout, depth - 1, f"{prefix}{i}") for i in range(fanout)))


def test_layout_has_no_overlap_and_parents_centred_above():
    tree = node("root", wide_tree(3, 3, "a"), node("b"), wide_tree(1, 4, "c"), kind="program")
    layout = layout_tree(tree)
    levels = defaultdict(list)
    for placed in layout.nodes:
        levels[placed.depth].append(placed.x)
        if placed.children:
            kids = [layout.nodes[i] for i in placed.children]
            assert all(kid.depth == placed.depth + 1 for kid in kids)
            assert kids[0].x <= placed.x <= kids[-1].x
    for xs in levels.values():
        xs.sort()
        assert all(b - a >= 1 for a, b in zip(xs, xs[1:], strict=False))
    assert layout.hidden == 0 and len(layout.nodes) == 1 + 40 + 1 + 5


def test_variables_and_literals_that_never_ran_are_not_drawn():
    leaf = {"kind": "variable", "instance": "x$1$2", "children": [], "profile": None}
    ran = {"kind": "variable", "instance": "y$1$3", "children": [], "profile": {"count": 1}}
    layout = layout_tree(node("f", leaf, ran, kind="program"))
    assert [p.source["instance"] for p in layout.nodes] == ["f$1$1", "y$1$3"]


def test_cap_collapses_the_rest_per_parent():
    layout = layout_tree(wide_tree(10, 2), max_nodes=30)
    real = [p for p in layout.nodes if p.source is not None]
    more = [p for p in layout.nodes if p.source is None]
    assert len(real) == 30 and more
    assert sum(p.more for p in more) == layout.hidden == 111 - 30
    assert len({p.parent for p in more}) == len(more)  # one stand-in per parent at most


def test_compare_rows_are_the_hand_computed_differences(services, chart_store):
    _, a, b = chart_store
    pa = services.queries(a).profile()["rows"]
    pb = services.queries(b).profile()["rows"]
    answer = charts.compare_profiles(
        services.store.get(a), {"rows": pa}, services.store.get(b), {"rows": pb}
    )
    left = {row["instance"]: row for row in pa}
    right = {row["instance"]: row for row in pb}
    assert {row["instance"] for row in answer["rows"]} == set(left) | set(right)
    assert set(left) != set(right)  # the passes changed the program: some only on one side
    for row in answer["rows"]:
        x, y = left.get(row["instance"]), right.get(row["instance"])
        assert row["in_a"] == (x is not None) and row["in_b"] == (y is not None)
        for measure in ("count", "inclusive_ns", "exclusive_ns"):
            va = x[measure] if x else 0
            vb = y[measure] if y else 0
            assert (row[f"a_{measure}"], row[f"b_{measure}"]) == (va, vb)
            assert row[f"diff_{measure}"] == vb - va
        expected = (y["inclusive_ns"] if y else 0) / x["inclusive_ns"] if x else None
        assert row["ratio_inclusive"] == expected
    keys = [abs(row["diff_inclusive_ns"]) for row in answer["rows"]]
    assert keys == sorted(keys, reverse=True)
    assert answer["only_in_a"] == len(set(left) - set(right))
    assert answer["only_in_b"] == len(set(right) - set(left))
    assert answer["a"]["id"] == a and answer["b"]["id"] == b


def test_compare_rows_of_tiny_profiles():
    a = [{"instance": "dot$3$4", "count": 2, "inclusive_ns": 100, "exclusive_ns": 80}]
    b = [
        {"instance": "dot$3$4", "count": 2, "inclusive_ns": 40, "exclusive_ns": 30},
        {"instance": "fused$5$1", "count": 1, "inclusive_ns": 10, "exclusive_ns": 10},
    ]
    rows = compare_rows(a, b)
    assert [r["instance"] for r in rows] == ["dot$3$4", "fused$5$1"]
    assert rows[0]["diff_inclusive_ns"] == -60 and rows[0]["ratio_inclusive"] == 0.4
    assert rows[1]["a_count"] == 0 and rows[1]["ratio_inclusive"] is None
    assert (rows[1]["line"], rows[1]["col"], rows[1]["display_name"]) == (5, 1, "fused")


def test_compare_chart_is_valid_with_a_shared_selection(services, chart_store):
    from test_chart_specs import params_of, valid_v5

    _, a, b = chart_store
    qa, qb = services.queries(a), services.queries(b)
    answer = charts.compare_profiles(
        services.store.get(a), qa.profile(), services.store.get(b), qb.profile()
    )
    spec = valid_v5(charts.compare_chart(answer))
    assert params_of(spec)["primitive"]["select"]["fields"] == ["primitive"]
    rows = spec["data"]["values"]
    first = answer["rows"][0]
    mine = {r["side"]: r for r in rows if r["primitive"] == first["instance"]}
    assert mine["a"]["inclusive_ms"] == first["a_inclusive_ns"] / 1e6
    assert mine["b"]["diff_ms"] == first["diff_inclusive_ns"] / 1e6
