"""The job service: submit, list, inspect, cancel jobs and read their results.

One `JobService` per store root serves the REST handlers, the kernel's magics and
`jetlag.remote`. Submitting checks everything first (machine, options, arguments, the
source compiled by the frontend), writes the job folder aside and renames it into place,
then records the job and its idempotency key in one transaction -- a retried submission
returns the first job -- and hands it to the machine's backend. `reattach()` at start
settles what a crash left; the monitor thread watches running jobs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.arguments import check_arguments
from jetlag.runtime.jobs.backends import Backend, MachineConfig
from jetlag.runtime.jobs.backends.unavailable import make_backend
from jetlag.runtime.jobs.dependencies import check_parents
from jetlag.runtime.jobs.errors import JobError, JobNotFound
from jetlag.runtime.jobs.notify import Notifier, NotifySettings
from jetlag.runtime.jobs.options import check_options, dask_workers
from jetlag.runtime.jobs.package import (
    RESULT_FILE,
    RESULT_JSON,
    STDERR_FILE,
    STDOUT_FILE,
    job_dir,
    remove_package,
    write_package,
)
from jetlag.runtime.jobs.records import JobRecords, row_json
from jetlag.runtime.jobs.sources import BUNDLE_FILENAME, check_entry, check_source
from jetlag.runtime.jobs.states import COMPLETED, STATES, is_job_id, now_iso
from jetlag.runtime.jobs.watching import JobWatcher
from jetlag.runtime.store.database import open_root

MAX_ARGS_BYTES = 1 << 30
MAX_KEY = 200
MAX_LIMIT = 1000
STREAMS = {"stdout": STDOUT_FILE, "stderr": STDERR_FILE}


def _check_key(key: Any) -> str | None:
    if key is None:
        return None
    if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY or not key.isprintable():
        raise JobError(
            f"idempotency_key must be 1 to {MAX_KEY} printable characters, got {key!r}",
            "idempotency_key",
        )
    return key


class JobService:
    """Jobs of one store (see the module docstring). Thread-safe."""

    def __init__(
        self,
        root: str | Path | None = None,
        *,
        machines: Mapping[str, MachineConfig] | None = None,
        machine_errors: list[str] | None = None,
        notify: NotifySettings | None = None,
    ) -> None:
        self.root = open_root(root)
        self.records = JobRecords(self.root)
        # Job notifications (notify.py): settings given, else from $JETLAG_SMTP_*.
        self.notifier = Notifier(
            self.root, self.records, notify or NotifySettings.from_environment()
        )
        configs: dict[str, MachineConfig] = {"local": MachineConfig("local", "local")}
        #: Errors that kept a whole machines file out (bad TOML), shown with the machines.
        self.machine_errors = list(machine_errors or ())
        if machines is None:  # from the machines file (machines_config.py)
            from jetlag.runtime.jobs.machines_config import load_machines

            found = load_machines()
            machines, self.machine_errors = found.configs, [*self.machine_errors, *found.errors]
        for name, config in machines.items():
            if config.id != name:
                raise ValueError(f"machine {name!r} is configured with the id {config.id!r}")
            configs[name] = config
        self.configs = configs
        self.backends: dict[str, Backend] = {
            name: make_backend(config, self.root, self.records) for name, config in configs.items()
        }
        self.watcher = JobWatcher(self.root, self.records, self.backends)

    # -- machines ---------------------------------------------------------------------------

    def machines(self) -> list[dict[str, Any]]:
        """The machines jobs can run on ("local" always), with their availability."""
        return [self.machine_json(name) for name in self.configs]

    def machine_json(self, name: str) -> dict[str, Any]:
        """One machine's configuration (no secrets) with `available` and `reason`."""
        available, reason = self.backends[name].available()
        return {**self.configs[name].to_json(), "available": available, "reason": reason}

    def machine(self, name: Any) -> MachineConfig:
        """A machine's configuration; JobError 404 (field "machine") when unknown."""
        config = self.configs.get(name) if isinstance(name, str) else None
        if config is None:
            raise JobError(
                f"unknown machine {name!r}; the machines are {', '.join(self.configs)}",
                "machine",
                404,
            )
        return config

    def check_available(self, name: str) -> None:
        """JobError 503 naming the machine and why, when it cannot take jobs now."""
        available, reason = self.backends[name].available()
        if not available:
            raise JobError(f"machine {name} cannot take jobs now: {reason}", "machine", 503)

    def _check_dask_job(self, config: MachineConfig) -> None:
        """A job that starts Dask workers needs a batch scheduler that runs tasks (400)."""
        if not self.backends[config.id].runs_dask_jobs:
            raise JobError(
                f"machine {config.id} ({config.backend}) runs a job as one process; a job "
                "with nodes > 1 or dask_workers > 1 starts a Dask cluster in a Slurm "
                "allocation: choose a Slurm machine, or leave both options out",
                "options.dask_workers",
            )

    # -- submitting -------------------------------------------------------------------------

    def submit(
        self,
        *,
        source: str,
        entry: str,
        args_npz: bytes,
        machine: str = "local",
        options: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
        origin: str = "python",
        filename: str | None = None,
    ) -> dict[str, Any]:
        """Check and submit a job; returns its row (as `get`) with "existing": False, or the
        job a known idempotency key names with "existing": True (nothing new is stored).

        Raises JobError naming the field: machine (404 unknown, 503 unavailable),
        options.<name> (options.after[i]: 404 for an unknown parent), idempotency_key, args,
        entry, source (400, with the frontend's file:line:col).
        """
        config = self.machine(machine)
        checked = check_options(
            options,
            max_time_limit_s=config.max_time_limit_s,
            default_time_limit_s=config.default_time_limit_s,
            max_nodes=config.max_nodes,
        )
        if dask_workers(checked):
            self._check_dask_job(config)
        self.notifier.check(checked)
        check_parents(self.records, checked.get("after") or [])
        key = _check_key(idempotency_key)
        if not isinstance(origin, str) or not origin.isidentifier() or len(origin) > 40:
            raise JobError(f"origin must be a short name like 'python', got {origin!r}", "origin")
        if isinstance(args_npz, (bytes, bytearray, memoryview)) and len(args_npz) > MAX_ARGS_BYTES:
            raise JobError(
                f"the arguments have {len(args_npz)} bytes; at most {MAX_ARGS_BYTES}", "args", 413
            )
        arguments = check_arguments(args_npz)
        entry = check_entry(entry)
        filename = filename or BUNDLE_FILENAME
        if not isinstance(filename, str) or len(filename) > 4096 or "\0" in filename:
            raise JobError("filename must be a file name for error messages", "filename")
        check_source(source, entry, filename)
        if key is not None:
            existing = self.records.by_key(key)
            if existing is not None:
                return {**self.get(existing["id"]), "existing": True}
        self.check_available(config.id)
        return self._store(
            config, source, entry, bytes(args_npz), arguments, checked, key, origin, filename
        )

    def _store(self, config, source, entry, args, arguments, options, key, origin, filename):
        from jetlag.runtime.jobs.states import new_job_id

        job_id = new_job_id()
        manifest = {
            "id": job_id,
            "machine": config.id,
            "backend": config.backend,
            "entry": entry,
            "filename": filename,
            "arguments": arguments,
            "options": options,
            "origin": origin,
            "idempotency_key": key,
            "created_at": now_iso(),
        }
        directory = write_package(self.root, manifest, source, args)
        try:
            row, inserted = self.records.insert(
                job_id=job_id,
                machine=config.id,
                entry=entry,
                label=options["label"],
                origin=origin,
                options=options,
                idempotency_key=key,
            )
        except BaseException:
            remove_package(directory)
            raise
        if not inserted:
            remove_package(directory)
            return {**self.get(row["id"]), "existing": True}
        self.watcher.hand_over(job_id, config.id)
        return {**self.get(job_id), "existing": False}

    # -- reading ----------------------------------------------------------------------------

    def _row(self, job_id: Any):
        if not is_job_id(job_id):
            raise JobError(
                f"{job_id!r} is not a job id; ids look like 'j' and 12 hex digits",
                "job_id",
                404,
            )
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        return row

    def list(
        self,
        *,
        state: str | None = None,
        machine: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        """Jobs, newest first, filtered by state and machine (JobError for bad filters)."""
        if state is not None and state not in STATES:
            raise JobError(f"state must be one of {', '.join(STATES)}, got {state!r}", "state")
        if machine is not None and not isinstance(machine, str):
            raise JobError("machine must be a machine's id", "machine")
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
            raise JobError(f"limit must be from 1 to {MAX_LIMIT}, got {limit!r}", "limit")
        if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
            raise JobError(f"offset must be a whole number >= 0, got {offset!r}", "offset")
        rows = self.records.select(state=state, machine=machine, limit=limit, offset=offset)
        return [row_json(row) for row in rows]

    def get(self, job_id: str) -> dict[str, Any]:
        """One job: its row, its whole history of states, and which outputs exist."""
        row = self._row(job_id)
        out = row_json(row)
        out["history"] = self.records.history(job_id)
        directory = job_dir(self.root, job_id)
        out["outputs"] = {
            "result": (directory / RESULT_FILE).is_file(),
            "stdout": (directory / STDOUT_FILE).is_file(),
            "stderr": (directory / STDERR_FILE).is_file(),
        }
        return out

    def directory(self, job_id: str) -> Path:
        """The job's folder (its manifest, source, arguments and outputs)."""
        self._row(job_id)
        return job_dir(self.root, job_id)

    def cancel(self, job_id: str) -> dict[str, Any]:
        """Cancel a job that has not ended; JobError 409 when it has."""
        row = self._row(job_id)
        self.backends[self._machine_of(row)].cancel(job_id)
        return self.get(job_id)

    def _machine_of(self, row) -> str:
        machine = row["machine"]
        if machine not in self.backends:
            raise JobError(
                f"job {row['id']} ran on machine {machine!r}, which is no longer configured",
                "machine",
                404,
            )
        return machine

    def result_path(self, job_id: str) -> Path:
        """The job's result.npz; JobError 409 unless the job COMPLETED."""
        row = self._row(job_id)
        if row["state"] != COMPLETED:
            raise JobError(
                f"job {job_id} is {row['state']}; a result exists only for COMPLETED jobs"
                + (f" ({row['reason']})" if row["reason"] else ""),
                "job_id",
                409,
            )
        path = job_dir(self.root, job_id) / RESULT_FILE
        if not path.is_file():
            self.backends[self._machine_of(row)].fetch(job_id)
        if not path.is_file():
            raise JobError(f"job {job_id} completed but its result file is missing", "job_id", 404)
        return path

    def result_preview(self, job_id: str) -> dict[str, Any]:
        """result.json: the result's exact type and a small JSON preview."""
        from jetlag.runtime.jobs.results import read_result_info

        path = self.result_path(job_id)
        return read_result_info(path.parent) if (path.parent / RESULT_JSON).is_file() else {}

    def result(self, job_id: str) -> Any:
        """The value the job returned, with its exact Python and NumPy types."""
        from jetlag.runtime.jobs.results import read_result

        return read_result(self.result_path(job_id).parent)

    def output(self, job_id: str, stream: str, *, max_bytes: int | None = None) -> str:
        """The job's stdout or stderr so far (its last `max_bytes` bytes when given)."""
        if stream not in STREAMS:
            raise JobError(f"stream must be stdout or stderr, got {stream!r}", "stream")
        self._row(job_id)
        path = job_dir(self.root, job_id) / STREAMS[stream]
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return ""
        if max_bytes is not None:
            data = data[-max_bytes:] if max_bytes > 0 else b""
        return data.decode("utf-8", "replace")

    # -- watching ---------------------------------------------------------------------------

    def reattach(self) -> None:
        """Settle what a crash left: partial and orphaned folders, jobs never handed to
        their backend, running jobs (adopted by pid and start time, or failed)."""
        self.watcher.reattach()

    def poll(self) -> None:
        """One round of watching every backend (what the monitor does twice a second)."""
        self.watcher.poll()
        self.notifier.poll()

    def start_monitor(self, interval_s: float = 0.5) -> None:
        """Watch running jobs in a background thread until `stop_monitor`."""
        self.watcher.start(interval_s)
        self.notifier.start(interval_s)

    def stop_monitor(self) -> None:
        """Stop the monitor thread (running jobs keep running)."""
        self.watcher.stop()
        self.notifier.stop()

    def close(self) -> None:
        """Stop watching and release the backends; jobs keep running."""
        self.stop_monitor()
        for backend in self.backends.values():
            backend.close()
        self.watcher.live.close()
        self.records.close()

    def __enter__(self) -> JobService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
