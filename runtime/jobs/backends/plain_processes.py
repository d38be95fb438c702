"""Jobs as plain processes on a machine without a batch queue (the ssh backend's
`scheduler = "none"`): the same job folder and runner, started in a session of its own.

Submitting runs `setsid sh job.sh <folder>` in the background and reads its pid; the
script execs the runner, so the pid is the runner's and its process group is the job's
(cancel signals the group). Watching is one `ps` per poll for every job of the machine:
a job whose folder appears in a process's arguments runs; one that no longer does has
ended, and its exit.json says how. Time limits are the runner's own watchdog; parents are
waited for by the service. Command lines and parsing only: nothing here runs a command.
"""

from __future__ import annotations

import shlex
from collections.abc import Iterable
from typing import Any

from jetlag.runtime.jobs.backends.slurm_commands import (
    BATCH_SCRIPT,
    RUNNER_MODULE,
    Queue,
    QueueEntry,
    job_name,
)
from jetlag.runtime.jobs.states import is_job_id

#: ps's output: pid, state letter, the whole command line.
PS_COMMAND = "ps -eo pid=,stat=,args="


def process_script(
    job_id: str, options: dict[str, Any], *, python: str, setup: Iterable[str] = (), **_: Any
) -> str:
    """The job's script: environment, then exec the runner on the folder given as $1."""
    lines = [
        "#!/bin/sh",
        f"# Written by JetLag: runs job {job_id}'s folder with JetLag's runner.",
        "unset JETLAG_STORE JETLAG_LOCAL_SLOTS",
        *setup,
        'cd "$1" || exit 2',
        f'exec {shlex.quote(python)} -m {RUNNER_MODULE} "$1"',
    ]
    return "\n".join(lines) + "\n"


class ProcessScheduler:
    """Starts, lists and stops jobs as processes (see the module docstring)."""

    label = "process"
    queued = " (started)"
    chains = False

    def script(self, job_id: str, options: dict[str, Any], **settings: Any) -> str:
        """The job's start script."""
        return process_script(job_id, options, **settings)

    def submit_command(self, directory: str) -> str:
        """Start the script in a new session, in the background; print its pid."""
        folder = shlex.quote(directory)
        return (
            f'cd {folder} && folder="$(pwd -P)" && '
            f'(setsid sh {BATCH_SCRIPT} "$folder" > stdout.txt 2> stderr.txt < /dev/null & '
            "echo $!)"
        )

    def parse_submit(self, text: str) -> str | None:
        """The pid printed by `submit_command`."""
        pid = text.strip().splitlines()[-1].strip() if text.strip() else ""
        return pid if pid.isdigit() else None

    def queue_command(self) -> str:
        """One ps for every process (filtered here, not with grep: no exit status 1)."""
        return PS_COMMAND

    def parse_queue(self, text: str) -> Queue:
        """The processes whose last argument is a job folder, as RUNNING (zombies ended)."""
        by_id: dict[str, QueueEntry] = {}
        by_name: dict[str, QueueEntry] = {}
        for line in text.splitlines():
            parts = line.split()
            if len(parts) < 3 or not parts[0].isdigit():
                continue
            job_id = parts[-1].rstrip("/").rsplit("/", 1)[-1]
            if not is_job_id(job_id) or parts[1].startswith("Z"):
                continue
            entry = QueueEntry(parts[0], "RUNNING", job_name(job_id), "", "")
            by_id[entry.slurm_id] = entry
            by_name[entry.name] = entry
        return Queue(by_id, by_name)

    def show_command(self, pid: str) -> str | None:
        """Nothing to ask about an ended process: its folder's exit.json tells."""
        return None

    def cancel_command(self, pids: Iterable[str]) -> str:
        """SIGTERM to each job's process group."""
        groups = " ".join(f"-{int(pid)}" for pid in pids)
        return f"kill -TERM -- {groups} 2>/dev/null; true"
