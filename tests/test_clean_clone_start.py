"""The README's main job on a clean clone with only the system Python on PATH.

`scripts/start` must make its own virtual environment (.venv) and install into it -- a
stock Debian/Ubuntu Python refuses `pip install` into itself (PEP 668) -- then serve
JupyterLab with the PhySL kernel and the JetLag panel. Bounded: one start, then stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from test_main_job import TOKEN, free_port, get, served_port

ROOT = Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = Path("/usr/bin/python3")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@pytest.mark.skipif(not SYSTEM_PYTHON.exists(), reason="no system Python at /usr/bin/python3")
@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs a git checkout to clone")
def test_start_from_a_clean_clone_with_the_system_python(tmp_path):
    clone = tmp_path / "checkout"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    # A Node.js too old for the build comes first on PATH (as Debian 12's apt nodejs 18):
    # scripts/install must put the pinned Node.js wheel into .venv and build with it.
    old_node = tmp_path / "old-node"
    old_node.mkdir()
    (old_node / "node").write_text("#!/bin/sh\necho 'v18.19.0'\nexit 1\n")
    (old_node / "node").chmod(0o755)
    runtime = tmp_path / "runtime"
    env = {
        # no pyenv/conda/venv: python3 is /usr/bin/python3
        "PATH": f"{old_node}:{SYSTEM_PATH}",
        "HOME": os.environ.get("HOME", str(tmp_path)),
        "LANG": "C.UTF-8",
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "JETLAG_STORE": str(tmp_path / "store"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if name in os.environ:
            env[name] = os.environ[name]
    port = free_port()
    log = tmp_path / "start.log"
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [
                "bash",
                "scripts/start",
                "--no-browser",
                f"--ServerApp.port={port}",
                f"--IdentityProvider.token={TOKEN}",
            ],
            cwd=clone,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 900  # a whole install: pip pins, npm build
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-5000:]
            served = served_port(runtime)
            try:
                if served is None:
                    raise ConnectionError("no runtime file yet")
                base = f"http://127.0.0.1:{served}"
                status, body = get(f"{base}/api/kernelspecs")
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")[-5000:]
                time.sleep(1)
        venv_python = (clone / ".venv" / "bin" / "python3").resolve()
        assert venv_python.exists()
        # The old node was refused: the extension was built with the wheel's Node.js.
        assert (clone / ".venv" / "bin" / "node").exists()
        assert json.loads(body)["kernelspecs"]["physl"]["spec"]["display_name"] == "PhySL"
        status, page = get(f"{base}/lab")
        assert status == 200 and b'"name": "jetlag"' in page.replace(b'":"', b'": "')
        status, _ = get(f"{base}/jetlag/api/machines")
        assert status == 200
        status, body = get(f"{base}/api/contents/notebooks/paper_demo.ipynb?content=0")
        assert status == 200  # served from the repository root
        # Nothing went into the system Python.
        system = subprocess.run(
            [str(SYSTEM_PYTHON), "-c", "import jetlag"], capture_output=True, env=env, cwd=tmp_path
        )
        assert system.returncode != 0
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
