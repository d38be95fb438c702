"""Chrome trace-event JSON for Perfetto: nesting per thread, flow pairs, counters, .gz."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal

from test_measure_data import ROOT, random_log, small_log

from jetlag.runtime.measure.chrome import write_chrome
from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.table import EventTable


def _load(path):
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as file:
        return json.load(file, parse_float=Decimal)


def _ns(value) -> int:
    return int(Decimal(value) * 1000)


def _assert_nested_per_thread(events):
    slices: dict[int, list[tuple[int, int]]] = {}
    for event in events:
        if event["ph"] == "X":
            start = _ns(event["ts"])
            slices.setdefault(event["tid"], []).append((start, start + _ns(event["dur"])))
    for spans in slices.values():
        spans.sort(key=lambda s: (s[0], -s[1]))
        open_ends: list[int] = []
        for start, end in spans:
            while open_ends and open_ends[-1] <= start:
                open_ends.pop()
            assert not open_ends or end <= open_ends[-1], "slices partially overlap"
            open_ends.append(end)
    return slices


def test_structure_of_a_small_trace(tmp_path):
    table = EventTable.from_log(small_log())
    counters = Counters()
    counters.add(500, "cpu/process", 180.0, "%")
    counters.add(500, "memory/rss", 1e6, "bytes")
    path = write_chrome(table, tmp_path / "t.json", counters, process_name="f")
    assert path == tmp_path / "t.json"
    document = _load(path)
    assert document["displayTimeUnit"] == "ns" and document["otherData"]["t0_ns"] == 0
    events = document["traceEvents"]
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert names == {"driver", "w0", "w1"}
    slices = [e for e in events if e["ph"] == "X"]
    assert len(slices) == 8
    dot = next(e for e in slices if e["name"] == "dot$3$8")
    assert (dot["ts"], dot["dur"], dot["cat"]) == (Decimal("0.150"), Decimal("0.750"), "task")
    assert dot["args"] == {"guid": 4, "parent": 2}
    _assert_nested_per_thread(events)
    # Flows only where the child ran on another thread than its parent: 4, 6, 8.
    starts = {e["id"]: e for e in events if e["ph"] == "s"}
    finishes = {e["id"]: e for e in events if e["ph"] == "f"}
    assert set(starts) == set(finishes) == {4, 6, 8}
    tids = {e["args"]["name"]: e["tid"] for e in events if e.get("name") == "thread_name"}
    assert starts[6]["tid"] == tids["w0"] and finishes[6]["tid"] == tids["w1"]
    assert finishes[6]["bp"] == "e" and _ns(finishes[6]["ts"]) == 210
    assert _ns(starts[6]["ts"]) == 150  # at the parent's start, inside the parent slice
    counter_events = [e for e in events if e["ph"] == "C"]
    assert {e["name"]: e["args"]["value"] for e in counter_events} == {
        "cpu/process": Decimal("180.0"),
        "memory/rss": Decimal("1000000.0"),
    }


def test_random_trace_nests_and_pairs_every_flow(tmp_path):
    table = EventTable.from_log(random_log(events=3000))
    events = _load(write_chrome(table, tmp_path / "t.json"))["traceEvents"]
    slices = _assert_nested_per_thread(events)
    assert sum(len(s) for s in slices.values()) == len(table)
    starts = [e["id"] for e in events if e["ph"] == "s"]
    finishes = [e["id"] for e in events if e["ph"] == "f"]
    assert starts and sorted(starts) == sorted(finishes)
    assert len(set(starts)) == len(starts)
    assert all(isinstance(i, int) for i in starts)
    # Every flow ends on the slice of the child it names.
    guids_at: dict[tuple[int, Decimal], set[int]] = {}
    for event in events:
        if event["ph"] == "X":
            guids_at.setdefault((event["tid"], event["ts"]), set()).add(event["args"]["guid"])
    for event in events:
        if event["ph"] == "f":
            assert event["id"] in guids_at[(event["tid"], event["ts"])]
    assert ROOT not in starts


def test_large_traces_are_written_gzip_compressed(tmp_path):
    table = EventTable.from_log(random_log(events=2000))
    plain = write_chrome(table, tmp_path / "big.json")
    capped = write_chrome(table, tmp_path / "capped.json", size_cap=20_000)
    assert capped == tmp_path / "capped.json.gz"
    assert not (tmp_path / "capped.json").exists()
    assert _load(capped) == _load(plain)
    # Rewriting below the cap removes the stale .gz.
    again = write_chrome(EventTable.from_log(small_log()), tmp_path / "capped.json")
    assert again == tmp_path / "capped.json" and not capped.exists()
