"""`jetlag view`: the import, the `jupyter lab` command line it runs, a bad path's exit code,
and one real JupyterLab started on a free port that serves the imported trace."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from jetlag.runtime.cli import main
from jetlag.runtime.store.traces import TraceStore
from jetlag.runtime.store.view import lab_argv, view_path


@pytest.fixture
def saved_trace(chart_store, tmp_path: Path) -> Path:
    """A trace's export zip (OTF2 inside, from the chart store) to import."""
    root, trace, _ = chart_store
    store = TraceStore(root)
    try:
        target = tmp_path / "lra.zip"
        target.write_bytes(Path(store.export_zip(trace)).read_bytes())
        return target
    finally:
        store.close()


def test_lab_argv_has_the_start_script_flags_and_the_view_url():
    argv = lab_argv("t0123456789ab", ["--no-browser", "--port=9999"], python="py", root=True)
    assert argv == [
        "py",
        "-m",
        "jupyter",
        "lab",
        "--ServerApp.ip=127.0.0.1",
        "--LabApp.default_url=/lab?jetlag-trace=t0123456789ab",
        "--allow-root",
        "--no-browser",
        "--port=9999",
    ]
    assert "--allow-root" not in lab_argv("t0123456789ab", python="py", root=False)
    assert view_path("tabc") == "/lab?jetlag-trace=tabc"


def test_view_imports_then_runs_lab(saved_trace, tmp_path, monkeypatch, capsys):
    calls = []

    def fake_run(argv, env):
        calls.append((argv, env))
        return 0

    import jetlag.runtime.store.view as view

    monkeypatch.setattr(view, "_run", fake_run)
    store = tmp_path / "store"
    assert main(["view", str(saved_trace), "--store", str(store), "--no-browser"]) == 0
    out = capsys.readouterr().out
    trace_id = out.split()[1]
    assert view_path(trace_id) in out
    reopened = TraceStore(store)
    try:
        assert reopened.get(trace_id)["origin"] == "import"
    finally:
        reopened.close()
    ((argv, env),) = calls
    assert argv[-1] == "--no-browser" and f"--LabApp.default_url={view_path(trace_id)}" in argv
    assert env["JETLAG_STORE"] == str(store.resolve())


def test_bad_path_exits_2_without_starting_anything(tmp_path, monkeypatch, capsys):
    import jetlag.runtime.store.view as view

    monkeypatch.setattr(view, "_run", lambda argv, env: pytest.fail("lab was started"))
    missing = tmp_path / "no-such-trace"
    assert main(["view", str(missing), "--store", str(tmp_path / "s")]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and err.startswith("jetlag: ")
    not_a_trace = tmp_path / "notes.txt"
    not_a_trace.write_text("hello")
    assert main(["view", str(not_a_trace), "--store", str(tmp_path / "s")]) == 2


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_view_really_starts_jupyterlab_serving_the_trace(saved_trace, tmp_path):
    port, token = _free_port(), secrets.token_hex(16)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JETLAG_", "JUPYTER_"))}
    for name in ("data", "config", "runtime"):
        (tmp_path / name).mkdir()
        env[f"JUPYTER_{name.upper()}_DIR"] = str(tmp_path / name)
    env["PYTHONUNBUFFERED"] = "1"
    command = [
        sys.executable, "-m", "jetlag.runtime.cli", "view", str(saved_trace),
        "--store", str(tmp_path / "store"), "--no-browser", f"--port={port}",
        "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={tmp_path}",
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        first = process.stdout.readline().split()
        assert first[0] == "trace", first
        trace_id = first[1]
        url = f"http://127.0.0.1:{port}/jetlag/api/traces/{trace_id}"
        headers = {"Authorization": f"token {token}"}
        deadline, reply = time.monotonic() + 120, None
        while time.monotonic() < deadline and process.poll() is None:
            try:
                reply = requests.get(url, headers=headers, timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert reply is not None and reply.status_code == 200, process.poll()
        assert reply.json()["id"] == trace_id and reply.json()["origin"] == "import"
        lab = requests.get(f"http://127.0.0.1:{port}/lab", headers=headers, timeout=30)
        assert lab.status_code == 200
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
