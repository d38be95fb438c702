"""Where jobs run: one registry of backends, each behind one small interface.

A machine's configuration (`MachineConfig`) names its backend; the job service makes one
backend object per machine. Every backend runs the same job folder with the same runner
(`python -m jetlag.runtime.jobs.runner JOBDIR`); it only differs in how the folder gets
there, how the runner is started and watched, and how the results come back. "local" is
built in, "slurm" and "ssh" are registered here by name (imported on first use), Tapis
plugs in with `register_backend`. A backend declares the settings it reads from its
machine's table (`settings_spec`, see settings.py); secret ones never leave the server.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from jetlag.runtime.jobs.backends.settings import (
    Setting,
    SettingError,
    check_settings,
    public_settings,
)
from jetlag.runtime.jobs.errors import JobError, JobNotFound
from jetlag.runtime.jobs.options import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import TERMINAL

__all__ = [
    "Backend",
    "MachineConfig",
    "Setting",
    "SettingError",
    "backend_names",
    "get_backend",
    "register_backend",
]

#: Seconds between two looks at a remote machine's queue (one squeue per machine each).
DEFAULT_POLL_INTERVAL_S = 5.0


@dataclass(frozen=True)
class MachineConfig:
    """One machine jobs can run on.

    `partition` is the batch queue (Slurm partition); `max_concurrent` limits the jobs
    running at once (local: default the cores); `workdir` is where job folders go on the
    machine; `python` and `setup` (shell lines run before the runner: module loads, a
    venv's activate, exports) make the remote JetLag environment; `poll_interval_s` is how
    often the machine's queue is looked at. `settings` holds the backend's own settings
    (see `Backend.settings_spec`), secret ones included: `to_json` and `repr` leave those
    out. `problem` says why the machine's configuration is unusable (it is then listed,
    unavailable, and refuses jobs); `source` is where it was configured (file:line).
    """

    id: str
    backend: str = "local"
    host: str | None = None
    user: str | None = None
    partition: str | None = None
    max_nodes: int = 1
    cores_per_node: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_concurrent: int | None = None
    default_time_limit_s: int = DEFAULT_TIME_LIMIT_S
    max_time_limit_s: int = MAX_TIME_LIMIT_S
    workdir: str | None = None
    python: str | None = None
    setup: tuple[str, ...] = ()
    poll_interval_s: float = DEFAULT_POLL_INTERVAL_S
    description: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict, repr=False)
    problem: str | None = None
    source: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON (what `machines()` lists): no secret settings."""
        out = asdict(self)
        out["setup"] = list(self.setup)
        try:
            declared = get_backend(self.backend).settings_spec
        except ValueError:
            declared = ()
        out["settings"] = public_settings(declared, self.settings)
        return out


class Backend:
    """The interface every backend implements; the service calls nothing else.

    A backend reads and writes job state only through `records` (compare-and-set
    transitions), so several processes may watch the same jobs.
    """

    name: ClassVar[str] = ""
    #: The settings this backend reads from its machine's table (settings.py).
    settings_spec: ClassVar[tuple[Setting, ...]] = ()
    #: Whether the backend itself makes a job wait for its parents (Slurm's afterok), so
    #: the service may hand it over while they still run (when `can_chain` says so).
    chains_dependencies: ClassVar[bool] = False

    @classmethod
    def check_settings(cls, values: Mapping[str, Any]) -> dict[str, Any]:
        """The machine's backend settings checked, defaults filled in (SettingError).

        Backends with settings that depend on each other override this and call super().
        """
        return check_settings(cls.settings_spec, values, cls.name or "this")

    #: Whether a job may start Dask workers in its allocation (options nodes, dask_workers).
    runs_dask_jobs = False

    def __init__(self, machine: MachineConfig, root: Path, records: JobRecords) -> None:
        self.machine = machine
        self.root = Path(root)
        self.records = records

    def available(self) -> tuple[bool, str | None]:
        """Whether jobs can be submitted now, and why not."""
        return True, None

    def submit(self, job_id: str) -> None:
        """Take a SUBMITTED job whose folder is complete: queue it, start it when possible."""
        raise NotImplementedError

    def status(self, job_id: str) -> str:
        """Look at the job on the machine, record what changed, return its state."""
        raise NotImplementedError

    def cancel(self, job_id: str) -> None:
        """Stop a job that has not ended (the service refuses the others)."""
        raise NotImplementedError

    def fetch(self, job_id: str) -> None:
        """Bring the job's outputs (result, stdout, stderr, trace) into its local folder."""
        raise NotImplementedError

    def reattach(self) -> None:
        """At service start: adopt the jobs that still run, settle the ones that vanished."""
        raise NotImplementedError

    def poll(self) -> None:
        """One round of watching (the monitor calls it about twice a second)."""
        raise NotImplementedError

    def close(self) -> None:
        """Release what the backend holds (connections); running jobs keep running."""

    def cancellable(self, job_id: str) -> Any:
        """The job's row, when it can still be cancelled (404 unknown, 409 already ended)."""
        row = self.records.get(job_id)
        if row is None:
            raise JobNotFound(job_id)
        if row["state"] in TERMINAL:
            raise JobError(
                f"job {job_id} already {row['state']}; only SUBMITTED, PENDING or RUNNING jobs "
                "can be cancelled",
                "job_id",
                409,
            )
        return row

    def can_chain(self, parents: list[Any]) -> bool:
        """Whether this backend can make a job wait for these unfinished parent rows."""
        return False

    def release(self, job_id: str) -> None:
        """Drop a job the service has failed before it ran (a parent failed): remove it from
        the machine's queue. The job's row is already terminal."""

    def fetch_live(self, row: Any, after: int) -> Path | None:
        """Make the live event chunks (live.py) of a RUNNING job after chunk `after` readable
        here; returns the folder holding them (None: none to read). One call per job per
        live interval at most. Default: the job's own folder, where a local runner writes."""
        from jetlag.runtime.jobs.live import LIVE_DIR
        from jetlag.runtime.jobs.package import job_dir

        return job_dir(self.root, row["id"]) / LIVE_DIR

    def trace_location_prefix(self) -> str | None:
        """The prefix of a job trace's locations ("machine/thread"; None: threads only).

        A remote job's trace is stored with the machine's id, like its final trace."""
        return None


_REGISTRY: dict[str, type[Backend] | str] = {
    "local": "jetlag.runtime.jobs.backends.local:LocalBackend",
    "slurm": "jetlag.runtime.jobs.backends.slurm:SlurmBackend",
    "ssh": "jetlag.runtime.jobs.backends.ssh:SshBackend",
    "tapis": "jetlag.runtime.jobs.backends.tapis:TapisBackend",
}


def register_backend(name: str, backend: type[Backend] | str) -> None:
    """Make `backend` (a class, or "module:Class" imported on first use) available as `name`."""
    _REGISTRY[name] = backend


def backend_names() -> list[str]:
    """The names machines may use as their `backend`."""
    return sorted(_REGISTRY)


def get_backend(name: str) -> type[Backend]:
    """The backend class registered as `name` (ValueError naming the known ones)."""
    found = _REGISTRY.get(name)
    if found is None:
        raise ValueError(
            f"unknown job backend {name!r}; the backends are {', '.join(backend_names())}"
        )
    if isinstance(found, str):
        module, _, attribute = found.partition(":")
        found = _REGISTRY[name] = getattr(importlib.import_module(module), attribute)
    return found
