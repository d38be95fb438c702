"""A trace on disk: one directory with every format, and reading it back.

Layout written by `save_trace(trace, dir)`:

  trace.json                  manifest: format version, function, root GUID, metadata,
                              counters, file names, top of the profile (written last)
  otf2/traces.otf2 (+ data)   the events and counters (the source of truth for `load`)
  chrome_trace.json[.gz]      Chrome trace-event JSON for Perfetto (.gz past the size cap)
  profile.csv                 primitive_instance,display_name,count,time,eval_direct
  tree.physl/.dot/.nwk/.json  the execution tree (DOT and JSON carry count/time_ns)
  source/<file name>          the source text the function came from

The manifest is replaced atomically after everything else is written, so a directory
with a manifest is complete; `load_trace` refuses a directory without one. This module
orchestrates the writers; it knows no format details of OTF2 or Chrome JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from jetlag.runtime.ir.export import ExecutionTree
from jetlag.runtime.measure.chrome import DEFAULT_SIZE_CAP, write_chrome
from jetlag.runtime.measure.otf2_reader import read_otf2
from jetlag.runtime.measure.otf2_writer import OTF2Info, write_otf2

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.measure.trace import Trace

MANIFEST = "trace.json"
FORMAT = "jetlag-trace"
VERSION = 1


def _write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a file."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _safe_name(file: str) -> str:
    """A plain file name for the saved source (never a path outside the directory)."""
    name = Path(file.replace("\\", "/")).name.strip()
    if not name or name in (".", "..") or name.startswith("<"):
        return "source.txt"
    return name


def _source_file(trace: Trace) -> str:
    if trace.source is not None:
        return trace.source.file
    return trace.tree.program.source_file if trace.tree is not None else ""


def save_trace(
    trace: Trace, directory: str | Path, *, chrome_size_cap: int = DEFAULT_SIZE_CAP
) -> Path:
    """Write every format of `trace` into `directory` (created if needed); returns the manifest."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    # An old manifest would vouch for files being rewritten now; it returns at the end.
    (directory / MANIFEST).unlink(missing_ok=True)
    files: dict[str, str] = {}
    info = OTF2Info(
        root_guid=trace.root_guid,
        function=trace.function or "",
        clock_offset_ns=trace.metadata.get("clock_offset_ns"),
        source_file=_source_file(trace),
    )
    anchor = write_otf2(trace.events, directory / "otf2", trace.counters, info)
    files["otf2"] = anchor.relative_to(directory).as_posix()
    chrome = write_chrome(
        trace.events,
        directory / "chrome_trace.json",
        trace.counters,
        process_name=trace.function or "jetlag",
        size_cap=chrome_size_cap,
        metadata={"root_guid": trace.root_guid, "function": trace.function},
    )
    files["chrome"] = chrome.name
    _write_text(directory / "profile.csv", trace.profile.to_csv())
    files["profile_csv"] = "profile.csv"
    if trace.tree is not None:
        counters = trace.tree_counters()
        _write_text(directory / "tree.physl", trace.tree.physl())
        _write_text(directory / "tree.dot", trace.tree.dot(counters=counters))
        _write_text(directory / "tree.nwk", trace.tree.newick() + "\n")
        _write_text(
            directory / "tree.json", json.dumps(trace.tree.to_json(counters=counters), indent=1)
        )
        files.update(
            tree_physl="tree.physl",
            tree_dot="tree.dot",
            tree_newick="tree.nwk",
            tree_json="tree.json",
        )
    if trace.source is not None:
        (directory / "source").mkdir(exist_ok=True)
        name = _safe_name(trace.source.file)
        _write_text(directory / "source" / name, trace.source.text)
        files["source"] = f"source/{name}"
    manifest = manifest_of(trace, files)
    path = directory / MANIFEST
    _write_text(path, json.dumps(manifest, indent=1, default=str) + "\n")
    return path


def manifest_of(
    trace: Trace, files: dict[str, str], source_file: str | None = None
) -> dict[str, Any]:
    """The `trace.json` manifest of `trace` whose files are `files` ({kind: file name});
    `source_file` names the source when the trace no longer holds it (a stored trace)."""
    first, last = trace.events.span()
    if source_file is None and trace.source is not None:
        source_file = trace.source.file
    return {
        "format": FORMAT,
        "version": VERSION,
        "function": trace.function,
        "root_guid": trace.root_guid,
        "events": len(trace.events),
        "workers": trace.workers,
        "kinds": list(trace.events.kinds),
        "span_ns": [first, last],
        "metadata": trace.metadata,
        "source_file": source_file,
        "counters": [
            {"name": name, "unit": unit}
            for name, unit in zip(trace.counters.names, trace.counters.units, strict=True)
        ],
        "files": files,
        "profile_top": trace.profile.to_dict()[:20],
    }


def read_manifest(directory: str | Path) -> dict[str, Any]:
    """The manifest of a saved trace, with a clear error when it is not one."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(
            f"{directory} is not a saved JetLag trace (no {MANIFEST}); "
            "write one with trace.save(directory)"
        )
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{path}: format {manifest.get('format')!r} is not {FORMAT!r}")
    if manifest.get("version", 0) > VERSION:
        raise ValueError(
            f"{path}: trace format version {manifest['version']} is newer than this JetLag "
            f"reads ({VERSION}); upgrade JetLag"
        )
    return manifest


def load_trace(directory: str | Path) -> Trace:
    """Read a directory written by `save_trace`."""
    from jetlag.runtime.measure.trace import Source, Trace

    directory = Path(directory)
    manifest = read_manifest(directory)
    files = manifest.get("files", {})
    contents = read_otf2(directory / files.get("otf2", "otf2/traces.otf2"))
    tree = None
    source = None
    source_file = manifest.get("source_file") or "<physl>"
    if "source" in files:
        text = (directory / files["source"]).read_text(encoding="utf-8")
        source = Source(source_file, text)
    if "tree_physl" in files:
        text = (directory / files["tree_physl"]).read_text(encoding="utf-8")
        tree = ExecutionTree.from_physl(text, file=source_file)
    return Trace(
        contents.table,
        counters=contents.counters,
        tree=tree,
        source=source,
        root_guid=int(manifest.get("root_guid", contents.root_guid or 0)),
        function=manifest.get("function"),
        metadata=manifest.get("metadata", {}),
    )
