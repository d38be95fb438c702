"""Slurm's side of a job: the batch script, the command lines, and what squeue answers mean.

The batch script runs the same job runner as every backend (`python -m
jetlag.runtime.jobs.runner <folder>`) in the job's folder on the machine, with the time
limit (`--time`, a minute more than the runner's own watchdog so the runner reports the
TIMEOUT itself), the cores (`--cpus-per-task`), the partition and the parents
(`--dependency=afterok:...`). `parse_queue` reads the one squeue call per poll;
`SLURM_STATES` maps every Slurm job state onto the job service's states; `SLURM_SETTINGS`
are the slurm backend's own settings. Pure functions: nothing here runs a command.
"""

from __future__ import annotations

import json
import math
import shlex
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends.settings import Setting
from jetlag.runtime.jobs.dask_allocation import dask_script_lines
from jetlag.runtime.jobs.options import dask_workers
from jetlag.runtime.jobs.states import CANCELLED, COMPLETED, FAILED, PENDING, RUNNING, TIMEOUT

RUNNER_MODULE = "jetlag.runtime.jobs.runner"
BATCH_SCRIPT = "job.sh"
#: squeue's output: id, state, name, reason, nodes -- "|" cannot occur in any of them.
QUEUE_FORMAT = "%i|%T|%j|%r|%N"
#: squeue for every job of this user, finished ones included (they stay for MinJobAge).
QUEUE_COMMAND = f"squeue --noheader --me --states=all --format={shlex.quote(QUEUE_FORMAT)}"

#: Slurm state -> (the job service's state, what it means). Active states map to
#: PENDING or RUNNING; the others end the job (the runner's exit.json may say more).
SLURM_STATES: dict[str, tuple[str, str]] = {
    "PENDING": (PENDING, "waiting in the queue"),
    "CONFIGURING": (PENDING, "its nodes are being prepared"),
    "REQUEUED": (PENDING, "requeued"),
    "REQUEUE_HOLD": (PENDING, "requeued and held"),
    "REQUEUE_FED": (PENDING, "requeued by the federation"),
    "RESV_DEL_HOLD": (PENDING, "held: its reservation was deleted"),
    "RUNNING": (RUNNING, "running"),
    "COMPLETING": (RUNNING, "finishing (its processes are ending)"),
    "SUSPENDED": (RUNNING, "suspended by the scheduler"),
    "STOPPED": (RUNNING, "stopped by a signal"),
    "SIGNALING": (RUNNING, "being signalled"),
    "STAGE_OUT": (RUNNING, "staging out its files"),
    "RESIZING": (RUNNING, "changing size"),
    "COMPLETED": (COMPLETED, "the batch script exited 0"),
    "FAILED": (FAILED, "the batch script exited with a non-zero code"),
    "TIMEOUT": (TIMEOUT, "Slurm stopped it at its time limit"),
    "CANCELLED": (CANCELLED, "cancelled in Slurm (scancel, or a parent job failed)"),
    "NODE_FAIL": (FAILED, "its node failed"),
    "OUT_OF_MEMORY": (FAILED, "it ran out of memory"),
    "BOOT_FAIL": (FAILED, "its node failed to boot"),
    "DEADLINE": (TIMEOUT, "it reached its deadline"),
    "PREEMPTED": (FAILED, "it was preempted"),
    "REVOKED": (CANCELLED, "revoked by the federation"),
    "SPECIAL_EXIT": (FAILED, "held after a special exit"),
}


def _conf_exists(path: str) -> str | None:
    if Path(path).expanduser().is_file():
        return None
    return f"{path} does not exist here; give the path of the cluster's slurm.conf"


SLURM_SETTINGS = (
    Setting(
        "slurm_conf",
        str,
        help="SLURM_CONF for the Slurm commands (a cluster's slurm.conf)",
        check=_conf_exists,
    ),
    Setting("sbatch_options", list, help="more #SBATCH lines, e.g. ['--account=abc', '--qos=x']"),
    Setting("command_timeout_s", float, 60.0, help="seconds a Slurm command may take"),
)


@dataclass(frozen=True)
class QueueEntry:
    """One line of squeue: a Slurm job's id, state, name, pending reason and nodes."""

    slurm_id: str
    state: str
    name: str
    reason: str
    nodes: str

    @property
    def mapped(self) -> tuple[str, str]:
        """(job service state, meaning) of this Slurm state; unknown states stay PENDING."""
        base = self.state.split()[0].rstrip("+")
        return SLURM_STATES.get(base, (PENDING, f"in the Slurm state {self.state}"))


@dataclass
class Queue:
    """squeue's answer, by Slurm job id and by job name."""

    by_id: dict[str, QueueEntry]
    by_name: dict[str, QueueEntry]


def job_name(job_id: str) -> str:
    """The Slurm job name of a JetLag job (how a job is found again after a crash)."""
    return f"jetlag-{job_id}"


def parse_queue(text: str) -> Queue:
    """squeue's lines (QUEUE_FORMAT) as a Queue; unreadable lines are skipped.

    When a name occurs twice (a job resubmitted), the entry with the highest id wins.
    """
    by_id: dict[str, QueueEntry] = {}
    by_name: dict[str, QueueEntry] = {}
    for line in text.splitlines():
        parts = line.strip().split("|")
        if len(parts) != 5 or not parts[0]:
            continue
        entry = QueueEntry(*parts)
        by_id[entry.slurm_id] = entry
        old = by_name.get(entry.name)
        if old is None or _id_key(entry.slurm_id) > _id_key(old.slurm_id):
            by_name[entry.name] = entry
    return Queue(by_id, by_name)


