"""A trace from a real JetLag run, stored as the store lays it out, then queried."""

from __future__ import annotations

import json
import shutil
from fractions import Fraction

import numpy as np
import pytest
from queries_reference import read_rows, reference_busy, reference_exclusive

from jetlag import physl
from jetlag.runtime.store.columns import TraceColumns, write_columns
from jetlag.server_ext.queries import TraceQueries


@physl(trace="events", threads=4)
def gradient_step(x, w, steps):
    for _ in range(steps):  # an interpreted loop: every primitive is its own task
        w = w - 1e-3 * np.dot(np.transpose(x), np.dot(x, w))
    return w


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    x = np.random.default_rng(4).random((1000, 1000))
    gradient_step(x, np.ones(1000), 3)
    trace = gradient_step.trace
    assert {"task", "inline", "chunk", "call"} <= {
        trace.events.kinds[k] for k in trace.events.rows["kind"]
    }
    directory = tmp_path_factory.mktemp("real")
    write_columns(trace.events, trace.counters, directory)
    (directory / "tree.json").write_text(json.dumps(trace.tree.to_json(trace.tree_counters())))
    (directory / "profile.json").write_text(json.dumps(trace.profile.to_dict()))
    (directory / "source.txt").write_text(trace.source.text)
    meta = {"function": trace.function, "source_file": trace.source.file}
    (directory / "meta.json").write_text(json.dumps(meta))
    return trace, directory


def test_binned_views_of_a_real_run_match_the_reference(stored, dominance_path):
    trace, directory = stored
    queries = TraceQueries(TraceColumns.open(directory))
    rows = read_rows(queries.columns)
    end = queries.columns.span_ns[1]
    for begin, stop, bins in [(0, end, 200), (end // 3, end // 3 + end // 50, 31)]:
        gantt = queries.gantt(begin, stop, bins)
        for k, name in enumerate(queries.columns.locations):
            busy = reference_busy(rows, k, begin, stop, bins)
            assert gantt["per_location"][name]["busy"] == pytest.approx(busy, abs=2e-6)
            dominant = gantt["per_location"][name]["dominant"]
            for i, times in enumerate(reference_exclusive(rows, k, begin, stop, bins)):
                best = max(times.values(), default=Fraction(0))
                if best:
                    index = queries.columns.primitives.index(gantt["legend"][dominant[i]])
                    assert times.get(index, 0) >= best - Fraction(1, 10**6)


def test_primitive_filter_lights_up_the_dots(stored):
    trace, directory = stored
    queries = TraceQueries(TraceColumns.open(directory))
    answer = queries.utilization(bins=100, primitive="dot")
    assert answer["instances"] and all(i.startswith("dot$") for i in answer["instances"])
    assert max(answer["total"]) > 0
    everything = queries.utilization(bins=100)
    assert all(d <= e + 1e-6 for d, e in zip(answer["total"], everything["total"], strict=True))
    listed = queries.intervals(primitive="dot", limit=10_000)
    dots = sum(e.count for e in trace.profile if e.display_name == "dot")
    assert listed["total"] == dots
    chunks = queries.intervals(primitive="dot#chunk", limit=10_000)
    assert chunks["total"] == sum(e.count for e in trace.profile if e.display_name == "dot#chunk")
    assert {i["kind"] for i in chunks["intervals"]} == {"chunk"}


def test_tree_profile_and_source_come_from_the_stored_documents(stored):
    trace, directory = stored
    queries = TraceQueries(TraceColumns.open(directory))
    tree = queries.tree()
    assert tree["origin"] == "tree.json" and tree["profile_origin"] == "profile.json"
    nodes, stack = [], [tree["tree"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node["children"])
    ran = {n["instance"]: n["profile"] for n in nodes if n.get("profile")}
    for entry in trace.profile:
        if entry.instance in ran:
            assert ran[entry.instance]["count"] == entry.count
            assert ran[entry.instance]["exclusive_ns"] == entry.exclusive_ns
    assert any(i.startswith("dot$") for i in ran)
    source = queries.source()
    assert source["file"] == trace.source.file and "np.dot" in source["text"]
    lines = source["text"].splitlines()
    for item in source["primitives"]:
        if item["primitive"] == "dot":
            assert "dot" in lines[item["line"] - 1]
    assert queries.metadata()["meta"]["function"] == "gradient_step"


def test_the_profile_computed_from_the_columns_equals_the_runtime_one(stored, tmp_path):
    trace, directory = stored
    copy = tmp_path / "imported"
    shutil.copytree(directory, copy, ignore=shutil.ignore_patterns("profile.json", "tree.json"))
    queries = TraceQueries(TraceColumns.open(copy))
    assert queries.profile() == {"origin": "columns", "rows": trace.profile.to_dict()}
    assert queries.tree()["origin"] == "flat"


def test_ancestry_of_a_task_reaches_the_run(stored):
    trace, directory = stored
    queries = TraceQueries(TraceColumns.open(directory))
    leaf = queries.intervals(primitive="dot", limit=1)["intervals"][0]
    answer = queries.interval(leaf["guid"])
    chain = [a["guid"] for a in answer["ancestry"]]
    assert chain and chain[-1] == trace.root_guid or answer["missing_parent"] == trace.root_guid
    for child, parent in zip([leaf] + answer["ancestry"], answer["ancestry"], strict=False):
        assert child["parent_guid"] == parent["guid"]
