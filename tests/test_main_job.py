"""The README's main job: scripts/start serves JupyterLab with the PhySL kernel and the demo."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "jetlag-test-token"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_port(runtime: Path) -> int | None:
    """The port the server really listens on, from its runtime file; None until written.

    Not simply the port asked for: another process may take that port between
    `free_port()` and the server's bind, and the server then moves on to another one.
    """
    for info in runtime.glob("jpserver-*.json"):
        try:
            return int(json.loads(info.read_text())["port"])
        except (OSError, ValueError, KeyError):
            return None  # still being written
    return None


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_start_serves_lab_with_the_physl_kernel_and_the_demo(tmp_path):
    port = free_port()
    runtime = tmp_path / "runtime"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    server = subprocess.Popen(
        [
            "bash",
            str(ROOT / "scripts" / "start"),
            "--no-browser",
            f"--ServerApp.port={port}",
            f"--IdentityProvider.token={TOKEN}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode(errors="replace")
            served = served_port(runtime)
            try:
                if served is None:
                    raise ConnectionError("the server has not written its runtime file yet")
                base = f"http://127.0.0.1:{served}"
                status, body = get(f"{base}/api/kernelspecs")
                break
            except OSError:
                assert time.monotonic() < deadline, "JupyterLab did not start within 120 s"
                time.sleep(0.5)
        assert status == 200
        specs = json.loads(body)["kernelspecs"]
        assert specs["physl"]["spec"]["display_name"] == "PhySL"
        status, page = get(f"{base}/lab")
        assert status == 200 and b"JupyterLab" in page
        status, body = get(f"{base}/api/contents/notebooks/paper_demo.ipynb")
        notebook = json.loads(body)
        assert notebook["content"]["metadata"]["kernelspec"]["name"] == "physl"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
