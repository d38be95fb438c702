"""The store's SQLite index: one file, WAL mode, used by many processes at once.

The kernel, the server, the CLI and every job runner open the same `store.sqlite`.
WAL lets readers run while one writer commits; `busy_timeout` makes a writer wait for
another instead of failing. Each owner of tables (traces, jobs) declares its schema with
`ensure_schema`, which is idempotent, so whichever process opens the store first creates
what it needs. The directory is created user-only (0700): generated code and job
packages live below it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from jetlag.runtime.store.paths import store_root

DATABASE_FILE = "store.sqlite"
BUSY_TIMEOUT_MS = 30_000


def open_root(root: str | Path | None = None) -> Path:
    """The store root, created user-only if missing."""
    path = store_root(root)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def connect(root: str | Path | None = None) -> sqlite3.Connection:
    """A connection to the store's index (autocommit; use `with transaction(conn)`)."""
    path = open_root(root) / DATABASE_FILE
    conn = sqlite3.connect(
        path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
    )
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL is durable against a process kill in WAL mode (only a power loss can drop
    # the last commits), which is what "the store survives kill -9" needs.
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


class transaction:  # noqa: N801  (used like a function: `with transaction(conn):`)
    """`BEGIN IMMEDIATE` ... `COMMIT` (or `ROLLBACK` on error) on an autocommit connection.

    IMMEDIATE takes the write lock up front, so two processes doing read-then-write
    (an idempotency check, then an insert) cannot both pass the check.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self.conn.execute("BEGIN IMMEDIATE")
        return self.conn

    def __exit__(self, kind, value, traceback) -> None:
        self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")


def ensure_schema(conn: sqlite3.Connection, statements: Iterable[str]) -> None:
    """Run idempotent DDL (`CREATE TABLE IF NOT EXISTS ...`) in one transaction."""
    with transaction(conn):
        for statement in statements:
            conn.execute(statement)
