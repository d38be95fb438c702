"""A job's own Dask cluster, started inside its Slurm allocation (options nodes, dask_workers).

The batch script (slurm_commands.batch_script) starts a Dask scheduler on the batch
host, writing its address to the job folder's `dask-scheduler.json`, and one Dask worker
per task of the allocation with `srun` (each with the job's threads); then it runs
JetLag's runner with `$JETLAG_DASK_SCHEDULER_FILE` and `$JETLAG_DASK_WORKERS` set, and
stops the workers and the scheduler when the runner ends, whatever its outcome. The
runner (`job_cluster`) connects to that scheduler, waits until every worker joined --
bounded, so a worker that never starts fails the job with the log to read, never a
hang -- and runs the function on the cluster with the Dask executor: the trace holds
every worker's tasks, merged by the client. Nothing here is pickled by JetLag: Dask
moves the blocks between its own processes.
"""

from __future__ import annotations

import json
import os
import shlex
import time
from pathlib import Path
from typing import Any

#: The job folder's file holding the scheduler's address (written by `dask scheduler`).
SCHEDULER_FILE = "dask-scheduler.json"
#: Logs of the scheduler and of the workers, in the job folder (fetched with the outputs).
SCHEDULER_LOG = "dask-scheduler.log"
WORKERS_LOG = "dask-workers.log"
#: Environment variables the batch script sets for the runner.
SCHEDULER_FILE_ENV = "JETLAG_DASK_SCHEDULER_FILE"
WORKERS_ENV = "JETLAG_DASK_WORKERS"
#: Seconds the runner waits for the scheduler and every worker (at most the time limit).
START_TIMEOUT_S = 120.0


def dask_script_lines(python: str, runner_module: str, workers: int, threads: int) -> list[str]:
    """The batch script's lines after `cd` into the job folder: start the cluster, run
    the runner on it, stop the cluster, exit with the runner's status."""
    py = shlex.quote(python)
    address = f'"$PWD/{SCHEDULER_FILE}"'
    return [
        "# The job's own Dask cluster: a scheduler here, one worker per task (srun).",
        f"rm -f {SCHEDULER_FILE}; mkdir -p dask-workers",
        f"{py} -m distributed.cli.dask_scheduler --scheduler-file {address} "
        f"--port 0 --no-dashboard >{SCHEDULER_LOG} 2>&1 &",
        "scheduler=$!",
        f"srun --ntasks={workers} --cpus-per-task={threads} --kill-on-bad-exit=0 "
        f"{py} -m distributed.cli.dask_worker --scheduler-file {address} "
        f"--nthreads {threads} --no-dashboard --death-timeout 60 "
        f'--local-directory "$PWD/dask-workers" >{WORKERS_LOG} 2>&1 &',
        "workers=$!",
        f'{SCHEDULER_FILE_ENV}={address} {WORKERS_ENV}={workers} {py} -m {runner_module} "$PWD"',
        "code=$?",
        'kill "$workers" "$scheduler" 2>/dev/null',
        "wait",
        'exit "$code"',
    ]


class ClusterDidNotStart(RuntimeError):
    """The job's Dask cluster was not complete in time (the message says what to read)."""


def job_cluster(deadline_s: float) -> tuple[Any, Any] | None:
    """(Client, DaskExecutor) for the cluster the batch script started, once every worker
    joined; None for a job without one. Waits until `deadline_s` (time.monotonic) or
    START_TIMEOUT_S, whichever comes first; ClusterDidNotStart otherwise."""
    path = os.environ.get(SCHEDULER_FILE_ENV)
    if not path:
        return None
    wanted = int(os.environ.get(WORKERS_ENV) or 1)
    until = min(deadline_s, time.monotonic() + START_TIMEOUT_S)
    while not _address(Path(path)):
        if time.monotonic() > until:
            raise ClusterDidNotStart(
                f"the job's Dask scheduler did not start within {START_TIMEOUT_S:.0f} s "
                f"(see {SCHEDULER_LOG} in the job folder)"
            )
        time.sleep(0.2)
    from distributed import Client

    from jetlag.runtime.scheduler.dask_executor import DaskExecutor

    client = Client(scheduler_file=path, timeout=max(1.0, until - time.monotonic()))
    try:
        client.wait_for_workers(wanted, timeout=max(1.0, until - time.monotonic()))
    except TimeoutError:
        joined = len(client.scheduler_info().get("workers", {}))
        client.close()
        raise ClusterDidNotStart(
            f"{joined} of the job's {wanted} Dask workers joined within "
            f"{START_TIMEOUT_S:.0f} s (see {WORKERS_LOG} in the job folder)"
        ) from None
    return client, DaskExecutor(client)


def _address(path: Path) -> str | None:
    try:
        return json.loads(path.read_text()).get("address")
    except (OSError, ValueError):
        return None  # not written yet, or half written
