"""Derived indices: written once under <trace>/derived/, read back by a fresh instance."""

from __future__ import annotations

import json
import os
import threading

import numpy as np
import pytest
from queries_reference import nested_rows, write_trace

from jetlag.runtime.store.columns import TraceColumns
from jetlag.server_ext.queries import TraceQueries, indices, timeline

NAMES = ["dot$1$4", "add$2$8", "dot$3$1"]


@pytest.fixture
def directory(tmp_path):
    write_trace(
        tmp_path, nested_rows(5, 3, 3, per_location=30), locations=["a", "b", "c"], names=NAMES
    )
    return tmp_path


def ask(queries: TraceQueries) -> list:
    end = queries.columns.span_ns[1]
    return [
        queries.utilization(0, end, 50),
        queries.gantt(0, end, 50),
        queries.utilization(0, end, 50, primitive="dot"),
        queries.intervals(0, end, primitive="add$2$8"),
        queries.interval(int(queries.columns.guid[3])),
        queries.profile(),
    ]


def test_a_second_instance_reads_the_derived_files(directory, monkeypatch):
    first = TraceQueries(TraceColumns.open(directory))
    answers = ask(first)
    built = {name for action, name in first.derived.log if action == "built"}
    assert {"selection-all", "timeline-all", "primitive-rows", "guid", "parent"} <= built
    on_disk = {p.name for p in (directory / "derived").iterdir()}
    assert built <= on_disk and not any(name.startswith(".tmp") for name in on_disk)

    def refuse(*args, **kwargs):
        raise AssertionError("a derived index was rebuilt although its files exist")

    for builder in ("selection", "primitive_rows", "guid_index", "parent_index"):
        monkeypatch.setattr(indices, builder, refuse)
    monkeypatch.setattr(timeline, "timeline", refuse)
    second = TraceQueries(TraceColumns.open(directory))
    assert ask(second) == answers
    assert all(action == "loaded" for action, _ in second.derived.log)


def test_a_stale_or_damaged_component_is_rebuilt(directory):
    first = TraceQueries(TraceColumns.open(directory))
    answers = ask(first)
    stamp = directory / "derived" / "selection-all" / "stamp.json"
    document = json.loads(stamp.read_text())
    document["trace"]["events"] += 1  # as if the trace had changed
    stamp.write_text(json.dumps(document))
    (directory / "derived" / "timeline-all" / "group_cum.npy").write_bytes(b"not numpy")
    second = TraceQueries(TraceColumns.open(directory))
    assert ask(second) == answers
    rebuilt = {name for action, name in second.derived.log if action == "built"}
    assert rebuilt == {"selection-all", "timeline-all"}
    third = TraceQueries(TraceColumns.open(directory))
    ask(third)
    assert all(action == "loaded" for action, _ in third.derived.log)


def test_an_unwritable_trace_directory_keeps_indices_in_memory(directory):
    (directory / "derived").write_text("a file where the folder would go")
    queries = TraceQueries(TraceColumns.open(directory))
    answers = ask(queries)
    assert queries.derived.writable is False
    assert ask(queries) == answers
    assert (directory / "derived").is_file()
    fresh = TraceQueries(TraceColumns.open(directory))
    assert ask(fresh) == answers


def test_concurrent_first_queries_build_each_index_once(directory):
    queries = TraceQueries(TraceColumns.open(directory))
    results, errors = [], []

    def work():
        try:
            results.append(ask(queries))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and all(r == results[0] for r in results)
    built = [name for action, name in queries.derived.log if action == "built"]
    assert len(built) == len(set(built))


def test_directory_argument_overrides_the_columns_folder(directory, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    queries = TraceQueries(TraceColumns.open(directory), elsewhere)
    queries.utilization(bins=10)
    assert (elsewhere / "derived" / "selection-all").is_dir()
    assert not (directory / "derived").exists()
    assert isinstance(queries.columns.start, np.ndarray)


def test_leftovers_of_a_crashed_writer_are_swept(directory):
    derived = directory / "derived"
    dead = derived / ".tmp-999999999-abcd1234-selection-all"  # no such pid
    dead.mkdir(parents=True)
    (dead / "start.npy").write_bytes(b"half written")
    mine = derived / f".tmp-{os.getpid()}-feedbeef-timeline-all"  # a live writer's
    mine.mkdir()
    queries = TraceQueries(TraceColumns.open(directory))
    queries.utilization(bins=10)
    assert not dead.exists() and mine.exists()
    assert (derived / "selection-all" / "stamp.json").is_file()


def test_prepare_builds_the_common_indices_once(directory):
    queries = TraceQueries(TraceColumns.open(directory))
    built = queries.prepare()
    assert set(built) == {"selection-all", "timeline-all", "primitive-rows", "guid", "parent"}
    assert queries.prepare() == []
    assert TraceQueries(TraceColumns.open(directory)).prepare() == []
