"""Helpers of the UI tests: starting JupyterLab, the browser's launch options, notebooks,
REST calls and screenshots. Used by tests/ui/conftest.py and the tests; asserts nothing.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
#: Launch flags that work as root on these machines (../shared/NOTES.md).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
#: Generous limits for things that wait on a kernel or a job (never asserted as times).
KERNEL_TIMEOUT_MS = 240_000
UI_TIMEOUT_MS = 30_000


@dataclass
class LabServer:
    """A running `jupyter lab`: where it listens, its token and its folders."""

    url: str
    token: str
    root: Path
    store: Path
    log: Path
    process: subprocess.Popen = field(repr=False)

    def lab_url(self, path: str = "") -> str:
        """The URL of the lab page (optionally on a file), with the token."""
        tree = f"/tree/{urllib.parse.quote(path)}" if path else ""
        return f"{self.url}/lab{tree}?token={self.token}"

    def api(self, path: str, method: str = "GET", body: Any = None) -> tuple[int, Any]:
        """Calls /jetlag/api/<path>; returns (status, parsed JSON or text)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/jetlag/api/{path}",
            data=data,
            method=method,
            headers={"Authorization": f"token {self.token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as reply:
                status, text = reply.status, reply.read().decode()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read().decode()
        try:
            return status, json.loads(text) if text else None
        except json.JSONDecodeError:
            return status, text


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_lab(base: Path, token: str = "jetlag-ui-test-token") -> LabServer:
    """Starts JupyterLab on a free port with every Jupyter path and the store under `base`.

    The installed PhySL kernelspec, lab extension and server extension (under sys.prefix)
    stay visible; user-level config, data, settings and workspaces are fresh.
    """
    for name in ("root", "config", "data", "runtime", "settings", "workspaces", "store", "ipython"):
        (base / name).mkdir(parents=True, exist_ok=True)
    settings = base / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True, exist_ok=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    env = dict(os.environ)
    env.update(
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
        JETLAG_STORE=str(base / "store"),
        IPYTHONDIR=str(base / "ipython"),
        # A running job's events reach the store every half second (live traces).
        JETLAG_LIVE_INTERVAL_S="0.5",
        JETLAG_LIVE_FETCH_S="0.5",
    )
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={base / 'root'}",
        "--LabApp.expose_app_in_browser=True",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    log = base / "jupyterlab.log"
    handle = log.open("wb")
    process = subprocess.Popen(argv, env=env, stdout=handle, stderr=subprocess.STDOUT)
    server = LabServer(
        url=f"http://127.0.0.1:{port}",
        token=token,
        root=base / "root",
        store=base / "store",
        log=log,
        process=process,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=5):
                return server
        except OSError:
            time.sleep(0.5)
    stop_lab(server)
    raise RuntimeError(f"jupyter lab did not answer within 120 s:\n{log.read_text()}")


def stop_lab(server: LabServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait(timeout=20)


def write_notebook(path: Path, cells: list[str], kernel: str = "physl") -> Path:
    """Writes a notebook of code cells for `kernel` (no outputs)."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {
            "kernelspec": {"display_name": "PhySL", "language": "python", "name": kernel},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1))
    return path


def listing(name: str) -> str:
    """The source of one function of examples/listings.py, verbatim."""
    import ast

    text = (REPO / "examples" / "listings.py").read_text()
    for node in ast.parse(text).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            return ast.get_source_segment(text, node) or ""
    raise KeyError(name)


def wait_for_app(page: Any) -> None:
    """Waits until JupyterLab has started and restored its layout."""
    page.wait_for_function(
        "() => window.jupyterapp !== undefined && window.jupyterapp.started !== undefined",
        timeout=UI_TIMEOUT_MS * 4,
    )
    page.evaluate("() => window.jupyterapp.restored")


def run_all_cells(page: Any, path: str) -> None:
    """Runs every cell of the notebook `path` and waits until each has a number.

    The lab restores the tabs of earlier tests, so the notebook is named: until it is the
    current widget with an idle kernel nothing runs, and only its own prompts count.
    """
    current = "window.jupyterapp.shell.currentWidget"
    page.wait_for_function(
        f"""(path) => {{
          const panel = {current};
          const kernel = panel && panel.context && panel.context.path === path
            && panel.sessionContext && panel.sessionContext.session
            && panel.sessionContext.session.kernel;
          return kernel && kernel.status === 'idle'
            && panel.node.querySelectorAll('.jp-CodeCell').length > 0;
        }}""",
        arg=path,
        timeout=KERNEL_TIMEOUT_MS,
    )
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        f"""(path) => {{
          const panel = {current};
          if (!panel || !panel.context || panel.context.path !== path) return false;
          const prompts = Array.from(panel.node.querySelectorAll('.jp-CodeCell .jp-InputPrompt'));
          return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }}""",
        arg=path,
        timeout=KERNEL_TIMEOUT_MS,
    )


def open_panel(page: Any) -> Any:
    """Opens the JetLag side panel; returns its locator."""
    panel = page.locator("#jetlag-sidebar")
    if not panel.is_visible():
        page.locator('.jp-SideBar [data-id="jetlag-sidebar"]').click()
    panel.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    return panel


def screenshot(page: Any, folder: Path, name: str) -> Path:
    """Saves a screenshot of the page as <folder>/<NN>-<name>.png (numbered in order)."""
    folder.mkdir(parents=True, exist_ok=True)
    number = len(list(folder.glob("*.png"))) + 1
    path = folder / f"{number:02d}-{name}.png"
    page.screenshot(path=str(path))
    return path
