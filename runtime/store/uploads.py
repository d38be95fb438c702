"""Importing traces into the store: a saved folder, an OTF2 archive, or uploaded bytes.

A mixin of `TraceStore` (traces.py): the input is unpacked and read into the new trace's
partial folder (importing.py, unpacking.py), then published like any save. Uploaded
bytes are written inside the partial folder, so a crash leaves nothing else behind.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from jetlag.runtime.store.errors import ArchiveTooLarge, check_count
from jetlag.runtime.store.importing import import_into
from jetlag.runtime.store.unpacking import DEFAULT_MAX_BYTES, DEFAULT_MAX_MEMBERS
from jetlag.runtime.store.writing import TraceSnapshot

UPLOAD_FILE = ".upload"


def _display_name(filename: str | None) -> str:
    """A client's file name as shown in messages: its last part, printable, short."""
    name = Path(str(filename or "upload").replace("\\", "/")).name[:100] or "upload"
    return "".join(c if c.isprintable() else "?" for c in name)


class TraceImports:
    """import_path / import_archive_bytes of TraceStore (uses its _fields, _partial, _write)."""

    _fields: Any
    _partial: Any
    _write: Any

    def _import(
        self, source: Path | bytes, name: str, field: str, label, origin, max_bytes, max_members
    ) -> str:
        fields = self._fields(None, label, origin, None, None, None)
        check_count(max_bytes, "max_bytes", low=1, high=1 << 50)
        check_count(max_members, "max_members", low=1, high=1 << 30)
        partial = self._partial(fields["id"])
        try:
            if isinstance(source, bytes):
                # Uploaded bytes land inside the partial folder: a crash leaves nothing else.
                upload = partial / UPLOAD_FILE
                upload.write_bytes(source)
                source = upload
            trace = import_into(
                source,
                partial,
                name=name,
                field=field,
                max_bytes=max_bytes,
                max_members=max_members,
            )
            (partial / UPLOAD_FILE).unlink(missing_ok=True)
            return self._write(TraceSnapshot.of(trace), fields, partial)
        finally:
            shutil.rmtree(partial, ignore_errors=True)

    def import_path(
        self,
        path: str | Path,
        *,
        label: str | None = None,
        origin: str = "import",
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_members: int = DEFAULT_MAX_MEMBERS,
        name: str | None = None,
        field: str = "path",
    ) -> str:
        """Import a saved trace folder, an OTF2 anchor/folder, or a .zip/.tar(.gz) holding
        one; returns the new id. Bad input raises BadArchive (400) / ArchiveTooLarge (413)
        naming `field`; `name` is how messages call the input (default: the path -- a
        server passes the upload's file name so its spool path is not shown)."""
        path = Path(path).expanduser()
        shown = _display_name(name) if name is not None else str(path)
        return self._import(path, shown, field, label, origin, max_bytes, max_members)

    def import_archive_bytes(
        self,
        data: bytes,
        filename: str,
        *,
        label: str | None = None,
        origin: str = "upload",
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_members: int = DEFAULT_MAX_MEMBERS,
    ) -> str:
        """Import an uploaded .zip/.tar(.gz) given as bytes; `filename` only names it in errors."""
        name = _display_name(filename)
        if len(data) > max_bytes:
            raise ArchiveTooLarge(
                f"{name} is {len(data)} bytes, more than the limit {max_bytes} (max_bytes); "
                "upload a smaller trace or raise the limit",
                "file",
            )
        return self._import(data, name, "file", label, origin, max_bytes, max_members)
