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


def get(url: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


def test_start_serves_lab_with_the_physl_kernel_and_the_demo(tmp_path):
    port = free_port()
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime")}
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
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, server.stdout.read().decode(errors="replace")
            try:
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
        status, body = get(f"{base}/api/contents/paper_demo.ipynb")
        notebook = json.loads(body)
        assert notebook["content"]["metadata"]["kernelspec"]["name"] == "physl"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
