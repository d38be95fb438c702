"""Fixtures of the job tests: a fresh store per test and a JobService watching it.

Every runner a test starts is stopped at the end (by pid and start time, from the store),
so no test leaves processes behind.
"""

from __future__ import annotations

import pytest
from tapis_double import APP, TOKEN_ENV, TapisDouble, make_token

from jetlag.runtime.jobs import JobService, MachineConfig
from jetlag.runtime.jobs import remote as remote_module
from jetlag.runtime.jobs.processes import stop_job
from jetlag.runtime.jobs.records import JobRecords


def stop_all(root) -> None:
    """Stop every job process the store knows of (only those whose identity matches)."""
    records = JobRecords(root)
    try:
        for row in records.active():
            if row["pid"]:
                stop_job(row["pid"], row["pid_start"], grace_s=1.0)
    finally:
        records.close()


@pytest.fixture
def store(tmp_path, monkeypatch):
    root = tmp_path / "store"
    monkeypatch.setenv("JETLAG_STORE", str(root))
    yield root
    stop_all(root)
    for path in list(remote_module._services):
        if path == root.resolve():
            remote_module._services.pop(path).close()


@pytest.fixture
def make_service(store):
    made = []

    def make(slots: int | None = None, monitor: bool = True) -> JobService:
        machines = {}
        if slots is not None:
            machines["local"] = MachineConfig("local", "local", max_concurrent=slots)
        service = JobService(store, machines=machines)
        if monitor:
            service.start_monitor(0.1)
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def service(make_service):
    return make_service()


@pytest.fixture
def double(tmp_path, monkeypatch):
    """The Tapis TEST DOUBLE (tapis_double.py) on 127.0.0.1, its token in the environment;
    at the end, every answer it gave must have passed tapipy's schemas."""
    token = make_token()
    monkeypatch.setenv(TOKEN_ENV, token)
    server = TapisDouble(tmp_path / "tapis", token, apps=(APP,))
    yield server
    server.close()
    assert server.violations == [], (
        f"the double answered what tapipy's schemas reject: {server.violations}"
    )
