"""A running job's live trace over REST: its summary says `live` and the revision, and each
revision's events are what the views answer (the server's cached queries follow the store's
replacements), until the final trace replaces it under the same id."""

from __future__ import annotations

from schema_check import conforms

from jetlag.runtime.measure.events import EventLog
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.store.traces import TraceStore

TRACE_ID = "t00000000abcd"


def trace(events: int, workers: int = 1, **metadata) -> Trace:
    log = EventLog()
    for i in range(events):
        start = 1_000 * i
        log.record(i + 1, 0, "add$1$1", f"worker-{i % workers}", start, start + 500, "task")
    return Trace.from_events(log, metadata=metadata, function="work")


def save(store_root, value: Trace) -> None:
    store = TraceStore(store_root)
    try:
        store.save(value, trace_id=TRACE_ID, replace=True, origin="job", location_prefix="cl")
    finally:
        store.close()


async def test_a_live_trace_grows_in_every_view_until_the_final_one(api, store_root):
    save(store_root, trace(2, live=True, revision=1))
    one = await api("GET", f"traces/{TRACE_ID}")
    assert one.status == 200, one.json
    conforms(one.json, "Trace")
    assert (one.json["live"], one.json["revision"], one.json["events"]) == (True, 1, 2)
    meta = (await api("GET", f"traces/{TRACE_ID}/metadata")).json
    assert meta["events"] == 2 and meta["meta"]["metadata"]["live"] is True
    gantt = (await api("GET", f"traces/{TRACE_ID}/gantt", params={"bins": 4})).json
    assert list(gantt["per_location"]) == ["cl/worker-0"]

    # More events and a second worker: every view answers from the new revision.
    save(store_root, trace(6, workers=2, live=True, revision=2))
    meta = (await api("GET", f"traces/{TRACE_ID}/metadata")).json
    assert meta["events"] == 6 and meta["meta"]["metadata"]["revision"] == 2
    gantt = (await api("GET", f"traces/{TRACE_ID}/gantt", params={"bins": 4})).json
    assert list(gantt["per_location"]) == ["cl/worker-0", "cl/worker-1"]
    listed = (await api("GET", "traces")).json["traces"]
    assert [row["id"] for row in listed] == [TRACE_ID] and listed[0]["events"] == 6

    # The final trace replaces it: no longer live, one entry.
    save(store_root, trace(9, workers=2))
    one = await api("GET", f"traces/{TRACE_ID}")
    conforms(one.json, "Trace")
    assert (one.json["live"], one.json["revision"], one.json["events"]) == (False, 0, 9)
    assert (await api("GET", f"traces/{TRACE_ID}/metadata")).json["events"] == 9
    assert len((await api("GET", "traces")).json["traces"]) == 1
