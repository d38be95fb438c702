"""utilization and gantt against brute-force answers computed per pixel in plain Python."""

from __future__ import annotations

from fractions import Fraction

import pytest
from queries_reference import (
    nested_rows,
    read_rows,
    reference_busy,
    reference_exclusive,
    write_trace,
)

from jetlag.server_ext.queries import TraceQueries

NAMES = ["dot$1$4", "add$2$8", "dot$3$1", "exp$4$2", "dot$1$4#chunk"]
LOCATIONS = ["driver", "w0", "w1", "w2"]
TOLERANCE = 2e-6  # answers keep 6 digits


@pytest.fixture(scope="module")
def random_trace(tmp_path_factory):
    directory = tmp_path_factory.mktemp("random")
    columns = write_trace(
        directory,
        nested_rows(7, 4, len(NAMES), per_location=40, empty=2),
        locations=LOCATIONS,
        names=NAMES,
    )
    return TraceQueries(columns), read_rows(columns)


def windows(span_end: int) -> list[tuple[int, int, int]]:
    return [
        (0, span_end, 64),  # the whole trace
        (-100, 50, 37),  # starts before the trace
        (101, 112, 33),  # bins narrower than a nanosecond: fractional edges
        (span_end - 40, span_end + 500, 7),  # runs past the end
        (span_end + 10, span_end + 90, 5),  # entirely after the trace
        (17, 1017, 999),
    ]


def test_utilization_matches_the_per_pixel_reference(random_trace):
    queries, rows = random_trace
    for begin, end, bins in windows(queries.columns.span_ns[1]):
        answer = queries.utilization(begin, end, bins)
        assert answer["bins"] == bins and len(answer["total"]) == bins
        assert answer["bin_ns"] == pytest.approx((end - begin) / bins)
        per = []
        for k, name in enumerate(LOCATIONS):
            expected = reference_busy(rows, k, begin, end, bins)
            assert answer["per_location"][name] == pytest.approx(expected, abs=TOLERANCE)
            per.append(expected)
        mean = [sum(column) / len(per) for column in zip(*per, strict=True)]
        assert answer["total"] == pytest.approx(mean, abs=TOLERANCE)


def test_gantt_busy_and_dominant_match_the_reference(random_trace, dominance_path):
    queries, rows = random_trace
    for begin, end, bins in windows(queries.columns.span_ns[1]):
        answer = queries.gantt(begin, end, bins)
        for k, name in enumerate(LOCATIONS):
            row = answer["per_location"][name]
            assert row["busy"] == pytest.approx(
                reference_busy(rows, k, begin, end, bins), abs=TOLERANCE
            )
            for i, times in enumerate(reference_exclusive(rows, k, begin, end, bins)):
                best = max(times.values(), default=Fraction(0))
                if best == 0:
                    assert row["dominant"][i] is None
                    continue
                chosen = NAMES.index(answer["legend"][row["dominant"][i]])
                # Ties may go either way; the chosen one must have the most time.
                assert times.get(chosen, 0) >= best - Fraction(1, 10**6)


def test_nested_intervals_count_once_and_bins_split_exactly(tmp_path, dominance_path):
    rows = [
        (0, 0, 100, 0, 2, 1, "task"),  # [0, 100) with two nested children
        (0, 12, 30, 1, 3, 2, "inline"),
        (0, 20, 25, 2, 4, 3, "inline"),
        (1, 50, 75, 1, 5, 1, "task"),  # crosses the middle bin edge
        (1, 75, 80, 2, 6, 1, "task"),  # touches it
    ]
    columns = write_trace(tmp_path, rows, locations=["a", "b", "idle"], names=NAMES[:3])
    queries = TraceQueries(columns)
    answer = queries.utilization(0, 100, 4)
    assert answer["per_location"]["a"] == [1.0, 1.0, 1.0, 1.0]
    assert answer["per_location"]["b"] == [0.0, 0.0, 1.0, 0.2]
    assert answer["per_location"]["idle"] == [0.0, 0.0, 0.0, 0.0]
    assert answer["total"] == pytest.approx([1 / 3, 1 / 3, 2 / 3, 1.2 / 3])
    gantt = queries.gantt(0, 100, 4)
    legend = gantt["legend"]
    dominant = [
        legend[i] if i is not None else None for i in gantt["per_location"]["a"]["dominant"]
    ]
    # Exclusive time in bin [0, 25): the task 12 ns, add 8 ns (12..20), dot$3$1 5 ns.
    assert dominant == ["dot$1$4", "dot$1$4", "dot$1$4", "dot$1$4"]
    sharp = queries.gantt(10, 30, 4)["per_location"]["a"]
    names = queries.gantt(10, 30, 4)["legend"]
    assert [names[i] for i in sharp["dominant"]] == ["add$2$8", "add$2$8", "dot$3$1", "add$2$8"]
    assert gantt["per_location"]["idle"]["dominant"] == [None] * 4


def test_locations_choose_rows_and_total_averages_them(random_trace):
    queries, rows = random_trace
    end = queries.columns.span_ns[1]
    answer = queries.utilization(0, end, 10, locations=["w1", "driver", "w1"])
    assert answer["locations"] == ["w1", "driver"]
    assert list(answer["per_location"]) == ["w1", "driver"]
    driver = reference_busy(rows, 0, 0, end, 10)
    assert answer["total"] == pytest.approx([(0 + d) / 2 for d in driver], abs=TOLERANCE)


def test_default_window_is_the_trace_span_with_1000_bins(random_trace):
    queries, _ = random_trace
    answer = queries.utilization()
    assert (answer["begin"], answer["end"]) == queries.columns.span_ns
    assert answer["bins"] == 1000 and len(answer["per_location"]["w0"]) == 1000


def test_partly_overlapping_intervals_on_one_location_are_still_a_union(tmp_path, dominance_path):
    # Imported traces need not nest; busy time is the union all the same.
    rows = [
        (0, 0, 10, 0, 2, 1, "task"),
        (0, 5, 15, 1, 3, 1, "task"),
        (0, 5, 15, 2, 4, 1, "task"),  # an exact duplicate span
        (0, 30, 30, 1, 5, 1, "task"),  # zero length: no busy time
        (0, 40, 60, 3, 6, 1, "task"),
    ]
    columns = write_trace(tmp_path, rows, locations=["a"], names=NAMES[:4])
    queries = TraceQueries(columns)
    answer = queries.utilization(0, 60, 6)
    assert answer["per_location"]["a"] == [1.0, 0.5, 0.0, 0.0, 1.0, 1.0]
    gantt = queries.gantt(0, 60, 6)
    assert gantt["per_location"]["a"]["busy"] == answer["per_location"]["a"]
    dominant = gantt["per_location"]["a"]["dominant"]
    assert dominant[2] is None and gantt["legend"][dominant[4]] == "exp$4$2"
