"""The trace store: one index (SQLite `traces` table) plus one folder per trace.

The kernel, the server, the CLI and job runners share it, each with its own `TraceStore`.
A trace becomes visible only when complete: it is written into
`<root>/traces/.partial-<id>-<pid>/`, renamed to `<root>/traces/<id>/`, and only then its
row is inserted. A crash leaves a partial folder (or, between rename and insert, a folder
without a row); `cleanup` removes those once their process is dead or they are a minute
old: a complete folder is listed again from its row.json (leftovers.py). Deleting moves
the folder aside first, then removes the row. Every method is safe
to call from several threads; the SQL lives in index.py, a folder's contents in
writing.py/loading.py, imports in uploads.py/importing.py, replacing a running job's live
trace in replacing.py, the download in exporting.py, and
`save_async`'s thread in background.py. This module orchestrates them.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import shutil
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.store import database
from jetlag.runtime.store.background import BackgroundWriter
from jetlag.runtime.store.columns import TraceColumns
from jetlag.runtime.store.errors import (
    StoreError,
    TraceNotFound,
    check_count,
    check_job_id,
    check_label,
    check_origin,
    check_text,
    check_trace_id,
)
from jetlag.runtime.store.exporting import build_export, remove_export, scratch_folder
from jetlag.runtime.store.index import TraceIndex
from jetlag.runtime.store.leftovers import remove_leftovers
from jetlag.runtime.store.loading import load_folder
from jetlag.runtime.store.replacing import is_live, replace_trace, revision_of
from jetlag.runtime.store.uploads import TraceImports
from jetlag.runtime.store.writing import (
    META_FILE,
    OTF2_DIR,
    ROW_FILE,
    SOURCE_FILE,
    TREE_PHYSL,
    TraceSnapshot,
    read_meta,
    write_json,
    write_trace,
)

TRACES_DIR = "traces"
DEFAULT_LIMIT, MAX_LIMIT = 100, 10_000
_COLUMNS_CACHE = 32


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="microseconds")


def _stamp(folder: Path) -> tuple[int, int]:
    """(inode, mtime) of a trace's columns.json: a replaced trace has a new one."""
    try:
        info = os.stat(folder / "columns.json")
    except FileNotFoundError:
        return (0, 0)
    return (info.st_ino, info.st_mtime_ns)


def _taken(trace_id: str) -> StoreError:
    return StoreError(
        f"trace {trace_id} already exists; save without trace_id to get a new id",
        "trace_id",
        409,
    )


