"""A machine that cannot take jobs: its configuration is wrong or its backend failed to start.

The service keeps such a machine in its list (with the reason, so the panel can show
it) and refuses submissions to it with 503; jobs it ran before keep their rows, and
re-attaching to them waits until the machine is configured again. It runs nothing.
"""

from __future__ import annotations

from pathlib import Path

from jetlag.runtime.jobs.backends import Backend, MachineConfig, get_backend
from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.records import JobRecords


class UnavailableBackend(Backend):
    """Stands in for a machine's backend that could not be made; says why everywhere."""

    name = "unavailable"

    def __init__(
        self, machine: MachineConfig, root: Path, records: JobRecords, reason: str
    ) -> None:
        super().__init__(machine, root, records)
        self.reason = reason

    def available(self) -> tuple[bool, str | None]:
        """Never: the reason names the configuration's place and the fix."""
        return False, self.reason

    def _refuse(self, job_id: str | None = None) -> JobError:
        about = f"job {job_id} is on" if job_id else "submitting to"
        return JobError(
            f"{about} machine {self.machine.id}, which is unavailable: {self.reason}",
            "machine",
            503,
        )

    def submit(self, job_id: str) -> None:
        """Refuse (503)."""
        raise self._refuse()

    def status(self, job_id: str) -> str:
        """The recorded state (the machine cannot be asked)."""
        row = self.records.get(job_id)
        return row["state"] if row is not None else "UNKNOWN"

    def cancel(self, job_id: str) -> None:
        """Refuse (503): the machine cannot be reached to stop the job."""
        raise self._refuse(job_id)

    def fetch(self, job_id: str) -> None:
        """Nothing can be fetched."""

    def reattach(self) -> None:
        """Nothing: its jobs keep their state until the machine is configured again."""

    def poll(self) -> None:
        """Nothing to watch."""


def make_backend(machine: MachineConfig, root: Path, records: JobRecords) -> Backend:
    """The machine's backend, or an UnavailableBackend saying why it could not be made."""
    if machine.problem:
        return UnavailableBackend(machine, root, records, machine.problem)
    try:
        return get_backend(machine.backend)(machine, root, records)
    except Exception as error:  # noqa: BLE001 - one bad machine must not stop the server
        where = f" ({machine.source})" if machine.source else ""
        reason = f"its {machine.backend} backend could not start{where}: {error}"
        return UnavailableBackend(machine, root, records, reason)
