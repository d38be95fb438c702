"""The Trace model on a real run: tree of GUIDs, save() of every format, load() back."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from test_measure_data import ROOT, small_log

from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.measure.sampler import CounterSampler
from jetlag.runtime.measure.trace import Source, Trace
from jetlag.runtime.scheduler import execute

TEXT = "define$1$0(f, x, dot$1$13(x, x))\n"


@pytest.fixture(scope="module")
def run_trace():
    program = parse_physl(TEXT, file="prog.physl")
    x = np.ones((600, 600))
    execute(program, args=(x,))  # warm up: pool threads and compiled kernels
    with CounterSampler(interval=0.01) as sampler:
        result = execute(program, args=(x,), record_events=True)
    return Trace.from_run(result, tree=program, counters=sampler, function="f")


def test_real_run_forms_one_tree_rooted_at_the_call(run_trace):
    trace = run_trace
    assert trace.check_tree() == []
    events = list(trace.events)
    root = next(e for e in events if e.guid == trace.root_guid)
    assert root.parent_guid == 0 and root.name == "run" and root.kind == "call"
    call = next(e for e in events if e.kind == "call" and e.name == "f")
    assert call.parent_guid == trace.root_guid
    dot = next(e for e in events if e.name == "dot$1$13")
    assert dot.parent_guid == call.guid and dot.kind in ("task", "inline")
    chunks = [e for e in events if e.name == "dot$1$13#chunk"]
    assert chunks and all(c.parent_guid == dot.guid for c in chunks)
    assert trace.profile["dot$1$13"].count == 1
    assert trace.source == Source("prog.physl", TEXT)
    assert trace.metadata["threads"] and trace.metadata["start_time"]


def test_save_writes_every_format_and_load_reads_it_back(run_trace, tmp_path):
    trace = run_trace
    manifest_path = trace.save(tmp_path / "t")
    directory = manifest_path.parent
    manifest = json.loads(manifest_path.read_text())
    assert manifest["format"] == "jetlag-trace" and manifest["function"] == "f"
    assert manifest["root_guid"] == trace.root_guid and manifest["events"] == len(trace.events)
    for name in manifest["files"].values():
        assert (directory / name).is_file(), name
    assert manifest["files"]["source"] == "source/prog.physl"

    with open(directory / "profile.csv", newline="") as file:
        rows = list(csv.reader(file))
    assert rows[0] == ["primitive_instance", "display_name", "count", "time", "eval_direct"]
    assert ["dot$1$13", "dot", "1"] == rows[[r[0] for r in rows].index("dot$1$13")][:3]
    dot_time = trace.profile["dot$1$13"].inclusive_ns
    assert f"time_ns={dot_time}" in (directory / "tree.dot").read_text()
    assert (directory / "tree.nwk").read_text() == trace.tree.newick() + "\n"
    tree_json = json.loads((directory / "tree.json").read_text())
    assert "dot$1$13" in json.dumps(tree_json) and '"counters"' in json.dumps(tree_json)
    chrome = json.loads((directory / manifest["files"]["chrome"]).read_text())
    assert {e["ph"] for e in chrome["traceEvents"]} >= {"M", "X", "C"}

    back = Trace.load(directory)
    assert list(back.events) == list(trace.events)
    assert back.root_guid == trace.root_guid and back.function == "f"
    assert back.counters.names == trace.counters.names
    for name in trace.counters:
        np.testing.assert_array_equal(back.counters.series(name)[0], trace.counters.series(name)[0])
        np.testing.assert_array_equal(back.counters.series(name)[1], trace.counters.series(name)[1])
    assert back.source == trace.source
    assert back.tree.physl() == trace.tree.physl()
    assert back.metadata == json.loads(json.dumps(trace.metadata))
    assert str(back) == str(trace)

    from_otf2 = Trace.from_otf2(directory / "otf2")
    assert list(from_otf2.events) == list(trace.events)
    assert from_otf2.root_guid == trace.root_guid


def test_trace_without_tree_source_or_counters_saves_too(tmp_path):
    trace = Trace.from_events(small_log(), root_guid=ROOT, source=("<physl>", "f(x)\n"))
    manifest = json.loads(trace.save(tmp_path).read_text())
    assert (
        "tree_dot" not in manifest["files"] and manifest["files"]["source"] == "source/source.txt"
    )
    back = Trace.load(tmp_path)
    assert back.tree is None and back.source == Source("<physl>", "f(x)\n")
    assert len(back.counters) == 0 and list(back.events) == list(trace.events)


def test_single_format_writers(tmp_path):
    trace = Trace.from_events(small_log(), root_guid=ROOT, function="f")
    anchor = trace.write_otf2(tmp_path / "o")
    assert list(Trace.from_otf2(anchor).events) == list(trace.events)
    chrome = trace.write_chrome(tmp_path / "c.json", size_cap=100)
    assert chrome.name == "c.json.gz"


def test_tree_may_be_given_as_program_or_execution_tree():
    program = parse_physl(TEXT)
    a = Trace.from_events(small_log(), tree=program)
    b = Trace.from_events(small_log(), tree=ExecutionTree(program))
    assert a.tree.physl() == b.tree.physl()


def test_load_refuses_what_is_not_a_saved_trace(tmp_path):
    with pytest.raises(FileNotFoundError, match="is not a saved JetLag trace"):
        Trace.load(tmp_path)
    (tmp_path / "trace.json").write_text('{"format": "jetlag-trace", "version": 99}')
    with pytest.raises(ValueError, match="trace format version 99 is newer"):
        Trace.load(tmp_path)
