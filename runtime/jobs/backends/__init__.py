"""Where jobs run: one registry of backends, each behind one small interface.

A machine's configuration (`MachineConfig`) names its backend; the job service makes one
backend object per machine. Every backend runs the same job folder with the same runner
(`python -m jetlag.runtime.jobs.runner JOBDIR`); it only differs in how the folder gets
there, how the runner is started and watched, and how the results come back. "local" is
built in; Slurm, SSH and Tapis backends plug in with `register_backend`.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from jetlag.runtime.jobs.options import DEFAULT_TIME_LIMIT_S, MAX_TIME_LIMIT_S
from jetlag.runtime.jobs.records import JobRecords


@dataclass(frozen=True)
class MachineConfig:
    """One machine jobs can run on. No secrets here: credentials stay with the backend.

    `max_concurrent` limits the jobs running at once (local: default the cores);
    `settings` holds backend-specific, non-secret values (partition names, base URLs).
    """

    id: str
    backend: str = "local"
    host: str | None = None
    user: str | None = None
    queue: str | None = None
    max_nodes: int = 1
    cores_per_node: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_concurrent: int | None = None
    default_time_limit_s: int = DEFAULT_TIME_LIMIT_S
    max_time_limit_s: int = MAX_TIME_LIMIT_S
    workdir: str | None = None
    python: str | None = None
    description: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The configuration as JSON (what `machines()` lists)."""
        out = asdict(self)
        out["settings"] = dict(self.settings)
        return out


class Backend:
    """The interface every backend implements; the service calls nothing else.

    A backend reads and writes job state only through `records` (compare-and-set
    transitions), so several processes may watch the same jobs.
    """

    name: ClassVar[str] = ""

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


_REGISTRY: dict[str, type[Backend] | str] = {
    "local": "jetlag.runtime.jobs.backends.local:LocalBackend",
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
