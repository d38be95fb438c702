"""The Tapis backend: a job's package goes to a Tapis system, a registered app runs it.

Submitting uploads the job folder's manifest, source and arguments (files API) and
submits a job of the machine's app (tapis_app.py says what the app runs: JetLag's runner
on that folder); the Tapis job's uuid goes into the job's row (`backend_ref`), which is
all a restarted server needs to re-attach. Watching reads the statuses of all the
machine's jobs with one search call per poll, then the history of each job whose status
changed, and records every Tapis state in the job's history (BLOCKED and PAUSED keep
JetLag's state); when the Tapis job ends the outputs are downloaded -- exit.json has the
runner's last word, with the error's file:line:col -- and the trace is imported into the
store under the machine's name (tapis_outputs.py; also the live event chunks of a
running job). With `webhook_url` set, Tapis tells this server of each
new status (`notified`), and the polling only backs it up. Credentials stay in
tapis_client.py.
"""

from __future__ import annotations

import hmac
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends import Backend, MachineConfig
from jetlag.runtime.jobs.backends.settings import SettingError
from jetlag.runtime.jobs.backends.tapis_auth import check_credentials
from jetlag.runtime.jobs.backends.tapis_client import (
    ENDED,
    SETTINGS,
    TapisClient,
    TapisError,
    map_state,
)
from jetlag.runtime.jobs.backends.tapis_outputs import (
    download_outputs,
    fetch_live_chunks,
    import_tapis_trace,
)
from jetlag.runtime.jobs.backends.tapis_request import job_request, webhook_token
from jetlag.runtime.jobs.errors import JobError, JobNotFound
from jetlag.runtime.jobs.live import LIVE_DIR
from jetlag.runtime.jobs.package import (
    ARGS_FILE,
    EXIT_FILE,
    MANIFEST,
    SOURCE_FILE,
    job_dir,
    read_json,
    write_json,
)
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import (
    ACTIVE,
    CANCELLED,
    EXIT_CODES,
    FAILED,
    PENDING,
    SUBMITTED,
    TERMINAL,
)

log = logging.getLogger(__name__)

#: The backend's own record of a job, in its folder: uuid, last Tapis status, history seen.
STATE_FILE = "tapis.json"
#: Answers to the status search after which each job is asked for alone instead.
SEARCH_REFUSED = frozenset({400, 404, 405, 501})
#: With a webhook, polling only backs it up: this many times the poll interval.
WEBHOOK_POLL_FACTOR = 6


