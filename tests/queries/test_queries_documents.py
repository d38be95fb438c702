"""Counters binned, the profile computed from the columns, trees, source and metadata."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import pytest
from queries_reference import edges, nested_rows, write_trace

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.profile import Profile
from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries import QueryError, TraceQueries

NAMES = ["dot$1$4", "add$2$8", "dot$3$1", "exp$4$2", "dot$1$4#chunk", "gradient"]


def sample_counters() -> Counters:
    counters = Counters()
    for t in range(0, 2000, 37):
        counters.add(t, "cpu/process", float(t % 101), "%")
    for t in (3, 4, 900, 1999):
        counters.add(t, "memory/rss", 1e9 + t, "bytes")
    return counters


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    directory = tmp_path_factory.mktemp("documents")
    rows = nested_rows(13, 3, len(NAMES), per_location=40)
    columns = write_trace(
        directory, rows, locations=["a", "b", "c"], names=NAMES, counters=sample_counters()
    )
    return TraceQueries(columns), rows


def reference_means(samples, begin, end, bins):
    cuts = edges(begin, end, bins)
    out = []
    for i, (a, b) in enumerate(zip(cuts[:-1], cuts[1:], strict=True)):
        last = i == bins - 1
        inside = [v for t, v in samples if a <= t < b or (last and t == b)]
        out.append(sum(inside) / len(inside) if inside else None)
    return out


def test_counters_are_binned_means_with_units(trace):
    queries, _ = trace
    columns = queries.columns
    series = {}
    for index, info in enumerate(columns.document["counters"]):
        part = columns.counter_rows(index)
        series[info["name"]] = list(
            zip(
                columns.counter_time[part].tolist(),
                columns.counter_value[part].tolist(),
                strict=True,
            )
        )
    for begin, end, bins in [(0, 2000, 7), (30, 100, 13), (-10, 5, 3), (0, 1999, 1999)]:
        answer = queries.counters(begin, end, bins)
        assert [s["name"] for s in answer["series"]] == ["cpu/process", "memory/rss"]
        for item in answer["series"]:
            expected = reference_means(series[item["name"]], begin, end, bins)
            assert [m is None for m in item["mean"]] == [e is None for e in expected]
            got = [m for m in item["mean"] if m is not None]
            assert got == pytest.approx([e for e in expected if e is not None])
        assert answer["series"][1]["unit"] == "bytes"
    only = queries.counters(bins=4, names=["memory/rss"])
    assert [s["name"] for s in only["series"]] == ["memory/rss"] and only["series"][0][
        "samples"
    ] == 4


def test_the_profile_is_computed_from_the_columns_like_the_runtime(trace, tmp_path):
    queries, rows = trace
    answer = queries.profile()
    assert answer["origin"] == "columns"
    from queries_reference import KINDS

    from jetlag.runtime.measure.table import EventTable

    table = EventTable.from_columns(
        guid=[r[4] for r in rows],
        parent=[r[5] for r in rows],
        start=[r[1] for r in rows],
        end=[r[2] for r in rows],
        name=[r[3] for r in rows],
        worker=[r[0] for r in rows],
        kind=[KINDS.index(r[6]) for r in rows],
        names=NAMES,
        workers=["a", "b", "c"],
        kinds=KINDS,
    )
    assert answer["rows"] == Profile.from_table(table).to_dict()


def test_without_a_tree_the_tree_is_flat_in_source_order(trace):
    queries, _ = trace
    answer = queries.tree()
    assert answer["origin"] == "flat" and answer["profile_origin"] == "columns"
    children = answer["tree"]["children"]
    assert [c["instance"] for c in children] == [
        "dot$1$4",
        "add$2$8",
        "dot$3$1",
        "exp$4$2",
        "gradient",
    ]
    dot = children[0]
    assert (dot["line"], dot["col"], dot["name"]) == (1, 4, "dot")
    profile = {row["instance"]: row for row in queries.profile()["rows"]}
    for field in ("count", "inclusive_ns", "exclusive_ns", "eval_direct"):
        assert dot["profile"][field] == profile["dot$1$4"][field]
        assert dot["chunks"][field] == profile["dot$1$4#chunk"][field]


def test_source_is_404_when_the_trace_has_none(trace):
    queries, _ = trace
    with pytest.raises(QueryError) as caught:
        queries.source()
    assert (caught.value.field, caught.value.status) == ("source", 404)


def test_metadata_summarizes_the_columns(trace):
    queries, rows = trace
    answer = queries.metadata()
    assert answer["meta"] is None and answer["events"] == len(rows)
    assert answer["locations"] == ["a", "b", "c"] and answer["primitives"] == len(NAMES)
    assert answer["display_names"] == ["add", "dot", "dot#chunk", "exp", "gradient"]
    assert answer["counters"] == [
        {"name": "cpu/process", "unit": "%", "samples": math.ceil(2000 / 37)},
        {"name": "memory/rss", "unit": "bytes", "samples": 4},
    ]
    assert answer["span_ns"][0] == 0 and answer["duration_ns"] == answer["span_ns"][1]
    assert answer["available"] == {"tree": False, "profile": False, "source": False, "otf2": False}
    json.dumps(answer, allow_nan=False)


def test_an_empty_trace_still_answers(tmp_path):
    columns = write_trace(tmp_path, [], locations=[], names=[])
    queries = TraceQueries(TraceColumns.open(tmp_path))
    answer = queries.utilization(bins=3)
    assert answer["total"] == [0.0, 0.0, 0.0] and answer["per_location"] == {}
    assert queries.gantt(bins=3)["per_location"] == {}
    assert queries.intervals()["total"] == 0
    assert queries.profile()["rows"] == [] and queries.tree()["tree"]["children"] == []
    assert queries.counters(bins=2)["series"] == []
    assert columns.span_ns == (0, 0) and Fraction(answer["bin_ns"]) > 0
