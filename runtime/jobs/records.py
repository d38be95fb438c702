"""The jobs' index in the store's SQLite: one row per job, one event per state change.

Every change of state is a compare-and-set (`UPDATE ... WHERE state IN (...)`) with its
event row in the same transaction, so concurrent writers -- the service, its monitor, the
runner, a second server -- never overwrite a terminal state or record a state twice. Each
thread gets its own connection (SQLite transactions are per connection). This module
knows nothing of processes or files.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.states import ACTIVE, PENDING, RUNNING, SUBMITTED, TERMINAL, now_iso
from jetlag.runtime.store.database import connect, ensure_schema, transaction

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        machine TEXT NOT NULL,
        entry TEXT NOT NULL,
        label TEXT,
        state TEXT NOT NULL,
        reason TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        ended_at TEXT,
        exit_code INTEGER,
        pid INTEGER,
        pid_start INTEGER,
        host TEXT,
        backend_ref TEXT,
        trace_id TEXT,
        origin TEXT NOT NULL,
        options TEXT NOT NULL,
        idempotency_key TEXT UNIQUE
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs(state, machine)",
    """CREATE TABLE IF NOT EXISTS job_events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
        state TEXT NOT NULL,
        at TEXT NOT NULL,
        reason TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS job_events_by_job ON job_events(job_id, seq)",
)

#: Columns a state change may also set.
FIELDS = ("reason", "exit_code", "pid", "pid_start", "host", "backend_ref", "trace_id")
PUBLIC = (
    "id",
    "machine",
    "entry",
    "label",
    "state",
    "reason",
    "created_at",
    "updated_at",
    "started_at",
    "ended_at",
    "exit_code",
    "trace_id",
    "origin",
    "idempotency_key",
    "pid",
)


def row_json(row: sqlite3.Row) -> dict[str, Any]:
    """A job row as JSON-ready dict (the REST and Python listings' shape)."""
    out = {name: row[name] for name in PUBLIC}
    out["options"] = json.loads(row["options"])
    return out


