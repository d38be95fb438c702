"""The event store (EventLog) and its compact finished form (EventTable)."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from test_measure_data import ROOT, random_log, small_log

from jetlag.runtime.measure.events import (
    EventLog,
    TaskEvent,
    current_guid,
    current_log,
    new_guid,
    task_scope,
)
from jetlag.runtime.measure.table import EVENT_DTYPE, NO_PARENT, EventTable
from jetlag.runtime.measure.trace import Trace


def test_log_keeps_every_field_and_iterates_by_end_time():
    log = EventLog()
    log.add(TaskEvent(5, 1, "dot$1$2", "w0", 10, 50, "task"))
    log.record(6, 5, "dot$1$2#chunk", "w1", 12, 30, "chunk")
    log.add(TaskEvent(7, 1, "stats", "driver", 1, 2, "custom-kind"))
    assert len(log) == 3
    assert log.events == [
        TaskEvent(7, 1, "stats", "driver", 1, 2, "custom-kind"),
        TaskEvent(6, 5, "dot$1$2#chunk", "w1", 12, 30, "chunk"),
        TaskEvent(5, 1, "dot$1$2", "w0", 10, 50, "task"),
    ]
    assert log.events[0].duration_ns == 1


def test_bad_fields_are_refused_without_leaving_half_a_row():
    log = EventLog()
    log.record(2, 1, "a", "w0", 0, 5, "task")
    with pytest.raises(ValueError, match="task event fields must be integers in 0..2"):
        log.record(3, 1, "a", "w0", 10, -1, "task")
    log.record(4, 1, "a", "w0", 20, 30, "task")
    assert [(e.guid, e.end_ns) for e in log] == [(2, 5), (4, 30)]


def test_concurrent_recording_loses_nothing():
    log = EventLog()
    per_thread = 5000

    def work(index: int) -> None:
        for i in range(per_thread):
            log.add(
                TaskEvent(
                    index * per_thread + i + 1, 0, f"p{i % 13}", f"t{index}", i, i + 1, "task"
                )
            )

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(log) == 4 * per_thread
    assert sorted(e.guid for e in log) == list(range(1, 4 * per_thread + 1))
    assert len(log.columns()) == 4  # one buffer per recording thread


def test_task_scope_marks_the_running_task_and_restores():
    log = EventLog()
    assert current_guid() == 0 and current_log() is None
    guid = new_guid()
    with task_scope(guid, log):
        assert current_guid() == guid and current_log() is log
        inner = new_guid()
        with task_scope(inner, None):
            assert current_guid() == inner
        assert current_guid() == guid
    assert current_guid() == 0 and new_guid() > inner


def test_table_is_a_compact_structured_array_sorted_outer_first():
    table = EventTable.from_log(small_log())
    assert table.rows.dtype == EVENT_DTYPE
    assert table.nbytes == 39 * len(table)
    starts = table.rows["start"]
    assert (np.diff(starts) >= 0).all()
    # Same start: the longer (outer) event first.
    assert [e.guid for e in table][:2] == [2, 3]
    assert table.span() == (0, 1000)
    assert set(table.workers) == {"driver", "w0", "w1"}


def test_table_round_trips_task_events():
    log = random_log(events=500)
    table = EventTable.from_log(log)
    assert sorted(table, key=lambda e: e.guid) == sorted(log, key=lambda e: e.guid)
    again = EventTable.from_events(list(table))
    assert list(again) == list(table)


def test_parent_index_points_at_the_parent_row():
    table = EventTable.from_log(small_log())
    parents = table.parent_index()
    for row, parent in enumerate(parents):
        event = table[row]
        if event.parent_guid == ROOT:
            assert parent == NO_PARENT
        else:
            assert table[parent].guid == event.parent_guid
    assert table.roots() == {ROOT}


def test_by_worker_groups_rows_in_nesting_order():
    table = EventTable.from_log(small_log())
    groups = {table.workers[w]: [table[i].guid for i in rows] for w, rows in table.by_worker()}
    assert groups == {"driver": [2, 3, 9], "w0": [4, 5, 7], "w1": [6, 8]}


def test_guid_chains_form_one_tree_rooted_at_the_root():
    trace = Trace.from_events(random_log(events=2000), root_guid=ROOT)
    assert trace.check_tree() == []


def test_tree_check_names_what_is_wrong():
    log = small_log()
    log.add(TaskEvent(20, 99, "orphan", "w0", 5, 6, "task"))
    log.add(TaskEvent(21, 22, "a", "w0", 7, 8, "task"))
    log.add(TaskEvent(22, 21, "b", "w0", 7, 8, "task"))
    log.add(TaskEvent(3, 2, "dup", "w1", 9, 9, "task"))
    problems = Trace.from_events(log, root_guid=ROOT).check_tree()
    assert problems[0] == "duplicate GUIDs: [3]"
    assert problems[1].startswith("events hang off GUIDs without events [99]")
    assert problems[2] == "the parent chains contain a cycle"


def test_empty_log_gives_an_empty_table():
    table = EventTable.from_log(EventLog())
    assert len(table) == 0 and table.span() == (0, 0) and list(table.by_worker()) == []
    with pytest.raises(TypeError, match="event rows must have dtype"):
        EventTable(np.zeros(3), [], [])
