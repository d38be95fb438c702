"""The ssh backend: the slurm backend's jobs, run on a login node over SSH.

With `scheduler = "none"` the machine has no batch queue and each job runs there as a
plain process of its own (plain_processes.py); the rest is the same.

Everything the slurm backend does -- package, sbatch, one squeue per poll, scancel,
fetching outputs and importing the trace -- happens on `host` through an `SshShell`:
key authentication only, the host key checked against `known_hosts`, one reused master
connection, retries with backoff when the connection drops. A poll that cannot reach the
machine changes no job (they are looked at again on the next one) and marks the machine
unavailable with the reason; a submission whose answer was lost is found again by its
Slurm job name, or submitted again when Slurm never saw it. No secret is configured here:
the key is a file on the server, referenced by path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends import MachineConfig, Setting
from jetlag.runtime.jobs.backends.plain_processes import ProcessScheduler
from jetlag.runtime.jobs.backends.shells import Shell, SshShell
from jetlag.runtime.jobs.backends.slurm import SlurmBackend
from jetlag.runtime.jobs.records import JobRecords


def _port(value: int) -> str | None:
    return None if 1 <= value <= 65535 else "a TCP port from 1 to 65535"


def _file(path: str) -> str | None:
    if Path(path).expanduser().is_file():
        return None
    return f"{path} does not exist on the server; give the path of an existing file"


def _scheduler(value: str) -> str | None:
    if value in ("slurm", "none"):
        return None
    return "must be 'slurm' (sbatch, squeue) or 'none' (jobs as plain processes)"


SSH_SETTINGS = (
    Setting(
        "scheduler",
        str,
        "slurm",
        help="'slurm' for a login node's batch queue, 'none' to run jobs as processes there",
        check=_scheduler,
    ),
    Setting("port", int, 22, help="the login node's SSH port", check=_port),
    Setting(
        "identity_file",
        str,
        help="the private key to log in with (a file on the server; default: ssh's own)",
        check=_file,
    ),
    Setting(
        "known_hosts",
        str,
        help="the known_hosts file holding the login node's host key (default: ssh's own)",
        check=_file,
    ),
    Setting("slurm_conf", str, help="SLURM_CONF on the login node (when not its default)"),
    Setting("sbatch_options", list, help="more #SBATCH lines, e.g. ['--account=abc']"),
    Setting("command_timeout_s", float, 60.0, help="seconds a command may take there"),
    Setting("connect_timeout_s", float, 10.0, help="seconds to wait for the connection"),
    Setting("retries", int, 4, help="retries of a dropped connection (backoff 0.5 s, doubling)"),
    Setting("backoff_s", float, 0.5, help="the first retry's wait in seconds"),
)


class SshBackend(SlurmBackend):
    """Slurm jobs on a login node over SSH (see the module docstring)."""

    name = "ssh"
    settings_spec = SSH_SETTINGS

    def __init__(self, machine: MachineConfig, root: Path, records: JobRecords) -> None:
        if not machine.host:
            raise ValueError(
                f"machine {machine.id} uses the ssh backend but names no host; add "
                'host = "login.example.org" (and user = "...") to its table'
            )
        super().__init__(machine, root, records)

    def make_shell(self) -> Shell:
        """An SshShell to the machine's host with its key, known_hosts and retries."""
        settings: dict[str, Any] = self.settings
        conf = settings.get("slurm_conf")
        return SshShell(
            self.machine.host or "",
            user=self.machine.user,
            port=int(settings.get("port", 22)),
            identity_file=settings.get("identity_file"),
            known_hosts=settings.get("known_hosts"),
            connect_timeout_s=float(settings.get("connect_timeout_s", 10.0)),
            retries=int(settings.get("retries", 4)),
            backoff_s=float(settings.get("backoff_s", 0.5)),
            env={"SLURM_CONF": conf} if conf else None,
        )

    def make_scheduler(self) -> Any:
        """Slurm's commands, or plain processes when `scheduler = "none"`."""
        if self.settings.get("scheduler") == "none":
            return ProcessScheduler()
        return super().make_scheduler()

    def default_workdir(self) -> str:
        """jetlag-jobs in the login's home directory."""
        return "jetlag-jobs"

    def default_python(self) -> str:
        """python3 on the login node's PATH (set `python` or `setup` for JetLag's)."""
        return "python3"
