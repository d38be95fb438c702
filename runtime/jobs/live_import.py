"""The service's side of live task events: running jobs' chunks into the trace store.

Every few seconds (`interval_s`, at most one fetch per job per interval, none for jobs
that are not RUNNING) `LiveImports.poll` asks each running job's backend for the chunks
its runner wrote since the last look (`Backend.fetch_live`: the job folder itself for
local jobs and Slurm on this host, a fetch of the new chunk files only over SSH), reads
them (live.py) and, when there are new ones, stores the events so far as the job's
trace under `live_trace_id(job)` with `live: true` and the revision (the last chunk's
index). Each revision replaces the last one whole (replacing.py); the job's final trace
replaces the live one under the same id when it ends, and a live revision never undoes
it. Storing a revision takes time proportional to the events so far, so the next one
waits at least a few times as long (a long job's live view slows down, the job does
not). A job that ended without a final trace has its live trace marked ended.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends import Backend
from jetlag.runtime.jobs.live import BadChunk, LiveEvents, seconds_from_environment
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import RUNNING, TERMINAL

log = logging.getLogger(__name__)

#: Environment variable: seconds between two looks at one running job's new events.
FETCH_INTERVAL_ENV = "JETLAG_LIVE_FETCH_S"
DEFAULT_FETCH_S = 3.0
#: The next revision waits this many times as long as storing the last one took.
BACKOFF_FACTOR = 4.0


def fetch_interval_from_environment() -> float:
    """$JETLAG_LIVE_FETCH_S, default 3 s; 0 turns live imports off."""
    return seconds_from_environment(FETCH_INTERVAL_ENV, DEFAULT_FETCH_S)


@dataclass
class _JobLive:
    #: Whether its option trace is 'events' (only then does its runner write chunks).
    traced: bool
    events: LiveEvents = field(default_factory=LiveEvents)
    next_at: float = 0.0
    broken: bool = False
    #: (source, entry) for its traces, read from the job folder at its first revision.
    program: tuple[tuple[str, str] | None, str] | None = None


class LiveImports:
    """Imports the live events of running jobs (see the module docstring). One thread."""

    def __init__(
        self,
        root: Path,
        records: JobRecords,
        backends: Mapping[str, Backend],
        interval_s: float | None = None,
    ) -> None:
        self.root = Path(root)
        self.records = records
        self.backends = backends
        self.interval_s = fetch_interval_from_environment() if interval_s is None else interval_s
        self.jobs: dict[str, _JobLive] = {}
        #: How many fetches each job had (bounded polling: tests count them).
        self.fetches: dict[str, int] = {}
        self._store: Any = None

    def store(self) -> Any:
        """The trace store (opened on first use)."""
        if self._store is None:
            from jetlag.runtime.store.traces import TraceStore

            self._store = TraceStore(self.root)
        return self._store

    def poll(self) -> None:
        """One round: fetch and import new events of the running jobs that are due."""
        if self.interval_s <= 0:
            return
        now = time.monotonic()
        running = set()
        for row in self.records.active():
            if row["state"] != RUNNING or row["machine"] not in self.backends:
                continue
            running.add(row["id"])
            job = self.jobs.get(row["id"])
            if job is None:
                job = self.jobs[row["id"]] = _JobLive(traced=_events_traced(row))
            if not job.traced or job.broken or now < job.next_at:
                continue
            job.next_at = now + self.interval_s
            try:
                self._look(row, job)
            except BadChunk as error:
                job.broken = True  # the final trace will still come home
                log.warning("live events of job %s: %s", row["id"], error)
            except Exception:  # noqa: BLE001 - a live view must never stop the watching
                log.exception("live events of job %s could not be imported", row["id"])
        for job_id in set(self.jobs) - running:
            self._ended(job_id)

    def _look(self, row: Any, job: _JobLive) -> None:
        backend = self.backends[row["machine"]]
        self.fetches[row["id"]] = self.fetches.get(row["id"], 0) + 1
        folder = backend.fetch_live(row, job.events.index)
        if folder is None or not job.events.read_new(folder):
            return
        started = time.monotonic()
        self._save(row, backend, job)
        took = time.monotonic() - started
        job.next_at = max(job.next_at, started + BACKOFF_FACTOR * took)

    def _save(self, row: Any, backend: Backend, job: _JobLive) -> None:
        from jetlag.runtime.measure.trace import Trace
        from jetlag.runtime.store.replacing import live_trace_id

        events = job.events
        assert events.last is not None  # read_new returned chunks
        if job.program is None:
            job.program = _program(self.root, row)  # it does not change while the job runs
        source, function = job.program
        metadata: dict[str, Any] = {
            "job_id": row["id"],
            "machine": row["machine"],
            "trace_mode": "events",
            "live": True,
            "revision": events.index,
        }
        if row["host"]:
            metadata["host"] = row["host"]
        trace = Trace.from_events(
            events.table(),
            source=source,
            function=function,
            metadata=metadata,
            clock_offset_ns=events.last.clock_offset_ns,
        )
        self.store().save(
            trace,
            trace_id=live_trace_id(row["id"]),
            replace=True,
            origin="job",
            job_id=row["id"],
            label=row["label"],
            location_prefix=backend.trace_location_prefix(),
        )

    def _ended(self, job_id: str) -> None:
        """The job is no longer running: forget it; mark its live trace ended when no final
        trace replaced it (the job failed, was cancelled or timed out)."""
        job = self.jobs.pop(job_id, None)
        if job is None or not job.traced:
            return  # a job without task events has no live trace
        row = self.records.get(job_id)
        if row is None or row["state"] not in TERMINAL or row["trace_id"]:
            return
        from jetlag.runtime.store.replacing import end_live, live_trace_id

        try:
            end_live(
                self.store(),
                live_trace_id(job_id),
                f"job {job_id} ended {row['state']}: these are the events recorded until then",
            )
        except OSError as error:
            log.warning("the live trace of job %s could not be marked ended: %s", job_id, error)

    def close(self) -> None:
        """Close the store's index connection."""
        if self._store is not None:
            self._store.close()


def _events_traced(row: Any) -> bool:
    try:
        return json.loads(row["options"] or "{}").get("trace", "events") == "events"
    except ValueError:
        return False


def _program(root: Path, row: Any) -> tuple[tuple[str, str] | None, str]:
    """(source file name and text, entry) of a job's traces: the events' name$line$col
    tags are lines of its source."""
    from jetlag.runtime.jobs.package import MANIFEST, SOURCE_FILE, job_dir, read_json

    folder = job_dir(root, row["id"])
    manifest = read_json(folder / MANIFEST) or {}
    entry = manifest.get("entry") or row["entry"]
    try:
        text = (folder / SOURCE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None, entry
    return (str(manifest.get("filename") or SOURCE_FILE), text), entry
