"""Fixtures of the remote-machine tests: one Slurm cluster and one sshd per test session,
and per test a machines file naming them, read by the job service like a user's.

Import the fixtures into a test module (`from cluster_fixtures import *`). They skip
with the reason when the real parts cannot run here (not root, programs missing).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from local_cluster import SlurmCluster, SshServer

from jetlag.runtime.jobs import remote as remote_module

__all__ = [
    "POLL_S",
    "cancel_jobs_of",
    "machines_file",
    "slurm_cluster",
    "slurm_jobs",
    "slurm_machine",
    "ssh_server",
    "write_machines",
]

#: How often the tests' machines look at their queue (seconds).
POLL_S = 0.2


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A single-node Slurm cluster on this host, for the whole session."""
    why = SlurmCluster.unavailable()
    if why:
        pytest.skip(why)
    cluster = SlurmCluster(tmp_path_factory.mktemp("slurm"))
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory):
    """sshd on 127.0.0.1 with a generated host key and client key, for the whole session."""
    why = SshServer.unavailable()
    if why:
        pytest.skip(why)
    server = SshServer(tmp_path_factory.mktemp("sshd")).start()
    yield server
    server.stop()


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_machines(path: Path, machines: dict[str, dict]) -> Path:
    """A machines file with one table per machine."""
    lines = []
    for name, table in machines.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {_toml(value)}" for key, value in table.items()]
        lines.append("")
    path.write_text("\n".join(lines))
    return path


@pytest.fixture
def machines_file(tmp_path, monkeypatch, store):
    """`write(machines)` writes $JETLAG_MACHINES and returns the store's fresh JobService."""

    def write(machines: dict[str, dict]):
        path = write_machines(tmp_path / "jetlag_machines.toml", machines)
        monkeypatch.setenv("JETLAG_MACHINES", str(path))
        old = remote_module._services.pop(store.resolve(), None)
        if old is not None:
            old.close()
        return remote_module.service(store)

    return write


@pytest.fixture
def slurm_jobs(slurm_cluster, machines_file, tmp_path):
    """The job service with the machine "cluster" (slurm on this host) and "local"."""
    service = machines_file({"cluster": slurm_machine(slurm_cluster, tmp_path / "cluster-work")})
    yield service
    service.stop_monitor()
    cancel_jobs_of(service, slurm_cluster)


def slurm_machine(cluster, workdir, **settings) -> dict:
    """The machine table of the localhost Slurm cluster (job folders under `workdir`)."""
    return {
        "backend": "slurm",
        "partition": "debug",
        "cores_per_node": 1,
        "workdir": str(workdir),
        "python": sys.executable,
        "poll_interval_s": POLL_S,
        "slurm_conf": str(cluster.conf),
        **settings,
    }


def cancel_jobs_of(service, cluster) -> None:
    """scancel the Slurm jobs of this test's service (by their recorded Slurm ids)."""
    import json

    ids = []
    for row in service.records.select(limit=10_000):
        ref = json.loads(row["backend_ref"] or "{}")
        if isinstance(ref, dict) and ref.get("slurm"):
            ids.append(ref["slurm"])
    if ids and shutil.which("scancel"):
        subprocess.run(["scancel", *ids], env=cluster.env, capture_output=True, check=False)
