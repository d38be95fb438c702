"""Jobs from Python: `run(fn, *args, machine="local", **options)` returns a `Job`.

The function travels as source text (sources.bundle_function), its arguments as `.npz`
with their exact types (arguments.py); the job runs in its own process and outlives this
one. `Job.wait()` polls the store -- and, here, reaps the runners this process started and
starts queued jobs -- so no server is needed. Jobs submitted from Python, the kernel and
REST all land in the same store and the same `jobs()` list.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.errors import JobError, JobFailed
from jetlag.runtime.jobs.options import KNOWN
from jetlag.runtime.jobs.package import TRACE_DIR
from jetlag.runtime.jobs.service import JobService
from jetlag.runtime.jobs.sources import bundle_function
from jetlag.runtime.jobs.states import COMPLETED, TERMINAL
from jetlag.runtime.store.paths import store_root

_services: dict[Path, JobService] = {}
_services_lock = threading.Lock()


def service(root: str | Path | None = None) -> JobService:
    """This process's JobService for a store root ($JETLAG_STORE or the default)."""
    path = store_root(root).expanduser().resolve()
    with _services_lock:
        found = _services.get(path)
        if found is None:
            found = _services[path] = JobService(path)
        return found


class Job:
    """A submitted job: `status()`, `wait()`, `result()`, `trace()`, `cancel()`."""

    def __init__(self, job_id: str, jobs: JobService) -> None:
        self.id = job_id
        self._service = jobs

    def info(self) -> dict[str, Any]:
        """The job's row with its history of states (what REST returns for one job)."""
        return self._service.get(self.id)

    def status(self) -> str:
        """The job's state now: SUBMITTED, PENDING, RUNNING, COMPLETED, FAILED, ..."""
        self._service.poll()
        return self._service.get(self.id)["state"]

    def wait(self, timeout: float | None = None, poll_s: float = 0.1) -> str:
        """Wait until the job ends; returns its final state.

        Raises TimeoutError (naming the job) when `timeout` seconds pass first; the job
        keeps running.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            state = self.status()
            if state in TERMINAL:
                return state
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(
                    f"job {self.id} is still {state} after {timeout:g} s; wait longer, or "
                    "cancel it with job.cancel()"
                )
            time.sleep(poll_s)

    def result(self, timeout: float | None = None) -> Any:
        """The value the function returned, with its exact types (waits for the job).

        Raises JobFailed with the reason when the job FAILED, TIMEOUT or was CANCELLED.
        """
        state = self.wait(timeout)
        if state != COMPLETED:
            row = self._service.get(self.id)
            raise JobFailed(self.id, state, row["reason"])
        return self._service.result(self.id)

    def trace(self) -> Any:
        """The job's Trace from the store (or its folder), or None when it has none."""
        row = self._service.get(self.id)
        if row["trace_id"]:
            from jetlag.runtime.store.traces import TraceStore

            store = TraceStore(self._service.root)
            try:
                return store.load(row["trace_id"])
            finally:
                store.close()
        folder = self._service.directory(self.id) / TRACE_DIR
        if folder.is_dir():
            from jetlag.runtime.measure.trace import Trace

            return Trace.load(folder)
        return None

    def cancel(self) -> str:
        """Cancel the job if it has not ended (JobError 409 if it has); returns its state."""
        return self._service.cancel(self.id)["state"]

    @property
    def stdout(self) -> str:
        """What the job printed so far."""
        return self._service.output(self.id, "stdout")

    @property
    def stderr(self) -> str:
        """The job's standard error so far (errors, with file:line:col)."""
        return self._service.output(self.id, "stderr")

    def __repr__(self) -> str:
        return f"<Job {self.id} {self._service.get(self.id)['state']}>"


def run(
    fn: Callable[..., Any],
    *args: Any,
    machine: str = "local",
    kwargs: Mapping[str, Any] | None = None,
    idempotency_key: str | None = None,
    root: str | Path | None = None,
    **options: Any,
) -> Job:
    """Run `fn(*args, **kwargs)` as a job on `machine`; returns the Job at once.

    `fn` is a Python or `@physl` function; it is sent as source text and compiled on
    arrival. Options: threads, trace ("off", "profile", "events"), time_limit_s, label,
    optimize (a @physl function's own threads and optimize are the defaults). Keyword
    arguments of `fn` go in `kwargs`, since run's own keywords are options. `after=[job, ...]`
    (Jobs or ids) makes the job wait until those completed; it fails if one does not.
    On a Slurm machine, `nodes` and `dask_workers` start a Dask cluster in the job's
    allocation and run the function on it.
    """
    for name in options:
        if name not in KNOWN:
            raise JobError(
                f"unknown option {name!r} for jetlag.remote.run; the options are "
                f"{', '.join(KNOWN)} -- pass the function's keyword arguments as kwargs={{...}}",
                f"options.{name}",
            )
    if hasattr(fn, "__physl_python_function__"):
        if getattr(fn, "threads", None) is not None:
            options.setdefault("threads", fn.threads)
        if isinstance(getattr(fn, "optimize", None), bool):
            options.setdefault("optimize", fn.optimize)
    if "after" in options:  # parents may be given as Job objects or ids
        after = options["after"]
        after = after if isinstance(after, (list, tuple)) else [after]
        options["after"] = [getattr(parent, "id", parent) for parent in after]
    bundle = bundle_function(fn)
    jobs = service(root)
    row = jobs.submit(
        source=bundle.source,
        entry=bundle.entry,
        args_npz=encode_arguments(args, kwargs),
        machine=machine,
        options=options,
        idempotency_key=idempotency_key,
        origin="python",
        filename=bundle.filename,
    )
    return Job(row["id"], jobs)


def job(job_id: str, root: str | Path | None = None) -> Job:
    """The Job with this id (JobError 404 when the store does not know it)."""
    jobs = service(root)
    jobs.get(job_id)
    return Job(job_id, jobs)


def jobs(
    *,
    state: str | None = None,
    machine: str | None = None,
    limit: int = 100,
    root: str | Path | None = None,
) -> list[dict[str, Any]]:
    """The jobs in the store, newest first (from Python, the kernel and REST alike)."""
    return service(root).list(state=state, machine=machine, limit=limit)
