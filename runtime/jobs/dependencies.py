"""Job dependencies (`options.after`): a job starts only when its parents completed.

`decide` looks at a job's parents and says what to do with it now: hand it to its
backend (every parent COMPLETED, or the backend itself can make it wait, as Slurm does
with `--dependency=afterok`), hold it (a parent still runs), or fail it, naming the parent
that FAILED, TIMEOUT or was CANCELLED. The watcher applies the verdict on every poll, so a
held job survives a server restart. This module reads rows; it changes nothing itself.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from jetlag.runtime.jobs.records import JobRecords
from jetlag.runtime.jobs.states import COMPLETED, TERMINAL

READY = "ready"
HOLD = "hold"
FAIL = "fail"


@dataclass(frozen=True)
class Verdict:
    """What to do with a job whose parents were looked at, and why."""

    action: str
    reason: str = ""


def parents_of(row: sqlite3.Row) -> list[str]:
    """The job ids a job's options name in `after` (empty when none)."""
    try:
        after = json.loads(row["options"]).get("after")
    except (TypeError, ValueError, AttributeError):
        return []
    return [job_id for job_id in after or () if isinstance(job_id, str)]


def _ended_badly(parent: sqlite3.Row) -> str:
    why = f" ({parent['reason']})" if parent["reason"] else ""
    return f"its parent job {parent['id']} ended {parent['state']}{why}; it was never run"


def decide(records: JobRecords, row: sqlite3.Row, backend: Any | None = None) -> Verdict:
    """The verdict for a job not yet ended (see the module docstring).

    `backend` is the job's backend: when it `chains_dependencies` and `can_chain` the
    unfinished parents, the job is READY although they still run.
    """
    waiting: list[sqlite3.Row] = []
    for parent_id in parents_of(row):
        parent = records.get(parent_id)
        if parent is None:
            return Verdict(FAIL, f"its parent job {parent_id} is not in the store (deleted?)")
        if parent["state"] == COMPLETED:
            continue
        if parent["state"] in TERMINAL:
            return Verdict(FAIL, _ended_badly(parent))
        waiting.append(parent)
    if not waiting:
        return Verdict(READY)
    if backend is not None and backend.chains_dependencies and backend.can_chain(waiting):
        return Verdict(READY, "the machine's scheduler waits for the parents")
    names = ", ".join(f"{p['id']} ({p['state']})" for p in waiting)
    return Verdict(HOLD, f"waiting for its parent jobs to complete: {names}")


def check_parents(records: JobRecords, job_ids: list[str]) -> None:
    """Refuse (JobError naming options.after[i]) parents that are not in the store."""
    from jetlag.runtime.jobs.errors import JobError

    for index, job_id in enumerate(job_ids):
        if records.get(job_id) is None:
            raise JobError(
                f"options.after[{index}] names job {job_id}, which is not in the store; "
                "list the jobs to see their ids",
                f"options.after[{index}]",
                404,
            )
