"""The download of a stored trace: one zip with every format, made on first request.

Inside the zip, under `<trace id>/`: `otf2/` (the imported archive, or one written from the
columns and then kept in the trace folder), `chrome_trace.json[.gz]`, `profile.csv`,
`tree.physl/.json/.dot` when there is a tree, `source/<file>` when the source is known,
`meta.json`, and a `trace.json` manifest in `Trace.save`'s layout -- so the zip is itself
importable and `Trace.load` reads it unpacked. Work happens in a scratch folder named
`.export-<id>-<token>-<pid>` beside the traces (removed by the store's cleanup if the
process dies); results move into the trace folder by atomic renames. This module does
not touch the index.
"""

from __future__ import annotations

import json
import os
import secrets
import zipfile
from pathlib import Path

from jetlag.runtime.measure.archive import MANIFEST, manifest_of
from jetlag.runtime.measure.otf2_reader import find_anchor
from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.store.writing import META_FILE, OTF2_DIR, TREE_JSON, TREE_PHYSL, read_meta

EXPORT_FILE = "export.zip"
_STORED = (".gz", ".zip")  # already compressed: deflating again only costs time


def scratch_folder(traces_dir: Path, trace_id: str) -> Path:
    """A new private scratch folder for work on `trace_id` (cleanup-able by pid)."""
    path = traces_dir / f".export-{trace_id}-{secrets.token_hex(4)}-{os.getpid()}"
    path.mkdir(mode=0o700)
    return path


def ensure_otf2(directory: Path, trace: Trace, scratch: Path) -> Path:
    """The anchor of the trace's OTF2 archive, writing `directory/otf2/` first if missing."""
    kept = directory / OTF2_DIR
    if kept.is_dir():
        return find_anchor(kept)
    written = scratch / OTF2_DIR
    meta = read_meta(directory)
    info = OTF2Info(
        root_guid=trace.root_guid,
        function=trace.function or "",
        clock_offset_ns=trace.metadata.get("clock_offset_ns"),
        source_file=meta.get("source_file") or "",
    )
    write_otf2(trace.events, written, trace.counters, info)
    try:
        written.rename(kept)
    except OSError:
        if not kept.is_dir():  # pragma: no cover - a real rename failure
            raise
        # Another export cached it first; theirs is the same data.
    return find_anchor(kept)


def _safe_name(file: str | None) -> str:
    name = Path((file or "").replace("\\", "/")).name.strip()
    if not name or name in (".", "..") or name.startswith("<"):
        return "source.txt"
    return name


def _add(archive: zipfile.ZipFile, path: Path, name: str) -> None:
    compress = zipfile.ZIP_STORED if path.suffix in _STORED else zipfile.ZIP_DEFLATED
    archive.write(path, name, compress_type=compress)


def _add_text(archive: zipfile.ZipFile, name: str, text: str) -> None:
    archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)


def build_export(directory: Path, trace_id: str, trace: Trace, scratch: Path) -> Path:
    """Make (or reuse) `directory/export.zip` for the stored trace `trace`; returns it."""
    target = directory / EXPORT_FILE
    if target.is_file():
        return target
    anchor = ensure_otf2(directory, trace, scratch)
    top = trace_id
    files: dict[str, str] = {}
    partial = scratch / EXPORT_FILE
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        otf2 = anchor.parent
        for base, _, names in os.walk(otf2):
            for file in sorted(names):
                path = Path(base) / file
                _add(archive, path, f"{top}/{OTF2_DIR}/{path.relative_to(otf2).as_posix()}")
        files["otf2"] = f"{OTF2_DIR}/{anchor.relative_to(otf2).as_posix()}"
        chrome = trace.write_chrome(
            scratch / "chrome_trace.json",
            metadata={"root_guid": trace.root_guid, "function": trace.function},
        )
        _add(archive, chrome, f"{top}/{chrome.name}")
        files["chrome"] = chrome.name
        _add_text(archive, f"{top}/profile.csv", trace.profile.to_csv())
        files["profile_csv"] = "profile.csv"
        if trace.tree is not None:
            counters = trace.tree_counters()
            _add(archive, directory / TREE_PHYSL, f"{top}/{TREE_PHYSL}")
            _add(archive, directory / TREE_JSON, f"{top}/{TREE_JSON}")
            _add_text(archive, f"{top}/tree.dot", trace.tree.dot(counters=counters))
            files.update(tree_physl=TREE_PHYSL, tree_json=TREE_JSON, tree_dot="tree.dot")
        meta = read_meta(directory)
        if trace.source is not None:
            name = f"source/{_safe_name(trace.source.file)}"
            _add_text(archive, f"{top}/{name}", trace.source.text)
            files["source"] = name
        _add(archive, directory / META_FILE, f"{top}/{META_FILE}")
        manifest = manifest_of(trace, files, meta.get("source_file"))
        _add_text(archive, f"{top}/{MANIFEST}", json.dumps(manifest, indent=1, default=str))
    os.replace(partial, target)
    return target


def remove_export(directory: Path) -> None:
    """Drop a cached export (its meta.json changed)."""
    (directory / EXPORT_FILE).unlink(missing_ok=True)
