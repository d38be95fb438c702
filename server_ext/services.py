"""What the REST handlers call: the trace store, the job service and the trace queries.

`Services` is the manager of the dask-labextension pattern: the handlers stay thin (parse,
call, write JSON) and everything they call lives here, usable without HTTP. It also owns
the thread pool that keeps blocking work (imports, queries on big traces, zip export,
job submission checks) off the server's event loop, and a small LRU of `TraceQueries`,
one per trace id, so derived indices are built once per trace and reused.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.jobs.service import JobService
    from jetlag.runtime.store.traces import TraceStore
    from jetlag.server_ext.queries import TraceQueries


class Services:
    """The store, the job service, a cache of trace queries and a worker pool."""

    def __init__(
        self,
        store: TraceStore,
        jobs: JobService,
        *,
        cache_size: int = 8,
        workers: int = 4,
    ) -> None:
        self.store = store
        self.jobs = jobs
        self.cache_size = max(1, int(cache_size))
        self.executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="jetlag-api")
        self._queries: OrderedDict[str, tuple[TraceQueries, Any]] = OrderedDict()
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        root: str | Path | None = None,
        *,
        cache_size: int = 8,
        workers: int = 4,
        start: bool = True,
        machines: dict[str, Any] | None = None,
        machines_file: str | Path | None = None,
        notifications: dict[str, Any] | None = None,
    ) -> Services:
        """Open the store at `root` ($JETLAG_STORE / the Jupyter data dir when None).

        With `start`, the job service re-attaches to the jobs a previous server left
        running (or marks vanished ones failed) and starts watching them. The machines come
        from `machines_file` ($JETLAG_MACHINES / the Jupyter config dir's) and `machines`
        (the server's setting); a file that cannot be read is logged and listed as an error.
        """
        from jetlag.runtime.jobs.service import JobService
        from jetlag.runtime.store.traces import TraceStore

        store = TraceStore(root)
        from jetlag.runtime.jobs.machines_config import load_machines

        found = load_machines(machines_file, machines)
        for error in found.errors:
            logging.getLogger(__name__).error("JetLag machines: %s", error)
        for config in found.configs.values():
            if config.problem:
                logging.getLogger(__name__).error(
                    "JetLag machine %s: %s", config.id, config.problem
                )
        # Job notifications' SMTP and retry settings (notify_settings.py); else $JETLAG_SMTP_*.
        from jetlag.runtime.jobs.notify_settings import NotifySettings

        notify = NotifySettings.from_mapping(notifications) if notifications else None
        jobs = JobService(
            store.root, machines=found.configs, machine_errors=found.errors, notify=notify
        )
        services = cls(store, jobs, cache_size=cache_size, workers=workers)
        if start:
            jobs.reattach()
            jobs.start_monitor()
        return services

    def queries(self, trace_id: str) -> TraceQueries:
        """The (cached) `TraceQueries` of trace `trace_id`; TraceNotFound when unknown.

        Blocking (maps the columns, may build derived indices): call it off the event loop.
        """
        # The store's columns are cached too and change only when the trace was replaced
        # (a running job's live trace grows): then the queries are built again.
        columns = self.store.columns(trace_id)
        with self._lock:
            cached = self._queries.get(trace_id)
            if cached is not None and cached[1] is columns:
                self._queries.move_to_end(trace_id)
                return cached[0]
        from jetlag.server_ext.queries import TraceQueries

        # Built outside the lock so one big trace does not hold up queries on others;
        # two threads building the same one at once is harmless (the second wins).
        queries = TraceQueries(columns, self.store.directory(trace_id))
        with self._lock:
            self._queries[trace_id] = (queries, columns)
            self._queries.move_to_end(trace_id)
            while len(self._queries) > self.cache_size:
                self._queries.popitem(last=False)
        return queries

    def prepare_later(self, trace_id: str) -> None:
        """Build a new trace's query indices on the worker pool, so that the first Gantt
        view of a big import does not wait for them (a failure only costs that wait)."""

        def prepare() -> None:
            try:
                self.queries(trace_id).prepare()
            except Exception:  # deleted meanwhile, disk full: the first query builds or says
                logging.getLogger(__name__).debug("preparing %s failed", trace_id, exc_info=True)

        self.executor.submit(prepare)

    def forget(self, trace_id: str) -> None:
        """Drop the cached queries of a trace (after it was deleted)."""
        with self._lock:
            self._queries.pop(trace_id, None)

    def delete_trace(self, trace_id: str) -> None:
        """Delete a trace from the store and from the query cache."""
        self.forget(trace_id)
        self.store.delete(trace_id)
        self.forget(trace_id)

    def submit_job(self, arguments: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Submit a job from the REST API: (the job, whether its idempotency key named an
        existing job -- then nothing new was submitted)."""
        job = self.jobs.submit(origin="rest", **arguments)
        return job, bool(job.pop("existing"))

    def trace_of_job(self, job_id: str) -> dict[str, Any]:
        """`{"job_id", "trace_id"}` of a job whose trace is in the store (JobError if none)."""
        job = self.jobs.get(job_id)
        trace_id = job.get("trace_id")
        if not trace_id:
            # A running job's live trace (runtime/jobs/live_import.py) is listed by job id.
            live = self.store.list(job_id=job_id, limit=1)
            trace_id = live[0]["id"] if live else None
        if not trace_id:
            from jetlag.runtime.jobs.errors import JobError

            raise JobError(
                f"job {job_id} has no trace in the store yet (state {job.get('state')}); "
                "its trace is stored when it ends (unless its option trace is 'off'), and "
                "while it runs with trace 'events' after its first seconds",
                "job_id",
                404,
            )
        return {"job_id": job_id, "trace_id": trace_id}

    def close(self) -> None:
        """Server shutdown: stop watching jobs (they keep running) and the worker pool,
        finish background trace writes, close the index."""
        try:
            self.jobs.close()
        finally:
            self.executor.shutdown(wait=False, cancel_futures=True)
            self.store.flush(timeout=5)
            self.store.close()
