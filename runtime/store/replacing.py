"""Replacing a stored trace under the same id: a running job's live trace grows, and its
final trace completes it.

A job's trace has one id from its first live revision on (`live_trace_id`). Each
revision is written whole into a scratch folder, then swapped with the stored folder in
one step (Linux `renameat2(RENAME_EXCHANGE)`: readers always find a complete folder; two
renames elsewhere) and its index row updated; readers that mapped the old columns keep
them. A lock file serializes replacements across processes, and under it the rules
hold: a live revision never replaces a final trace nor a newer revision, so a slow live
import racing the job's end cannot undo the final trace. A live trace's meta.json says
`metadata.live` and `metadata.revision`; `end_live` marks one whose job ended without a
final trace. This module only replaces; saving new traces is traces.py's.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jetlag.runtime.store.exporting import remove_export
from jetlag.runtime.store.writing import (
    META_FILE,
    TraceSnapshot,
    read_meta,
    write_json,
    write_trace,
)

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.store.traces import TraceStore

LOCK_FILE = ".replace.lock"
_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def live_trace_id(job_id: str) -> str:
    """The id of a job's trace, live and final: "t" + the job id's 12 hex digits."""
    return "t" + job_id[1:]


def is_live(meta: dict[str, Any] | None) -> bool:
    """Whether a stored trace's meta.json says it is a running job's live trace."""
    return bool(((meta or {}).get("metadata") or {}).get("live"))


def revision_of(meta: dict[str, Any] | None) -> int:
    """A stored trace's revision (0 for a trace stored once, or a job's final trace)."""
    value = ((meta or {}).get("metadata") or {}).get("revision", 0)
    return int(value) if isinstance(value, int) else 0


@contextmanager
def locked(traces_dir: Path) -> Iterator[None]:
    """Hold the store's replacement lock (an flock on one file; other processes wait)."""
    with open(traces_dir / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _exchange(first: Path, second: Path) -> bool:
    """Swap two folders in one step; False where the system cannot (then rename twice)."""
    try:
        function = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    done = function(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
    return done == 0


def _current(folder: Path) -> dict[str, Any] | None:
    try:
        return read_meta(folder)
    except (OSError, ValueError):
        return None


def replace_trace(store: TraceStore, snapshot: TraceSnapshot, fields: dict[str, Any]) -> bool:
    """Store `snapshot` as trace `fields["id"]`, replacing what is stored under that id.

    A live snapshot (metadata live=True, revision=N) is dropped -- False -- when a final
    trace or revision >= N is stored already. The index row keeps its created_at.
    """
    trace_id = fields["id"]
    live = bool(snapshot.metadata.get("live"))
    revision = int(snapshot.metadata.get("revision", 0) or 0)
    existing = store.index.row(trace_id)
    if existing is not None:
        fields = {**fields, "created_at": existing["created_at"]}
    token = f"{trace_id}-{secrets.token_hex(4)}-{os.getpid()}"
    partial = store.traces_dir / f".partial-{token}"
    trash = store.traces_dir / f".trash-{token}"
    partial.mkdir(mode=0o700)
    try:
        row = write_trace(snapshot, partial, fields)
        with locked(store.traces_dir):
            final = store.traces_dir / trace_id
            current = _current(final)
            if live and current is not None:
                if not is_live(current) or revision_of(current) >= revision:
                    return False
            if current is None and final.exists():
                shutil.rmtree(final, ignore_errors=True)  # a broken folder: nothing to keep
            if final.exists() and _exchange(partial, final):
                pass  # `partial` now holds the old folder, removed below
            else:
                if final.exists():
                    final.rename(trash)
                partial.rename(final)
            store.index.upsert(row)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
        shutil.rmtree(trash, ignore_errors=True)
    return True


def end_live(store: TraceStore, trace_id: str, note: str) -> bool:
    """Mark a live trace as no longer growing (its job ended without a final trace), with
    `note` saying why; False when it is not a live trace (or not stored)."""
    folder = store.traces_dir / trace_id
    with locked(store.traces_dir):
        meta = _current(folder)
        if meta is None or not is_live(meta):
            return False
        metadata = dict(meta.get("metadata") or {})
        metadata.update(live=False, incomplete=note)
        meta["metadata"] = metadata
        write_json(folder / META_FILE, meta)
        remove_export(folder)  # a cached download holds the old meta.json (as on relabel)
    return True
