"""Watching jobs: settling what a crash left, and a thread that polls the backends.

`JobWatcher` hands SUBMITTED jobs to their backend (at once after a submission; after a
grace period when their submitter died in between), settles partial and orphaned job
folders, and lets every backend adopt or fail the jobs it runs. Its thread calls `poll`
about twice a second. A job with parents (`options.after`) is handed over only when
dependencies.py says so, and failed when a parent did not complete. Everything else about
single jobs the backends decide; running jobs' live task events are live_import.py's.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from jetlag.runtime.jobs.backends import Backend
from jetlag.runtime.jobs.dependencies import FAIL, HOLD, decide, parents_of
from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.live_import import LiveImports
from jetlag.runtime.jobs.package import (
    clean_partials,
    is_complete,
    job_dir,
    job_folders,
    remove_package,
)
from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import FAILED, PENDING, SUBMITTED, iso_age_s

log = logging.getLogger(__name__)

#: A SUBMITTED job this old was never handed to its backend (its submitter died).
SUBMIT_GRACE_S = 30.0
#: A job folder without a row this old is the leftover of a submitter that died between
#: renaming the folder and inserting the row (its retry made another job).
ORPHAN_AGE_S = 3600.0


def _age_s(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


class JobWatcher:
    """Hands jobs to backends and watches them (see the module docstring). Thread-safe."""

    def __init__(self, root: Path, records: JobRecords, backends: Mapping[str, Backend]) -> None:
        self.root = root
        self.records = records
        self.backends = backends
        self._monitor: threading.Thread | None = None
        self._stop = threading.Event()
        #: Running jobs' task events into the store as they come (live_import.py).
        self.live = LiveImports(root, records, backends)

    def hand_over(self, job_id: str, machine: str) -> None:
        """Give a SUBMITTED job to its backend; a backend's failure fails the job.

        A job whose parents have not completed stays SUBMITTED (its reason says which it
        waits for); one whose parent failed or was cancelled is failed with that reason.
        """
        row = self.records.get(job_id)
        if row is not None and parents_of(row):
            verdict = decide(self.records, row, self.backends[machine])
            if verdict.action == FAIL:
                self.records.transition(job_id, FAILED, sources=(SUBMITTED,), reason=verdict.reason)
                return
            if verdict.action == HOLD:
                if row["reason"] != verdict.reason:
                    self.records.transition(
                        job_id, SUBMITTED, sources=(SUBMITTED,), reason=verdict.reason
                    )
                return
        try:
            self.backends[machine].submit(job_id)
        except JobError:
            raise
        except Exception as error:  # noqa: BLE001 - the job must end, not stay SUBMITTED
            log.exception("job %s could not be handed to %s", job_id, machine)
            self.records.transition(
                job_id,
                FAILED,
                sources=(SUBMITTED,),
                reason=f"the {machine} backend refused the job: {error}",
            )

    def reattach(self) -> None:
        """Settle what a crash left: partial folders, jobs never handed over, running jobs."""
        clean_partials(self.root)
        for folder in job_folders(self.root):
            if self.records.get(folder.name) is None and _age_s(folder) > ORPHAN_AGE_S:
                remove_package(folder)
        self.hand_over_submitted(0.0)
        for backend in self.backends.values():
            backend.reattach()

    def hand_over_submitted(self, min_age_s: float) -> None:
        """Hand over SUBMITTED jobs at least `min_age_s` old (their submitter died)."""
        for row in self.records.select(state=SUBMITTED, limit=1_000_000, oldest_first=True):
            if row["machine"] not in self.backends:
                continue
            held = bool(parents_of(row))  # looked at every round: a parent may have ended
            if not held and iso_age_s(row["created_at"]) < min_age_s:
                continue
            if is_complete(job_dir(self.root, row["id"])):
                self.hand_over(row["id"], row["machine"])
            else:
                self.records.transition(
                    row["id"], FAILED, sources=(SUBMITTED,), reason="its job folder is missing"
                )

    def fail_orphaned_children(self) -> None:
        """Fail queued jobs a backend holds for parents that will never complete (Slurm's
        afterok children of a failed parent), and take them off the machine's queue."""
        for row in self.records.active():
            if row["state"] != PENDING or not parents_of(row):
                continue
            backend = self.backends.get(row["machine"])
            verdict = decide(self.records, row)
            if verdict.action == FAIL and self.records.transition(
                row["id"], FAILED, sources=(PENDING,), reason=verdict.reason
            ):
                try:
                    if backend is not None:
                        backend.release(row["id"])
                except Exception:  # noqa: BLE001 - the job is failed; its queue entry dies alone
                    log.exception("job %s could not be removed from %s", row["id"], row["machine"])

    def poll(self) -> None:
        """One round of watching every backend (what the monitor does twice a second)."""
        self.hand_over_submitted(SUBMIT_GRACE_S)
        self.fail_orphaned_children()
        for name, backend in self.backends.items():
            try:
                backend.poll()
            except Exception:  # noqa: BLE001 - one machine's trouble must not stop the others
                log.exception("watching the jobs of %s failed", name)
        try:
            self.live.poll()
        except Exception:  # noqa: BLE001 - a live view must not stop the watching
            log.exception("importing live task events failed")

    def start(self, interval_s: float = 0.5) -> None:
        """Watch running jobs in a background thread until `stop`."""
        if self._monitor is not None and self._monitor.is_alive():
            return
        self._stop.clear()

        def watch() -> None:
            while not self._stop.wait(interval_s):
                self.poll()

        self._monitor = threading.Thread(target=watch, name="jetlag-job-monitor", daemon=True)
        self._monitor.start()

    def stop(self) -> None:
        """Stop the monitor thread (running jobs keep running)."""
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout=10)
            self._monitor = None
