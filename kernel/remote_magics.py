"""`%%remote [MACHINE]` and `%jobs`: a compiled function's call as a job, and the job list.

`%%remote [--no-wait] [options] [MACHINE]` takes a cell holding one call of a function
JetLag compiled (`w = lra(x, y, 1e-3, 10, False)`; remote_call.py says what the arguments
may be), sends the function's source text and its arguments to MACHINE (default
`local`) through the job service -- the same path as `jetlag.remote.run` and REST, so the
job is in the same list -- and prints the job's id. By default it waits (interrupt
stops the waiting, not the job), publishes the job's trace like a cell's (MIME output
with its `trace_id`) and binds the result to the cell's target or shows it.
Options: --threads N, --trace off|profile|events (default: the kernel's %trace mode),
--time-limit SECONDS, --label TEXT.

`%jobs` lists recent jobs (id, machine, entry, label, state, created, duration, trace);
`%jobs ID` shows one job with its history and the tail of its stdout/stderr;
`%jobs --cancel ID` cancels it. Errors of the service (unknown machine, a failed job)
are shown in its words, without an internal traceback.
"""

from __future__ import annotations

import argparse
import shlex
import time
from datetime import datetime
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class

from jetlag.kernel.publish import publish_traces
from jetlag.kernel.remote_call import RemoteCall, bind_result, parse_remote_call
from jetlag.kernel.state import CollectedTrace, KernelState
from jetlag.runtime.errors import JetLagError
from jetlag.runtime.measure.profile import format_ns

ORIGIN = "kernel"
TAIL_LINES = 20


class RemoteError(JetLagError):
    """A job the kernel submitted could not run (said in the job service's words)."""

    jetlag = True  # a short traceback (tracebacks.structured_traceback)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would exit the kernel
        raise UsageError(f"{self.prog}: {message}\n{self.format_usage().strip()}")


def _remote_parser() -> _Parser:
    parser = _Parser(prog="%%remote", add_help=False)
    parser.add_argument("machine", nargs="?", default="local")
    parser.add_argument("--no-wait", dest="wait", action="store_false")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--trace", choices=("off", "profile", "events"))
    parser.add_argument("--time-limit", dest="time_limit_s", type=int)
    parser.add_argument("--label")
    return parser


def _jobs_parser() -> _Parser:
    parser = _Parser(prog="%jobs", add_help=False)
    parser.add_argument("job_id", nargs="?")
    parser.add_argument("-n", "--limit", type=int, default=20)
    parser.add_argument("--state")
    parser.add_argument("--machine")
    parser.add_argument("--cancel", action="store_true")
    return parser


def _split(line: str) -> list[str]:
    try:
        return shlex.split(line)
    except ValueError as error:
        raise UsageError(f"cannot read the magic's arguments: {error}") from None


def _service() -> Any:
    # Imported when used: a kernel that never submits a job does not load the job service.
    from jetlag.remote import service

    return service()


def _clock(stamp: str | None) -> str:
    """An ISO timestamp as local 'YYYY-MM-DD HH:MM:SS'."""
    if not stamp:
        return "-"
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return stamp


def _duration(row: dict[str, Any]) -> str:
    start, end = row.get("started_at"), row.get("ended_at")
    if not start:
        return "-"
    try:
        begin = datetime.fromisoformat(start)
        finish = datetime.fromisoformat(end) if end else datetime.now(begin.tzinfo)
    except ValueError:
        return "-"
    text = format_ns((finish - begin).total_seconds() * 1e9)
    return text if end else f"{text}+"  # still running


def jobs_table(rows: list[dict[str, Any]]) -> str:
    """The `%jobs` table: one line per job, newest first."""
    if not rows:
        return "No jobs in the store yet; %%remote, jetlag.remote.run and REST submit them."
    head = ("id", "machine", "entry", "label", "state", "created", "duration", "trace")
    table = [head] + [
        (
            row["id"],
            row["machine"],
            row["entry"],
            (row.get("label") or "-")[:24],
            row["state"],
            _clock(row.get("created_at")),
            _duration(row),
            row.get("trace_id") or "-",
        )
        for row in rows
    ]
    widths = [max(len(str(line[k])) for line in table) for k in range(len(head))]
    return "\n".join(
        "  ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in table
    )


