"""Saving every compiled cell's trace into the trace store, without delaying the cell.

When a cell that ran compiled code ends, the kernel hands each of its traces to
`TraceSaver.save`, which takes a trace id from the store and holds the trace; only the id
goes into the cell's MIME output. The saver's own thread writes held traces into the
store (`TraceStore.save`) when the kernel is idle. Not merely "in the background": the
writer is mostly Python (JSON, NumPy file headers, SQLite) and takes turns at the
interpreter lock with the cell's scheduler threads, so writes overlapping the cells made
the demo's LRA cells ~20 % slower (bench/bench_trace_saving.py, "forced"); written
between cells, the difference is within the noise (+-3 %). So the cell's output and its
`execute_reply` never wait for the disk, and cells do not share the interpreter with it.
If saving fails -- the store cannot be opened, the disk is full, a write breaks -- the
cell still succeeds and the kernel says why in one stderr line, once per kernel session
(a store that cannot take one trace will not take the next either; a line under every
cell would bury the cells' own output).

Traces can be large: `cap_events` keeps the first N task events of a trace by start time
(JETLAG_TRACE_CAP, `%trace events --cap N`) after its profile has been computed from all
of them, so the profile and the tree's counters stay exact; the metadata then says
`{"events_dropped": k, "event_cap": N}`. Capping while recording would be cheaper in
memory but cannot know which events start first (they are recorded when they end) and
would make the profile approximate.
This module decides nothing about what runs or what is traced.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import deque
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

from jetlag.runtime.ir.nodes import Call, Variable
from jetlag.runtime.measure.table import EventTable
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.settings import one_of, whole_number

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.kernel.state import CollectedTrace

CAP_ENV = "JETLAG_TRACE_CAP"
SAVE_ENV = "JETLAG_TRACE_SAVE"
DEFAULT_EVENT_CAP = 1_000_000
#: How long a kernel that is shutting down spends writing the traces it still holds.
EXIT_FLUSH_S = 30.0


def event_cap_setting() -> int:
    """Task events kept per trace: JETLAG_TRACE_CAP, else 1,000,000."""
    return whole_number(CAP_ENV, DEFAULT_EVENT_CAP, 1, "task events the kernel keeps per trace")


def saving_setting() -> bool:
    """Whether the kernel saves traces: JETLAG_TRACE_SAVE=on|off, else on."""
    return one_of(SAVE_ENV, "on", ("on", "off"), "whether the kernel saves traces") == "on"


def notebook_path() -> str | None:
    """The notebook this kernel serves, as jupyter-server tells kernels (JPY_SESSION_NAME)."""
    return os.environ.get("JPY_SESSION_NAME") or None


def wall_ns(trace: Trace) -> int:
    """The run's wall time, also when only some (or none) of its events were kept."""
    if "wall_ns" in trace.metadata:
        return int(trace.metadata["wall_ns"])
    return int(trace.wall_ns)


def cap_events(trace: Trace, cap: int) -> int:
    """Keep the first `cap` events of `trace` by start time; returns how many were dropped.

    The profile (and so the tree's counters) is computed from every event first and the
    full wall time goes into the metadata, so both stay exact.
    """
    table = trace.events
    total = len(table)
    if total <= cap:
        return 0
    _ = trace.profile  # cached on the trace: computed from all events, before the cut
    trace.metadata["wall_ns"] = int(trace.wall_ns)
    start = table.rows["start"]
    if bool(np.all(start[1:] >= start[:-1])):  # the usual case: tables are kept by start
        rows = table.rows[:cap].copy()
    else:
        rows = table.rows[np.sort(np.argsort(start, kind="stable")[:cap])]
    trace.events = EventTable(rows, table.names, table.workers, table.kinds)
    dropped = total - cap
    trace.metadata["events_dropped"] = dropped
    trace.metadata["event_cap"] = cap
    return dropped


