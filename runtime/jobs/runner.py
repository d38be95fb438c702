"""The job runner: `python -m jetlag.runtime.jobs.runner JOBDIR` runs one job folder.

The same runner runs every job on every backend. It records RUNNING (with its pid and
start time) in the store when it has one ($JETLAG_STORE), compiles the folder's source
text with the frontend -- which admits only PhySL primitives; the text is never executed
as Python -- runs the entry with the arguments, and writes result.npz/result.json, the
trace (into the store, or into the folder's trace/ when there is no store), and
exit.json/status.json, atomically. A watchdog thread enforces the time limit. Exit codes:
0 completed, 1 failed, 124 time limit, 2 the folder cannot be run.
"""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.package import (
    EXIT_FILE,
    SOURCE_FILE,
    STATUS_FILE,
    TRACE_DIR,
    read_manifest,
    write_json,
)
from jetlag.runtime.jobs.processes import start_ticks
from jetlag.runtime.jobs.states import (
    COMPLETED,
    EXIT_CODES,
    FAILED,
    PENDING,
    RUNNING,
    SUBMITTED,
    TERMINAL,
    TIMEOUT,
    now_iso,
)
from jetlag.runtime.store.paths import STORE_ENV

TRACE_STORE_MISSING = (
    "TODO: the trace store (jetlag.runtime.store.traces) is not available yet; the trace "
    "was written to the job folder's trace/ instead"
)


def _say(text: str) -> None:
    print(f"jetlag job runner: {text}", file=sys.stderr, flush=True)


def execute_job(directory: Path, manifest: dict[str, Any]) -> tuple[Any, Any]:
    """Compile and run the job's entry; returns (value, Trace or None)."""
    import numpy as np

    from jetlag.runtime.api import run_measured
    from jetlag.runtime.frontend import compile_source
    from jetlag.runtime.jobs.arguments import decode_arguments
    from jetlag.runtime.jobs.dask_allocation import job_cluster
    from jetlag.runtime.jobs.package import ARGS_FILE
    from jetlag.runtime.passes import explain
    from jetlag.runtime.passes.pipeline import select_passes
    from jetlag.runtime.scheduler.policy import AdaptivePolicy

    options = manifest["options"]
    source = (directory / SOURCE_FILE).read_text(encoding="utf-8")
    compiled = compile_source(source, manifest["filename"], manifest["entry"], {"np": np})
    program = compiled.program
    chosen = select_passes(options.get("optimize", True))
    if chosen:
        program = explain(program, chosen).program
    args, kwargs = decode_arguments((directory / ARGS_FILE).read_bytes())
    mode = options.get("trace", "events")
    # A job with Dask workers in its allocation runs on them (dask_allocation.py).
    cluster = job_cluster(time.monotonic() + float(options["time_limit_s"]))
    event_log, writer = _live_writer(directory, mode)
    try:
        result, measurement = run_measured(
            program,
            compiled.entry,
            args,
            kwargs,
            threads=options.get("threads"),
            policy=AdaptivePolicy.from_environment(),
            trace=mode,
            metadata={"job_id": manifest["id"], "machine": manifest["machine"]},
            event_log=event_log,
            dask=cluster[1] if cluster else None,
        )
    finally:
        if writer is not None:
            writer.stop()
        if cluster is not None:
            cluster[0].close()
    return result.value, (measurement.trace() if measurement is not None else None)


def _live_writer(directory: Path, mode: str):
    """(EventLog, LiveWriter) flushing the job's events to live/ as it runs (live.py), or
    (None, None) when the final trace will not hold every event or chunks are turned off."""
    from jetlag.runtime.jobs.live import (
        LIVE_DIR,
        LIVE_FOLDER_ENV,
        LiveWriter,
        interval_from_environment,
    )
    from jetlag.runtime.measure.events import EventLog
    from jetlag.runtime.measure.otf2_writer import clock_offset_now

    interval = interval_from_environment()
    if mode != "events" or interval <= 0:
        return None, None
    event_log = EventLog()
    # An absolute $JETLAG_LIVE_DIR stays as it is (Path's `/` keeps it); a relative one is
    # inside the job folder.
    folder = directory / (os.environ.get(LIVE_FOLDER_ENV) or LIVE_DIR)
    writer = LiveWriter(folder, event_log, clock_offset_now(), interval)
    return event_log, writer.start()


def save_trace(trace: Any, directory: Path, manifest: dict[str, Any], root: Path | None):
    """Put the trace into the store; returns (trace id or None, a note when not stored)."""
    if trace is None:
        return None, None
    note = TRACE_STORE_MISSING
    if root is not None:
        try:
            from jetlag.runtime.store.traces import TraceStore
        except ImportError:
            TraceStore = None  # noqa: N806 - the STORE part may not be installed yet
        if TraceStore is not None:
            try:
                from jetlag.runtime.store.replacing import live_trace_id

                store = TraceStore(root)
                try:
                    # The id of the job's live trace, which this final one replaces.
                    trace_id = store.save(
                        trace,
                        trace_id=live_trace_id(manifest["id"]),
                        replace=True,
                        origin="job",
                        job_id=manifest["id"],
                        label=manifest["options"].get("label"),
                    )
                finally:
                    store.close()
                return trace_id, None
            except Exception as error:  # noqa: BLE001 - the result matters more than the trace
                note = f"the trace could not be saved in the store ({error}); see trace/"
    else:
        note = "no store: the trace was written to the job folder's trace/"
    try:
        trace.save(directory / TRACE_DIR)
    except Exception as error:  # noqa: BLE001
        note += f"; writing trace/ failed too ({error})"
    return None, note