class TraceStore(TraceImports):
    """Save, import, list, load, export and delete traces (see the module docstring)."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = database.open_root(root)
        self.traces_dir = self.root / TRACES_DIR
        self.traces_dir.mkdir(mode=0o700, exist_ok=True)
        self.index = TraceIndex(self.root)
        self._lock = threading.Lock()
        self._columns: OrderedDict[str, tuple[TraceColumns, tuple]] = OrderedDict()
        self._writer: BackgroundWriter | None = None
        self.cleanup()

    def _folder(self, trace_id: str) -> Path:
        return self.traces_dir / trace_id

    def new_id(self) -> str:
        """A fresh trace id: "t" + 12 random lowercase hex digits."""
        return "t" + secrets.token_hex(6)

    def cleanup(self) -> int:
        """Tidy what crashed writers left (see leftovers.py); returns how many things."""
        return remove_leftovers(self.traces_dir, self.index.ids, self._adopt, self.index.remove)

    def _adopt(self, folder: Path) -> bool:
        """List a complete folder that lost its row (killed between rename and insert)."""
        try:
            row = json.loads((folder / ROW_FILE).read_text(encoding="utf-8"))
            row["label"] = read_meta(folder).get("label")  # a relabel updates meta only
            if row.get("id") != folder.name:
                return False
            self.index.insert(row)
        except StoreError:  # listed meanwhile by another process
            return True
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return False
        return True

    # -- saving ------------------------------------------------------------------------

    def _fields(
        self, trace_id, label, origin, notebook, cell, job_id, replace=False
    ) -> dict[str, Any]:
        """Validated provenance of a new trace (raises StoreError naming the field)."""
        taken = trace_id is not None and self.index.row(check_trace_id(trace_id)) is not None
        if taken and not replace:
            raise _taken(trace_id)
        return {
            "id": self.new_id() if trace_id is None else check_trace_id(trace_id),
            "label": check_label(label),
            "origin": check_origin(origin),
            "notebook": check_text(notebook, "notebook"),
            "cell": check_text(cell, "cell"),
            "job_id": check_job_id(job_id),
            "created_at": _now(),
        }

    def _partial(self, trace_id: str) -> Path:
        path = self.traces_dir / f".partial-{trace_id}-{os.getpid()}"
        try:
            path.mkdir(mode=0o700)
        except FileExistsError:  # the same explicit id saved twice at once
            raise _taken(trace_id) from None
        return path

    def _publish(self, partial: Path, row: dict[str, Any]) -> None:
        """Rename the finished folder into place, then list it (the commit point)."""
        trace_id = row["id"]
        final = self._folder(trace_id)
        if final.exists():
            raise _taken(trace_id)
        try:
            partial.rename(final)
        except OSError:  # another writer renamed its folder there first
            raise _taken(trace_id) from None
        try:
            self.index.insert(row)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)
            raise

    def _write(
        self, snapshot: TraceSnapshot, fields: dict[str, Any], partial: Path | None = None
    ) -> str:
        partial = partial if partial is not None else self._partial(fields["id"])
        try:
            row = write_trace(snapshot, partial, fields)
            self._publish(partial, row)
        finally:
            shutil.rmtree(partial, ignore_errors=True)  # gone already when published
        return fields["id"]

    def save(
        self,
        trace: Trace,
        *,
        trace_id: str | None = None,
        label: str | None = None,
        origin: str = "save",
        notebook: str | None = None,
        cell: str | None = None,
        job_id: str | None = None,
        location_prefix: str | None = None,
        replace: bool = False,
    ) -> str:
        """Store `trace` now; returns its id. `location_prefix` names locations "prefix/thread".

        With `replace` (and `trace_id`), what is stored under that id is replaced (a job's
        live trace, replacing.py); a live revision older than the stored one is dropped.
        """
        fields = self._fields(trace_id, label, origin, notebook, cell, job_id, replace)
        prefix = check_text(location_prefix, "location_prefix", limit=200)
        if replace and trace_id is not None:
            replace_trace(self, TraceSnapshot.of(trace, prefix), fields)
            return fields["id"]
        return self._write(TraceSnapshot.of(trace, prefix), fields)

    def save_async(self, trace: Trace, **options: Any) -> str:
        """Like `save`, but returns the id at once and writes on the store's background
        thread (arguments are checked now; a failed write is logged, see `failures`)."""
        fields = self._fields(
            options.pop("trace_id", None),
            options.pop("label", None),
            options.pop("origin", "save"),
            options.pop("notebook", None),
            options.pop("cell", None),
            options.pop("job_id", None),
        )
        prefix = check_text(options.pop("location_prefix", None), "location_prefix", limit=200)
        if options:
            raise TypeError(f"save_async() got unexpected arguments {sorted(options)}")
        snapshot = TraceSnapshot.of(trace, prefix)
        with self._lock:
            if self._writer is None:
                self._writer = BackgroundWriter()
        self._writer.submit(fields["id"], lambda: self._write(snapshot, fields))
        return fields["id"]

    def flush(self, timeout: float | None = None) -> bool:
        """Wait for the background saves queued so far; False when `timeout` s ran out."""
        return True if self._writer is None else self._writer.flush(timeout)

    @property
    def failures(self) -> dict[str, str]:
        """{trace id: error} of background saves that failed in this process."""
        return {} if self._writer is None else dict(self._writer.failures)

    # -- reading -----------------------------------------------------------------------

    def _row(self, trace_id: str) -> dict[str, Any]:
        row = self.index.row(check_trace_id(trace_id))
        if row is None:
            raise TraceNotFound(trace_id)
        return row

    def list(
        self,
        *,
        origin: str | None = None,
        job_id: str | None = None,
        limit: int = DEFAULT_LIMIT,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Stored traces, newest first, as JSON-ready rows (see ROW_FIELDS)."""
        check_count(limit, "limit", low=1, high=MAX_LIMIT)
        check_count(offset, "offset", low=0, high=1 << 62)
        return self.index.select(origin=origin, job_id=job_id, limit=limit, offset=offset)

    def count(self, *, origin: str | None = None, job_id: str | None = None) -> int:
        """How many stored traces match the filters (for paging)."""
        return self.index.count(origin=origin, job_id=job_id)

    def get(self, trace_id: str) -> dict[str, Any]:
        """The row of `trace_id` plus a summary of its meta.json and columns."""
        row = self._row(trace_id)
        folder = self._folder(trace_id)
        meta = read_meta(folder)
        document = self.columns(trace_id).document
        row.update(
            root_guid=meta.get("root_guid"),
            host=meta.get("host"),
            threads=meta.get("threads"),
            clock_offset_ns=meta.get("clock_offset_ns"),
            source_file=meta.get("source_file"),
            metadata=meta.get("metadata", {}),
            location_names=document["locations"],
            primitives=len(document["primitives"]),
            counters=document["counters"],
            has_tree=(folder / TREE_PHYSL).is_file(),
            has_source=(folder / SOURCE_FILE).is_file(),
            has_otf2=(folder / OTF2_DIR).is_dir(),
            live=is_live(meta),
            revision=revision_of(meta),
        )
        return row

    def directory(self, trace_id: str) -> Path:
        """The folder of a stored trace (raises TraceNotFound)."""
        self._row(trace_id)
        return self._folder(trace_id)

    def columns(self, trace_id: str) -> TraceColumns:
        """The trace's columns, memory-mapped (cached per id)."""
        folder = self.directory(trace_id)  # also when cached: it may have been deleted
        # A replaced trace (a job's live one, replacing.py) is a new columns.json.
        stamp = _stamp(folder)
        with self._lock:
            cached = self._columns.get(trace_id)
            if cached is not None and cached[1] == stamp:
                self._columns.move_to_end(trace_id)
                return cached[0]
        columns = TraceColumns.open(folder)
        with self._lock:
            self._columns[trace_id] = (columns, stamp)
            while len(self._columns) > _COLUMNS_CACHE:
                self._columns.popitem(last=False)
        return columns

    def load(self, trace_id: str) -> Trace:
        """The stored trace as the runtime's Trace (events, counters, tree, source, profile)."""
        return load_folder(self._folder(trace_id), self.columns(trace_id))

    def export_zip(self, trace_id: str) -> Path:
        """A zip of every format (otf2/, Chrome JSON, tree, profile, source), made once."""
        folder = self.directory(trace_id)
        scratch = scratch_folder(self.traces_dir, trace_id)
        try:
            return build_export(folder, trace_id, self.load(trace_id), scratch)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    # -- changing ----------------------------------------------------------------------

    def relabel(self, trace_id: str, label: str) -> dict[str, Any]:
        """Set the label ('' clears it); returns the updated row."""
        check_trace_id(trace_id)
        if not isinstance(label, str):
            check_text(label, "label", optional=False)
        label = check_label(label)
        if not self.index.set_label(trace_id, label):
            raise TraceNotFound(trace_id)
        folder = self._folder(trace_id)
        try:
            meta = read_meta(folder)
            meta["label"] = label
            write_json(folder / META_FILE, meta)
            remove_export(folder)
        except FileNotFoundError:  # deleted meanwhile; the index said it existed
            raise TraceNotFound(trace_id) from None
        return self._row(trace_id)

    def delete(self, trace_id: str) -> None:
        """Remove a trace: its folder is moved aside first, then its row, then the files.

        In that order a kill at any point never brings a deleted trace back: a folder
        without a row would be listed again by `cleanup`, a row without a folder is dropped.
        """
        check_trace_id(trace_id)
        if self.index.row(trace_id) is None:
            raise TraceNotFound(trace_id)
        trash = self.traces_dir / f".trash-{trace_id}-{secrets.token_hex(4)}-{os.getpid()}"
        try:
            self._folder(trace_id).rename(trash)
            moved = True
        except FileNotFoundError:  # another deleter moved it first
            moved = False
        deleted = self.index.remove(trace_id)
        with self._lock:
            self._columns.pop(trace_id, None)
        if moved:
            shutil.rmtree(trash, ignore_errors=True)
        elif not deleted:
            raise TraceNotFound(trace_id)

    def close(self) -> None:
        """Close the index connection (reopened on next use)."""
        self.index.close()

    def __repr__(self) -> str:
        return f"<TraceStore {self.root}>"
