"""The per-instance profile: counts, inclusive/exclusive time, inline counts, CSV, summary."""

from __future__ import annotations

from test_measure_data import ROOT, random_log, small_log

from jetlag.runtime.measure.events import EventLog, TaskEvent
from jetlag.runtime.measure.profile import (
    CSV_HEADER,
    Profile,
    display_name,
    exclusive_times,
    read_profile_csv,
)
from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.measure.trace import Trace


def test_counts_inclusive_exclusive_and_inline():
    profile = Trace.from_events(small_log(), root_guid=ROOT).profile
    f = profile["f"]
    # f's own thread spent 100 ns in the inline add and 0 ns in the zero-length one; the
    # tasks ran on other workers and are not subtracted.
    assert (f.count, f.inclusive_ns, f.exclusive_ns, f.eval_direct) == (1, 1000, 900, 0)
    add = profile["add$2$4"]
    assert (add.count, add.inclusive_ns, add.exclusive_ns, add.eval_direct) == (2, 100, 100, 2)
    dot = profile["dot$3$8"]
    # 750 ns minus its two chunks on w0 (200 + 200); the chunk on w1 ran concurrently.
    assert (dot.count, dot.inclusive_ns, dot.exclusive_ns) == (1, 750, 350)
    chunk = profile["dot$3$8#chunk"]
    assert (chunk.count, chunk.inclusive_ns, chunk.exclusive_ns) == (3, 690, 690)
    assert chunk.display_name == "dot#chunk" and dot.display_name == "dot"
    assert profile["sum$4$2"].mean_ns == 100


def test_exclusive_times_add_up_to_the_root_when_nested_on_one_thread():
    log = EventLog()
    for event in (
        TaskEvent(2, ROOT, "root", "driver", 0, 1000, "call"),
        TaskEvent(3, 2, "a", "driver", 10, 400, "inline"),
        TaskEvent(4, 3, "a1", "driver", 20, 100, "inline"),
        TaskEvent(5, 3, "a2", "driver", 100, 390, "inline"),
        TaskEvent(6, 5, "a21", "driver", 150, 150, "inline"),
        TaskEvent(7, 2, "b", "driver", 500, 990, "inline"),
    ):
        log.add(event)
    table = EventTable.from_log(log)
    assert int(exclusive_times(table).sum()) == 1000
    profile = Profile.from_table(table)
    assert sum(e.exclusive_ns for e in profile) == profile["root"].inclusive_ns == 1000


def test_exclusive_sums_per_worker_equal_busy_time_of_top_level_events():
    trace = Trace.from_events(random_log(events=2000), root_guid=ROOT)
    table = trace.events
    exclusive = exclusive_times(table)
    parents = table.parent_index()
    rows = table.rows
    for worker, indices in table.by_worker():
        top = [
            i
            for i in indices
            if parents[i] < 0 or rows["worker"][parents[i]] != worker  # not nested here
        ]
        busy = int((rows["end"][top] - rows["start"][top]).sum())
        assert int(exclusive[indices].sum()) == busy
    assert (exclusive >= 0).all()


def test_csv_has_phylanx_header_and_ns_times():
    profile = Trace.from_events(small_log(), root_guid=ROOT).profile
    text = profile.to_csv()
    lines = text.splitlines()
    assert lines[0] == "primitive_instance,display_name,count,time,eval_direct"
    assert CSV_HEADER == tuple(lines[0].split(","))
    assert lines[1] == "f,f,1,1000,0"  # largest inclusive time first
    assert "add$2$4,add,2,100,2" in lines
    parsed = read_profile_csv(text)
    assert parsed["dot$3$8#chunk"] == {"count": 3, "time": 690, "eval_direct": 0}


def test_summary_shows_the_top_primitives():
    trace = Trace.from_events(small_log(), root_guid=ROOT, function="f")
    text = str(trace)
    assert text.startswith("JetLag trace of f: 8 events (task 2, inline 2, chunk 3, call 1)")
    assert "on 3 worker(s)" in text and "root GUID 1" in text
    lines = text.splitlines()
    header = next(i for i, line in enumerate(lines) if line.strip().startswith("instance"))
    assert lines[header + 1].split()[:2] == ["f", "1"]
    assert lines[header + 2].split()[0] == "dot$3$8"
    assert trace.profile.top(2, by="exclusive_ns")[0].instance == "f"
    assert repr(trace) == "<Trace f: 8 events, 3 workers, 0 counters>"


def test_display_names():
    assert display_name("dot$12$15") == "dot"
    assert display_name("dot$12$15#chunk") == "dot#chunk"
    assert display_name("f") == "f"


def test_tree_counters_for_exports():
    trace = Trace.from_events(small_log(), root_guid=ROOT)
    assert trace.tree_counters()["dot$3$8"] == {"count": 1, "time_ns": 750}
