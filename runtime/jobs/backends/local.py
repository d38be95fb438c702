"""The local backend: each job's runner is a process of its own on this machine.

A runner is started in its own session (so it outlives whoever submitted it, and a
cancel reaches everything it started) with stdout and stderr going to files in the job
folder. At most `slots` jobs run at once; the others wait PENDING, oldest first, and are
started by whoever notices a free slot: this backend's monitor, or a runner that just
finished (`start_pending`), so jobs submitted from a plain Python process also finish when
that process does not wait. Processes are known by pid and start time (processes.py).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import jetlag
from jetlag.runtime.jobs.backends import Backend, MachineConfig
from jetlag.runtime.jobs.errors import JobError, JobNotFound
from jetlag.runtime.jobs.package import (
    EXIT_FILE,
    STDERR_FILE,
    STDOUT_FILE,
    is_complete,
    job_dir,
    read_json,
    write_json,
)
from jetlag.runtime.jobs.processes import is_running, start_ticks, stop_job
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import (
    CANCELLED,
    EXIT_CODES,
    FAILED,
    PENDING,
    RUNNING,
    SUBMITTED,
    TERMINAL,
    TIMEOUT,
    iso_age_s,
    now_iso,
)
from jetlag.runtime.store.paths import STORE_ENV

#: Environment variable carrying the local slot count to runners (they start queued jobs).
SLOTS_ENV = "JETLAG_LOCAL_SLOTS"
#: A claimed job whose runner has not reported a pid after this long never started.
START_GRACE_S = 60.0
#: The monitor stops a job this long after its time limit if its own watchdog did not.
TIMEOUT_GRACE_S = 30.0
RUNNER_MODULE = "jetlag.runtime.jobs.runner"


def spawn_runner(directory: Path, root: Path, slots: int, python: str | None = None):
    """Start `python -m jetlag.runtime.jobs.runner DIRECTORY` in a session of its own."""
    env = dict(os.environ)
    env[STORE_ENV] = str(root)
    env[SLOTS_ENV] = str(slots)
    # The runner imports the same jetlag as this process, installed or not.
    package_parent = str(Path(jetlag.__file__).resolve().parents[1])
    paths = [package_parent] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    with open(directory / STDOUT_FILE, "ab") as out, open(directory / STDERR_FILE, "ab") as err:
        return subprocess.Popen(
            [python or sys.executable, "-m", RUNNER_MODULE, str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            cwd=directory,
            env=env,
            start_new_session=True,
            close_fds=True,
        )


def start_pending(
    root: Path, records: JobRecords, machine: str, slots: int, python: str | None = None
) -> list[tuple[str, subprocess.Popen]]:
    """Start queued jobs of `machine` while fewer than `slots` run; returns what started."""
    started = []
    while True:
        row = records.claim_pending(machine, slots)
        if row is None:
            return started
        job_id = row["id"]
        directory = job_dir(root, job_id)
        if not is_complete(directory):
            records.transition(
                job_id,
                FAILED,
                sources=(RUNNING,),
                reason=f"the job folder {directory} is missing or incomplete",
            )
            continue
        try:
            process = spawn_runner(directory, root, slots, python)
        except OSError as error:
            records.transition(
                job_id, FAILED, sources=(RUNNING,), reason=f"the runner could not start: {error}"
            )
            continue
        records.update(
            job_id,
            sources=(RUNNING,),
            pid=process.pid,
            pid_start=start_ticks(process.pid),
            host=socket.gethostname(),
            reason=f"running (pid {process.pid})",
        )
        started.append((job_id, process))


def vanished_reason(pid: int | None, exit_code: int | None) -> str:
    """Why a job failed whose process ended without a word."""
    code = "" if exit_code is None else f", exit code {exit_code}"
    return f"the job's process (pid {pid}) ended without reporting a result (killed?{code})"


class LocalBackend(Backend):
    """Jobs as processes on this machine (see the module docstring)."""

    name = "local"

    def __init__(self, machine: MachineConfig, root: Path, records: JobRecords) -> None:
        super().__init__(machine, root, records)
        slots = machine.max_concurrent or machine.cores_per_node
        self.slots = max(1, int(slots))
        self._children: dict[str, subprocess.Popen] = {}
        self._lock = threading.Lock()

    def _start_pending(self) -> None:
        started = start_pending(
            self.root, self.records, self.machine.id, self.slots, self.machine.python
        )
        with self._lock:
            self._children.update(started)

    def submit(self, job_id: str) -> None:
        """Queue a SUBMITTED job (PENDING) and start it if a slot is free."""
        self.records.transition(
            job_id, PENDING, sources=(SUBMITTED,), reason=f"queued on {self.machine.id}"
        )
        self._start_pending()

    def status(self, job_id: str) -> str:
        """Check the job's process and record what changed; returns the job's state."""
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        if row["state"] == RUNNING:
            self._check(row)
            row = self.records.get(job_id)
        return row["state"]

    def fetch(self, job_id: str) -> None:
        """Nothing to fetch: a local job writes into its folder in the store."""

    def _reap(self) -> dict[str, int]:
        """Collect children that exited: {job id: exit code}."""
        ended = {}
        with self._lock:
            for job_id, process in list(self._children.items()):
                code = process.poll()
                if code is not None:
                    ended[job_id] = code
                    del self._children[job_id]
        return ended

    def _settle(self, job_id: str, pid: int | None, exit_code: int | None) -> None:
        """The process is gone: take what the runner reported in exit.json, else FAILED."""
        info = read_json(job_dir(self.root, job_id) / EXIT_FILE)
        if info is not None and info.get("state") in TERMINAL:
            self.records.transition(
                job_id,
                info["state"],
                sources=(RUNNING,),
                reason=info.get("reason") or info["state"].lower(),
                exit_code=info.get("exit_code"),
                trace_id=info.get("trace_id"),
            )
            return
        self.records.transition(
            job_id,
            FAILED,
            sources=(RUNNING,),
            reason=vanished_reason(pid, exit_code),
            exit_code=exit_code,
        )

    def _check(self, row, exit_code: int | None = None, ended: bool = False) -> None:
        job_id, pid = row["id"], row["pid"]
        if pid is None:
            if iso_age_s(row["updated_at"]) > START_GRACE_S and not ended:
                # Claimed, but its runner never reported: the starter died in between.
                self.records.transition(
                    job_id,
                    PENDING,
                    sources=(RUNNING,),
                    pid_null=True,
                    reason="its process never started; queued again",
                )
            return
        if ended or not is_running(pid, row["pid_start"]):
            self._settle(job_id, pid, exit_code)
            return
        limit = _time_limit(row)
        if limit is not None and iso_age_s(row["started_at"]) > limit + TIMEOUT_GRACE_S:
            if self.records.transition(
                job_id,
                TIMEOUT,
                sources=(RUNNING,),
                reason=f"the time limit of {limit} s was reached (stopped by the monitor)",
                exit_code=EXIT_CODES[TIMEOUT],
            ):
                stop_job(pid, row["pid_start"])

    def poll(self) -> None:
        """Reap children, settle vanished jobs, enforce time limits, start queued jobs."""
        for job_id, code in self._reap().items():
            row = self.records.get(job_id)
            if row is not None and row["state"] == RUNNING:
                self._check(row, code, ended=True)
        for row in self.records.active(self.machine.id):
            if row["state"] == RUNNING:
                self._check(row)
        self._start_pending()

    def reattach(self) -> None:
        """Adopt running jobs whose process is alive; settle the ones that vanished."""
        self.poll()

    def cancel(self, job_id: str) -> None:
        """PENDING: cancelled at once. RUNNING: marked, then SIGTERM/SIGKILL to its group."""
        for _ in range(100):
            state = self.cancellable(job_id)["state"]
            sources = (RUNNING,) if state == RUNNING else (SUBMITTED, PENDING)
            if self.records.transition(
                job_id,
                CANCELLED,
                sources=sources,
                reason="cancelled on request",
                exit_code=EXIT_CODES[CANCELLED],
            ):
                break
        else:  # pragma: no cover - the state changed 100 times in a row
            raise JobError(
                f"job {job_id} changed state while being cancelled; retry", "job_id", 409
            )
        # Read again: a runner that was starting may have recorded its pid meanwhile.
        row = self.records.get(job_id)
        if state == RUNNING and row["pid"] is not None:
            stop_job(row["pid"], row["pid_start"])
        self._reap()
        directory = job_dir(self.root, job_id)
        if directory.is_dir() and read_json(directory / EXIT_FILE) is None:
            write_json(
                directory / EXIT_FILE,
                {
                    "job_id": job_id,
                    "state": CANCELLED,
                    "exit_code": EXIT_CODES[CANCELLED],
                    "reason": "cancelled on request",
                    "trace_id": None,
                    "ended_at": now_iso(),
                },
            )
        self._start_pending()


def _time_limit(row) -> int | None:
    import json

    try:
        return int(json.loads(row["options"]).get("time_limit_s"))
    except (TypeError, ValueError, AttributeError):
        return None
