"""A job is a folder: the manifest, the source text and the arguments, then what the run left.

    <root>/jobs/<job_id>/manifest.json   what to run (format "jetlag-job", version 1)
                         source.py       the function's source text (compiled, never run)
                         args.npz        the arguments (arguments.py)
                         status.json     the runner's latest state      (written by the runner)
                         exit.json       how it ended                   (written by the runner)
                         result.npz/.json, stdout.txt, stderr.txt, trace/ (if not in the store)

A folder is written as `.partial-<id>-<pid>` and renamed into place, so a job folder is
always complete; every file the runner writes is replaced atomically. This module only
reads and writes files (no database, no processes).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.processes import is_running
from jetlag.runtime.jobs.states import is_job_id

FORMAT = "jetlag-job"
VERSION = 1
MANIFEST = "manifest.json"
SOURCE_FILE = "source.py"
ARGS_FILE = "args.npz"
STATUS_FILE = "status.json"
EXIT_FILE = "exit.json"
RESULT_FILE = "result.npz"
RESULT_JSON = "result.json"
STDOUT_FILE = "stdout.txt"
STDERR_FILE = "stderr.txt"
TRACE_DIR = "trace"
PARTIAL_PREFIX = ".partial-"


def jobs_dir(root: Path) -> Path:
    """The folder holding every job folder of a store."""
    return Path(root) / "jobs"


def job_dir(root: Path, job_id: str) -> Path:
    """The folder of one job (the id is checked, so no other path can be named)."""
    if not is_job_id(job_id):
        raise JobError(
            f"{job_id!r} is not a job id; ids look like 'j' and 12 hex digits (j3f9a0c41b27e)",
            "job_id",
            404,
        )
    return jobs_dir(root) / job_id


def write_atomic(path: Path, data: bytes) -> None:
    """Replace `path` with `data` in one step (a reader sees the old or the new file)."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(temporary, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def write_json(path: Path, value: Any) -> None:
    """Write JSON atomically (strict: no NaN)."""
    write_atomic(path, json.dumps(value, indent=1, allow_nan=False).encode())


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object from `path`, or None when it is missing or unreadable."""
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _versions() -> dict[str, str]:
    import numpy

    import jetlag

    return {
        "jetlag": getattr(jetlag, "__version__", "?"),
        "python": sys.version.split()[0],
        "numpy": numpy.__version__,
    }


def write_package(root: Path, manifest: dict[str, Any], source: str, args: bytes) -> Path:
    """Write a job folder for `manifest["id"]` (crash-safe: written aside, then renamed)."""
    job_id = manifest["id"]
    final = job_dir(root, job_id)
    partial = jobs_dir(root) / f"{PARTIAL_PREFIX}{job_id}-{os.getpid()}"
    jobs_dir(root).mkdir(mode=0o700, parents=True, exist_ok=True)
    partial.mkdir(mode=0o700)
    try:
        full = {"format": FORMAT, "version": VERSION, **manifest, "versions": _versions()}
        (partial / SOURCE_FILE).write_text(source, encoding="utf-8")
        (partial / ARGS_FILE).write_bytes(args)
        write_json(partial / MANIFEST, full)
        os.rename(partial, final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final


def read_manifest(directory: Path) -> dict[str, Any]:
    """The manifest of a job folder; ValueError when it is missing or not ours."""
    manifest = read_json(Path(directory) / MANIFEST)
    if manifest is None or manifest.get("format") != FORMAT:
        raise ValueError(f"{directory} is not a job folder: {MANIFEST} is missing or not a job's")
    if manifest.get("version") != VERSION:
        raise ValueError(
            f"{directory} was written by another JetLag (job format version "
            f"{manifest.get('version')}, this one reads {VERSION})"
        )
    return manifest


def is_complete(directory: Path) -> bool:
    """True when the folder has everything a runner needs."""
    return all((Path(directory) / name).is_file() for name in (MANIFEST, SOURCE_FILE, ARGS_FILE))


def remove_package(directory: Path) -> None:
    """Delete a job folder (an unused duplicate, or a deleted job)."""
    shutil.rmtree(directory, ignore_errors=True)


def job_folders(root: Path) -> list[Path]:
    """Every complete job folder of a store (by name; partial folders excluded)."""
    folder = jobs_dir(root)
    if not folder.is_dir():
        return []
    return [path for path in folder.iterdir() if is_job_id(path.name) and path.is_dir()]


def clean_partials(root: Path) -> list[Path]:
    """Remove `.partial-*` folders left by submitting processes that died; returns them."""
    removed = []
    folder = jobs_dir(root)
    if not folder.is_dir():
        return removed
    for path in folder.glob(f"{PARTIAL_PREFIX}*"):
        pid_text = path.name.rsplit("-", 1)[-1]
        if pid_text.isdigit() and not is_running(int(pid_text), None):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed
