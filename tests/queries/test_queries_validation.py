"""Bad parameters are a QueryError (a ValueError, status 400) naming the field and the fix."""

from __future__ import annotations

import json

import pytest
from queries_reference import nested_rows, write_trace

from jetlag.runtime.measure.counters import Counters
from jetlag.server_ext.queries import QueryError, TraceQueries


@pytest.fixture(scope="module")
def queries(tmp_path_factory):
    counters = Counters.from_samples([(5, "cpu/process", 50.0, "%")])
    columns = write_trace(
        tmp_path_factory.mktemp("validation"),
        nested_rows(3, 2, 2),
        locations=["a", "b"],
        names=["dot$1$1", "add$2$2"],
        counters=counters,
    )
    return TraceQueries(columns)


CASES = [
    ("utilization", {"begin": 100, "end": 50}, "end", "after begin"),
    ("utilization", {"begin": 100, "end": 100}, "end", "after begin"),
    ("utilization", {"bins": 0}, "bins", "from 1 to 10000"),
    ("utilization", {"bins": 10_001}, "bins", "from 1 to 10000"),
    ("gantt", {"bins": -3}, "bins", "from 1 to 10000"),
    ("utilization", {"bins": 2.5}, "bins", "whole number"),
    ("utilization", {"bins": True}, "bins", "whole number"),
    ("utilization", {"begin": "soon"}, "begin", "whole number"),
    ("utilization", {"begin": 2**70}, "begin", "from"),
    ("utilization", {"locations": ["a", "nowhere"]}, "locations", "'nowhere'"),
    ("gantt", {"locations": []}, "locations", "at least one"),
    ("gantt", {"raw_limit": -1}, "raw_limit", "from 0"),
    ("intervals", {"min_duration": -1}, "min_duration", "from 0"),
    ("intervals", {"limit": 0}, "limit", "from 1 to 10000"),
    ("intervals", {"limit": 10_001}, "limit", "from 1 to 10000"),
    ("intervals", {"offset": -1}, "offset", "from 0"),
    ("intervals", {"locations": ["x"]}, "locations", "this trace has: a, b"),
    ("counters", {"names": ["nope"]}, "names", "cpu/process"),
    ("counters", {"bins": 0}, "bins", "from 1"),
    ("counters", {"begin": 9, "end": 3}, "end", "after begin"),
]


@pytest.mark.parametrize(("method", "arguments", "field", "hint"), CASES)
def test_bad_parameters_name_the_field(queries, method, arguments, field, hint):
    with pytest.raises(QueryError) as caught:
        getattr(queries, method)(**arguments)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.field == field and error.status == 400
    assert hint in str(error)


def test_good_edge_values_are_accepted(queries):
    end = queries.columns.span_ns[1]
    assert queries.utilization(0, end, 10_000)["bins"] == 10_000
    assert queries.utilization(0, 1, 1)["bins"] == 1
    assert queries.intervals(limit=10_000, offset=0)["limit"] == 10_000
    assert queries.utilization(begin="5", end=9.0, bins="3")["begin"] == 5  # from a query string


def test_answers_are_plain_json_without_nan(queries):
    for answer in (
        queries.utilization(bins=50),
        queries.gantt(bins=50),
        queries.intervals(),
        queries.counters(bins=50),
        queries.tree(),
        queries.profile(),
        queries.metadata(),
    ):
        json.dumps(answer, allow_nan=False)  # raises on NaN, numpy scalars or arrays
    counters = queries.counters(bins=50)["series"][0]
    assert counters["unit"] == "%" and None in counters["mean"]
