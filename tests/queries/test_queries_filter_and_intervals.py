"""The primitive filter, paged interval lists, and one interval with its ancestry."""

from __future__ import annotations

from fractions import Fraction

import pytest
from queries_reference import (
    nested_rows,
    read_rows,
    reference_busy,
    reference_exclusive,
    reference_overlapping,
    write_trace,
)

from jetlag.server_ext.queries import QueryError, TraceQueries

NAMES = ["dot$1$4", "add$2$8", "dot$3$1", "exp$4$2", "dot$1$4#chunk"]
LOCATIONS = ["driver", "w0", "w1"]
TOLERANCE = 2e-6


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    directory = tmp_path_factory.mktemp("filter")
    columns = write_trace(
        directory, nested_rows(11, 3, len(NAMES), per_location=60), locations=LOCATIONS, names=NAMES
    )
    return TraceQueries(columns), read_rows(columns)


@pytest.mark.parametrize(
    ("primitive", "instances"),
    [
        ("dot", ["dot$1$4", "dot$3$1"]),  # a display name: every instance, not the chunks
        ("dot$3$1", ["dot$3$1"]),  # an instance name: exactly that one
        ("dot#chunk", ["dot$1$4#chunk"]),  # chunks only when asked for
        ("dot$1$4#chunk", ["dot$1$4#chunk"]),
    ],
)
def test_primitive_filter_counts_only_its_intervals(trace, primitive, instances, dominance_path):
    queries, rows = trace
    codes = {NAMES.index(name) for name in instances}

    def keep(row):
        return row[3] in codes

    end = queries.columns.span_ns[1]
    answer = queries.utilization(0, end, 40, primitive=primitive)
    assert answer["primitive"] == primitive and answer["instances"] == instances
    gantt = queries.gantt(0, end, 40, primitive=primitive)
    for k, name in enumerate(LOCATIONS):
        expected = reference_busy(rows, k, 0, end, 40, keep)
        assert answer["per_location"][name] == pytest.approx(expected, abs=TOLERANCE)
        assert gantt["per_location"][name]["busy"] == answer["per_location"][name]
        dominant = gantt["per_location"][name]["dominant"]
        for i, times in enumerate(reference_exclusive(rows, k, 0, end, 40, keep)):
            best = max(times.values(), default=Fraction(0))
            if best == 0:
                assert dominant[i] is None
            else:
                chosen = NAMES.index(gantt["legend"][dominant[i]])
                assert chosen in codes and times.get(chosen, 0) >= best - Fraction(1, 10**6)
    listed = queries.intervals(0, end, primitive=primitive, limit=10_000)
    assert {i["primitive"] for i in listed["intervals"]} <= set(instances)
    assert [i["guid"] for i in listed["intervals"]] == [
        rows[r][4] for r in reference_overlapping(rows, 0, end, keep=keep)
    ]


def test_unknown_primitive_is_a_400_naming_the_field(trace):
    queries, _ = trace
    with pytest.raises(QueryError) as caught:
        queries.utilization(primitive="dott")
    assert caught.value.field == "primitive" and caught.value.status == 400
    assert "dot" in str(caught.value)  # the known names are listed


def test_paging_walks_every_overlapping_interval_once(trace):
    queries, rows = trace
    end = queries.columns.span_ns[1]
    for begin, stop, locations in [
        (0, end, None),
        (300, 700, ["w1", "driver"]),
        (-50, 3, None),
        (end, end + 10, None),
    ]:
        expected = reference_overlapping(
            rows,
            begin,
            stop,
            None if locations is None else [LOCATIONS.index(n) for n in locations],
        )
        seen, offset = [], 0
        while offset is not None:
            page = queries.intervals(begin, stop, locations=locations, limit=7, offset=offset)
            assert page["total"] == len(expected)
            assert len(page["intervals"]) <= 7
            seen += page["intervals"]
            offset = page["next_offset"]
        assert [i["guid"] for i in seen] == [rows[r][4] for r in expected]
        for item in seen:
            assert item["start"] < stop and item["end"] > begin
            assert item["duration"] == item["end"] - item["start"]
            assert item["display_name"] == item["primitive"].split("$")[0] + (
                "#chunk" if item["primitive"].endswith("#chunk") else ""
            )


def test_min_duration_and_the_last_page(trace):
    queries, rows = trace
    end = queries.columns.span_ns[1]
    expected = [r for r in reference_overlapping(rows, 0, end) if rows[r][2] - rows[r][1] >= 40]
    page = queries.intervals(0, end, min_duration=40, limit=10_000)
    assert [i["guid"] for i in page["intervals"]] == [rows[r][4] for r in expected]
    assert page["total"] == len(expected) and page["next_offset"] is None
    beyond = queries.intervals(0, end, min_duration=40, offset=len(expected) + 5)
    assert beyond["intervals"] == [] and beyond["total"] == len(expected)


