"""OTF2 archives: our writer, our reader, Debian's otf2-print, and archives we did not write."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import otf2
import pytest
from test_measure_data import ROOT, random_log, small_log

from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.events import EventLog, TaskEvent
from jetlag.runtime.measure.otf2_reader import find_anchor, read_otf2
from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2
from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.measure.trace import Trace


def _by_guid(table: EventTable) -> list[TaskEvent]:
    return sorted(table, key=lambda e: e.guid)


def test_round_trip_gives_the_same_events(tmp_path):
    table = EventTable.from_log(random_log(events=3000))
    anchor = write_otf2(table, tmp_path, info=OTF2Info(root_guid=ROOT, function="f"))
    assert anchor == tmp_path / "traces.otf2"
    back = read_otf2(tmp_path)
    assert len(back.table) == len(table)
    assert _by_guid(back.table) == _by_guid(table)  # names, guids, parents, times, workers
    assert back.root_guid == ROOT and back.function == "f"
    assert set(back.table.workers) == set(table.workers)


def test_round_trip_keeps_kinds_zero_length_and_huge_guids(tmp_path):
    log = small_log()
    big = (1 << 64) - 2
    log.add(TaskEvent(big, 2, 'odd name, with "quotes" ü', "w2", 5, 5, "inline"))
    table = EventTable.from_log(log)
    write_otf2(table, tmp_path)
    assert _by_guid(read_otf2(tmp_path / "traces.otf2").table) == _by_guid(table)


def test_partially_overlapping_events_still_round_trip(tmp_path):
    # Not possible on one real thread, but the writer must keep time order and the
    # reader must pair Leaves with their Enters by GUID.
    log = EventLog()
    log.add(TaskEvent(2, ROOT, "a", "w0", 0, 100, "task"))
    log.add(TaskEvent(3, ROOT, "b", "w0", 50, 150, "task"))
    log.add(TaskEvent(4, ROOT, "c", "w0", 60, 70, "task"))
    table = EventTable.from_log(log)
    write_otf2(table, tmp_path)
    assert _by_guid(read_otf2(tmp_path).table) == _by_guid(table)


def test_counters_become_metrics_and_come_back(tmp_path):
    counters = Counters()
    counters.add(100, "cpu/process", 150.5, "%")
    counters.add(100, "memory/rss", 2.5e8, "bytes")
    counters.add(200, "cpu/process", 99.0, "%")
    write_otf2(EventTable.from_log(small_log()), tmp_path, counters)
    back = read_otf2(tmp_path).counters
    assert set(back.names) == {"cpu/process", "memory/rss"}
    times, values = back.series("cpu/process")
    np.testing.assert_array_equal(times, [100, 200])
    np.testing.assert_array_equal(values, [150.5, 99.0])
    assert back.unit("memory/rss") == "bytes"


def test_otf2_print_reads_our_archive_and_shows_the_task_tree(tmp_path):
    tool = shutil.which("otf2-print")
    if tool is None:
        pytest.fail(
            "otf2-print is not installed: run the project's install script "
            "(it runs `apt-get install -y otf2-tools`), then rerun the tests"
        )
    counters = Counters()
    counters.add(300, "memory/rss", 1e6, "bytes")
    anchor = write_otf2(EventTable.from_log(small_log()), tmp_path, counters)
    done = subprocess.run([tool, str(anchor)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.count("ENTER") == 8 and out.count("LEAVE") == 8
    assert '("GUID" <0>; UINT64; 6)' in out
    assert '("Parent GUID" <1>; UINT64; 4)' in out
    assert 'Region: "dot$3$8#chunk"' in out
    assert "METRIC" in out
    definitions = subprocess.run(
        [tool, "-G", str(anchor)], capture_output=True, text=True, timeout=60
    ).stdout
    assert 'Name: "GUID"' in definitions and 'Name: "Parent GUID"' in definitions
    assert "Type: UINT64" in definitions
    assert 'LOCATION                               1  Name: "w0"' in definitions


def _foreign_archive(directory, with_guids: bool) -> None:
    """An archive written by another tool (APEX-like), through the otf2 package's writer."""
    with otf2.writer.open(str(directory), timer_resolution=1_000_000) as trace:
        node = trace.definitions.system_tree_node("node")
        group = trace.definitions.location_group("rank 0", system_tree_parent=node)
        guid = trace.definitions.attribute("GUID", type=otf2.Type.UINT64)
        parent = trace.definitions.attribute("Parent GUID", type=otf2.Type.UINT64)
        outer = trace.definitions.region("APEX MAIN")
        inner = trace.definitions.region("dot$1$2")
        thread = trace.event_writer("OS Thread 0", group=group)
        other = trace.event_writer("OS Thread 1", group=group)

        def attrs(g, p):
            return {guid: g, parent: p} if with_guids else None

        thread.enter(10, outer, attributes=attrs(100, 0))
        thread.enter(20, inner, attributes=attrs(101, 100))
        thread.leave(30, inner, attributes=attrs(101, 100))
        thread.leave(90, outer, attributes=attrs(100, 0))
        other.enter(40, inner, attributes=attrs(102, 100))
        other.leave(50, inner, attributes=attrs(102, 100))


def test_reads_foreign_archives_with_guid_attributes(tmp_path):
    _foreign_archive(tmp_path, with_guids=True)
    trace = Trace.from_otf2(tmp_path)
    assert trace.root_guid == 0
    events = _by_guid(trace.events)
    assert [(e.guid, e.parent_guid, e.name, e.worker, e.kind) for e in events] == [
        (100, 0, "APEX MAIN", "OS Thread 0", "task"),
        (101, 100, "dot$1$2", "OS Thread 0", "task"),
        (102, 100, "dot$1$2", "OS Thread 1", "task"),
    ]
    # Microsecond ticks become ns.
    assert (events[0].start_ns, events[0].end_ns) == (10_000, 90_000)
    assert trace.check_tree() == []


def test_reads_foreign_archives_without_guids_by_nesting(tmp_path):
    _foreign_archive(tmp_path, with_guids=False)
    events = sorted(read_otf2(find_anchor(tmp_path)).table, key=lambda e: e.start_ns)
    main, inner, other = events
    assert inner.parent_guid == main.guid != 0
    assert other.parent_guid == 0 and main.parent_guid == 0
    assert len({main.guid, inner.guid, other.guid}) == 3


def test_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no OTF2 archive"):
        read_otf2(tmp_path)
    write_otf2(EventTable.from_log(small_log()), tmp_path / "a")
    write_otf2(EventTable.from_log(small_log()), tmp_path / "a", archive_name="other")
    with pytest.raises(ValueError, match="holds several OTF2 archives"):
        read_otf2(tmp_path / "a")
