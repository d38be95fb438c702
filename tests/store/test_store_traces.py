"""TraceStore on one process: save, list, get, load back, relabel, delete, bad values."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest
from conftest import leftovers
from store_data import by_guid, small_trace

from jetlag.runtime.measure.events import EventLog, TaskEvent
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.store.columns import TraceColumns
from jetlag.runtime.store.errors import StoreError, TraceNotFound
from jetlag.runtime.store.traces import TraceStore

ROW_KEYS = {
    "id",
    "label",
    "origin",
    "function",
    "notebook",
    "cell",
    "job_id",
    "created_at",
    "start_time",
    "events",
    "locations",
    "duration_ns",
    "bytes",
}


def assert_same_trace(back: Trace, trace: Trace) -> None:
    assert by_guid(back) == by_guid(trace)
    assert back.root_guid == trace.root_guid and back.function == trace.function
    assert back.counters.names == trace.counters.names
    assert back.counters.units == trace.counters.units
    for name in trace.counters:
        for got, want in zip(back.counters.series(name), trace.counters.series(name), strict=True):
            np.testing.assert_array_equal(got, want)
    assert back.source == trace.source
    assert back.tree.physl() == trace.tree.physl()
    assert back.profile.to_dict() == trace.profile.to_dict()
    assert back.metadata == json.loads(json.dumps(trace.metadata))


def test_save_list_get_load_round_trip(store, trace):
    trace_id = store.save(trace, label="first run", notebook="demo.ipynb", cell="c1")
    assert trace_id.startswith("t") and len(trace_id) == 13

    [row] = store.list()
    assert set(row) == ROW_KEYS
    assert row["id"] == trace_id and row["label"] == "first run" and row["origin"] == "save"
    assert row["function"] == "f" and row["notebook"] == "demo.ipynb" and row["cell"] == "c1"
    assert (row["events"], row["locations"], row["duration_ns"]) == (5, 3, 1000)
    assert row["bytes"] > 0 and row["start_time"] == trace.metadata["start_time"]
    json.dumps(row)  # JSON-ready

    details = store.get(trace_id)
    assert details["root_guid"] == 1 and details["source_file"] == "prog.physl"
    assert details["has_tree"] and details["has_source"] and not details["has_otf2"]
    assert details["location_names"] == ["driver", "w0", "w1"]
    assert {c["name"] for c in details["counters"]} == {"cpu/process", "memory/rss"}
    json.dumps(details)

    folder = store.directory(trace_id)
    for name in ("columns.json", "meta.json", "profile.json", "tree.json", "tree.physl"):
        assert (folder / name).is_file(), name
    assert (folder / "source.txt").read_text() == trace.source.text
    meta = json.loads((folder / "meta.json").read_text())
    assert meta["format"] == "jetlag-store-trace" and meta["id"] == trace_id
    assert meta["clock_offset_ns"] == 1_700_000_000_000_000_000
    assert meta["threads"] == {"driver": 11, "w0": 12}
    tree = json.loads((folder / "tree.json").read_text())
    assert '"counters"' in json.dumps(tree)

    columns = store.columns(trace_id)
    assert isinstance(columns, TraceColumns) and len(columns) == 5
    assert columns.document["clock_offset_ns"] == 1_700_000_000_000_000_000
    assert store.columns(trace_id) is columns  # cached

    assert_same_trace(store.load(trace_id), trace)
    # A second store on the same root (another process would do the same) sees it too.
    assert TraceStore(store.root).load(trace_id).function == "f"


def test_list_is_newest_first_with_filters_and_paging(store, trace):
    ids = [store.save(trace, origin="cell") for _ in range(3)]
    job_trace = store.save(trace, origin="job", job_id="j0123456789ab")
    assert [r["id"] for r in store.list()] == [job_trace, *reversed(ids)]
    assert [r["id"] for r in store.list(origin="cell", limit=2)] == [ids[2], ids[1]]
    assert [r["id"] for r in store.list(origin="cell", offset=2)] == [ids[0]]
    assert [r["id"] for r in store.list(job_id="j0123456789ab")] == [job_trace]
    assert store.count() == 4 and store.count(origin="cell") == 3


def test_location_prefix_names_every_location(store, trace):
    trace_id = store.save(trace, location_prefix="cluster")
    assert store.get(trace_id)["location_names"] == ["cluster/driver", "cluster/w0", "cluster/w1"]
    assert store.load(trace_id).metadata["location_prefix"] == "cluster"
    assert trace.workers == ["driver", "w0", "w1"]  # the caller's trace is untouched


def test_save_async_returns_the_id_at_once_and_flush_waits(store):
    traces = [small_trace(shift=i * 10_000) for i in range(5)]
    ids = [store.save_async(t, origin="cell", cell=f"c{i}") for i, t in enumerate(traces)]
    assert len(set(ids)) == 5
    assert store.flush(timeout=60) is True
    assert store.failures == {}
    rows = store.list()
    assert [r["id"] for r in rows] == list(reversed(ids))  # in call order, newest first
    assert by_guid(store.load(ids[3])) == by_guid(traces[3])
    assert leftovers(store) == []


def test_save_async_checks_arguments_now_and_logs_failed_writes(store, trace, monkeypatch):
    with pytest.raises(StoreError) as bad:
        store.save_async(trace, label="two\nlines")
    assert bad.value.field == "label" and bad.value.status == 400
    taken = store.save(trace)
    with pytest.raises(StoreError) as conflict:
        store.save_async(trace, trace_id=taken)
    assert conflict.value.status == 409
    # Two queued saves under one new id: the second fails on the writer thread, is logged.
    gate, insert = threading.Event(), store.index.insert
    monkeypatch.setattr(store.index, "insert", lambda row: (gate.wait(60), insert(row)))
    fresh = store.new_id()
    assert store.save_async(trace, trace_id=fresh) == fresh
    assert store.save_async(trace, trace_id=fresh) == fresh  # the first is not listed yet
    gate.set()
    assert store.flush(60)
    assert "already exists" in store.failures[fresh]
    assert {r["id"] for r in store.list()} == {taken, fresh} and leftovers(store) == []


def test_profile_only_trace_keeps_its_profile(store, trace):
    profile = trace.profile.to_dict()
    trace.keep_profile_only()
    trace_id = store.save(trace)
    row = store.get(trace_id)
    assert row["events"] == 0 and row["duration_ns"] == 1000
    assert store.load(trace_id).profile.to_dict() == profile


def test_empty_trace_round_trips(store):
    empty = Trace.from_events(EventLog(), function="g")
    back = store.load(store.save(empty))
    assert len(back.events) == 0 and back.function == "g" and back.tree is None


def test_relabel_and_delete(store, trace):
    trace_id = store.save(trace, label="old")
    assert store.relabel(trace_id, "new name")["label"] == "new name"
    assert json.loads((store.directory(trace_id) / "meta.json").read_text())["label"] == "new name"
    assert store.relabel(trace_id, "")["label"] is None
    store.delete(trace_id)
    assert store.list() == [] and leftovers(store) == []
    with pytest.raises(TraceNotFound) as missing:
        store.get(trace_id)
    assert missing.value.status == 404 and missing.value.field == "trace_id"
    for call in (store.delete, store.load, store.directory, store.export_zip, store.columns):
        with pytest.raises(TraceNotFound):
            call(trace_id)
    with pytest.raises(TraceNotFound):
        store.relabel(trace_id, "x")


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda s, t: s.get("t123"), "trace_id"),
        (lambda s, t: s.delete("T0123456789AB"), "trace_id"),
        (lambda s, t: s.load("../etc/passwd"), "trace_id"),
        (lambda s, t: s.relabel("t0123456789ab", "x" * 201), "label"),
        (lambda s, t: s.relabel("t0123456789ab", 5), "label"),
        (lambda s, t: s.save(t, label="a\x00b"), "label"),
        (lambda s, t: s.save(t, trace_id="nope"), "trace_id"),
        (lambda s, t: s.save(t, job_id="x1"), "job_id"),
        (lambda s, t: s.save(t, origin=""), None),
        (lambda s, t: s.list(limit=0), "limit"),
        (lambda s, t: s.list(limit=True), "limit"),
        (lambda s, t: s.list(offset=-1), "offset"),
        (lambda s, t: s.list(job_id="j1"), "job_id"),
    ],
)
def test_bad_values_are_400s_naming_the_field(store, trace, call, field):
    with pytest.raises(StoreError) as error:
        call(store, trace)
    assert error.value.status == 400
    if field is not None:
        assert error.value.field == field
    assert store.list() == [] and leftovers(store) == []


def test_saving_under_a_taken_id_is_a_conflict(store, trace):
    trace_id = store.save(trace)
    with pytest.raises(StoreError) as taken:
        store.save(small_trace(shift=5), trace_id=trace_id)
    assert taken.value.status == 409 and taken.value.field == "trace_id"
    assert by_guid(store.load(trace_id)) == by_guid(trace)
    assert leftovers(store) == []


def test_ids_are_fresh_and_well_formed(store):
    ids = {store.new_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(len(i) == 13 and i[0] == "t" and int(i[1:], 16) >= 0 for i in ids)


def test_a_trace_with_odd_names_round_trips(store):
    log = EventLog()
    log.add(TaskEvent(2, 1, 'odd "name", ü', "thread/ü", 10, 20, "task"))
    trace = Trace.from_events(log, function="g")
    assert by_guid(store.load(store.save(trace))) == by_guid(trace)
