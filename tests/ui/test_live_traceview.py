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


#: A job that runs until it is cancelled: loops over a 4.8 MB X (big enough that the loop
#: runs as tasks, not as one compiled kernel), so its events come live.
LONG_JOB = """def lra(X, y, alpha, iterations):
    w = np.zeros(X.shape[1])
    for _ in range(iterations):
        pred = 1.0 / (1.0 + np.exp(-(X @ w)))
        w = w - alpha * (X.T @ (pred - y))
    return w
"""


def test_the_jobs_live_trace_button_opens_a_growing_view(
    page: Any, lab: LabServer, artifacts: Path
) -> None:
    import base64
    import time

    import numpy as np

    from jetlag.runtime.jobs.arguments import encode_arguments

    page.expected_errors.append(re.compile(r"status of 404"))  # no source view for a job
    rng = np.random.default_rng(5)
    X = rng.random((12000, 50))
    y = (X[:, 0] > 0.5).astype(np.float64)
    args = base64.b64encode(encode_arguments((X, y, 1e-4, 1_000_000))).decode()
    status, job = lab.api(
        "jobs",
        "POST",
        {
            "source": LONG_JOB,
            "entry": "lra",
            "args_npz": args,
            "options": {"threads": 1, "label": "runs until cancelled"},
        },
    )
    assert status == 201, job
    job_id = job["id"]
    try:
        deadline = time.monotonic() + 120
        while (answer := lab.api(f"jobs/{job_id}/trace"))[0] != 200:  # first events stored
            assert time.monotonic() < deadline, lab.api(f"jobs/{job_id}")
            time.sleep(0.3)
        trace_id = answer[1]["trace_id"]
        page.goto(lab.lab_url())
        wait_for_app(page)
        panel = open_panel(page)
        item = panel.locator(f'.jp-JetLag-job[data-job-id="{job_id}"][data-state="RUNNING"]')
        item.wait_for(timeout=60_000)
        item.locator("button", has_text="Live trace").click()
        view = f"#jetlag-trace-{trace_id} .jl-TraceView"
        root = f"{view}[data-live='true']"
        page.locator(f"{root}[data-state='ready']").wait_for(timeout=60_000)
        first = page.locator(root).get_attribute("data-revision") or "0"
        page.locator(f"{root} .jl-TraceView-gantt[data-redraws]").wait_for(timeout=30_000)
        assert (
            "(live: the job is running)" in page.locator(f"{root} .jl-TraceView-title").inner_text()
        )
        screenshot(page, artifacts, "job-live-1")
        # The view grows: a later revision arrives while the job runs.
        page.wait_for_function(
            "([view, first]) => Number(document.querySelector(view).dataset.revision || 0) > first",
            arg=[view, int(first)],
            timeout=LIVE_TIMEOUT_MS,
        )
        # The new revision replaced the old views only once it had drawn: one Gantt, painted.
        assert page.locator(f"{view} .jl-TraceView-gantt").count() == 1
        assert page.locator(f"{view} .jl-TraceView-gantt").get_attribute("data-redraws")
        screenshot(page, artifacts, "job-live-2")
    finally:
        assert lab.api(f"jobs/{job_id}/cancel", "POST")[0] == 200
    # Cancelled: its events so far stay, no longer live, and the view stops asking.
    page.locator(f"{view}[data-live='false']").wait_for(timeout=LIVE_TIMEOUT_MS)
    screenshot(page, artifacts, "job-live-cancelled")