def _tail(text: str, lines: int = TAIL_LINES) -> str:
    kept = text.rstrip("\n").splitlines()[-lines:]
    return "\n".join("    " + line for line in kept) if kept else "    (empty)"


def job_report(info: dict[str, Any], stdout: str, stderr: str) -> str:
    """`%jobs ID`: the job's fields, its history of states and its output's tail."""
    options = ", ".join(f"{k}={v}" for k, v in (info.get("options") or {}).items())
    out = [
        f"job {info['id']}: {info['state']}" + (f" ({info['reason']})" if info["reason"] else ""),
        f"  machine {info['machine']}, entry {info['entry']}, origin {info['origin']}"
        + (f", label {info['label']!r}" if info.get("label") else ""),
        f"  created {_clock(info.get('created_at'))}, duration {_duration(info)}"
        + (f", exit code {info['exit_code']}" if info.get("exit_code") is not None else ""),
        f"  options: {options or '-'}",
        f"  trace: {info.get('trace_id') or '-'}",
        "  history:",
    ]
    for step in info.get("history", []):
        reason = f"  {step['reason']}" if step.get("reason") else ""
        out.append(f"    {_clock(step['at'])}  {step['state']:<9}{reason}")
    out.append(f"  stdout (last {TAIL_LINES} lines):\n{_tail(stdout)}")
    out.append(f"  stderr (last {TAIL_LINES} lines):\n{_tail(stderr)}")
    return "\n".join(out)


