"""Errors of the job service: what a client sent wrong, and a job that did not complete.

`JobError` carries the HTTP status a server should answer with and the request field
that is wrong, so the REST handlers stay thin; its message says what to fix. This module
decides no policy and imports nothing heavy (the runner imports it on start).
"""

from __future__ import annotations

from jetlag.runtime.errors import JetLagError


class JobError(JetLagError, ValueError):
    """A request the job service refuses: `field` names what is wrong, `status` the HTTP code.

    Statuses: 400 bad value, 404 unknown machine or job, 409 the job is in the wrong state
    (cancel a finished job, the result of a running one), 413 too large.
    """

    def __init__(self, message: str, field: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.status = status

    def to_json(self) -> dict[str, str | None]:
        """The error as a REST answer's body: {"error": ..., "field": ...}."""
        return {"error": self.message, "field": self.field}


class JobNotFound(JobError):
    """No job with this id is in the store (404, field "job_id")."""

    def __init__(self, job_id: str) -> None:
        super().__init__(
            f"no job with id {job_id!r} in the store; list the jobs to see their ids",
            "job_id",
            404,
        )
        self.job_id = job_id


class JobFailed(JetLagError, RuntimeError):
    """A job ended without a result (FAILED, TIMEOUT or CANCELLED); `reason` says why."""

    def __init__(self, job_id: str, state: str, reason: str | None) -> None:
        self.job_id = job_id
        self.state = state
        self.reason = reason or ""
        text = f"job {job_id} ended {state}"
        super().__init__(f"{text}: {self.reason}" if self.reason else text)
