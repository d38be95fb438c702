"""The slurm backend: jobs through a Slurm batch queue, its commands run by a `Shell`.

Submitting copies the job folder (manifest, source, arguments, batch script) into
`<workdir>/<job id>` on the machine and runs `sbatch` there; the Slurm job id goes into
the job's row (`backend_ref`), so a restarted server finds every job again. The job is
claimed (SUBMITTED -> PENDING) before sbatch, so two servers never submit it twice; a
claimed job whose sbatch answer was lost is found again by its Slurm job name, or, when
Slurm never saw it, submitted again. Watching costs one squeue per machine per poll
interval, however many jobs run. When Slurm reports a job ended, its outputs are fetched
back, the runner's exit.json decides the final state (Slurm's state when there is none)
and the trace is imported into the store (trace_home.py); every Slurm state the job went
through is in its history. The SSH backend (ssh.py) is this with another Shell.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends import Backend, MachineConfig
from jetlag.runtime.jobs.backends import slurm_commands as commands
from jetlag.runtime.jobs.backends.shells import LocalShell, Shell, ShellError, ShellUnreachable
from jetlag.runtime.jobs.backends.slurm_cancel import SlurmCancelling
from jetlag.runtime.jobs.backends.slurm_commands import SLURM_SETTINGS
from jetlag.runtime.jobs.backends.slurm_commands import backend_ref as _ref
from jetlag.runtime.jobs.dependencies import FAIL, decide, parents_of
from jetlag.runtime.jobs.errors import JobNotFound
from jetlag.runtime.jobs.live import LIVE_DIR
from jetlag.runtime.jobs.package import ARGS_FILE, MANIFEST, SOURCE_FILE, job_dir, read_json
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import (
    COMPLETED,
    EXIT_CODES,
    FAILED,
    PENDING,
    RUNNING,
    SUBMITTED,
    TERMINAL,
    iso_age_s,
)
from jetlag.runtime.jobs.trace_home import OUTPUT_NAMES, import_trace

log = logging.getLogger(__name__)

#: A claimed job Slurm does not know is submitted again after this many poll intervals.
RESUBMIT_POLLS = 3


class SlurmBackend(SlurmCancelling, Backend):
    """Jobs through Slurm on this host (see the module docstring)."""

    name = "slurm"
    settings_spec = SLURM_SETTINGS
    chains_dependencies = True

    def __init__(self, machine: MachineConfig, root: Path, records: JobRecords) -> None:
        super().__init__(machine, root, records)
        self.settings = dict(machine.settings)
        self.timeout = float(self.settings.get("command_timeout_s", 60.0))
        self.interval = float(machine.poll_interval_s)
        self.workdir = machine.workdir or self.default_workdir()
        self.python = machine.python or self.default_python()
        self.shell: Shell = self.make_shell()
        self.scheduler = self.make_scheduler()
        self.chains_dependencies = bool(self.scheduler.chains)
        # Slurm starts the job's Dask workers as tasks of its allocation (plain processes
        # have no allocation to start them in).
        self.runs_dask_jobs = bool(getattr(self.scheduler, "runs_tasks", False))
        self._lock = threading.Lock()
        self._polled_at = float("-inf")
        self._health: tuple[bool, str | None] | None = None
        self._health_at = float("-inf")
        self._query_lock = threading.Lock()
        self._queue: commands.Queue | None = None

    # -- what differs between this host and a login node -------------------------------------

    def make_shell(self) -> Shell:
        """Where the Slurm commands run: here, with SLURM_CONF when configured."""
        conf = self.settings.get("slurm_conf")
        return LocalShell({"SLURM_CONF": conf} if conf else None)

    def make_scheduler(self) -> Any:
        """How jobs are queued there: Slurm's commands."""
        return commands.SlurmScheduler()

    def default_workdir(self) -> str:
        """Job folders on the machine when `workdir` is not configured."""
        return str(Path(self.root) / "remote" / self.machine.id)

    def default_python(self) -> str:
        """The runner's Python when `python` is not configured (this server's)."""
        return sys.executable

    # -- the interface ------------------------------------------------------------------------

    def available(self) -> tuple[bool, str | None]:
        """Whether squeue answered at the last look (asked again when that is old)."""
        age = max(self.interval, 5.0)
        if self._health is None or time.monotonic() - self._health_at > age:
            try:
                # One try (a listing must not wait on retries); checks at once share it.
                self._query_queue(retry=False, max_age=age)
            except ShellError:
                pass
        return self._health or (False, "not checked yet")

    def remote_dir(self, job_id: str) -> str:
        """The job's folder on the machine."""
        return f"{self.workdir.rstrip('/')}/{job_id}"

    def submit(self, job_id: str) -> None:
        """Claim the SUBMITTED job (-> PENDING), copy its folder over and sbatch it."""
        claimed = self.records.transition(
            job_id,
            PENDING,
            sources=(SUBMITTED,),
            reason=f"submitting to {self.machine.id}",
        )
        if not claimed:
            return
        try:
            self._sbatch(job_id)
        except Exception as error:  # noqa: BLE001 - a claimed job must end, not hang PENDING
            log.exception("submitting job %s to %s failed", job_id, self.machine.id)
            self._fail(job_id, f"the job could not be submitted to {self.machine.id}: {error}")

    def _parents(self, row: Any) -> list[str]:
        ids = []
        for parent_id in parents_of(row):
            parent = self.records.get(parent_id)
            if parent is not None and parent["state"] != COMPLETED:
                ids.append(_ref(parent).get("slurm", ""))
        return ids

    def _sbatch(self, job_id: str) -> None:
        row = self.records.get(job_id)
        if row is None or row["state"] != PENDING:
            return
        options = json.loads(row["options"])
        directory = job_dir(self.root, job_id)
        script = self.scheduler.script(
            job_id,
            options,
            python=self.python,
            cores=self.machine.cores_per_node,
            partition=self.machine.partition,
            after=self._parents(row),
            extra=self.settings.get("sbatch_options") or (),
            setup=self.machine.setup,
        )
        files = {
            name: (directory / name).read_bytes() for name in (MANIFEST, SOURCE_FILE, ARGS_FILE)
        }
        files[commands.BATCH_SCRIPT] = script.encode()
        remote = self.remote_dir(job_id)
        try:
            self.shell.put(files, remote)
            result = self.shell.run(
                self.scheduler.submit_command(remote), timeout=self.timeout, retry=False
            )
        except ShellUnreachable as error:
            # sbatch may or may not have run: the next polls find it by name or resubmit.
            self.records.transition(
                job_id,
                PENDING,
                sources=(PENDING,),
                reason=f"submission not confirmed ({error}); will check",
            )
            return
        except ShellError as error:
            self._fail(job_id, f"the job could not be sent to {self.machine.id}: {error}")
            return
        slurm_id = self.scheduler.parse_submit(result.stdout) if result.code == 0 else None
        if slurm_id is None:
            self._fail(job_id, f"{self.machine.id} refused the job: {result.brief()}")
            return
        self._adopt(job_id, slurm_id, remote, "queued")

    def _adopt(self, job_id: str, slurm_id: str, remote: str, what: str) -> None:
        ref = json.dumps({"slurm": slurm_id, "dir": remote})
        if not self.records.transition(
            job_id,
            PENDING,
            sources=(PENDING,),
            backend_ref=ref,
            reason=f"{self.scheduler.label} {slurm_id} {what}{self.scheduler.queued}",
        ):
            # Cancelled meanwhile: take it off the queue again.
            self._scancel([slurm_id])

    def _fail(self, job_id: str, reason: str) -> None:
        self.records.transition(job_id, FAILED, sources=(PENDING, RUNNING), reason=reason)

    def can_chain(self, parents: list[Any]) -> bool:
        """Slurm waits for parents on this machine that it knows (afterok)."""
        return all(p["machine"] == self.machine.id and _ref(p).get("slurm") for p in parents)

    def status(self, job_id: str) -> str:
        """The recorded state after a poll (which looks at Slurm at most once an interval)."""
        self.poll()
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        return row["state"]

    # -- watching -----------------------------------------------------------------------------

    def _query_queue(self, retry: bool = True, max_age: float = 0.0) -> commands.Queue:
        """squeue's answer, or the last one when at most `max_age` s old. One at a time, so
        checks that arrive together (submissions, listings, the monitor) share one squeue."""
        with self._query_lock:
            if self._health is not None and time.monotonic() - self._health_at <= max_age:
                if self._queue is None:
                    raise ShellError(self._health[1] or f"squeue failed on {self.machine.id}")
                return self._queue
            self._health_at = time.monotonic()
            self._queue = None
            try:
                result = self.shell.run(
                    self.scheduler.queue_command(), timeout=self.timeout, retry=retry
                )
            except ShellError as error:
                self._health = (False, str(error))
                raise
            if result.code != 0:
                reason = f"squeue failed on {self.machine.id}: {result.brief()}"
                if result.code == 127:
                    reason += " (are Slurm's commands installed and on PATH there?)"
                self._health = (False, reason)
                raise ShellError(reason)
            self._health = (True, None)
            self._queue = self.scheduler.parse_queue(result.stdout)
            return self._queue

    def poll(self, force: bool = False) -> None:
        """At most once per poll interval: one squeue, then every active job of the machine."""
        with self._lock:
            now = time.monotonic()
            if not force and now - self._polled_at < self.interval:
                return
            self._polled_at = now
            rows = [r for r in self.records.active(self.machine.id) if r["state"] != SUBMITTED]
            if not rows:
                return
            try:
                # An answer of this half interval (a submission's check) is as good.
                queue = self._query_queue(max_age=0.0 if force else self.interval / 2)
            except ShellError as error:
                log.warning("watching %s: %s", self.machine.id, error)
                return
            for row in rows:
                try:
                    self._check(row, queue)
                except ShellError as error:
                    log.warning("job %s on %s: %s", row["id"], self.machine.id, error)

    def _check(self, row: Any, queue: commands.Queue) -> None:
        job_id = row["id"]
        ref = _ref(row)
        slurm_id = ref.get("slurm")
        if not slurm_id:
            entry = queue.by_name.get(commands.job_name(job_id))
            if entry is not None:
                self._adopt(job_id, entry.slurm_id, self.remote_dir(job_id), "found again")
                row = self.records.get(job_id)
                slurm_id = entry.slurm_id
            elif iso_age_s(row["updated_at"]) > RESUBMIT_POLLS * self.interval + self.timeout:
                self._submit_again(row)
                return
            else:
                return
        entry = queue.by_id.get(slurm_id)
        if entry is not None and entry.name != commands.job_name(job_id):
            entry = None  # the id was reused for something else: this job has ended
        if entry is None:
            self._vanished(row, slurm_id)
            return
        state, meaning = entry.mapped
        what = f"{self.scheduler.label.split()[0]} {entry.state}" + (
            f" ({entry.reason})" if entry.reason not in ("", "None") else ""
        )
        if state == PENDING:
            reason = f"{self.scheduler.label} {slurm_id}: {what}"
            if row["state"] == PENDING and row["reason"] != reason:
                self.records.transition(job_id, PENDING, sources=(PENDING,), reason=reason)
        elif state == RUNNING:
            if row["state"] == PENDING:
                self.records.transition(
                    job_id,
                    RUNNING,
                    sources=(PENDING,),
                    host=entry.nodes or None,
                    reason=f"{self.scheduler.label} {slurm_id}: {what} on {entry.nodes or '?'}",
                )
        else:
            self._settle(row, slurm_id, entry.state, state, meaning)

    def _submit_again(self, row: Any) -> None:
        """A claimed job the queue does not list: settle it if it ran, else submit it."""
        job_id = row["id"]
        self.fetch(job_id)
        directory = job_dir(self.root, job_id)
        if (directory / "exit.json").is_file():  # it ran, and left the queue since
            self._settle(row, "?", "ENDED", FAILED, "it ended without reporting a result")
        elif not (directory / "status.json").is_file():  # its runner never started
            self._sbatch(job_id)

    def _vanished(self, row: Any, slurm_id: str) -> None:
        """Slurm's queue no longer lists the job: ask scontrol once, else the folder."""
        command = self.scheduler.show_command(slurm_id)
        shown = {}
        if command is not None:
            result = self.shell.run(command, timeout=self.timeout)
            shown = commands.parse_show(result.stdout) if result.code == 0 else {}
        slurm_state = shown.get("JobState", "")
        if slurm_state:
            entry = commands.QueueEntry(slurm_id, slurm_state, "", shown.get("Reason", ""), "")
            state, meaning = entry.mapped
            if state in TERMINAL:
                self._settle(row, slurm_id, slurm_state, state, meaning)
            return
        self._settle(row, slurm_id, "ENDED", FAILED, "it ended without reporting a result")

    def fetch(self, job_id: str) -> None:
        """Bring the job's outputs from its folder on the machine into the local folder."""
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        remote = _ref(row).get("dir") or self.remote_dir(job_id)
        self.shell.get(remote, OUTPUT_NAMES, job_dir(self.root, job_id))

    def fetch_live(self, row: Any, after: int) -> Path | None:
        """The running job's live chunks: read in place when the machine's folder is on this
        host, else the ones after `after` fetched in one transfer into the local folder."""
        remote = f"{_ref(row).get('dir') or self.remote_dir(row['id'])}/{LIVE_DIR}"
        here = self.shell.local_folder(remote)
        if here is not None:
            return here
        into = job_dir(self.root, row["id"]) / LIVE_DIR
        self.shell.get_chunks(remote, after, into)
        return into

    def trace_location_prefix(self) -> str | None:
        """The machine's id, as the imported final trace has it."""
        return self.machine.id

    def _settle(self, row: Any, slurm_id: str, slurm_state: str, state: str, meaning: str) -> None:
        """The Slurm job ended: fetch outputs, import the trace, record the final state."""
        job_id = row["id"]
        self.fetch(job_id)
        directory = job_dir(self.root, job_id)
        info = read_json(directory / "exit.json")
        note = f"{self.scheduler.label} {slurm_id}: {slurm_state}"
        exit_code = EXIT_CODES.get(state)
        if info is not None and info.get("state") in TERMINAL:
            state, reason, exit_code = (
                info["state"],
                info.get("reason") or "",
                info.get("exit_code"),
            )
        elif state == COMPLETED:
            state, reason = FAILED, "the runner ended without reporting a result (see stderr)"
            exit_code = EXIT_CODES[FAILED]
        else:
            reason = meaning
        if state != COMPLETED and parents_of(row):
            verdict = decide(self.records, row)
            if verdict.action == FAIL:
                state, reason = FAILED, verdict.reason
        trace_id, problem = import_trace(
            self.root, directory, job_id, self.machine.id, row["label"]
        )
        if trace_id and info and info.get("note"):
            reason = reason.replace(f"; {info['note']}", "")  # "no store: ...": it is now
        if problem:
            reason = f"{reason}; {problem}"
        self.records.transition(
            job_id,
            state,
            sources=(PENDING, RUNNING),
            reason=f"{reason} ({note})",
            exit_code=exit_code,
            trace_id=trace_id,
        )

    def reattach(self) -> None:
        """At service start: look at Slurm now for every job this machine has in flight."""
        self.poll(force=True)

    def close(self) -> None:
        """Release the shell's connections (jobs keep running in Slurm)."""
        self.shell.close()
