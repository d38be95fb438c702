"""Job notifications: a callback URL and/or an e-mail address told once when a job ends.

The options `notify_url` (with ${JOB_ID} and ${STATUS} substituted) and `notify_email`
are checked with the other options (notify_settings.py). The `Notifier` keeps an outbox
in the store's SQLite: it reads the job events after a persisted cursor, so every final state any process
recorded -- the runner, a backend, a cancel, a server before a restart -- gets its
deliveries, one per job and kind. Due deliveries are claimed with a compare-and-set (two
servers never send at once), sent, and every attempt is written into the job's history;
failures are retried with exponential backoff up to `max_attempts`. It works for every
backend because it looks only at the records, never at a backend.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.notify_delivery import (
    DeliveryError,
    expand_url,
    post_webhook,
    send_email,
    shown_url,
)
from jetlag.runtime.jobs.notify_settings import NotifySettings
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import TERMINAL, now_iso
from jetlag.runtime.store.database import ensure_schema, transaction

log = logging.getLogger(__name__)

#: A claimed delivery is taken over by another notifier after this long (its sender died).
LEASE_S = 120.0

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS job_notifications (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        kind TEXT NOT NULL,
        target TEXT NOT NULL,
        final_state TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at REAL NOT NULL,
        last_error TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (job_id, kind)
    )""",
    "CREATE INDEX IF NOT EXISTS job_notifications_due ON job_notifications(status, next_at)",
    "CREATE TABLE IF NOT EXISTS job_notify_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), "
    "seq INTEGER NOT NULL)",
    # A new outbox starts after the events already recorded (jobs that ended before it).
    "INSERT OR IGNORE INTO job_notify_cursor (id, seq) "
    "SELECT 1, COALESCE(MAX(seq), 0) FROM job_events",
)


