"""`jetlag view TRACE_DIR_OR_ARCHIVE`: import a trace and open JupyterLab on its view.

Traveler's use without a notebook: the trace goes into the store (`TraceStore.import_path`,
the same checks as `jetlag trace import`), then `jupyter lab` starts (in a child process,
with the flags of scripts/start) on the URL `/lab?jetlag-trace=<id>`, from which the lab
extension opens that trace's view. This module imports nothing from Jupyter; it only
builds the command line and runs it.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: The query parameter the lab extension reads to open a trace's view.
TRACE_PARAMETER = "jetlag-trace"


def view_path(trace_id: str) -> str:
    """The JupyterLab URL path that opens `trace_id`'s view: `/lab?jetlag-trace=<id>`."""
    return f"/lab?{TRACE_PARAMETER}={trace_id}"


def lab_argv(
    trace_id: str,
    extra: Sequence[str] = (),
    *,
    python: str = sys.executable,
    root: bool | None = None,
) -> list[str]:
    """The `jupyter lab` command line: loopback only, `--allow-root` as root, the trace's
    view as the default URL, then `extra` (e.g. `--no-browser`, `--port=8890`) as given."""
    if root is None:
        root = hasattr(os, "geteuid") and os.geteuid() == 0
    argv = [
        python,
        "-m",
        "jupyter",
        "lab",
        "--ServerApp.ip=127.0.0.1",
        f"--LabApp.default_url={view_path(trace_id)}",
    ]
    if root:
        argv.append("--allow-root")
    return argv + list(extra)


def add_view_command(commands: Any) -> None:
    """Add `view PATH [--store DIR] [--label L] [jupyter lab arguments...]` to the parser."""
    view = commands.add_parser(
        "view",
        help="import a trace (folder or OTF2 archive) and open JupyterLab on its trace view",
    )
    view.add_argument("path", type=Path, help="a saved trace folder, OTF2 archive or zip/tar")
    view.add_argument("--store", type=Path, default=None, help="store folder ($JETLAG_STORE)")
    view.add_argument("--label", default=None, help="label of the imported trace")
    view.add_argument(
        "lab_args",
        nargs=argparse.REMAINDER,
        help="further arguments for `jupyter lab` (e.g. --no-browser --port=8890)",
    )


def import_for_view(path: Path, store: Path | None, label: str | None) -> str:
    """Import `path` into the store (StoreError with a clear message when it is not a trace)."""
    from jetlag.runtime.store.traces import TraceStore

    traces = TraceStore(store)
    try:
        trace_id = traces.import_path(path, label=label, origin="import")
        traces.flush(timeout=60)  # listed in the index before the server starts
        return trace_id
    finally:
        traces.close()


def run_view_command(
    options: argparse.Namespace, run: Callable[[list[str], dict[str, str]], int] | None = None
) -> int:
    """Import, print the id and URL, start JupyterLab (`run(argv, env)`); 2 on a bad path."""
    from jetlag.runtime.store.errors import StoreError

    # Options may also come after the path, among jupyter lab's (argparse.REMAINDER).
    own = argparse.ArgumentParser(add_help=False)
    own.add_argument("--store", type=Path, default=options.store)
    own.add_argument("--label", default=options.label)
    found, rest = own.parse_known_args(options.lab_args)
    options = argparse.Namespace(**{**vars(options), **vars(found), "lab_args": rest})
    try:
        trace_id = import_for_view(options.path, options.store, options.label)
    except StoreError as error:
        print(f"jetlag: {error}", file=sys.stderr)
        return 2
    env = dict(os.environ)
    if options.store is not None:
        env["JETLAG_STORE"] = str(Path(options.store).expanduser().resolve())
    argv = lab_argv(trace_id, options.lab_args)
    print(f"trace {trace_id}")
    print(f"opening JupyterLab at {view_path(trace_id)} (the server prints its full URL)")
    sys.stdout.flush()
    return (run or _run)(argv, env)


def _run(argv: list[str], env: dict[str, str]) -> int:
    """Run JupyterLab until it exits (Ctrl-C stops it)."""
    try:
        return subprocess.call(argv, env=env)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        return 130