def _id_key(slurm_id: str) -> tuple[int, str]:
    head = slurm_id.split("_")[0]
    return (int(head) if head.isdigit() else -1, slurm_id)


def parse_sbatch(text: str) -> str | None:
    """The job id `sbatch --parsable` printed ("123" or "123;cluster"), or None."""
    first = text.strip().splitlines()[-1] if text.strip() else ""
    slurm_id = first.split(";")[0].strip()
    return slurm_id if slurm_id.isdigit() else None


def slurm_time(seconds: int) -> str:
    """A --time value: whole minutes, at least one, as D-HH:MM:00."""
    minutes = max(1, math.ceil(seconds / 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return f"{days}-{hours:02d}:{minutes:02d}:00"


def batch_script(
    job_id: str,
    options: dict[str, Any],
    *,
    python: str,
    cores: int,
    partition: str | None = None,
    after: Iterable[str] = (),
    extra: Iterable[str] = (),
    setup: Iterable[str] = (),
) -> str:
    """The sbatch script of a job (run from its folder on the machine, see the docstring)."""
    threads = int(options.get("threads") or cores)
    workers = dask_workers(options)
    lines = [
        "#!/bin/sh",
        f"#SBATCH --job-name={job_name(job_id)}",
        "#SBATCH --output=stdout.txt",
        "#SBATCH --error=stderr.txt",
        f"#SBATCH --time={slurm_time(int(options['time_limit_s']) + 60)}",
        f"#SBATCH --nodes={int(options.get('nodes') or 1)}",
        f"#SBATCH --ntasks={max(1, workers)}",
        f"#SBATCH --cpus-per-task={threads}",
    ]
    if partition:
        lines.append(f"#SBATCH --partition={partition}")
    parents = [slurm_id for slurm_id in after if slurm_id]
    if parents:
        lines.append(f"#SBATCH --dependency=afterok:{':'.join(parents)}")
        lines.append("#SBATCH --kill-on-invalid-dep=yes")
    lines += [f"#SBATCH {option}" for option in extra]
    lines += [
        "# Written by JetLag: runs the job folder this script is in with JetLag's runner.",
        "unset JETLAG_STORE JETLAG_LOCAL_SLOTS",
        *setup,
        'cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")}" || exit 2',
    ]
    if workers:
        lines += dask_script_lines(python, RUNNER_MODULE, workers, threads)
    else:
        lines.append(f'exec {shlex.quote(python)} -m {RUNNER_MODULE} "$PWD"')
    return "\n".join(lines) + "\n"


def submit_command(directory: str) -> str:
    """sbatch in the job's folder (so the script's relative paths are the folder's)."""
    return f"cd {shlex.quote(directory)} && sbatch --parsable {BATCH_SCRIPT}"


def cancel_command(slurm_ids: Iterable[str]) -> str:
    """scancel of these Slurm jobs."""
    return "scancel " + " ".join(shlex.quote(i) for i in slurm_ids)


def show_command(slurm_id: str) -> str:
    """scontrol's one-line view of one Slurm job (for a job squeue no longer lists)."""
    return f"scontrol --oneliner show job {shlex.quote(slurm_id)}"


def parse_show(text: str) -> dict[str, str]:
    """scontrol --oneliner's KEY=VALUE pairs (JobState, Reason, ExitCode, ...)."""
    out = {}
    for item in text.split():
        key, sep, value = item.partition("=")
        if sep:
            out[key] = value
    return out


class SlurmScheduler:
    """The Slurm commands as the backend uses them (plain_processes.py has the other kind)."""

    label = "Slurm job"
    #: Said of a job just handed to the scheduler.
    queued = " (Slurm PENDING)"
    #: Slurm itself makes a job wait for its parents (afterok).
    chains = True
    #: A job's allocation can run tasks (srun): its Dask workers.
    runs_tasks = True

    def script(self, job_id: str, options: dict[str, Any], **settings: Any) -> str:
        """The batch script (see `batch_script`)."""
        return batch_script(job_id, options, **settings)

    def submit_command(self, directory: str) -> str:
        """sbatch in the job's folder."""
        return submit_command(directory)

    def parse_submit(self, text: str) -> str | None:
        """The Slurm job id sbatch printed."""
        return parse_sbatch(text)

    def queue_command(self) -> str:
        """One squeue for every job of this user."""
        return QUEUE_COMMAND

    def parse_queue(self, text: str) -> Queue:
        """squeue's answer."""
        return parse_queue(text)

    def show_command(self, slurm_id: str) -> str | None:
        """scontrol for a job squeue no longer lists."""
        return show_command(slurm_id)

    def cancel_command(self, slurm_ids: Iterable[str]) -> str:
        """scancel."""
        return cancel_command(slurm_ids)


def backend_ref(row: Any) -> dict[str, str]:
    """A Slurm job's `backend_ref` ({"slurm": id, "dir": folder}); {} when unset or bad."""
    try:
        value = json.loads(row["backend_ref"] or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
