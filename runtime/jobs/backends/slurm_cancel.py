"""Stopping Slurm jobs: cancel on request, and release a job whose parent failed.

A mixin of the slurm backend (slurm.py; the ssh backend's too): CANCELLED is recorded
first (compare-and-set, so a job that just ended is not called cancelled), then the
Slurm job is scancel'ed through the backend's shell.
"""

from __future__ import annotations

import logging
from typing import Any

from jetlag.runtime.jobs.backends.shells import ShellError
from jetlag.runtime.jobs.backends.slurm_commands import backend_ref as _ref
from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.states import (
    CANCELLED,
    EXIT_CODES,
    PENDING,
    RUNNING,
    SUBMITTED,
)

log = logging.getLogger(__name__)


class SlurmCancelling:
    """cancel/release of SlurmBackend (needs its shell, scheduler, timeout and records)."""

    shell: Any
    scheduler: Any
    timeout: float
    records: Any

    def _scancel(self, slurm_ids: list[str]) -> str | None:
        try:
            result = self.shell.run(self.scheduler.cancel_command(slurm_ids), timeout=self.timeout)
        except ShellError as error:
            return str(error)
        return None if result.code == 0 else result.brief()

    def cancel(self, job_id: str) -> None:
        """Record CANCELLED, then scancel the Slurm job (409 when the job already ended)."""
        row = self.cancellable(job_id)
        slurm_id = _ref(row).get("slurm")
        if not self.records.transition(
            job_id,
            CANCELLED,
            sources=(SUBMITTED, PENDING, RUNNING),
            reason="cancelled on request"
            + (f" ({self.scheduler.label} {slurm_id} stopped)" if slurm_id else ""),
            exit_code=EXIT_CODES[CANCELLED],
        ):
            raise JobError(
                f"job {job_id} changed state while being cancelled; retry", "job_id", 409
            )
        if slurm_id:
            problem = self._scancel([slurm_id])
            if problem:
                log.warning("scancel %s for job %s failed: %s", slurm_id, job_id, problem)

    def release(self, job_id: str) -> None:
        """Take a job failed by the service (a parent failed) off Slurm's queue."""
        row = self.records.get(job_id)
        slurm_id = _ref(row).get("slurm") if row is not None else None
        if slurm_id:
            self._scancel([slurm_id])