@magics_class
class RemoteMagics(Magics):
    """`%%remote` and `%jobs`, bound to one kernel's state."""

    def __init__(self, shell: Any, state: KernelState) -> None:
        super().__init__(shell)
        self.state = state

    # -- %%remote ----------------------------------------------------------------------

    @cell_magic
    def remote(self, line: str, cell: str) -> Any:
        """%%remote [--no-wait] [--threads N] [--trace MODE] [--time-limit S] [--label TEXT]
        [MACHINE]: run the cell's call of a compiled function as a job on MACHINE."""
        args = _remote_parser().parse_args(_split(line))
        call = parse_remote_call(cell, self.shell.user_ns)
        service = _service()
        row = self._submit(service, call, args)
        job_id, machine = row["id"], row["machine"]
        if not args.wait:
            print(f"job {job_id} on {machine}: {call.name}, {row['state']}")
            print(f"not waiting: `%jobs {job_id}` shows it, `%jobs --cancel {job_id}` cancels it")
            return None
        info = self._wait(service, job_id, machine, f"{call.name}, {row['state']}")
        if info["state"] != "COMPLETED":
            raise RemoteError(self._failure(service, info))
        # The runner's reason reads "completed in 1.8 s[; note]": it is the whole sentence.
        print(f"job {job_id} {info['reason'] or 'completed'}")
        try:
            value = service.result(job_id)
        except Exception as error:  # noqa: BLE001  (the service's words, no traceback)
            raise RemoteError(f"job {job_id}: {error}") from None
        self._publish_trace(info, call)
        if call.targets is None:
            return value
        bind_result(call, value, self.shell.user_ns)
        return None

    def _submit(self, service: Any, call: RemoteCall, args: argparse.Namespace) -> dict:
        from jetlag.runtime.jobs.arguments import encode_arguments
        from jetlag.runtime.jobs.sources import bundle_function

        options: dict[str, Any] = {"trace": args.trace or self.state.trace_mode}
        threads = args.threads if args.threads is not None else self.state.threads
        for name, value in (
            ("threads", threads),
            ("time_limit_s", args.time_limit_s),
            ("label", args.label),
        ):
            if value is not None:
                options[name] = value
        try:
            bundle = bundle_function(call.function)
            return service.submit(
                source=bundle.source,
                entry=bundle.entry,
                args_npz=encode_arguments(call.args, None),
                machine=args.machine,
                options=options,
                origin=ORIGIN,
                filename=bundle.filename,
            )
        except Exception as error:  # noqa: BLE001  (JobError and the like: their own words)
            raise RemoteError(f"%%remote {call.name} on {args.machine!r}: {error}") from None

    def _wait(self, service: Any, job_id: str, machine: str, what: str) -> dict[str, Any]:
        from jetlag.runtime.jobs.states import TERMINAL

        # The announcement is inside the try: an interrupt sent as soon as the user sees
        # the job line must still say the job goes on, not end with a bare KeyboardInterrupt.
        try:
            print(f"job {job_id} on {machine}: {what}", flush=True)
            while True:
                service.poll()  # reaps the runners this kernel started, starts queued jobs
                info = service.get(job_id)
                if info["state"] in TERMINAL:
                    return info
                time.sleep(0.05)
        except KeyboardInterrupt:
            error = KeyboardInterrupt(
                f"stopped waiting for job {job_id}; it goes on running on {machine}: "
                f"`%jobs {job_id}` shows it, `%jobs --cancel {job_id}` cancels it"
            )
            error.jetlag = True  # type: ignore[attr-defined]
            raise error from None

    def _failure(self, service: Any, info: dict[str, Any]) -> str:
        text = f"job {info['id']} on {info['machine']} ended {info['state']}"
        if info.get("reason"):
            text += f": {info['reason']}"
        try:
            stderr = service.output(info["id"], "stderr", max_bytes=4000).strip()
        except Exception:  # noqa: BLE001  (the reason alone still says what happened)
            stderr = ""
        if stderr and stderr.splitlines()[-1].strip() not in text:
            text += "\nstderr of the job (last lines):\n" + _tail(stderr, 8)
        # The job compiled the cells' own text: name them as the notebook does (In[5]).
        for filename, label in self.state.cell_names.items():
            text = text.replace(filename, label)
        return text

    def _publish_trace(self, info: dict[str, Any], call: RemoteCall) -> None:
        trace_id = info.get("trace_id")
        if not trace_id or self.state.trace_mode == "off":
            return
        label = f"In[{self.shell.execution_count}]"
        try:
            from jetlag.runtime.store.traces import TraceStore

            store = TraceStore(self.state.saver.root)
            try:
                trace = store.load(trace_id)
            finally:
                store.close()
        except Exception as error:  # noqa: BLE001  (the result is there; say why no trace)
            print(f"JetLag: could not read the job's trace {trace_id}: {error}")
            return
        trace.metadata.setdefault("job_id", info["id"])
        collected = CollectedTrace(call.name, trace, 1, trace_id)
        publish_traces(self.shell, [collected], label, self.state.inline_summary)

    # -- %jobs ---------------------------------------------------------------------------

    @line_magic
    def jobs(self, line: str) -> None:
        """%jobs [-n N] [--state S] [--machine M]: recent jobs; %jobs ID: one job with its
        history and output; %jobs --cancel ID: cancel it."""
        args = _jobs_parser().parse_args(_split(line))
        service = _service()
        try:
            if args.job_id is None:
                if args.cancel:
                    raise UsageError("usage: %jobs --cancel JOB_ID")
                service.poll()
                rows = service.list(state=args.state, machine=args.machine, limit=args.limit)
                print(jobs_table(rows))
                return
            if args.cancel:
                info = service.cancel(args.job_id)
                print(f"job {info['id']}: {info['state']}")
                return
            service.poll()
            info = service.get(args.job_id)
            stdout = service.output(args.job_id, "stdout", max_bytes=64_000)
            stderr = service.output(args.job_id, "stderr", max_bytes=64_000)
            print(job_report(info, stdout, stderr))
        except UsageError:
            raise
        except Exception as error:  # noqa: BLE001  (JobError and the like: their own words)
            raise RemoteError(f"%jobs: {error}") from None
