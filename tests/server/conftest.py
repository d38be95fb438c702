"""Fixtures for the REST tests: a jupyter-server with the JetLag extension on a temporary store.

pytest-jupyter's fixtures (`jp_serverapp`, `jp_fetch`) are imported here, with its hooks
that run `async def` tests, so they apply to this folder only. Every test gets its own
store ($JETLAG_STORE in a tmp folder) and a server whose upload limit is small enough to
test 413 without sending megabytes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_jupyter.jupyter_server import *  # noqa: F403  (fixtures and async test hooks)
from server_support import LiveServer
from traitlets.config import Config

#: Upload and submission limits of the test server (bytes).
UPLOAD_LIMIT = 2 * 2**20
JOB_LIMIT = 1 * 2**20


@pytest.fixture
def store_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The store of this test ($JETLAG_STORE, also seen by job runners)."""
    root = tmp_path / "store"
    monkeypatch.setenv("JETLAG_STORE", str(root))
    return root


@pytest.fixture
def jp_server_config(store_root: Path) -> Config:
    """Only the JetLag extension (and terminals, which pytest-jupyter adds), small limits."""
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"jetlag.server_ext": True}},
            "JetLagExtension": {"max_upload_bytes": UPLOAD_LIMIT, "max_job_bytes": JOB_LIMIT},
        }
    )


@dataclass
class Reply:
    """A response: status, headers, raw body and the body as JSON (None if not JSON)."""

    status: int
    headers: Any
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def error(self) -> tuple[str, str | None]:
        """(message, field) of a JSON error."""
        document = self.json
        assert set(document) == {"error", "field"}, document
        return document["error"], document["field"]


@pytest.fixture
def api(jp_fetch: Any) -> Any:
    """`await api("GET", "traces/ID/gantt", params=...)` -> Reply, never raising on 4xx.

    `params` may be a dict (list values repeat the parameter) or a list of pairs.
    """

    async def call(
        method: str,
        path: str,
        *,
        params: Any = None,
        body: bytes | str | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        token: bool = True,
    ) -> Reply:
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        if not token:
            headers["Authorization"] = ""
        if body is None and method in ("POST", "PATCH", "PUT"):
            body = b""
        pairs = []
        for name, value in params.items() if isinstance(params, dict) else params or []:
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, str(item)))
        response = await jp_fetch(
            "jetlag",
            "api",
            *path.split("/"),
            method=method,
            body=body,
            headers=headers,
            params=pairs,
            raise_error=False,
            allow_nonstandard_methods=True,
        )
        return Reply(response.code, response.headers, response.body or b"")

    return call


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """A real `jupyter server` process on its own store, stopped after the test."""
    server = LiveServer(tmp_path / "live", tmp_path / "live-store")
    server.workdir.mkdir(parents=True, exist_ok=True)
    try:
        yield server
    finally:
        server.stop()
