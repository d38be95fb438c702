"""The remote job's trace comes home: from its fetched folder into the local trace store.

A runner without a store (every remote backend) writes its trace into the job folder's
`trace/`; once the backend has fetched the folder back, `import_trace` loads it and saves
it in the store with the machine's id as location prefix ("cluster/worker-0"), linked to
the job, so it opens in the panel like a local cell's trace. It replaces the job's live
trace (same id, see live_import.py), so importing twice stores it once. This module
touches the store only.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from jetlag.runtime.jobs.dask_allocation import SCHEDULER_LOG, WORKERS_LOG
from jetlag.runtime.jobs.package import TRACE_DIR

log = logging.getLogger(__name__)

#: The files and folders a runner leaves in a job folder, fetched back when a job ends.
OUTPUT_NAMES = (
    "stdout.txt",
    "stderr.txt",
    "exit.json",
    "status.json",
    "result.npz",
    "result.json",
    TRACE_DIR,
    SCHEDULER_LOG,  # a job with Dask workers: what its cluster said
    WORKERS_LOG,
)


def import_trace(
    root: Path, directory: Path, job_id: str, machine: str, label: str | None = None
) -> tuple[str | None, str | None]:
    """Store `directory`/trace/ as the job's trace: (trace id or None, a note when not).

    On success the folder's copy is removed (the store holds it now).
    """
    folder = Path(directory) / TRACE_DIR
    if not folder.is_dir():
        return None, None
    try:
        from jetlag.runtime.measure.trace import Trace
        from jetlag.runtime.store.replacing import live_trace_id
        from jetlag.runtime.store.traces import TraceStore

        trace = Trace.load(folder)
        store = TraceStore(root)
        try:
            # Under the id of the job's live trace (live_import.py), which this one replaces.
            trace_id = store.save(
                trace,
                trace_id=live_trace_id(job_id),
                replace=True,
                origin="job",
                job_id=job_id,
                label=label,
                location_prefix=machine,
            )
        finally:
            store.close()
    except Exception as error:  # noqa: BLE001 - the result matters more than the trace
        log.warning("the trace of job %s could not be imported: %s", job_id, error)
        return None, f"its trace could not be imported ({error}); it is in the job folder's trace/"
    shutil.rmtree(folder, ignore_errors=True)
    return trace_id, None
