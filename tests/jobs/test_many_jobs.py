"""100 jobs in flight at once on two machines (local processes and the Slurm cluster on this
host) behind a real `jupyter server`: Slurm's queue is looked at once per poll interval
however many jobs wait in it, and a server killed with SIGKILL in the middle and started
again accounts for every job: none lost, none run twice, every result right."""

from __future__ import annotations

import base64
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from cluster_fixtures import (
    slurm_cluster,  # noqa: F401 - the fixture
    slurm_machine,
    write_machines,
)
from jobs_support import until

from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.results import decode_result

sys.path.append(str(Path(__file__).resolve().parents[1] / "server"))
from server_support import LiveServer  # noqa: E402 - tests/server's real server

pytestmark = pytest.mark.slow

JOBS_PER_MACHINE = 50
#: Seconds between two looks at the Slurm queue (the backend's poll interval).
POLL_S = 1.0
TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}
#: Each job prints one line (stdout is appended to on both machines: a job run twice
#: would show its line twice) and returns a value that names it.
MARK = 'def mark(i):\n    print("ran", i)\n    return i * 2 + 1\n'


def counting_squeue(folder: Path) -> Path:
    """A `squeue` first on PATH that logs the time of each call, then runs the real one."""
    import shutil

    real = shutil.which("squeue")
    assert real, "squeue is not installed"
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "squeue.log"
    script = folder / "squeue"
    script.write_text(f'#!/bin/sh\ndate +%s.%N >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return log


def calls(log: Path) -> list[float]:
    return [float(line) for line in log.read_text().split()] if log.exists() else []


def submit(server: LiveServer, i: int, machine: str) -> str:
    document = {
        "source": MARK,
        "entry": "mark",
        "args_npz": base64.b64encode(encode_arguments((np.int64(i),))).decode(),
        "machine": machine,
        "options": {"trace": "off", "threads": 1, "time_limit_s": 900},
        # A submission cut off by the kill and sent again is the same job.
        "idempotency_key": f"many-{i}",
    }
    answer = server.request("POST", "jobs", json=document)
    assert answer.status_code in (200, 201), answer.text
    return answer.json()["id"]


def all_jobs(server: LiveServer) -> list[dict]:
    answer = server.request("GET", "jobs", params={"limit": 1000})
    assert answer.status_code == 200, answer.text
    return answer.json()["jobs"]


def test_a_hundred_jobs_on_two_machines_survive_a_server_kill(
    slurm_cluster,  # noqa: F811 - the fixture
    tmp_path,
    monkeypatch,
):
    log = counting_squeue(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")
    server = LiveServer(tmp_path / "live", tmp_path / "store")
    (server.workdir / "config").mkdir(parents=True)
    write_machines(
        server.workdir / "config" / "jetlag_machines.toml",
        {
            "local": {"backend": "local", "max_concurrent": 2},
            "cluster": slurm_machine(
                slurm_cluster,
                tmp_path / "cluster-work",
                poll_interval_s=POLL_S,
                sbatch_options=["--open-mode=append"],
            ),
        },
    )
    machines = {i: ("local" if i % 2 else "cluster") for i in range(2 * JOBS_PER_MACHINE)}
    try:
        server.start()
        with ThreadPoolExecutor(8) as pool:
            submitted = list(pool.map(lambda i: submit(server, i, machines[i]), machines))
        ids = dict(zip(machines, submitted, strict=True))
        # All of them in flight at once (the fastest local ones may have ended already).
        active = [job for job in all_jobs(server) if job["state"] not in TERMINAL]
        assert len(active) >= 80, len(active)
        until(
            lambda: sum(job["state"] == "COMPLETED" for job in all_jobs(server)) >= 10,
            "some jobs to complete",
            timeout=180,
        )
        # Killed while jobs still wait or run on both machines.
        in_flight = {job["machine"] for job in all_jobs(server) if job["state"] not in TERMINAL}
        server.kill9()
        assert in_flight == {"local", "cluster"}, in_flight
        before = calls(log)
        server.start()
        until(
            lambda: all(job["state"] in TERMINAL for job in all_jobs(server)),
            "every job to end after the restart",
            timeout=600,
        )
        after = calls(log)[len(before) :]
    finally:
        server.stop()
        _cancel_all(slurm_cluster, tmp_path / "cluster-work")

    jobs = {job["id"]: job for job in stored_jobs(tmp_path / "store")}
    # Every job accounted for, once; each ran exactly once and returned its own value.
    assert len(jobs) == len(ids) == 2 * JOBS_PER_MACHINE
    assert set(jobs) == set(ids.values())
    for i, job_id in ids.items():
        job = jobs[job_id]
        assert job["state"] == "COMPLETED" and job["machine"] == machines[i], job
        folder = tmp_path / "store" / "jobs" / job_id
        assert (folder / "stdout.txt").read_text() == f"ran {i}\n"
        value = decode_result((folder / "result.npz").read_bytes())
        assert value == 2 * i + 1 and type(value) is np.int64
    # One squeue per poll interval for the whole machine, not one per job: a server process
    # makes about one call per interval while 50 jobs wait in it (one per job would be 50).
    # A late tick may be followed by a prompt one, so count calls rather than time gaps.
    assert before and after
    for phase in (before, after):
        span = max(phase) - min(phase)
        assert len(phase) <= span / POLL_S + 2, (len(phase), span)


def stored_jobs(root: Path) -> list[dict]:
    """Every job row of the store, read without a server."""
    from jetlag.runtime.jobs.records import JobRecords, row_json

    records = JobRecords(root)
    try:
        return [row_json(row) for row in records.select(limit=10_000)]
    finally:
        records.close()


def _cancel_all(cluster, workdir: Path) -> None:
    """scancel whatever this test left in the cluster (nothing, when it passed)."""
    import subprocess

    names = [f"jetlag-{p.name}" for p in workdir.glob("j*")] if workdir.exists() else []
    if names:
        subprocess.run(
            ["scancel", "--name", ",".join(names)],
            env=cluster.env,
            capture_output=True,
            check=False,
        )