class JobRecords:
    """The `jobs` and `job_events` tables of one store."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._local = threading.local()
        ensure_schema(self.conn, SCHEMA)

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection to the store's index."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.root)
        return conn

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    # -- reading ----------------------------------------------------------------------------

    def get(self, job_id: str) -> sqlite3.Row | None:
        """The row of a job, or None."""
        return self.conn.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()

    def by_key(self, key: str) -> sqlite3.Row | None:
        """The job submitted with this idempotency key, or None."""
        return self.conn.execute("SELECT * FROM jobs WHERE idempotency_key = ?", (key,)).fetchone()

    def history(self, job_id: str) -> list[dict[str, Any]]:
        """Every state the job has been in, oldest first: {"state", "at", "reason"}."""
        rows = self.conn.execute(
            "SELECT state, at, reason FROM job_events WHERE job_id = ? ORDER BY seq", (job_id,)
        ).fetchall()
        return [{"state": r["state"], "at": r["at"], "reason": r["reason"]} for r in rows]

    def select(
        self,
        *,
        state: str | None = None,
        machine: str | None = None,
        limit: int = 100,
        offset: int = 0,
        oldest_first: bool = False,
    ) -> list[sqlite3.Row]:
        """Rows filtered by state and machine, newest first (or oldest first)."""
        where, params = [], []
        if state is not None:
            where.append("state = ?")
            params.append(state)
        if machine is not None:
            where.append("machine = ?")
            params.append(machine)
        clause = f"WHERE {' AND '.join(where)}" if where else ""
        order = "ASC" if oldest_first else "DESC"
        return self.conn.execute(
            f"SELECT * FROM jobs {clause} ORDER BY rowid {order} LIMIT ? OFFSET ?",
            (*params, limit, offset),
        ).fetchall()

    def active(self, machine: str | None = None) -> list[sqlite3.Row]:
        """Jobs not yet ended (SUBMITTED, PENDING, RUNNING), oldest first."""
        marks = ",".join("?" * len(ACTIVE))
        sql = f"SELECT * FROM jobs WHERE state IN ({marks})"
        params: list[Any] = list(ACTIVE)
        if machine is not None:
            sql += " AND machine = ?"
            params.append(machine)
        return self.conn.execute(sql + " ORDER BY rowid", params).fetchall()

    # -- writing ----------------------------------------------------------------------------

    def insert(
        self,
        *,
        job_id: str,
        machine: str,
        entry: str,
        label: str | None,
        origin: str,
        options: dict[str, Any],
        idempotency_key: str | None,
    ) -> tuple[sqlite3.Row, bool]:
        """Insert a SUBMITTED job, unless its idempotency key is taken: (row, inserted)."""
        stamp = now_iso()
        conn = self.conn
        with transaction(conn):
            if idempotency_key is not None:
                existing = self.by_key(idempotency_key)
                if existing is not None:
                    return existing, False
            conn.execute(
                "INSERT INTO jobs (id, machine, entry, label, state, reason, created_at, "
                "updated_at, origin, options, idempotency_key) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    job_id,
                    machine,
                    entry,
                    label,
                    SUBMITTED,
                    "submitted",
                    stamp,
                    stamp,
                    origin,
                    json.dumps(options),
                    idempotency_key,
                ),
            )
            self._event(job_id, SUBMITTED, stamp, "submitted")
        return self.get(job_id), True

    def _event(self, job_id: str, state: str, stamp: str, reason: str | None) -> None:
        self.conn.execute(
            "INSERT INTO job_events (job_id, state, at, reason) VALUES (?,?,?,?)",
            (job_id, state, stamp, reason),
        )

    def _set(
        self,
        job_id: str,
        to: str,
        stamp: str,
        sources: tuple[str, ...],
        pid_null: bool = False,
        **fields: Any,
    ) -> bool:
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown job fields {sorted(unknown)}")
        assignments = ["state = ?", "updated_at = ?"]
        params: list[Any] = [to, stamp]
        if to == RUNNING:
            assignments.append("started_at = COALESCE(started_at, ?)")
            params.append(stamp)
        if to in TERMINAL:
            assignments.append("ended_at = ?")
            params.append(stamp)
        for name, value in fields.items():
            assignments.append(f"{name} = ?")
            params.append(value)
        marks = ",".join("?" * len(sources))
        only = " AND pid IS NULL" if pid_null else ""
        cursor = self.conn.execute(
            f"UPDATE jobs SET {', '.join(assignments)} WHERE id = ? AND state IN ({marks}){only}",
            (*params, job_id, *sources),
        )
        return cursor.rowcount == 1

    def transition(
        self,
        job_id: str,
        to: str,
        *,
        sources: tuple[str, ...] | frozenset[str],
        pid_null: bool = False,
        **fields: Any,
    ) -> bool:
        """Move a job to state `to` if it is in one of `sources`; False when it was not.

        `fields` (reason, exit_code, pid, pid_start, host, trace_id, backend_ref) are set
        with it; the event row records the state and reason. With `pid_null` the job must
        also have no process recorded yet.
        """
        stamp = now_iso()
        with transaction(self.conn):
            changed = self._set(job_id, to, stamp, tuple(sources), pid_null, **fields)
            if changed:
                self._event(job_id, to, stamp, fields.get("reason"))
        return changed

    def update(self, job_id: str, *, sources: tuple[str, ...], **fields: Any) -> bool:
        """Set fields of a job in one of `sources` without a change of state (no event)."""
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise TypeError(f"unknown job fields {sorted(unknown)}")
        assignments = ", ".join(f"{name} = ?" for name in fields)
        marks = ",".join("?" * len(sources))
        with transaction(self.conn):
            cursor = self.conn.execute(
                f"UPDATE jobs SET {assignments}, updated_at = ? WHERE id = ? AND state IN ({marks})",
                (*fields.values(), now_iso(), job_id, *sources),
            )
        return cursor.rowcount == 1

    def claim_pending(self, machine: str, slots: int) -> sqlite3.Row | None:
        """Take the oldest PENDING job of `machine` into RUNNING if fewer than `slots` run.

        The count and the claim are one transaction, so every process that starts jobs
        (service, monitor, a finishing runner) respects the limit. The claimed job has no
        pid yet; the caller starts its process and records it.
        """
        waiting = self.conn.execute(
            "SELECT 1 FROM jobs WHERE machine = ? AND state = ? LIMIT 1", (machine, PENDING)
        ).fetchone()
        if waiting is None:  # the common case: no write lock taken
            return None
        stamp = now_iso()
        with transaction(self.conn):
            running = self.conn.execute(
                "SELECT COUNT(*) FROM jobs WHERE machine = ? AND state = ?", (machine, RUNNING)
            ).fetchone()[0]
            if running >= slots:
                return None
            row = self.conn.execute(
                "SELECT id FROM jobs WHERE machine = ? AND state = ? ORDER BY rowid LIMIT 1",
                (machine, PENDING),
            ).fetchone()
            if row is None:
                return None
            reason = "starting"
            self._set(
                row["id"], RUNNING, stamp, (PENDING,), reason=reason, pid=None, pid_start=None
            )
            self._event(row["id"], RUNNING, stamp, reason)
        return self.get(row["id"])