class TapisBackend(Backend):
    """Jobs run by a Tapis app (see the module docstring)."""

    name = "tapis"
    settings_spec = SETTINGS

    def __init__(self, machine: MachineConfig, root: Path, records: JobRecords) -> None:
        super().__init__(machine, root, records)
        self.problem: str | None = getattr(machine, "problem", None)
        try:
            self.settings = self.check_settings(machine.settings)
        except SettingError as error:
            self.settings = {}
            self.problem = self.problem or f"settings.{error.field}: {error.message}"
        self.client = TapisClient(self.settings)
        self.interval_s = float(getattr(machine, "poll_interval_s", 5.0))
        if self.settings.get("webhook_url"):
            self.interval_s *= WEBHOOK_POLL_FACTOR
        self._next_poll = 0.0
        self._nudged: set[str] = set()
        self._lock = threading.Lock()
        self._complaints: dict[str, str] = {}
        self._watching = threading.Lock()  # one look at a job at a time

    # -- availability and settings ------------------------------------------------------

    @classmethod
    def check_settings(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The settings checked, and one way to sign in among them (SettingError)."""
        checked = super().check_settings(values)
        check_credentials(checked)
        return checked

    def available(self) -> tuple[bool, str | None]:
        """Unavailable when the settings are wrong or the credentials cannot be read."""
        if self.problem:
            return False, self.problem
        problem = self.client.token_problem()
        return (False, problem) if problem else (True, None)

    def _state(self, job_id: str) -> dict[str, Any]:
        return read_json(job_dir(self.root, job_id) / STATE_FILE) or {}

    def _save_state(self, job_id: str, **values: Any) -> None:
        path = job_dir(self.root, job_id) / STATE_FILE
        write_json(path, {**(read_json(path) or {}), **values})

    # -- submitting ---------------------------------------------------------------------

    def submit(self, job_id: str) -> None:
        """Upload the package, submit the app's job, record its uuid (PENDING)."""
        available, reason = self.available()
        if not available:
            raise RuntimeError(f"machine {self.machine.id} is not usable: {reason}")
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        directory = job_dir(self.root, job_id)
        folder = f"{self.settings['input_dir'].strip('/')}/{job_id}"
        for name in (MANIFEST, SOURCE_FILE, ARGS_FILE):
            self.client.upload(f"{folder}/{name}", (directory / name).read_bytes())
        token = self.webhook_token(row["id"]) if self.settings.get("webhook_url") else None
        body = job_request(row, folder, self.settings, self.machine, token)
        uuid, status = self.client.submit(body)
        # The status is saved once its history is recorded (the first poll does that).
        self._save_state(job_id, uuid=uuid, history_seen=0)
        if not self.records.transition(
            job_id,
            PENDING,
            sources=(SUBMITTED,),
            backend_ref=uuid,
            reason=f"submitted as Tapis job {uuid} (Tapis {status})",
        ):  # cancelled while it was being submitted
            self._cancel_quietly(uuid)

    # -- the webhook --------------------------------------------------------------------

    def webhook_token(self, job_id: str) -> str:
        """The token in a job's webhook URL (an HMAC of the machine and job id)."""
        return webhook_token(self.root, self.machine.id, job_id)

    def notified(self, job_id: str, token: str) -> bool:
        """Tapis says the job has a new status: check it at the next poll. False (and
        nothing done) when the token is not this job's."""
        if not isinstance(token, str) or not hmac.compare_digest(token, self.webhook_token(job_id)):
            return False
        with self._lock:
            self._nudged.add(job_id)
        return True

    # -- watching -----------------------------------------------------------------------

    def poll(self) -> None:
        """Look at the Tapis jobs (all when the interval has passed, else the nudged ones):
        one search call for their statuses, then only the changed ones are followed."""
        now = time.monotonic()
        with self._lock:
            due = now >= self._next_poll
            if due:
                self._next_poll = now + self.interval_s
            nudged, self._nudged = self._nudged, set()
        if not due and not nudged:
            return
        rows = [
            row
            for row in self.records.active(self.machine.id)
            if row["backend_ref"] and (due or row["id"] in nudged)
        ]
        if not rows:
            return
        try:
            seen = self.client.statuses([row["backend_ref"] for row in rows])
        except TapisError as error:
            self._complain("watching the jobs", str(error))
            if error.status not in SEARCH_REFUSED:
                return  # unreachable, or failing: asking for each job would fail the same
            seen = {}  # a tenant that refuses the search: each job is asked for alone
        for row in rows:
            # A job the search did not list is asked for alone (a 404 there fails it).
            self._watch(row, seen.get(row["backend_ref"]))

    def _complain(self, about: str, text: str) -> None:
        """Log a problem once, not at every poll (the next poll retries)."""
        if self._complaints.get(about) != text:
            self._complaints[about] = text
            log.warning("%s on %s: %s; retrying", about, self.machine.id, text)

    def _watch(self, row: Any, seen: tuple[str, str | None] | None = None) -> None:
        job_id = row["id"]
        try:
            with self._watching:
                row = self.records.get(job_id)
                if row is None or row["state"] not in ACTIVE:
                    return
                self._check(row, seen)
        except TapisError as error:
            if error.status == 404:
                self.records.transition(
                    job_id,
                    FAILED,
                    sources=tuple(ACTIVE),
                    reason=f"Tapis no longer knows job {row['backend_ref']} ({error})",
                )
                return
            self._complain(f"job {job_id}", str(error))

    def status(self, job_id: str) -> str:
        """Look at the job on Tapis now, record what changed, return its state."""
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        if row["state"] in ACTIVE and row["backend_ref"]:
            self._watch(row)
            row = self.records.get(job_id)
        return row["state"]

    def _check(self, row: Any, seen: tuple[str, str | None] | None = None) -> None:
        job_id, uuid = row["id"], row["backend_ref"]
        status, condition = seen or self.client.status(uuid)
        known = self._state(job_id)
        if status == known.get("status") and status not in ENDED:
            return
        self._follow_history(row, uuid, known)
        row = self.records.get(job_id)
        if row["state"] not in ACTIVE:
            return
        if status in ENDED:
            self._finish(row, uuid, status, condition)
        else:
            self._move(row, status, f"Tapis {status}")
        self._save_state(job_id, status=status)

    def _move(self, row: Any, tapis_status: str, reason: str) -> Any:
        """Record one Tapis state: a change of JetLag's state, or an event in the same one."""
        target = map_state(tapis_status) or row["state"]
        if row["state"] == SUBMITTED:
            return row
        if target not in ACTIVE or (target, row["state"]) == ("PENDING", "RUNNING"):
            target = row["state"]  # never backwards; ends are _finish's business
        self.records.transition(row["id"], target, sources=(row["state"],), reason=reason)
        return self.records.get(row["id"])

    def _follow_history(self, row: Any, uuid: str, known: dict[str, Any]) -> None:
        seen = int(known.get("history_seen") or 0)
        entries = self.client.history(uuid, skip=seen)
        for entry in entries:
            detail = entry.get("eventDetail")
            if entry.get("event") == "JOB_NEW_STATUS" and detail and detail not in ENDED:
                text = f"Tapis {detail}"
                if entry.get("description"):
                    text += f": {entry['description']}"[:400]
                row = self._move(row, detail, text)
        if entries:
            self._save_state(row["id"], history_seen=seen + len(entries))

    def _finish(self, row: Any, uuid: str, status: str, condition: str | None) -> None:
        job_id = row["id"]
        directory = job_dir(self.root, job_id)
        download_outputs(self.client, uuid, directory)
        info = read_json(directory / EXIT_FILE) or {}
        tapis_note = f"Tapis {status}" + (f" ({condition})" if condition else "")
        if status == "CANCELLED":
            self.records.transition(
                job_id,
                CANCELLED,
                sources=tuple(ACTIVE),
                reason=f"cancelled on Tapis: {tapis_note}",
                exit_code=EXIT_CODES[CANCELLED],
            )
            return
        if info.get("state") in TERMINAL:
            state = info["state"]
            reason = str(info.get("reason") or state.lower())
            note = info.get("note")
            if note and reason.endswith(f"; {note}"):
                reason = reason[: -len(note) - 2]
            trace_id, trace_note = import_tapis_trace(
                self.client, uuid, directory, self.root, self.machine.id, row
            )
            reason += f"; {trace_note}" if trace_note else ""
            exit_code = info.get("exit_code")
        else:
            state = map_state(status, condition)
            state = FAILED if state == "COMPLETED" else state
            message = getattr(self._job_or_none(uuid), "lastMessage", None) or ""
            reason = f"{tapis_note} without a word from the runner: {message}".rstrip(": ")
            trace_id, exit_code = None, EXIT_CODES[state]
        self.records.transition(
            job_id,
            state,
            sources=tuple(ACTIVE),
            reason=f"{reason} [{tapis_note}]",
            exit_code=exit_code,
            trace_id=trace_id,
        )

    def _job_or_none(self, uuid: str) -> Any:
        try:
            return self.client.job(uuid)
        except TapisError:
            return None

    def fetch(self, job_id: str) -> None:
        """Download the job's outputs (again) from Tapis."""
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        if row["backend_ref"]:
            download_outputs(self.client, row["backend_ref"], job_dir(self.root, job_id))

    def fetch_live(self, row: Any, after: int) -> Path | None:
        """The running job's live chunks after `after`, downloaded from its output folder
        (Tapis's allowIfRunning) into the job's local folder; None while it has none."""
        uuid = row["backend_ref"]
        if not uuid:
            return None
        into = job_dir(self.root, row["id"]) / LIVE_DIR
        try:
            fetch_live_chunks(self.client, uuid, after, into)
        except TapisError as error:
            self._complain(f"live events of job {row['id']}", str(error))
            return None
        return into

    def trace_location_prefix(self) -> str | None:
        """The machine's id, as the imported final trace has it."""
        return self.machine.id

    def reattach(self) -> None:
        """Look at every Tapis job of this machine now (the uuids are in the rows)."""
        with self._lock:
            self._next_poll = 0.0
        self.poll()

    # -- cancelling ---------------------------------------------------------------------

    def _cancel_quietly(self, uuid: str) -> None:
        try:
            self.client.cancel(uuid)
        except TapisError as error:
            log.warning("cancelling Tapis job %s failed: %s", uuid, error)

    def cancel(self, job_id: str) -> None:
        """Cancel on Tapis first (503 when it refuses), then record CANCELLED."""
        row = self.cancellable(job_id)
        uuid = row["backend_ref"]
        if uuid:
            try:
                self.client.cancel(uuid)
            except TapisError as error:
                raise JobError(
                    f"job {job_id}: Tapis did not cancel job {uuid} ({error}); try again",
                    "job_id",
                    503,
                ) from None
        done = self.records.transition(
            job_id,
            CANCELLED,
            sources=tuple(ACTIVE),
            reason="cancelled on request" + (f" (Tapis job {uuid} cancelled)" if uuid else ""),
            exit_code=EXIT_CODES[CANCELLED],
        )
        if not done:
            row = self.records.get(job_id)
            raise JobError(f"job {job_id} already {row['state']}", "job_id", 409)

    def close(self) -> None:
        """Forget the client (running Tapis jobs keep running)."""
        self.client.reset()
