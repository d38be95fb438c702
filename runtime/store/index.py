"""The `traces` table of the store's SQLite index: one row per complete trace.

A row is inserted only after the trace's folder is in place, so whatever is listed can
be read. One connection per `TraceIndex`, used under a lock (sqlite3 allows other threads
with `check_same_thread=False`; WAL and the busy timeout let other processes work at the
same time); a forked child opens its own. This module holds the SQL and nothing else.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from jetlag.runtime.store import database
from jetlag.runtime.store.errors import StoreError, check_job_id, check_origin

SCHEMA = (
    """CREATE TABLE IF NOT EXISTS traces (
        id TEXT PRIMARY KEY,
        label TEXT,
        origin TEXT NOT NULL,
        function TEXT,
        notebook TEXT,
        cell TEXT,
        job_id TEXT,
        created_at TEXT NOT NULL,
        start_time TEXT,
        events INTEGER NOT NULL,
        locations INTEGER NOT NULL,
        duration_ns INTEGER NOT NULL,
        bytes INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS traces_by_created ON traces (created_at)",
    "CREATE INDEX IF NOT EXISTS traces_by_job ON traces (job_id)",
)
#: Columns of a row, in the order the JSON rows list them.
ROW_FIELDS = (
    "id",
    "label",
    "origin",
    "function",
    "notebook",
    "cell",
    "job_id",
    "created_at",
    "start_time",
    "events",
    "locations",
    "duration_ns",
    "bytes",
)
_SELECT = f"SELECT {', '.join(ROW_FIELDS)} FROM traces"


class TraceIndex:
    """Insert, find, list, relabel and remove trace rows."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._pid = 0
        database.ensure_schema(self._connection(), SCHEMA)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None or self._pid != os.getpid():
            # A forked child must not use its parent's connection.
            self._conn = database.connect(self.root)
            self._pid = os.getpid()
        return self._conn

    def _run(self, sql: str, params: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._connection().execute(sql, params)

    def insert(self, row: dict[str, Any]) -> None:
        """Add a row; a 409 StoreError when the id is taken."""
        marks = ", ".join("?" for _ in ROW_FIELDS)
        try:
            self._run(
                f"INSERT INTO traces ({', '.join(ROW_FIELDS)}) VALUES ({marks})",
                tuple(row[name] for name in ROW_FIELDS),
            )
        except sqlite3.IntegrityError:
            raise StoreError(
                f"trace {row['id']} already exists; save without trace_id", "trace_id", 409
            ) from None

    def upsert(self, row: dict[str, Any]) -> None:
        """Add a row, or replace the one with its id (a replaced trace, replacing.py)."""
        marks = ", ".join("?" for _ in ROW_FIELDS)
        updates = ", ".join(f"{name} = excluded.{name}" for name in ROW_FIELDS[1:])
        self._run(
            f"INSERT INTO traces ({', '.join(ROW_FIELDS)}) VALUES ({marks}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}",
            tuple(row[name] for name in ROW_FIELDS),
        )

    def row(self, trace_id: str) -> dict[str, Any] | None:
        """The row of `trace_id`, or None."""
        with self._lock:
            found = self._run(f"{_SELECT} WHERE id = ?", (trace_id,)).fetchone()
        return dict(found) if found is not None else None

    def ids(self) -> set[str]:
        """Every listed id."""
        with self._lock:
            return {row[0] for row in self._run("SELECT id FROM traces").fetchall()}

    @staticmethod
    def _filters(origin: str | None, job_id: str | None) -> tuple[str, tuple]:
        clauses, params = [], []
        if check_origin(origin, optional=True) is not None:
            clauses.append("origin = ?")
            params.append(origin)
        if check_job_id(job_id) is not None:
            clauses.append("job_id = ?")
            params.append(job_id)
        return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)

    def select(
        self, *, origin: str | None, job_id: str | None, limit: int, offset: int
    ) -> list[dict[str, Any]]:
        """Matching rows, newest first (creation time, then insertion order)."""
        where, params = self._filters(origin, job_id)
        with self._lock:
            rows = self._run(
                f"{_SELECT}{where} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
        return [dict(row) for row in rows]

    def count(self, *, origin: str | None, job_id: str | None) -> int:
        """How many rows match."""
        where, params = self._filters(origin, job_id)
        with self._lock:
            return int(self._run(f"SELECT COUNT(*) FROM traces{where}", params).fetchone()[0])

    def set_label(self, trace_id: str, label: str | None) -> bool:
        """Change the label; False when there is no such row."""
        return self._run("UPDATE traces SET label = ? WHERE id = ?", (label, trace_id)).rowcount > 0

    def remove(self, trace_id: str) -> bool:
        """Delete the row; False when there was none."""
        return self._run("DELETE FROM traces WHERE id = ?", (trace_id,)).rowcount > 0

    def close(self) -> None:
        """Close this process's connection (reopened on next use)."""
        with self._lock:
            if self._conn is not None and self._pid == os.getpid():
                self._conn.close()
            self._conn = None