def _reason(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


class TraceSaver:
    """The kernel's side of the trace store: ids at once, writes while the kernel is idle.

    `save` (on the cell's thread) takes an id and holds the trace; one daemon thread
    writes held traces with `TraceStore.save`, oldest first, once the kernel has been idle
    for `QUIET_S` (the kernel calls `busy`/`idle` around every request it handles), or at
    once while more than `BACKLOG_TRACES` traces or `BACKLOG_EVENTS` events wait, so
    memory stays bounded. `flush` writes
    everything now (tests; the exit hook).
    """

    #: Idle time before a write starts: the next cell of a "Run all" arrives sooner.
    QUIET_S = 0.05
    #: Past this many held traces or task events, traces are written even while cells
    #: run (the cost above, paid to keep memory bounded).
    BACKLOG_TRACES = 256
    BACKLOG_EVENTS = 2_000_000

    def __init__(self, enabled: bool = True, root: str | None = None) -> None:
        self.enabled = enabled
        self.root = root  # None: the store's own rule ($JETLAG_STORE, Jupyter data dir)
        self._store: Any = None
        self._cond = threading.Condition()
        self._held: deque[tuple[str, Trace, dict[str, Any]]] = deque()
        self._held_events = 0
        self._writing = 0  # traces taken from _held and not yet written
        self._busy = False
        self._idle_since = 0.0
        self._thread: threading.Thread | None = None
        self._problems: list[str] = []
        self._said = False

    # -- the kernel's signals ------------------------------------------------------------

    def busy(self) -> None:
        """The kernel started handling a request (a cell, a completion, ...)."""
        with self._cond:
            self._busy = True

    def idle(self) -> None:
        """The kernel finished a request and sent its reply and idle status."""
        with self._cond:
            self._busy = False
            self._idle_since = time.monotonic()
            self._cond.notify_all()

    # -- saving --------------------------------------------------------------------------

    def _open(self) -> Any:
        if self._store is None:
            # Imported on first use: a kernel that never saves pays nothing for it.
            from jetlag.runtime.store.traces import TraceStore

            self._store = TraceStore(self.root)
            atexit.register(self.flush, EXIT_FLUSH_S)
        return self._store

    @property
    def where(self) -> str:
        """The store's directory (as far as it is known before the first save)."""
        if self._store is not None:
            return str(self._store.root)
        from jetlag.runtime.store.paths import store_root

        return str(store_root(self.root))

    def save(self, trace: Trace, *, cell: str | None, label: str | None) -> str | None:
        """Give `trace` its id and hold it for the writer; the id, or None when saving is
        off or the store cannot be opened (said once, see `problem`)."""
        if not self.enabled:
            return None
        try:
            trace_id = self._open().new_id()
        except Exception as error:  # noqa: BLE001  (the cell ran; saving must not fail it)
            self.failed(error)
            return None
        fields = {"origin": "cell", "notebook": notebook_path(), "cell": cell, "label": label}
        with self._cond:
            self._held.append((trace_id, trace, fields))
            self._held_events += len(trace.events)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="jetlag-kernel-trace-writer", daemon=True
                )
                self._thread.start()
            self._cond.notify_all()
        return trace_id

    def _next(self) -> tuple[str, Trace, dict[str, Any]]:
        """The next trace to write, when it is time (blocks)."""
        with self._cond:
            while True:
                if self._held and (
                    len(self._held) > self.BACKLOG_TRACES or self._held_events > self.BACKLOG_EVENTS
                ):
                    break
                if self._held and not self._busy:
                    left = self._idle_since + self.QUIET_S - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                else:
                    self._cond.wait()
            self._writing += 1
            item = self._held.popleft()
            self._held_events -= len(item[1].events)
            return item

    def _write(self, item: tuple[str, Trace, dict[str, Any]]) -> None:
        trace_id, trace, fields = item
        try:
            self._store.save(trace, trace_id=trace_id, **fields)
        except Exception as error:  # noqa: BLE001  (said with the next cell's output)
            self.failed(error)
        finally:
            with self._cond:
                self._writing -= 1
                self._cond.notify_all()

    def _run(self) -> None:
        while True:
            self._write(self._next())

    def flush(self, timeout: float | None = None) -> bool:
        """Write every held trace now (on this thread); False if `timeout` s ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._cond:
                item = self._held.popleft() if self._held else None
                if item is not None:
                    self._writing += 1
                    self._held_events -= len(item[1].events)
            if item is None:
                break
            self._write(item)
        with self._cond:  # a write the writer thread had started
            while self._writing:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
        return True

    # -- failures ------------------------------------------------------------------------

    def failed(self, error: BaseException) -> None:
        """Remember a failed save (said with the next cell's output)."""
        with self._cond:
            self._problems.append(_reason(error))

    def problem(self) -> str | None:
        """The line to print on stderr about failed saves, at most once per session."""
        with self._cond:
            problems, self._problems = self._problems, []
            if not problems or self._said:
                return None
            self._said = True
        more = f" ({len(problems)} traces)" if len(problems) > 1 else ""
        return (
            f"JetLag: could not save the trace{more} into the store at {self.where}: "
            f"{problems[0]}. Cells still run; `%trace save off` stops trying (this is "
            "said once per kernel session)."
        )


def save_cell_traces(
    saver: TraceSaver, traces: Iterable[CollectedTrace], cap: int, cell: str
) -> None:
    """Cap each trace of a cell, compute its profile and queue it for saving (sets
    `trace_id`). The profile is computed here, once, for the cell's output and the store."""
    for collected in traces:
        try:
            trace = collected.trace
            cap_events(trace, cap)
            _ = trace.profile
        except Exception as error:  # noqa: BLE001  (the cell ran; its report must not fail it)
            saver.failed(error)
            continue
        collected.trace_id = saver.save(trace, cell=cell, label=trace_label(trace))


def trace_label(trace: Trace, most: int = 3) -> str | None:
    """The name a cell's trace is listed under: the compiled functions its run called
    directly (a cell's statements run as a define named after the cell, e.g. `cell5`,
    which says nothing about the work), else the traced function's own name."""
    entry = trace.function
    tree = trace.tree
    # Only a cell's run has "cell" in its metadata (kernel.runner); a function's trace
    # keeps the function's name.
    if entry is None or tree is None or "cell" not in trace.metadata:
        return entry
    defines = {
        node.args[0].name: node
        for node in tree.program.body
        if isinstance(node, Call) and node.name == "define" and node.args
        if isinstance(node.args[0], Variable)
    }
    body = defines.get(entry)
    if body is None:
        return entry
    called = [
        node.name
        for node in body.walk()
        if isinstance(node, Call) and node.name in trace.origins and node.name != entry
    ]
    names = list(dict.fromkeys(called))
    if not names:
        return entry
    more = f" +{len(names) - most}" if len(names) > most else ""
    return ", ".join(names[:most]) + more
