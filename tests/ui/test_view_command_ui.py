"""`jetlag view TRACE` in the browser (issue #16, item 8): Traveler's use without a notebook.

A trace exported as a zip (OTF2 inside) is handed to the real `jetlag view` command,
which imports it into its own store and starts JupyterLab; Chromium opens the URL it
prints and lands straight on that trace's view, with the tree and the Gantt drawn and
no console errors (the `page` fixture checks those).
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from test_traceview import save_unoptimized_trace, wait_attribute
from ui_support import LabServer, free_port, screenshot

from jetlag.runtime.store.traces import TraceStore


def test_view_command_opens_the_trace_view(
    page: Any, lab: LabServer, artifacts: Path, tmp_path: Path
) -> None:
    saved = save_unoptimized_trace(lab, tmp_path)
    store = TraceStore(lab.store)
    try:
        archive = tmp_path / "lra.zip"
        archive.write_bytes(Path(store.export_zip(saved)).read_bytes())
    finally:
        store.close()

    port, token = free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JETLAG_", "JUPYTER_"))}
    for name in ("data", "config", "runtime"):
        (tmp_path / name).mkdir()
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp_path / name)
    env["PYTHONUNBUFFERED"] = "1"
    # The prebuilt extension is found through the environment's share/jupyter, as after
    # `pip install`; the Jupyter folders are the test's own.
    command = [
        sys.executable, "-m", "jetlag.runtime.cli", "view", str(archive),
        "--store", str(tmp_path / "store"), "--no-browser", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={tmp_path}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=open(tmp_path / "view.log", "w"),
        text=True,
        start_new_session=True,
    )
    try:
        first = process.stdout.readline()
        match = re.match(r"trace (t[0-9a-f]{12})\b", first)
        assert match, first
        trace_id = match.group(1)
        printed = process.stdout.readline() + first
        assert f"/lab?jetlag-trace={trace_id}" in printed, printed
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except OSError:
                assert process.poll() is None, (tmp_path / "view.log").read_text()[-2000:]
                assert time.monotonic() < deadline, "jetlag view's JupyterLab never answered"
                time.sleep(0.3)

        # (This JupyterLab does not expose window.jupyterapp: it is the command's own.)
        page.goto(f"{base}/lab?jetlag-trace={trace_id}&token={token}")
        view = page.locator(f"#jetlag-trace-{trace_id} .jl-TraceView[data-state='ready']")
        view.wait_for(timeout=60_000)
        gantt = view.locator(".jl-TraceView-gantt")
        wait_attribute(page, gantt, "el => Number(el.dataset.redraws) >= 1")
        assert not gantt.get_attribute("data-error")
        outline = view.locator(".jl-TraceView-outline [role='treeitem']")
        assert outline.count() > 0
        title = view.locator(".jl-TraceView-title").inner_text()
        assert title.startswith("lra — ") and " events on " in title, title
        # The tab is named after the trace, not its id.
        tab = page.locator(f'.lm-TabBar-tab[data-id="jetlag-trace-{trace_id}"]')
        page.wait_for_function(
            "el => el.textContent.trim() === 'lra'", arg=tab.element_handle(), timeout=30_000
        )
        screenshot(page, artifacts, "jetlag-view")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