class Notifier:
    """The outbox of job notifications (see the module docstring). Thread-safe."""

    def __init__(
        self, root: Path, records: JobRecords, settings: NotifySettings | None = None
    ) -> None:
        self.root = Path(root)
        self.records = records
        self.settings = settings or NotifySettings()
        ensure_schema(records.conn, SCHEMA)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- at submission ------------------------------------------------------------------

    def check(self, options: Mapping[str, Any]) -> None:
        """Refuse what this server cannot deliver (an e-mail without SMTP settings)."""
        if options.get("notify_email") and self.settings.smtp is None:
            raise JobError(
                "options.notify_email needs SMTP settings on the server, and it has none; "
                "configure JETLAG_SMTP_HOST (or the notifications table) or use notify_url",
                "options.notify_email",
            )

    # -- reading ------------------------------------------------------------------------

    def deliveries(self, job_id: str) -> list[dict[str, Any]]:
        """The job's notifications: kind, target, status, attempts, last_error."""
        rows = self.records.conn.execute(
            "SELECT kind, target, final_state, status, attempts, last_error "
            "FROM job_notifications WHERE job_id = ? ORDER BY id",
            (job_id,),
        ).fetchall()
        return [dict(row) for row in rows]

    # -- the work -----------------------------------------------------------------------

    def poll(self) -> int:
        """Queue the deliveries of jobs that ended, then send what is due; returns how many
        attempts were made. Safe to call from several threads and processes."""
        with self._lock:
            self._collect()
            return self._send_due()

    def _collect(self) -> None:
        conn = self.records.conn
        marks = ",".join("?" * len(TERMINAL))
        # The common case -- no new events -- takes no write lock.
        cursor = conn.execute("SELECT seq FROM job_notify_cursor WHERE id = 1").fetchone()
        newest = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM job_events").fetchone()[0]
        if cursor is not None and newest <= cursor["seq"]:
            return
        while True:
            with transaction(conn):
                start = conn.execute("SELECT seq FROM job_notify_cursor WHERE id = 1").fetchone()
                rows = conn.execute(
                    f"SELECT e.seq, e.job_id, e.state, j.options FROM job_events e "
                    f"JOIN jobs j ON j.id = e.job_id WHERE e.seq > ? AND e.state IN ({marks}) "
                    "ORDER BY e.seq LIMIT 500",
                    (start["seq"], *TERMINAL),
                ).fetchall()
                if not rows:
                    last = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM job_events").fetchone()
                    if last[0] > start["seq"]:
                        conn.execute("UPDATE job_notify_cursor SET seq = ? WHERE id = 1", last)
                    return
                for row in rows:
                    self._queue(row["job_id"], row["state"], row["options"])
                conn.execute(
                    "UPDATE job_notify_cursor SET seq = ? WHERE id = 1", (rows[-1]["seq"],)
                )

    def _queue(self, job_id: str, state: str, options_text: str) -> None:
        try:
            options = json.loads(options_text)
        except ValueError:
            return
        targets = (("webhook", options.get("notify_url")), ("email", options.get("notify_email")))
        for kind, target in targets:
            if target:
                self.records.conn.execute(
                    "INSERT OR IGNORE INTO job_notifications (job_id, kind, target, "
                    "final_state, status, next_at, created_at) VALUES (?,?,?,?,?,?,?)",
                    (job_id, kind, target, state, "pending", time.time(), now_iso()),
                )

    def _send_due(self) -> int:
        conn = self.records.conn
        due = conn.execute(
            "SELECT * FROM job_notifications WHERE status = 'pending' AND next_at <= ? "
            "ORDER BY next_at LIMIT 50",
            (time.time(),),
        ).fetchall()
        attempts = 0
        for row in due:
            if self._stop.is_set() and self._thread is not None:
                break
            with transaction(conn):
                claimed = conn.execute(
                    "UPDATE job_notifications SET next_at = ? WHERE id = ? AND status = "
                    "'pending' AND next_at = ?",
                    (time.time() + LEASE_S, row["id"], row["next_at"]),
                ).rowcount
            if claimed:
                self._attempt(row)
                attempts += 1
        return attempts

    def _attempt(self, row: Any) -> None:
        job = self.records.get(row["job_id"])
        if job is None:
            return
        number = row["attempts"] + 1
        what = self._describe(row)
        try:
            outcome = self._deliver(row, job)
        except DeliveryError as error:
            self._failed(row, number, what, str(error))
            return
        except Exception as error:  # noqa: BLE001 - a bug must not stop the outbox
            log.exception("notification %s of job %s failed unexpectedly", what, row["job_id"])
            self._failed(row, number, what, f"{type(error).__name__}: {error}")
            return
        self._record(
            row,
            number,
            "sent",
            None,
            None,
            f"notification {what} sent ({outcome}, attempt {number})",
        )

    def _describe(self, row: Any) -> str:
        if row["kind"] == "webhook":
            url = expand_url(row["target"], row["job_id"], row["final_state"])
            return f"by webhook to {shown_url(url)}"
        return f"by e-mail to {row['target']}"

    def _deliver(self, row: Any, job: Any) -> str:
        state = row["final_state"]
        if row["kind"] == "webhook":
            payload = {
                "job_id": job["id"],
                "status": state,
                "machine": job["machine"],
                "label": job["label"],
                "reason": job["reason"],
                "exit_code": job["exit_code"],
                "trace_id": job["trace_id"],
                "ended_at": job["ended_at"],
            }
            url = expand_url(row["target"], job["id"], state)
            return post_webhook(url, payload, self.settings.timeout_s)
        smtp = self.settings.smtp
        if smtp is None:
            raise DeliveryError("this server has no SMTP settings (JETLAG_SMTP_HOST)")
        label = f" ({job['label']})" if job["label"] else ""
        body = (
            f"JetLag job {job['id']}{label} on machine {job['machine']} ended {state}.\n\n"
            f"Reason: {job['reason'] or state.lower()}\n"
            f"Exit code: {job['exit_code']}\nEnded at: {job['ended_at']}\n"
        )
        return send_email(smtp, row["target"], f"JetLag job {job['id']} {state}", body)

    def _failed(self, row: Any, number: int, what: str, error: str) -> None:
        settings = self.settings
        if number >= settings.max_attempts:
            text = (
                f"notification {what} failed (attempt {number} of {settings.max_attempts}): "
                f"{error}; giving up"
            )
            self._record(row, number, "failed", None, error, text)
            log.warning("job %s: %s", row["job_id"], text)
            return
        delay = min(settings.backoff_s * 2 ** (number - 1), settings.max_backoff_s)
        text = (
            f"notification {what} failed (attempt {number} of {settings.max_attempts}): "
            f"{error}; retrying in {delay:.3g} s"
        )
        self._record(row, number, "pending", time.time() + delay, error, text)
        log.info("job %s: %s", row["job_id"], text)

    def _record(self, row, number: int, status: str, next_at, error, text: str) -> None:
        conn = self.records.conn
        with transaction(conn):
            conn.execute(
                "UPDATE job_notifications SET status = ?, attempts = ?, last_error = ?, "
                "next_at = COALESCE(?, next_at) WHERE id = ?",
                (status, number, error, next_at, row["id"]),
            )
            conn.execute(
                "INSERT INTO job_events (job_id, state, at, reason) VALUES (?,?,?,?)",
                (row["job_id"], row["final_state"], now_iso(), text),
            )

    # -- the thread ---------------------------------------------------------------------

    def start(self, interval_s: float = 0.5) -> None:
        """Send notifications in a background thread until `stop`."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()

        def run() -> None:
            while not self._stop.wait(interval_s):
                try:
                    self.poll()
                except Exception:  # noqa: BLE001 - keep the outbox going
                    log.exception("the job notifier failed; retrying")

        self._thread = threading.Thread(target=run, name="jetlag-job-notifier", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread (pending notifications stay in the outbox)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