def test_one_interval_with_its_ancestry_and_children(trace):
    queries, rows = trace
    by_guid = {r[4]: r for r in rows}
    deepest = max(rows, key=lambda r: _depth(r, by_guid))
    answer = queries.interval(deepest[4])
    assert answer["guid"] == deepest[4] and answer["location"] == LOCATIONS[deepest[0]]
    chain, parent = [], deepest[5]
    while parent in by_guid:
        chain.append(parent)
        parent = by_guid[parent][5]
    assert [a["guid"] for a in answer["ancestry"]] == chain and len(chain) >= 2
    assert answer["missing_parent"] == 1  # tasks hang off the run's GUID, which has no event
    top = answer["ancestry"][-1]
    family = queries.interval(top["guid"])
    kids = sorted((r for r in rows if r[5] == top["guid"]), key=lambda r: (r[1], r[6]))
    assert [c["guid"] for c in family["children"]] == [r[4] for r in kids]
    assert family["children_total"] == len(kids)
    assert all(c["parent_guid"] == top["guid"] for c in family["children"])
    assert queries.interval(str(deepest[4]))["guid"] == deepest[4]  # a path parameter


def _depth(row, by_guid) -> int:
    depth = 0
    while row[5] in by_guid:
        row, depth = by_guid[row[5]], depth + 1
    return depth


def test_unknown_or_malformed_guid(trace):
    queries, _ = trace
    with pytest.raises(QueryError) as missing:
        queries.interval(987654321)
    assert (missing.value.field, missing.value.status) == ("guid", 404)
    with pytest.raises(QueryError) as malformed:
        queries.interval("abc")
    assert (malformed.value.field, malformed.value.status) == ("guid", 400)


def test_gantt_raw_intervals_only_under_the_limit(trace):
    queries, rows = trace
    end = queries.columns.span_ns[1]
    small = queries.gantt(100, 200, 10, raw_limit=10_000)
    expected = reference_overlapping(rows, 100, 200)
    assert small["interval_count"] == len(expected) and small["intervals_omitted"] is False
    fields = small["interval_fields"]
    raw = [
        dict(zip(fields, item, strict=True))
        for name in LOCATIONS
        for item in small["intervals"][name]
    ]
    assert [r["guid"] for r in raw] == [rows[r][4] for r in expected]
    assert {small["legend"][r["primitive"]] for r in raw} <= set(NAMES)
    big = queries.gantt(0, end, 10, raw_limit=5)
    assert big["intervals"] is None and big["intervals_omitted"] is True
    assert big["interval_count"] == len(reference_overlapping(rows, 0, end))


def test_long_intervals_before_a_late_window_are_found_among_many_rows(tmp_path):
    # A root call spanning the trace, thousands of short tasks and some longer ones: the
    # intervals still running at a late window's begin are found without reading them all.
    rows = [(0, 0, 1_000_000, 0, 2, 1, "call")]
    for i in range(5000):
        start = 10 + i * 199
        length = 1500 if i % 50 == 0 else 90
        rows.append((0, start, start + length, 1 + i % 3, 10 + i, 2, "task"))
    rows.append((1, 500_000, 500_100, 2, 9, 2, "task"))
    columns = write_trace(tmp_path, rows, locations=["a", "b"], names=NAMES[:4])
    queries = TraceQueries(columns)
    table = read_rows(columns)
    for begin, end in [(700_001, 700_050), (995_100, 996_000), (3, 5), (500_050, 500_060)]:
        expected = [table[r][4] for r in reference_overlapping(table, begin, end)]
        listed = queries.intervals(begin, end, limit=10_000)
        assert [i["guid"] for i in listed["intervals"]] == expected
        assert listed["total"] == len(expected)
        paged = [
            queries.intervals(begin, end, limit=1, offset=o)["intervals"][0]["guid"]
            for o in range(len(expected))
        ]
        assert paged == expected
        gantt = queries.gantt(begin, end, 5)
        raw = [item[3] for name in ("a", "b") for item in gantt["intervals"][name]]
        assert raw == expected and gantt["interval_count"] == len(expected)


def test_guids_past_2_to_the_53_go_as_text(tmp_path):
    """APEX's 64-bit GUIDs would be rounded by a browser's JSON numbers: they go as text,
    exactly, and /intervals/{guid} takes that text back."""
    big = 2**64 - 5  # 18446744073709551611: a double would print ...551616
    rows = [
        (0, 0, 100, 0, big, 0, "task"),
        (0, 10, 50, 1, big + 1, big, "inline"),
        (0, 60, 70, 2, 7, big, "inline"),
    ]
    columns = write_trace(tmp_path, rows, locations=["driver"], names=NAMES[:3])
    queries = TraceQueries(columns)
    listed = queries.intervals(0, 100)["intervals"]
    assert [(r["guid"], r["parent_guid"]) for r in listed] == [
        (str(big), 0),
        (str(big + 1), str(big)),
        (7, str(big)),
    ]
    detail = queries.interval(str(big + 1))
    assert detail["guid"] == str(big + 1)
    assert [a["guid"] for a in detail["ancestry"]] == [str(big)]
    raw = queries.gantt(0, 100, 10)["intervals"]["driver"]
    assert [(r[3], r[4]) for r in raw] == [(str(big), 0), (str(big + 1), str(big)), (7, str(big))]
