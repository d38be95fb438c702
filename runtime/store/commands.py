"""The `jetlag trace ...` commands: import, list, export and delete stored traces.

  jetlag trace import DIR|ARCHIVE [--label L]   prints the new trace id
  jetlag trace list [--origin O] [--job J] [--limit N] [--json]
  jetlag trace export ID [-o FILE]              writes the download zip (default ./ID.zip)
  jetlag trace delete ID

`--store DIR` (or $JETLAG_STORE) picks the store; the default is the one under the
Jupyter data directory that the kernel and the server use. This module parses and prints;
the work is TraceStore's.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from jetlag.runtime.measure.profile import format_ns


def add_trace_commands(commands: Any) -> None:
    """Add the `trace` command and its subcommands to the `jetlag` parser's subparsers."""
    trace = commands.add_parser("trace", help="import, list, export and delete stored traces")
    trace.add_argument(
        "--store",
        type=Path,
        default=None,
        help="store folder (default: $JETLAG_STORE, else <Jupyter data dir>/jetlag)",
    )
    actions = trace.add_subparsers(dest="trace_command", required=True)
    add = actions.add_parser("import", help="store a saved trace folder, OTF2 archive or zip/tar")
    add.add_argument("path", type=Path)
    add.add_argument("--label", default=None)
    listing = actions.add_parser("list", help="list stored traces, newest first")
    listing.add_argument("--origin", default=None, help="only this origin (cell, save, import...)")
    listing.add_argument("--job", default=None, help="only traces of this job id")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--json", action="store_true", help="print JSON rows")
    export = actions.add_parser("export", help="write a trace's download zip")
    export.add_argument("trace_id")
    export.add_argument("-o", "--output", type=Path, default=None)
    remove = actions.add_parser("delete", help="delete a stored trace")
    remove.add_argument("trace_id")


def _table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no stored traces"
    lines = [f"{'id':<14} {'created (UTC)':<19} {'origin':<8} {'events':>9} {'wall':>9}  label"]
    for row in rows:
        name = row["label"] or row["function"] or ""
        lines.append(
            f"{row['id']:<14} {row['created_at'][:19].replace('T', ' '):<19} "
            f"{row['origin'][:8]:<8} {row['events']:>9,} {format_ns(row['duration_ns']):>9}  {name}"
        )
    return "\n".join(lines)


def run_trace_command(options: argparse.Namespace) -> int:
    """Run a parsed `jetlag trace ...` command; returns the exit status."""
    from jetlag.runtime.store.errors import StoreError
    from jetlag.runtime.store.traces import TraceStore

    try:
        store = TraceStore(options.store)
        action = options.trace_command
        if action == "import":
            print(store.import_path(options.path, label=options.label))
        elif action == "list":
            rows = store.list(origin=options.origin, job_id=options.job, limit=options.limit)
            print(json.dumps(rows, indent=1) if options.json else _table(rows))
        elif action == "export":
            made = store.export_zip(options.trace_id)
            target = options.output or Path(f"{options.trace_id}.zip")
            shutil.copyfile(made, target)
            print(target)
        elif action == "delete":
            store.delete(options.trace_id)
            print(f"deleted {options.trace_id}")
    except StoreError as error:
        print(f"jetlag trace {options.trace_command}: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"jetlag trace {options.trace_command}: {error}", file=sys.stderr)
        return 2
    return 0
