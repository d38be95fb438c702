"""UI tests of the JetLag side panel in real headless Chromium against a real JupyterLab.

The panel shows in the left sidebar; running the LRA listing (examples/listings.py, small
data) in a PhySL notebook makes its trace appear in the Traces section with its notebook,
cell and function; the cell's output renders the trace summary with "Open in JetLag"; a
trace is renamed and deleted; a job submitted to `local` from the Jobs section completes
and shows its result preview, stdout and trace; a bad submission shows the server's words.
A screenshot of each step goes to tests/ui/artifacts/<test>/. No wall-clock assertions;
the page fixture fails a test on any console error.
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

import pytest
from ui_support import (
    KERNEL_TIMEOUT_MS,
    UI_TIMEOUT_MS,
    LabServer,
    listing,
    open_panel,
    run_all_cells,
    screenshot,
    wait_for_app,
    write_notebook,
)

NOTEBOOK = "lra_panel.ipynb"
DATA = """\
rng = np.random.default_rng(0)
x = rng.standard_normal((200, 8))
truth = rng.standard_normal(8)
y = (np.dot(x, truth) > 0) * 1.0
alpha = 1e-3
iterations = 10
enable_output = False
"""


@pytest.fixture(scope="module")
def notebook(lab: LabServer) -> str:
    write_notebook(
        lab.root / NOTEBOOK,
        [
            "import numpy as np",
            listing("lra"),
            DATA,
            "w = lra(x, y, alpha, iterations, enable_output)",
        ],
    )
    return NOTEBOOK


def open_notebook_and_run(page: Any, lab: LabServer, name: str) -> None:
    page.goto(lab.lab_url(name))
    wait_for_app(page)
    run_all_cells(page, name)


def lra_trace(lab: LabServer) -> dict[str, Any]:
    """The stored trace of the notebook's LRA cell: its cell trace listed as lra with the most
    events (the kernel saves traces once idle, the data cell's possibly first)."""
    deadline = time.monotonic() + KERNEL_TIMEOUT_MS / 1000
    while True:
        status, answer = lab.api("traces?limit=100")
        assert status == 200, answer
        found = [
            t
            for t in answer["traces"]
            if t["origin"] == "cell"
            and (t["notebook"] or "").endswith(NOTEBOOK)
            and t["label"] == "lra"
        ]
        if found:
            return max(found, key=lambda t: t["events"])
        assert time.monotonic() < deadline, answer
        time.sleep(0.5)


def test_panel_in_left_sidebar(page: Any, artifacts: Path) -> None:
    tab = page.locator('.jp-SideBar.jp-mod-left [data-id="jetlag-sidebar"]')
    tab.wait_for()
    assert tab.get_attribute("title") == "JetLag"
    panel = open_panel(page)
    assert panel.locator(".jp-JetLag-title").inner_text() == "JetLag"
    for heading in ("Machines", "Jobs", "Traces"):
        assert panel.locator("h3", has_text=heading).count() == 1
    panel.locator('.jp-JetLag-machine[data-machine="local"]').wait_for()
    screenshot(page, artifacts, "panel")


def test_cell_trace_appears_with_summary(
    page: Any, lab: LabServer, notebook: str, artifacts: Path
) -> None:
    open_notebook_and_run(page, lab, notebook)
    panel = open_panel(page)
    screenshot(page, artifacts, "cells-ran")
    # The last cell calls lra: its output is the summary of that run.
    summary = page.locator(".jp-Notebook .jp-CodeCell").last.locator(".jp-JetLag-summary")
    summary.wait_for()
    assert summary.locator("button", has_text="Open in JetLag").is_enabled()
    assert "tasks" in summary.inner_text()
    summary.locator(".jp-JetLag-stripCanvas").wait_for()
    screenshot(page, artifacts, "mime-summary")

    trace = lra_trace(lab)
    item = panel.locator(f'.jp-JetLag-trace[data-trace-id="{trace["id"]}"]')
    item.wait_for(timeout=15_000)
    where = item.locator(".jp-JetLag-where").inner_text()
    assert NOTEBOOK in where
    assert trace["cell"] and trace["cell"] in where
    screenshot(page, artifacts, "trace-listed")

    summary.locator("button", has_text="Open in JetLag").click()
    page.locator(f"#jetlag-trace-{trace['id']}").wait_for()
    screenshot(page, artifacts, "trace-opened")


def test_rename_and_delete_trace(page: Any, lab: LabServer, notebook: str, artifacts: Path) -> None:
    if not any((t["notebook"] or "").endswith(NOTEBOOK) for t in lab.api("traces")[1]["traces"]):
        open_notebook_and_run(page, lab, notebook)
    panel = open_panel(page)
    trace = lra_trace(lab)
    item = panel.locator(f'.jp-JetLag-trace[data-trace-id="{trace["id"]}"]')
    item.wait_for()
    item.locator('[data-action="rename"]').click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator("input").fill("lra renamed in the UI")
    screenshot(page, artifacts, "rename-dialog")
    dialog.locator(".jp-mod-accept").click()
    item.locator(".jp-JetLag-name", has_text="lra renamed in the UI").wait_for()
    assert lab.api(f"traces/{trace['id']}")[1]["label"] == "lra renamed in the UI"
    screenshot(page, artifacts, "renamed")

    item.locator('[data-action="delete"]').click()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    item.wait_for(state="detached")
    assert lab.api(f"traces/{trace['id']}")[0] == 404
    screenshot(page, artifacts, "deleted")


def submit_dialog(page: Any, panel: Any, threads: str = "") -> Any:
    panel.locator("button", has_text="Submit…").click()
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(timeout=KERNEL_TIMEOUT_MS)
    dialog.locator('select[name="function"]').select_option("lra")
    dialog.locator('select[name="machine"]').select_option("local")
    dialog.locator('input[name="threads"]').fill(threads)
    for param in ("x", "y", "alpha", "iterations", "enable_output"):
        assert dialog.locator(f'input[data-param="{param}"]').input_value() == param
    return dialog


def test_submit_job_to_local(page: Any, lab: LabServer, notebook: str, artifacts: Path) -> None:
    open_notebook_and_run(page, lab, notebook)
    panel = open_panel(page)
    before = {j["id"] for j in lab.api("jobs")[1]["jobs"]}
    dialog = submit_dialog(page, panel, threads="2")
    screenshot(page, artifacts, "submit-dialog")
    dialog.locator(".jp-mod-accept").click()
    # Other tests of this session's server may have left jobs: find the new one.
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    while not (new := {j["id"] for j in lab.api("jobs")[1]["jobs"]} - before):
        assert time.monotonic() < deadline, "the submitted job was not stored"
        time.sleep(0.2)
    (job_id,) = new
    panel.locator(f'.jp-JetLag-job[data-job-id="{job_id}"]').wait_for()
    screenshot(page, artifacts, "job-submitted")
    panel.locator(f'.jp-JetLag-job[data-job-id="{job_id}"][data-state="COMPLETED"]').wait_for(
        timeout=KERNEL_TIMEOUT_MS
    )
    job_item = panel.locator(f'.jp-JetLag-job[data-job-id="{job_id}"]')
    job_item.locator("button", has_text="Result").click()
    preview = panel.locator(".jp-JetLag-resultPreview")
    preview.wait_for()
    assert "float64" in preview.inner_text()
    screenshot(page, artifacts, "job-result")
    job_item.locator("button", has_text="stdout").click()
    panel.locator(".jp-JetLag-stdout").wait_for()
    job = lab.api(f"jobs/{job_id}")[1]
    assert job["state"] == "COMPLETED" and job["trace_id"]
    job_item.locator("button", has_text="Trace").click()
    page.locator(f"#jetlag-trace-{job['trace_id']}").wait_for()
    screenshot(page, artifacts, "job-trace")


def test_bad_submission_shows_server_error(
    page: Any, lab: LabServer, notebook: str, artifacts: Path
) -> None:
    # The browser logs the refused POST itself; that one console line is expected.
    page.expected_errors.append(re.compile(r"status of 400 \(Bad Request\)"))
    open_notebook_and_run(page, lab, notebook)
    panel = open_panel(page)
    dialog = submit_dialog(page, panel, threads="0")
    dialog.locator(".jp-mod-accept").click()
    error = panel.locator(".jp-JetLag-jobs .jp-JetLag-status.jp-JetLag-error")
    error.wait_for(timeout=KERNEL_TIMEOUT_MS)
    screenshot(page, artifacts, "server-error")
    # The same bad option straight to the REST API: the panel must show these words.
    status, answer = lab.api(
        "jobs",
        "POST",
        {"source": listing("lra"), "entry": "lra", "options": {"threads": 0}},
    )
    assert status == 400, answer
    assert answer["field"].startswith("options")
    assert error.inner_text().strip() == answer["error"]
    assert re.search("thread", answer["error"])
