"""The runner on its own (a folder and no store, as on a remote machine) and the monitor's
safety nets: a claimed job that never started, a job past its time limit."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from jobs_support import FOREVER, TINY, WAIT, forever, running_pid, until

from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.backends import local
from jetlag.runtime.jobs.package import write_package
from jetlag.runtime.jobs.processes import is_running
from jetlag.runtime.jobs.results import read_result
from jetlag.runtime.jobs.states import new_job_id


def manifest(job_id: str, entry: str, **options) -> dict:
    return {
        "id": job_id,
        "machine": "local",
        "backend": "local",
        "entry": entry,
        "filename": "source.py",
        "arguments": {},
        "options": {"threads": 1, "trace": "events", "time_limit_s": 60, "label": None, **options},
        "origin": "python",
        "idempotency_key": None,
    }


def run_runner(directory, env_store=None):
    env = {k: v for k, v in os.environ.items() if k != "JETLAG_STORE"}
    if env_store is not None:
        env["JETLAG_STORE"] = str(env_store)
    return subprocess.run(
        [sys.executable, "-m", "jetlag.runtime.jobs.runner", str(directory)],
        capture_output=True,
        text=True,
        env=env,
        timeout=WAIT,
    )


def test_without_a_store_the_runner_writes_everything_into_the_folder(tmp_path):
    job_id = new_job_id()
    directory = write_package(tmp_path, manifest(job_id, "tiny"), TINY, encode_arguments((1,)))
    done = run_runner(directory)
    assert done.returncode == 0, done.stderr
    assert read_result(directory) == 2
    exit_info = json.loads((directory / "exit.json").read_text())
    assert exit_info["state"] == "COMPLETED" and exit_info["exit_code"] == 0
    assert (directory / "trace").is_dir()  # for the backend to bring back
    status = json.loads((directory / "status.json").read_text())
    assert status["state"] == "COMPLETED" and status["pid"] > 0


def test_a_runner_refuses_a_folder_that_is_not_a_job(tmp_path):
    done = run_runner(tmp_path)
    assert done.returncode == 2 and "not a job folder" in done.stderr


def test_a_runner_does_not_run_a_job_that_already_ended(store, make_service):
    service = make_service(monitor=False)
    job_id = forever(service)
    service.cancel(job_id)
    done = run_runner(service.directory(job_id), store)
    assert done.returncode == 0 and "already CANCELLED" in done.stderr


def test_a_claimed_job_whose_runner_never_started_is_queued_again(store, make_service, monkeypatch):
    service = make_service(monitor=False)
    start_pending = local.start_pending
    monkeypatch.setattr(local, "start_pending", lambda *args, **kwargs: [])
    job_id = service.submit(source=TINY, entry="tiny", args_npz=encode_arguments((5,)))["id"]
    assert service.records.claim_pending("local", 1)["id"] == job_id  # ... then the starter died
    monkeypatch.setattr(local, "START_GRACE_S", 0.0)
    service.poll()
    assert service.get(job_id)["state"] == "PENDING"
    assert "never started" in service.get(job_id)["history"][-1]["reason"]
    monkeypatch.setattr(local, "start_pending", start_pending)
    service.poll()
    until(lambda: service.get(job_id)["state"] == "COMPLETED", "the job to run")
    assert service.result(job_id) == 6


def test_the_monitor_stops_a_job_its_watchdog_did_not(store, make_service, monkeypatch):
    service = make_service(monitor=False)
    job_id = forever(service)
    pid, start = running_pid(service, job_id)
    service.records.conn.execute(
        "UPDATE jobs SET options = ? WHERE id = ?", (json.dumps({"time_limit_s": 0}), job_id)
    )
    monkeypatch.setattr(local, "TIMEOUT_GRACE_S", 0.0)
    service.poll()
    assert service.get(job_id)["state"] == "TIMEOUT"
    until(lambda: not is_running(pid, start), "the runner to be stopped")


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
def test_output_of_a_job_that_has_not_written_yet_is_empty(store, make_service, stream):
    service = make_service(monitor=False)
    job_id = service.submit(source=FOREVER, entry="forever", args_npz=encode_arguments((1.0,)))[
        "id"
    ]
    assert isinstance(service.output(job_id, stream), str)
    assert service.output(job_id, stream, max_bytes=0) == ""
    service.cancel(job_id)
