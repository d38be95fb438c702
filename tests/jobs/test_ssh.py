"""Jobs on a login node over SSH (a real sshd on 127.0.0.1 with generated keys) that runs
the Slurm cluster's commands: results, trace, cancel, host key checking, dropped links."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import job_functions
import numpy as np
import pytest
from cluster_fixtures import *  # noqa: F403 - the cluster fixtures
from jobs_support import WAIT, same, until
from local_cluster import SshServer

import jetlag.remote as remote
from jetlag.runtime.jobs import JobError
from jetlag.runtime.store.traces import TraceStore


def login_machine(server, cluster, workdir, **extra) -> dict:
    """The machines-file table of a login node reached through `server`."""
    return {
        "backend": "ssh",
        "host": "127.0.0.1",
        "user": "root",
        "port": server.port,
        "identity_file": str(server.client_key),
        "known_hosts": str(server.known_hosts),
        "workdir": str(workdir),
        "python": sys.executable,
        "cores_per_node": 1,
        "poll_interval_s": POLL_S,  # noqa: F405
        "slurm_conf": str(cluster.conf),
        "retries": 2,
        "backoff_s": 0.1,
        "command_timeout_s": 20,
        **extra,
    }


@pytest.fixture
def ssh_jobs(ssh_server, slurm_cluster, machines_file, tmp_path):
    service = machines_file({"login": login_machine(ssh_server, slurm_cluster, tmp_path / "w")})
    yield service
    service.stop_monitor()
    cancel_jobs_of(service, slurm_cluster)  # noqa: F405


def test_an_ssh_job_returns_the_local_result_and_its_trace(store, ssh_jobs):
    x = np.linspace(0.0, 1.0, 7)
    here = remote.run(job_functions.scale, x, 3.0, 0.5)
    there = remote.run(job_functions.scale, x, 3.0, 0.5, machine="login", label="over ssh")
    assert there.wait(WAIT) == "COMPLETED", there.info()
    assert same(there.result(), here.result(WAIT))
    info = ssh_jobs.get(there.id)
    assert "Slurm job" in info["reason"] and "COMPLETED" in info["reason"]
    assert any("Slurm RUNNING" in (h["reason"] or "") for h in info["history"])
    traces = TraceStore(store)
    try:
        row = traces.get(info["trace_id"])
        assert row["job_id"] == there.id and row["label"] == "over ssh"
        assert all(name.startswith("login/") for name in row["location_names"])
    finally:
        traces.close()


def test_cancel_an_ssh_job_and_an_error_with_its_place(store, ssh_jobs):
    ssh_jobs.start_monitor(0.05)
    job = remote.run(job_functions.forever, 1.0, machine="login", trace="off")
    until(lambda: ssh_jobs.get(job.id)["state"] == "RUNNING", "the job to run")
    assert job.cancel() == "CANCELLED"
    bad = remote.run(job_functions.mismatch, np.ones(2), np.ones(5), machine="login")
    assert bad.wait(WAIT) == "FAILED"
    assert f"{job_functions.__file__}:" in ssh_jobs.get(bad.id)["reason"]
    assert "broadcast" in bad.stderr


def test_an_unknown_host_key_is_refused(store, ssh_server, slurm_cluster, machines_file, tmp_path):
    other = tmp_path / "known_hosts"
    other.write_text(
        f"[127.0.0.1]:{ssh_server.port} ssh-ed25519 "
        "AAAAC3NzaC1lZDI1NTE5AAAAIEl0S0Sw2/r8n4uTj5uFyFqh4H+EkZg6B0YOwFTpj7Vd\n"
    )
    service = machines_file(
        {"login": login_machine(ssh_server, slurm_cluster, tmp_path / "w", known_hosts=str(other))}
    )
    listed = service.machine_json("login")
    assert listed["available"] is False and "cannot reach root@127.0.0.1" in listed["reason"]
    assert "identity_file" in listed["settings"] and "known_hosts" in listed["settings"]
    with pytest.raises(JobError) as caught:
        remote.run(job_functions.tiny, 1, machine="login")
    assert caught.value.status == 503 and "host key" in caught.value.message


def test_a_dropped_connection_loses_no_job(store, slurm_cluster, machines_file, tmp_path):
    server = SshServer(tmp_path / "sshd").start()
    try:
        machine = login_machine(server, slurm_cluster, tmp_path / "w", command_timeout_s=5)
        service = machines_file({"login": machine})
        backend = service.backends["login"]
        running = remote.run(job_functions.forever, 1.0, machine="login", trace="off")
        until(lambda: running.status() == "RUNNING", "the job to run")
        server.stop()
        backend.shell.disconnect()  # the login node goes away, connection and all
        backend.poll(force=True)
        assert service.get(running.id)["state"] == "RUNNING"  # unknown is not ended
        assert backend.available()[0] is False
        with pytest.raises(JobError) as caught:  # refused at once, not a hang
            remote.run(job_functions.tiny, 4, machine="login", trace="off")
        assert caught.value.status == 503 and "Connection refused" in caught.value.message
        # The link drops between the availability check and the submission:
        backend._health = (True, None)
        backend._health_at = time.monotonic()
        waiting = remote.run(job_functions.tiny, 4, machine="login", trace="off")
        assert service.get(waiting.id)["state"] == "PENDING"
        assert "submission not confirmed" in service.get(waiting.id)["reason"]
        server.restart()
        assert remote.job(waiting.id).result(WAIT) == 5  # sent again once Slurm never saw it
        assert service.get(running.id)["state"] == "RUNNING"
        assert running.cancel() == "CANCELLED"
    finally:
        server.stop()


def test_a_login_node_without_a_scheduler_runs_jobs_as_processes(
    store, ssh_server, slurm_cluster, machines_file, tmp_path
):
    machine = login_machine(ssh_server, slurm_cluster, tmp_path / "p", scheduler="none")
    service = machines_file({"plain": machine})
    service.start_monitor(0.05)
    try:
        here = remote.run(job_functions.scale, np.arange(5.0), 2.0, 1.0)
        there = remote.run(job_functions.scale, np.arange(5.0), 2.0, 1.0, machine="plain")
        assert there.wait(WAIT) == "COMPLETED", there.info()
        assert same(there.result(), here.result(WAIT))
        info = service.get(there.id)
        assert "process" in info["reason"] and info["trace_id"]
        forever = remote.run(job_functions.forever, 1.0, machine="plain", trace="off")
        until(lambda: service.get(forever.id)["state"] == "RUNNING", "the process to run")
        assert forever.cancel() == "CANCELLED"
        pid = json.loads(service.records.get(forever.id)["backend_ref"])["slurm"]
        until(lambda: not Path(f"/proc/{pid}").exists() or _zombie(pid), "the process to stop")
        timed = remote.run(job_functions.forever, 1.0, machine="plain", time_limit_s=1, trace="off")
        assert timed.wait(WAIT) == "TIMEOUT"
    finally:
        service.stop_monitor()


def _zombie(pid: str) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True
