"""The Dask executor: a compiled function runs on a Dask cluster with row-partitioned arrays.

`@physl(executor=client)` (a `dask.distributed.Client`) or `executor="dask://HOST:PORT"`
(a Client made for that address and kept for the process) selects it. Control flow and
small values stay on the client, as with the threads executor; a primitive with a
distributed form (dask_forms.py) whose operands include a partitioned array runs block by
block on the workers, and its result stays there when it is still partitioned, or comes
back when it is small (a reduction's partial results, combined on the client). Every other
primitive runs on the client on gathered data, and a loop the compile-loops pass wrapped
runs interpreted (compiled, it would run whole on the client). Every wait on the cluster
is bounded by `timeout_s`: a lost worker is recovered by Dask's recomputation, or the run
fails with a `DaskExecutionError` naming it.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from jetlag.runtime.errors import PhySLError
from jetlag.runtime.ir.nodes import Call, Node, Program
from jetlag.runtime.measure.events import EventLog, current_guid
from jetlag.runtime.passes.compile_loops import FORM as COMPILED_LOOP
from jetlag.runtime.primitives.parallel import default_workers
from jetlag.runtime.scheduler.dask_forms import LAZY, NOT_DISTRIBUTED, distributed_form
from jetlag.runtime.scheduler.dask_partition import (
    Partitioning,
    default_threshold,
    is_distributed,
    partition,
)
from jetlag.runtime.scheduler.dask_trace import ClockOffsets, merge_run_events
from jetlag.runtime.scheduler.evaluator import Run
from jetlag.runtime.scheduler.execute import RunResult, drive
from jetlag.runtime.scheduler.futures import Future, resolved
from jetlag.runtime.scheduler.policy import InlinePolicy
from jetlag.runtime.scheduler.pool import shared_pool
from jetlag.runtime.scheduler.scope import Scope

SCHEME = "dask://"
#: Seconds any one wait on the cluster may take before the run fails.
DEFAULT_TIMEOUT_S = 300.0
#: How long making a Client for a `dask://` address may take.
CONNECT_TIMEOUT_S = 10.0

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


class DaskExecutionError(RuntimeError):
    """The cluster could not be reached, lost a worker it could not recover from, or did
    not finish within the timeout. Not a JetLagError on purpose: raised inside a primitive,
    it becomes a PhySLRuntimeError at the primitive's place that is still an instance of
    this class (errors.runtime_error_from keeps foreign types only)."""


@dataclass
class DaskExecutor:
    """A Dask cluster to run compiled functions on, and how arrays are cut for it.

    client:          a `distributed.Client`.
    threshold_bytes: arrays at least this big are partitioned (JETLAG_DASK_THRESHOLD).
    block_rows:      rows per block; None chooses from the data and the workers' memory.
    timeout_s:       the longest any one wait on the cluster may take.
    """

    client: Any
    threshold_bytes: int = field(default_factory=default_threshold)
    block_rows: int | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    #: The workers' clock offsets, kept from call to call (dask_trace.py).
    offsets: ClockOffsets = field(default_factory=ClockOffsets, repr=False, compare=False)

    def workers(self) -> dict[str, Any]:
        """Worker address -> what the scheduler knows of it (its memory limit...), now."""
        return self.client.scheduler_info().get("workers", {})

    def partitioning(self, workers: dict[str, Any]) -> Partitioning:
        """The partitioning for these workers (their number and memory)."""
        limits = [w.get("memory_limit") or 0 for w in workers.values()]
        return Partitioning(
            self.threshold_bytes, self.block_rows, max(1, len(workers)), min(limits, default=0)
        )

    def __repr__(self) -> str:
        return f"<DaskExecutor {self.client.scheduler.address}>"


def is_dask_executor(executor: Any) -> bool:
    """Whether `executor` names the Dask executor (a Client, a DaskExecutor, "dask://...")."""
    if isinstance(executor, DaskExecutor):
        return True
    if isinstance(executor, str):
        return executor.startswith(SCHEME)
    return type(executor).__name__ == "Client" and type(executor).__module__.startswith(
        "distributed"
    )


def resolve_executor(executor: Any) -> DaskExecutor:
    """The DaskExecutor for a Client, a DaskExecutor or a "dask://HOST:PORT" address (whose
    Client is made once per process and reused)."""
    if isinstance(executor, DaskExecutor):
        return executor
    if not isinstance(executor, str):
        return DaskExecutor(executor)
    address = executor[len(SCHEME) :]
    with _clients_lock:
        client = _clients.get(address)
        if client is None or client.status not in ("running", "connecting"):
            client = _clients[address] = connect(address)
    return DaskExecutor(client)


def connect(address: str) -> Any:
    """A Client for the scheduler at `address` (HOST:PORT), or a DaskExecutionError that
    names the address and what to do."""
    try:
        from distributed import Client
    except ImportError as error:
        raise DaskExecutionError(
            "the Dask executor needs dask and distributed: pip install 'jetlag[dask]'"
        ) from error
    target = address if "://" in address else f"tcp://{address}"
    if not address or address.startswith(":") or address.endswith(":"):
        raise DaskExecutionError(
            f"bad Dask scheduler address {address!r}: write it as dask://HOST:PORT, e.g. "
            "dask://127.0.0.1:8786 (what `dask scheduler` prints)"
        )
    try:
        return Client(target, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise DaskExecutionError(
            f"no Dask scheduler answered at {target} within {CONNECT_TIMEOUT_S:.0f} s "
            f"({type(error).__name__}): start one (`dask scheduler`, then `dask worker "
            f"{target}`) or give the address it prints as dask://HOST:PORT"
        ) from error


class DaskSession:
    """One run's view of the cluster: its caches of partitioned and gathered arrays and
    every bounded wait. Implements dask_forms.Blocks (with `tag` set per primitive)."""

    def __init__(self, executor: DaskExecutor, record: bool, inputs: tuple[Any, ...]) -> None:
        self.executor = executor
        self.client = executor.client
        workers = executor.workers()
        self.partitioning = executor.partitioning(workers)
        self.run_id = uuid.uuid4().hex if record else ""
        self.tag: tuple[str, int, str] = (self.run_id, 0, "")
        self.workers = set(workers)
        # The call's big array arguments: the data that is partitioned. Arrays the client
        # makes while it runs stay there (a `diag` in a loop is not worth a transfer).
        self._inputs = {id(a) for a in inputs if self.partitioning.is_big(a)}
        # id -> (the object, its other form); the object is kept so its id is not reused.
        self._partitioned: dict[int, tuple[Any, Any]] = {}
        self._gathered: dict[int, tuple[Any, Any]] = {}
        # Dask arrays whose gathered copy was written: the copy is the current value.
        self._dirty: set[int] = set()

    # -- dask_forms.Blocks ---------------------------------------------------------------

    def lift(self, value: Any) -> Any:
        value = self.current(value)
        if id(value) not in self._inputs or not self.partitioning.is_big(value):
            return value
        rows = self.partitioning.row_chunks(value.shape, value.itemsize)
        return self._partition(value, rows)

    def rows(self, value: Any, chunks: tuple[int, ...]) -> Any:
        value = self.current(value)
        if is_distributed(value):
            return value.rechunk((chunks, *((n,) for n in value.shape[1:])))
        return self._partition(np.asarray(value), chunks)

    def small(self, value: Any) -> Any:
        if is_distributed(value) and value.npartitions == 1:
            return self.gathered(value)
        return value

    def compute(self, values: list[Any]) -> list[Any]:
        return self.wait(self.client.compute(values))

    # -- caches ------------------------------------------------------------------------

    def _partition(self, array: np.ndarray, rows: tuple[int, ...]) -> Any:
        found = self._partitioned.get(id(array))
        if found is not None and found[1].chunks[0] == rows:
            return found[1]
        blocks = self.client.persist(partition(array, rows))
        self.wait(blocks, gather=False)
        self._partitioned[id(array)] = (array, blocks)
        return blocks

    def current(self, value: Any) -> Any:
        """`value`, or its gathered copy once a write may have changed that copy."""
        if id(value) in self._dirty:
            return self._gathered[id(value)][1]
        return value

    def gathered(self, value: Any) -> Any:
        """`value` with every dask array in it gathered (once per array and run)."""
        if isinstance(value, (list, tuple)):
            items = [self.gathered(v) for v in value]
            return type(value)(items) if isinstance(value, tuple) else items
        if not is_distributed(value):
            return value
        found = self._gathered.get(id(value))
        if found is None:
            found = self._gathered[id(value)] = (value, self.wait(self.client.compute(value)))
        return found[1]

    def after_write(self, target: Any) -> None:
        """An in-place write into `target` ran on the client: partitioned copies of memory
        it shares are stale, and gathered copies that share it are the current values."""
        target = self.gathered(self.current(target))
        if not isinstance(target, np.ndarray):
            return  # `step += 1` re-binds a number: nothing was written
        for key, (source, _) in list(self._partitioned.items()):
            if np.may_share_memory(source, target):
                del self._partitioned[key]
        for key, (_, copy) in self._gathered.items():
            if np.may_share_memory(copy, target):
                self._dirty.add(key)

    # -- results -------------------------------------------------------------------------

    def settle(self, value: Any, name: str) -> Any:
        """A form's result: gathered when it is one block, left lazy for a view, else
        persisted on the workers (so the next primitive starts from blocks, not a graph)."""
        if not is_distributed(value):
            return value
        if value.npartitions == 1:
            return self.gathered(value)
        if name in LAZY:
            return value
        value = self.client.persist(value)
        self.wait(value, gather=False)
        return value

    def wait(self, what: Any, gather: bool = True) -> Any:
        """Wait for futures (or a persisted collection) at most `timeout_s`; the gathered
        values, or a DaskExecutionError naming the workers lost meanwhile."""
        from distributed import futures_of
        from distributed import wait as wait_all

        futures = futures_of(what) if not _is_futures(what) else _flat(what)
        timeout = self.executor.timeout_s
        try:
            wait_all(futures, timeout=timeout)
            for future in futures:
                if future.status == "error":
                    future.result()  # raises the task's own exception
            return self.client.gather(what) if gather else what
        except PhySLError:
            raise
        except TimeoutError as error:
            raise self._lost(f"the cluster did not finish within {timeout:g} s") from error
        except Exception as error:
            if _is_worker_failure(error):
                raise self._lost(f"{type(error).__name__}: {error}") from error
            raise

    def _lost(self, what: str) -> DaskExecutionError:
        now = set(self.executor.workers())
        lost = sorted(self.workers - now)
        names = f"worker(s) lost during the run: {', '.join(lost)}" if lost else "no worker lost"
        return DaskExecutionError(
            f"Dask run failed: {what}; {names}. Rerun the call (Dask replaces lost "
            "workers when a nanny restarts them), or raise DaskExecutor.timeout_s."
        )


def _is_futures(what: Any) -> bool:
    items = what if isinstance(what, (list, tuple)) else [what]
    return all(type(i).__name__ == "Future" for i in items)


def _flat(what: Any) -> list[Any]:
    return list(what) if isinstance(what, (list, tuple)) else [what]


def _is_worker_failure(error: BaseException) -> bool:
    name = type(error).__name__
    return name in ("KilledWorker", "FutureCancelledError", "CancelledError", "CommClosedError")


class DaskRun(Run):
    """The driver of a run on a Dask cluster: every evaluation is issued on the client, in
    program order; distributed forms send their blocks to the workers."""

    def __init__(self, program: Program, session: DaskSession, policy, log) -> None:
        super().__init__(program, shared_pool(default_workers()), policy, log)
        self.session = session

    def evaluate(self, node: Node, scope: Scope) -> Any:
        if type(node) is Call and node.name == COMPILED_LOOP:
            # A compiled loop would run whole on the client: here each of its statements
            # stays visible to the executor (whoever optimized the program).
            node = node.args[0]
        return super().evaluate(node, scope)

    def issue(
        self,
        node: Node,
        impl: Any,
        args: list[Any],
        kwargs: dict[str, Any],
        effect: bool = False,
        extra_dependencies: tuple[Future, ...] = (),
    ) -> Any:
        args = [resolved(a) for a in args]
        kwargs = {k: resolved(v) for k, v in kwargs.items()}
        name = getattr(node, "name", "")
        form = None if effect else distributed_form(name)
        session = self.session

        def evaluate(*_: Any) -> Any:
            if form is not None:
                session.tag = (session.run_id, current_guid(), node.instance_name)
                value = form(session, name, args, kwargs)
                if value is not NOT_DISTRIBUTED:
                    return session.settle(value, name)
            gathered = session.gathered([session.current(a) for a in args])
            options = {k: session.gathered(session.current(v)) for k, v in kwargs.items()}
            return impl(*gathered, **options)

        return self.run_inline(node, evaluate, [], {})

    def write_in_place(self, node, impl, args, kwargs, written) -> Any:
        try:
            return super().write_in_place(node, impl, args, kwargs, written)
        finally:
            self.session.after_write(resolved(written))

    def concrete(self, node: Node, scope: Scope) -> Any:
        return self.session.gathered(super().concrete(node, scope))

    def finish(self, value: Any) -> Any:
        return self.session.gathered(super().finish(value))


def execute_on_dask(
    program: Program,
    executor: DaskExecutor,
    entry: str | None = None,
    args: tuple[Any, ...] = (),
    kwargs: dict[str, Any] | None = None,
    *,
    policy: InlinePolicy | None = None,
    record_events: bool = False,
    event_log: EventLog | None = None,
) -> RunResult:
    """`execute` on a Dask cluster: the same result, and (recorded) the workers' events
    merged into the run's log (`event_log` when given) on the client's clock."""
    session = DaskSession(executor, record_events, (*args, *(kwargs or {}).values()))
    log = (event_log if event_log is not None else EventLog()) if record_events else None
    offsets = executor.offsets.of(executor.client, session.workers) if record_events else {}
    run = DaskRun(program, session, policy, log)
    # as_current: Dask's helpers (wait, futures in graphs) find this client, not a default.
    with executor.client.as_current():
        try:
            result = drive(run, entry, args, kwargs)
        finally:
            if log is not None:
                merge_run_events(log, executor.client, session.run_id, offsets)
    result.extra["executor"] = f"dask {executor.client.scheduler.address}"
    return result


__all__ = [
    "DaskExecutionError",
    "DaskExecutor",
    "connect",
    "execute_on_dask",
    "is_dask_executor",
    "resolve_executor",
]
