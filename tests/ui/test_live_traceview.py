"""UI test of a running job's live trace in real headless Chromium: the open trace view asks
again while the trace is live and redraws on each revision (more events, a new worker),
then stops at the final trace. The revisions are stored the way the job service stores
them (TraceStore.save with replace=True), so no job has to run for seconds here."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ui_support import LabServer, open_panel, screenshot, wait_for_app

from jetlag.runtime.measure.events import EventLog
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.store.traces import TraceStore

TRACE_ID = "t0000000011ae"
#: The view asks every 3 s; a revision shows within a few of those.
LIVE_TIMEOUT_MS = 30_000


def store(lab: LabServer, events: int, workers: int, **metadata: Any) -> None:
    log = EventLog()
    for i in range(events):
        start = 1_000_000 * i
        log.record(i + 1, 0, "add$1$1", f"worker-{i % workers}", start, start + 800_000, "task")
    trace = Trace.from_events(log, metadata=metadata, function="grow")
    traces = TraceStore(lab.store)
    try:
        traces.save(
            trace,
            trace_id=TRACE_ID,
            replace=True,
            origin="job",
            label="growing job",
            location_prefix="c",
        )
    finally:
        traces.close()


def test_a_live_trace_view_grows_until_the_final_trace(
    page: Any, lab: LabServer, artifacts: Path
) -> None:
    # These traces have no source text: the source view's request is answered 404.
    page.expected_errors.append(re.compile(r"status of 404"))
    store(lab, 3, 1, live=True, revision=1)
    page.goto(lab.lab_url())
    wait_for_app(page)
    panel = open_panel(page)
    item = panel.locator(f'.jp-JetLag-trace[data-trace-id="{TRACE_ID}"]')
    item.wait_for(timeout=30_000)
    item.locator('[data-action="open"]').click()
    root = f"#jetlag-trace-{TRACE_ID} .jl-TraceView"
    page.locator(f"{root}[data-state='ready'][data-live='true']").wait_for(timeout=60_000)
    header = page.locator(f"{root} .jl-TraceView-title")
    assert "3 events on 1 worker (live" in header.inner_text()
    # The Gantt of this revision has painted (the screenshot shows its tasks, not a blank).
    page.locator(f"{root} .jl-TraceView-gantt[data-redraws]").wait_for(timeout=30_000)
    screenshot(page, artifacts, "live-1")

    # More events on a second worker: the view redraws with both lanes.
    store(lab, 8, 2, live=True, revision=2)
    page.locator(f"{root}[data-revision='2']").wait_for(timeout=LIVE_TIMEOUT_MS)
    assert "8 events on 2 workers (live" in header.inner_text()
    gantt = page.locator(f"{root} .jl-TraceView-gantt")
    gantt.wait_for(timeout=30_000)
    page.locator(f"{root} .jl-TraceView-gantt[data-redraws]").wait_for(timeout=30_000)
    screenshot(page, artifacts, "live-2")

    # The final trace: the view shows it and stops asking.
    store(lab, 10, 2)
    page.locator(f"{root}[data-live='false']").wait_for(timeout=LIVE_TIMEOUT_MS)
    assert header.inner_text().endswith("10 events on 2 workers")
    page.locator(f"{root} .jl-TraceView-gantt[data-redraws]").wait_for(timeout=30_000)
    screenshot(page, artifacts, "final")