class JobRun:
    """One run of one job folder (see the module docstring)."""

    def __init__(self, directory: Path, manifest: dict[str, Any], root: Path | None) -> None:
        self.directory = directory
        self.manifest = manifest
        self.job_id: str = manifest["id"]
        self.root = root
        self.records = None
        if root is not None:
            from jetlag.runtime.jobs.records import JobRecords

            self.records = JobRecords(root)
        self.pid = os.getpid()
        self.pid_start = start_ticks(self.pid)
        self._lock = threading.Lock()
        self._done = False

    def claim(self) -> str | None:
        """Record RUNNING with this process; returns why not when the job must not run."""
        if self.records is None:
            return None
        row = self.records.get(self.job_id)
        if row is None:
            return None  # a store that does not index this job: files only
        fields = {"pid": self.pid, "pid_start": self.pid_start, "host": socket.gethostname()}
        state = row["state"]
        if state in TERMINAL:
            return f"the job is already {state}"
        if state == RUNNING:
            if row["pid"] not in (None, self.pid):
                return f"another process (pid {row['pid']}) runs this job"
            ok = self.records.update(
                self.job_id, sources=(RUNNING,), reason=f"running (pid {self.pid})", **fields
            )
        else:
            ok = self.records.transition(
                self.job_id,
                RUNNING,
                sources=(SUBMITTED, PENDING),
                reason=f"running (pid {self.pid})",
                **fields,
            )
        return None if ok else "the job changed state before it started"

    def status(self, state: str, **extra: Any) -> None:
        """Write status.json (the runner's latest word, for backends without the store)."""
        write_json(
            self.directory / STATUS_FILE,
            {
                "job_id": self.job_id,
                "state": state,
                "pid": self.pid,
                "pid_start": self.pid_start,
                "host": socket.gethostname(),
                "updated_at": now_iso(),
                **extra,
            },
        )

    def finish(self, state: str, reason: str, trace_id: str | None = None, note=None) -> bool:
        """Record how the job ended (once: the watchdog and the main thread race for it)."""
        with self._lock:
            if self._done:
                return False
            self._done = True
            code = EXIT_CODES[state]
            info = {
                "job_id": self.job_id,
                "state": state,
                "exit_code": code,
                "reason": reason,
                "trace_id": trace_id,
                "note": note,
                "ended_at": now_iso(),
            }
            write_json(self.directory / EXIT_FILE, info)
            self.status(state, reason=reason, trace_id=trace_id, note=note)
            if self.records is not None:
                self.records.transition(
                    self.job_id,
                    state,
                    sources=(RUNNING,),
                    reason=reason,
                    exit_code=code,
                    trace_id=trace_id,
                )
            self.start_next()
            return True

    def start_next(self) -> None:
        """Start queued local jobs now that this one's slot is free."""
        slots = os.environ.get("JETLAG_LOCAL_SLOTS", "")
        if self.records is None or self.root is None or not slots.isdigit():
            return
        if self.manifest.get("backend", "local") != "local":
            return
        from jetlag.runtime.jobs.backends.local import start_pending

        try:
            start_pending(self.root, self.records, self.manifest["machine"], int(slots))
        except Exception as error:  # noqa: BLE001 - the monitor will start them instead
            _say(f"could not start queued jobs ({error})")

    def watchdog(self, limit_s: float) -> None:
        """Stop the process when the time limit is reached."""

        def expire() -> None:
            reason = f"the time limit of {limit_s:g} s was reached"
            if self.finish(TIMEOUT, reason):
                _say(reason)
                os._exit(EXIT_CODES[TIMEOUT])

        timer = threading.Timer(limit_s, expire)
        timer.daemon = True
        timer.start()

    def run(self) -> int:
        """Run the job; returns the process's exit code."""
        refused = self.claim()
        if refused is not None:
            _say(f"job {self.job_id} not run: {refused}")
            return 0
        self.status(RUNNING)
        self.watchdog(float(self.manifest["options"]["time_limit_s"]))
        started = time.perf_counter()
        try:
            value, trace = execute_job(self.directory, self.manifest)
        except Exception as error:  # noqa: BLE001 - every failure of the user's code is reported
            return self.fail(error)
        from jetlag.runtime.jobs.errors import JobError
        from jetlag.runtime.jobs.results import write_result

        try:
            write_result(self.directory, value)
        except JobError as error:
            return self.fail(error)
        trace_id, note = save_trace(trace, self.directory, self.manifest, self.root)
        seconds = time.perf_counter() - started
        reason = f"completed in {seconds:.3g} s" + (f"; {note}" if note else "")
        self.finish(COMPLETED, reason, trace_id, note)
        return 0

    def fail(self, error: BaseException) -> int:
        """Report an error of the user's function (placed PhySL errors as file:line:col)."""
        from jetlag.runtime.errors import PhySLError

        if isinstance(error, PhySLError):
            text = str(error)
            print(f"{type(error).__name__}: {text}", file=sys.stderr, flush=True)
        else:
            text = f"{type(error).__name__}: {error}"
            traceback.print_exception(error, file=sys.stderr)
            sys.stderr.flush()
        self.finish(FAILED, text)
        return EXIT_CODES[FAILED]


def main(argv: list[str] | None = None) -> int:
    """Run the job folder named on the command line; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        _say("usage: python -m jetlag.runtime.jobs.runner JOBDIR")
        return 2
    directory = Path(argv[0]).resolve()
    try:
        manifest = read_manifest(directory)
    except ValueError as error:
        _say(str(error))
        return 2
    store = os.environ.get(STORE_ENV)
    return JobRun(directory, manifest, Path(store) if store else None).run()


if __name__ == "__main__":
    sys.exit(main())
