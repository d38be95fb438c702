"""Nothing lost: cancel, kill -9 of a runner, a restarted service, a crashed submitter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import job_functions
import pytest
from jobs_support import TINY, WAIT, forever, running_pid, until

import jetlag.remote as remote
from jetlag.runtime.jobs import JobError
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.package import jobs_dir, write_package
from jetlag.runtime.jobs.processes import is_running, start_ticks
from jetlag.runtime.jobs.states import new_job_id


def test_cancel_a_running_job_stops_its_process(store, service):
    job_id = forever(service)
    pid, start = running_pid(service, job_id)
    row = service.cancel(job_id)
    assert row["state"] == "CANCELLED" and row["reason"] == "cancelled on request"
    until(lambda: not is_running(pid, start), "the runner to end")
    assert [h["state"] for h in row["history"]][-2:] == ["RUNNING", "CANCELLED"]
    with pytest.raises(JobError) as caught:
        service.cancel(job_id)
    assert (caught.value.status, caught.value.field) == (409, "job_id")
    assert "already CANCELLED" in str(caught.value)


def test_cancel_a_pending_job_at_once(store, make_service):
    service = make_service(slots=1)
    blocker = forever(service)
    running_pid(service, blocker)
    waiting = forever(service)
    assert service.get(waiting)["state"] == "PENDING"
    assert service.cancel(waiting)["state"] == "CANCELLED"
    service.cancel(blocker)
    assert service.get(waiting)["pid"] is None  # it never started


def test_pending_jobs_start_in_order_when_a_slot_frees(store, make_service):
    service = make_service(slots=1)
    first = forever(service)
    running_pid(service, first)
    queued = [
        service.submit(source=TINY, entry="tiny", args_npz=encode_arguments((i,)))["id"]
        for i in range(3)
    ]
    assert {service.get(j)["state"] for j in queued} == {"PENDING"}
    service.cancel(first)
    for i, job_id in enumerate(queued):
        assert remote.job(job_id).result(WAIT) == i + 1
    started = [service.get(j)["started_at"] for j in queued]
    assert started == sorted(started)


def test_kill_9_of_a_runner_fails_the_job_with_the_reason(store, service):
    job_id = forever(service)
    pid, _ = running_pid(service, job_id)
    os.kill(pid, signal.SIGKILL)
    until(lambda: service.get(job_id)["state"] == "FAILED", "the monitor to notice")
    reason = service.get(job_id)["reason"]
    assert f"pid {pid}" in reason and "ended without reporting a result" in reason


def test_a_restarted_service_adopts_running_jobs_and_fails_vanished_ones(store, make_service):
    first = make_service(monitor=False)
    alive = forever(first)
    doomed = forever(first)
    alive_pid, alive_start = running_pid(first, alive)
    doomed_pid, _ = running_pid(first, doomed)
    first.close()  # the server goes away; its jobs keep running
    os.kill(doomed_pid, signal.SIGKILL)
    until(lambda: not is_running(doomed_pid, None), "the killed runner to go")

    second = make_service(monitor=False)
    second.reattach()
    assert second.get(alive)["state"] == "RUNNING"
    assert second.get(doomed)["state"] == "FAILED"
    assert f"pid {doomed_pid}" in second.get(doomed)["reason"]
    assert second.cancel(alive)["state"] == "CANCELLED"
    until(lambda: not is_running(alive_pid, alive_start), "the adopted runner to stop")


def test_a_recycled_pid_is_not_taken_for_the_job(store, make_service):
    service = make_service(monitor=False)
    job_id = forever(service)
    pid, start = running_pid(service, job_id)
    service.records.update(job_id, sources=("RUNNING",), pid_start=start + 1)
    service.reattach()  # same pid, other start time: that process is not the job's
    assert service.get(job_id)["state"] == "FAILED"
    assert is_running(pid, start)  # and it was not signalled
    os.kill(pid, signal.SIGKILL)


def test_a_job_recorded_but_never_handed_over_runs_after_restart(store, make_service):
    service = make_service(monitor=False)
    job_id = new_job_id()
    options = {"threads": None, "trace": "off", "time_limit_s": 60, "label": None}
    manifest = {
        "id": job_id,
        "machine": "local",
        "backend": "local",
        "entry": "tiny",
        "filename": "source.py",
        "arguments": {"positional": [{"kind": "int", "key": "a0"}], "keywords": {}},
        "options": options,
        "origin": "python",
        "idempotency_key": None,
    }
    write_package(store, manifest, TINY, encode_arguments((41,)))
    service.records.insert(
        job_id=job_id,
        machine="local",
        entry="tiny",
        label=None,
        origin="python",
        options=options,
        idempotency_key=None,
    )
    # ... the server was killed here. A partial folder of a dead submitter lies beside it.
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    partial = jobs_dir(store) / f".partial-{new_job_id()}-{dead.stdout.strip()}"
    partial.mkdir()
    # ... and a folder renamed into place by a submitter killed before it inserted the row.
    orphan = write_package(store, {**manifest, "id": new_job_id()}, TINY, encode_arguments((1,)))
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))
    restarted = make_service(monitor=False)
    restarted.reattach()
    assert not partial.exists() and not orphan.exists()
    assert remote.job(job_id).result(WAIT) == 42


def test_the_monitor_hands_over_a_job_whose_submitter_died(store, make_service, monkeypatch):
    from jetlag.runtime.jobs import watching

    service = make_service(monitor=False)
    hand_over = service.watcher.hand_over
    monkeypatch.setattr(service.watcher, "hand_over", lambda *args: None)  # the submitter dies
    job_id = service.submit(source=TINY, entry="tiny", args_npz=encode_arguments((2,)))["id"]
    assert service.get(job_id)["state"] == "SUBMITTED"
    monkeypatch.setattr(service.watcher, "hand_over", hand_over)
    service.poll()
    assert service.get(job_id)["state"] == "SUBMITTED"  # within the grace period: left alone
    monkeypatch.setattr(watching, "SUBMIT_GRACE_S", 0.0)
    service.poll()
    assert remote.job(job_id).result(WAIT) == 3


def test_a_job_outlives_the_python_process_that_submitted_it(store, service):
    script = (
        "import job_functions, jetlag.remote as remote\n"
        "job = remote.run(job_functions.tiny, 1, trace='off')\n"
        "print(job.id)\n"
    )
    here = str(Path(__file__).parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([here, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=WAIT
    )
    assert done.returncode == 0, done.stderr
    job_id = done.stdout.strip().splitlines()[-1]
    assert remote.job(job_id).result(WAIT) == 2


@pytest.mark.slow
def test_concurrent_submissions_are_recorded_once_and_all_finish(store, make_service):
    service = make_service(slots=4)
    keys = [f"key-{i}" for i in range(40)]
    # Every key is sent once; every fourth also a second time from another thread.
    requests = keys + keys[::4]
    ids: dict[str, set[str]] = {key: set() for key in keys}
    existing: list[bool] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def submit(chunk):
        for key in chunk:
            try:
                row = service.submit(
                    source=TINY,
                    entry="tiny",
                    args_npz=encode_arguments((int(key.split("-")[1]),)),
                    idempotency_key=key,
                    options={"trace": "off"},
                )
            except BaseException as error:  # noqa: BLE001 - collected and asserted below
                errors.append(error)
                continue
            with lock:
                ids[key].add(row["id"])
                existing.append(row["existing"])

    threads = [threading.Thread(target=submit, args=(requests[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert all(len(found) == 1 for found in ids.values())
    assert sorted(existing) == [False] * 40 + [True] * 10
    rows = service.list(limit=1000)
    assert len(rows) == 40 and len({row["idempotency_key"] for row in rows}) == 40
    assert len(list(jobs_dir(store).iterdir())) == 40
    for key, (job_id,) in ((k, tuple(v)) for k, v in ids.items()):
        assert remote.job(job_id).result(WAIT) == int(key.split("-")[1]) + 1


def test_start_ticks_is_this_process_start_time():
    assert start_ticks(os.getpid()) is not None
    assert is_running(os.getpid(), start_ticks(os.getpid()))
    assert not is_running(os.getpid(), start_ticks(os.getpid()) + 1)


def test_tiny_runs_in_process_too():
    assert job_functions.tiny(1) == 2
