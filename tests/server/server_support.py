"""What the server tests share: traces to seed, archives to upload, a live server process.

`LiveServer` runs a real `jupyter server` in a subprocess (own session, token auth, every
Jupyter path and the JetLag store in temporary folders), so tests can kill it with
SIGKILL and start it again on the same store.
"""

from __future__ import annotations

import io
import os
import secrets
import signal
import socket
import subprocess
import sys
import tarfile
import time
import zipfile
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import requests

#: A tiny job: source text, entry point, and what it returns for the arguments below.
JOB_SOURCE = """\
import numpy as np


def scale(x, factor):
    return x * factor + 1.0
"""
JOB_ENTRY = "scale"


def npz_bytes(*arrays: Any, **named: Any) -> bytes:
    """An .npz written like a REST client would (allow_pickle does not matter to write)."""
    buffer = io.BytesIO()
    np.savez(buffer, *arrays, **named)
    return buffer.getvalue()


@cache
def sample_trace() -> Any:
    """A real trace with task events, a tree, source and counters (compiled once)."""
    from jetlag import physl

    @physl(trace="events", threads=2)
    def work(a, b):
        c = a * b + 1.0
        d = np.dot(c, b)
        return np.sum(c * c) + d

    x = np.linspace(0.0, 1.0, 200_000)
    work(x, x)
    return work.trace


def seed_trace(root: Path, trace_id: str | None = None, **fields: Any) -> str:
    """Save the sample trace into the store at `root`; returns its id."""
    from jetlag.runtime.store.traces import TraceStore

    store = TraceStore(root)
    try:
        return store.save(sample_trace(), trace_id=trace_id, **fields)
    finally:
        store.close()


def apex_archive(directory: Path) -> dict[str, int]:
    """Write an APEX-style OTF2 archive (UINT64 `GUID`/`Parent GUID` attributes) into
    `directory`; returns {name: guid} of its tasks. Tree: main -> (a, b), a -> c."""
    import otf2

    tasks = {"APEX MAIN": 1, "task_a": 2, "task_b": 3, "task_c": 4}
    with otf2.writer.open(str(directory), timer_resolution=1_000_000_000) as trace:
        node = trace.definitions.system_tree_node("node0")
        group = trace.definitions.location_group("rank 0", system_tree_parent=node)
        guid = trace.definitions.attribute("GUID", type=otf2.Type.UINT64)
        parent = trace.definitions.attribute("Parent GUID", type=otf2.Type.UINT64)
        regions = {name: trace.definitions.region(name) for name in tasks}
        first = trace.event_writer("OS Thread 0", group=group)
        second = trace.event_writer("OS Thread 1", group=group)

        def attrs(name: str, up: str | None) -> dict[Any, int]:
            return {guid: tasks[name], parent: tasks[up] if up else 0}

        first.enter(1_000, regions["APEX MAIN"], attributes=attrs("APEX MAIN", None))
        first.enter(2_000, regions["task_a"], attributes=attrs("task_a", "APEX MAIN"))
        first.enter(3_000, regions["task_c"], attributes=attrs("task_c", "task_a"))
        first.leave(5_000, regions["task_c"], attributes=attrs("task_c", "task_a"))
        first.leave(6_000, regions["task_a"], attributes=attrs("task_a", "APEX MAIN"))
        first.leave(20_000, regions["APEX MAIN"], attributes=attrs("APEX MAIN", None))
        second.enter(2_500, regions["task_b"], attributes=attrs("task_b", "APEX MAIN"))
        second.leave(9_000, regions["task_b"], attributes=attrs("task_b", "APEX MAIN"))
    return tasks


def zip_folder(folder: Path, prefix: str = "") -> bytes:
    """The files under `folder` as a zip (paths relative to it, under `prefix`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, prefix + path.relative_to(folder).as_posix())
    return buffer.getvalue()


def traversal_zip() -> bytes:
    """A zip whose member names climb out of the extraction folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../evil.otf2", b"not a trace")
        archive.writestr("trace/traces.otf2", b"not a trace either")
    return buffer.getvalue()


def traversal_tar() -> bytes:
    """A tar.gz with an absolute member name and a symlink out of the folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"x"
        info = tarfile.TarInfo("/etc/evil.otf2")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("link")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        archive.addfile(link)
    return buffer.getvalue()


def multipart(
    fields: dict[str, str], files: dict[str, tuple[str, bytes, str]]
) -> tuple[bytes, str]:
    """A multipart/form-data body and its Content-Type."""
    boundary = "jetlag" + secrets.token_hex(8)
    chunks: list[bytes] = []
    for name, value in fields.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, (filename, data, kind) in files.items():
        chunks.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class LiveServer:
    """A `jupyter server` subprocess with the JetLag extension, on a store that outlives it."""

    def __init__(self, workdir: Path, store: Path, *extra: str) -> None:
        self.workdir = Path(workdir)
        self.store = Path(store)
        self.extra = list(extra)
        self.token = secrets.token_hex(16)
        self.port = 0
        self.process: subprocess.Popen | None = None
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"token {self.token}"
        self.starts = 0

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api(self) -> str:
        """The API's base URL (no trailing slash)."""
        return f"{self.base}/jetlag/api"

    def environment(self) -> dict[str, str]:
        """The server's environment: every Jupyter path and the store in `workdir`."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JETLAG_", "JUPYTER_"))}
        for name in ("data", "config", "runtime"):
            (self.workdir / name).mkdir(parents=True, exist_ok=True)
        env.update(
            JETLAG_STORE=str(self.store),
            JUPYTER_DATA_DIR=str(self.workdir / "data"),
            JUPYTER_CONFIG_DIR=str(self.workdir / "config"),
            JUPYTER_RUNTIME_DIR=str(self.workdir / "runtime"),
            PYTHONUNBUFFERED="1",
        )
        return env

    def start(self, timeout: float = 90) -> LiveServer:
        """Start the server and wait until /api/status answers."""
        self.port = free_port()
        self.starts += 1
        log = open(self.workdir / f"server-{self.starts}.log", "wb")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter",
                "server",
                f"--ServerApp.port={self.port}",
                "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}",
                "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.root_dir={self.workdir}",
                "--allow-root",
                "--no-browser",
                *self.extra,
            ],
            env=self.environment(),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited {self.process.returncode}:\n{self.log()}")
            try:
                if self.session.get(f"{self.base}/api/status", timeout=2).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer within {timeout} s:\n{self.log()}")

    def log(self) -> str:
        """What the latest server process printed."""
        path = self.workdir / f"server-{self.starts}.log"
        return path.read_text(errors="replace")[-8000:] if path.exists() else ""

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A request to /jetlag/api/<path> with the token."""
        kwargs.setdefault("timeout", 60)
        return self.session.request(method, f"{self.api}/{path}", **kwargs)

    def kill9(self) -> None:
        """SIGKILL the server process (its job runners are in their own sessions)."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.kill9()
