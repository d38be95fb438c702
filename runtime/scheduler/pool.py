"""The worker thread pool: runs ready tasks and chunk bodies, and nothing else.

Workers take callables from one queue. A task that splits into chunks (`run_chunks`)
queues the set of chunks once per worker that could help -- at most one per usable core
(`cores`: a pool of more threads than cores wakes no more of them) -- and runs chunks itself too;
every taker claims the next unstarted chunk until none is left, so a worker never waits
on work that nobody has started: nested parallelism cannot deadlock. Continuations made ready by a finishing task may run on the same worker
(`run_soon(..., inline=True)`) through a per-thread trampoline, avoiding a queue hop for
small follow-up work without growing the stack.

A thread that would block spins first, for up to JETLAG_SPIN_US (spin.py): a worker out of
work watches the pool's pulse (bumped by every queued item and every finished chunk set)
before it sleeps on the queue, and the caller of run_chunks watches it while other workers
finish their last chunks. Waking a sleeping thread costs tens of microseconds on a VM,
twice per chunk set; a loop of millisecond iterations would pay that every time.
"""

from __future__ import annotations

import itertools
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence

from jetlag.runtime.locks import fork_safe_lock
from jetlag.runtime.measure.events import (
    current_guid,
    current_log,
    enter_task,
    leave_task,
    new_guid,
    now_ns,
)
from jetlag.runtime.primitives.cores import usable_cores
from jetlag.runtime.primitives.parallel import use_runner
from jetlag.runtime.scheduler.spin import Pulse, spin_budget_ns

Work = Callable[[], None]

_WAIT_SLICE_S = 0.05
#: After seeing new work, an idle worker spins this much longer before it takes the GIL:
#: whoever queued the work holds the GIL ~5-15 µs more (until its own chunk's kernel lets
#: go of it), and a thread that finds the GIL taken sleeps on it and pays the wake-up this
#: pool spins to avoid. LRA 2000², one run: 0.92x NumPy with no grace, 0.90 with 5 µs,
#: 0.87 with 15.
HANDOFF_GRACE_NS = 15_000


class _ChunkSet:
    """The pieces of one split primitive. Calling it claims and runs pieces until none is
    left unclaimed: the caller of run_chunks does, and so does every worker that takes it
    from the queue, so no piece waits for a thread that is busy elsewhere."""

    __slots__ = (
        "bodies",
        "claims",
        "left",
        "lock",
        "done",
        "errors",
        "parent",
        "log",
        "name",
        "pool",
        "measure",
        "helped_ns",
        "caller",
    )

    def __init__(
        self, bodies: Sequence[Work], parent: int, log, name: str, pool: TaskPool, measure: bool
    ) -> None:
        self.bodies = bodies
        self.claims = itertools.count()  # next() is atomic under the GIL: one claim each
        self.left = len(bodies)
        self.lock = threading.Lock()
        # Held until the last piece has run (cheaper than an Event; only the caller waits).
        self.done = threading.Lock()
        self.done.acquire()
        self.errors: list[tuple[int, BaseException]] = []
        self.parent = parent
        self.log = log
        self.name = name
        self.pool = pool
        self.measure = measure  # take other threads' CPU time (two system calls a piece)
        self.helped_ns = 0
        self.caller = threading.get_ident()

    def __call__(self) -> None:
        count = len(self.bodies)
        while True:
            index = next(self.claims)
            if index >= count:
                return
            self._run(index)

    def _run(self, index: int) -> None:
        # Whatever happens here (even a KeyboardInterrupt on the caller's thread), the
        # piece is counted, so nobody waits for it forever.
        start = now_ns()
        helper = self.measure and threading.get_ident() != self.caller
        cpu = time.thread_time_ns() if helper else 0
        guid = new_guid()
        previous = enter_task(guid, self.log)
        try:
            self.bodies[index]()
        except BaseException as error:  # noqa: BLE001 - re-raised by run_chunks
            self.errors.append((index, error))
        finally:
            try:
                leave_task(previous)
                if self.log is not None:
                    track = threading.current_thread().name if self.pool.on_worker() else "driver"
                    self.log.record(guid, self.parent, self.name, track, start, now_ns(), "chunk")
            finally:
                self._count(helper, cpu)

    def _count(self, helper: bool, cpu: int) -> None:
        with self.lock:
            if helper:
                self.helped_ns += time.thread_time_ns() - cpu
            self.left -= 1
            last = self.left == 0
        if last:
            self.done.release()
            if threading.get_ident() != self.caller:
                self.pool.owe_pulse()


class TaskPool:
    """A fixed set of worker threads sharing one queue: `workers` asked for, as many
    started as can run at once (`cores`)."""

    def __init__(self, workers: int, cores: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"a task pool needs at least one worker, got {workers}")
        self.workers = workers
        #: How many of the workers can run at once (the usable cores, at most `workers`):
        #: primitives split into at most this many pieces' worth of chunks, and only this
        #: many threads are started, so `threads=16` on 2 cores stays a 2-core run. More
        #: could only take turns on the cores: no task waits for another on a worker (only
        #: the driver waits), and each hand-off to a sleeping thread costs a wake-up -- on
        #: 2 cores with 16 threads, LRA 1000²'s helper chunk started ~120 us after its
        #: task instead of ~57 us (one run) as a different sleeping thread woke each time.
        self.cores = max(1, min(workers, cores if cores is not None else usable_cores()))
        self._queue: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._local = threading.local()
        #: Bumped whenever work is queued or a chunk set finishes; spinners watch it.
        self.pulse = Pulse()
        self._spin_ns = spin_budget_ns()
        self._threads = [
            threading.Thread(target=self._work, name=f"jetlag-worker-{i}", daemon=True)
            for i in range(self.cores)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, work: Work) -> None:
        """Queue `work` for any worker."""
        self._queue.put(work)
        self.pulse.bump()

    def run_soon(self, work: Work, inline: bool) -> None:
        """Run `work` on this worker after the current item when `inline`, else queue it."""
        pending = getattr(self._local, "pending", None)
        if not inline or pending is None:
            self.submit(work)
            return
        pending.append(work)

    def run_next(self, work: Work) -> None:
        """Run `work` on this worker right after the current item if nothing else is
        waiting here, else queue it for any worker (so a task that makes several others
        ready keeps one and shares the rest)."""
        pending = getattr(self._local, "pending", None)
        if pending is None or pending:
            self.submit(work)
            return
        pending.append(work)

    def on_worker(self) -> bool:
        """True when called from one of this pool's workers."""
        return getattr(self._local, "pending", None) is not None

    def run_chunks(self, bodies: Sequence[Work]) -> None:
        """Run all bodies, sharing them with idle workers; re-raise the first error."""
        name = getattr(self._local, "task_name", "chunk") + "#chunk"
        measure = getattr(self._local, "helped_ns", None) is not None
        pieces = _ChunkSet(bodies, current_guid(), current_log(), name, self, measure)
        helpers = min(len(bodies) - 1, self.cores - (1 if self.on_worker() else 0))
        for _ in range(helpers):
            self._queue.put(pieces)
        if helpers:
            self.pulse.bump()
        pieces()
        if pieces.left:
            self._spin_until_done(pieces)
        # Timed slices: a simulated or real Ctrl-C reaches the caller while it waits.
        while not pieces.done.acquire(timeout=_WAIT_SLICE_S):
            pass
        if measure:
            # CPU time other threads spent on this caller's chunks: the caller's own CPU
            # clock misses it, and the adaptive policy must not mistake a parallel
            # primitive for a cheap one (it would then run it inline on the driver, a
            # third thread on the cores).
            self._local.helped_ns += pieces.helped_ns
        if pieces.errors:
            raise min(pieces.errors, key=lambda item: item[0])[1]

    def _spin_until_done(self, pieces: _ChunkSet) -> None:
        """Spin (no GIL) while other workers finish their last pieces, up to the budget."""
        deadline = time.perf_counter_ns() + self._spin_ns
        while True:
            seen = self.pulse.value  # read before looking, so a finish in between counts
            if not pieces.left or not self.pulse.wait(seen, deadline - time.perf_counter_ns()):
                return

    def owe_pulse(self) -> None:
        """Bump the pulse when this thread next lets go of the GIL (a worker: in `_take`),
        so the caller spinning on it finds the GIL free; other threads bump now."""
        if self.on_worker():
            self._local.owed_pulse = True
        else:
            self.pulse.bump()

    def _take(self) -> Work | None:
        """The next queued item. After helping with a chunk set, spins up to the budget
        before it sleeps on the queue."""
        owed, self._local.owed_pulse = self._local.owed_pulse, False
        if self._local.spin_next:
            seen = self.pulse.value  # read before looking, so work queued in between counts
            if self._queue.empty():
                # Pays an owed bump too (at once when the budget is 0).
                self.pulse.wait(seen, self._spin_ns, HANDOFF_GRACE_NS, bump=owed)
                return self._queue.get()
        if owed:
            self.pulse.bump()
        return self._queue.get()

    def measure_helpers(self) -> None:
        """From now on this thread's chunks report the CPU time other threads spent on them
        (read with `helped_ns`): measuring costs two system calls per chunk, so only an
        evaluation whose CPU time is being measured asks for it."""
        self._local.helped_ns = 0

    def helped_ns(self) -> int:
        """CPU ns other threads spent on this thread's chunks since `measure_helpers`
        (which this ends)."""
        helped = getattr(self._local, "helped_ns", None) or 0
        self._local.helped_ns = None
        return helped

    def set_task_name(self, name: str) -> None:
        """Name the task running on this thread (chunk events are named after it)."""
        self._local.task_name = name

    def _work(self) -> None:
        self._local.pending = []
        self._local.owed_pulse = False
        self._local.spin_next = False
        with use_runner(self):
            while True:
                item = self._take()
                if item is None:
                    return
                # Helping with a chunk set means a parallel primitive, often in a loop
                # whose next chunk set comes within microseconds: worth spinning for.
                # After ordinary tasks a spinning worker would only take a core from
                # the driver (measured: +15-40 % per task in bench_tasks.py's loops).
                self._local.spin_next = type(item) is _ChunkSet
                self._drain(item)

    def _drain(self, item: Work) -> None:
        pending = self._local.pending
        while True:
            try:
                item()
            except BaseException:  # noqa: BLE001 - a task must never kill its worker
                pass  # tasks report their own errors through their futures
            if not pending:
                return
            item = pending.pop()

    def shutdown(self) -> None:
        """Stop the workers after the queued work."""
        for _ in self._threads:
            self._queue.put(None)
        self.pulse.bump()
        for thread in self._threads:
            thread.join(timeout=5)


_pools: dict[int, TaskPool] = {}
_pools_lock = fork_safe_lock()  # a parent thread may hold it at a fork


def _forget_pools_after_fork() -> None:
    # A forked child has none of its parent's worker threads: a task queued on an inherited
    # pool would wait forever. It starts its own pools on first use.
    _pools.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pools_after_fork)


def shared_pool(workers: int) -> TaskPool:
    """The process-wide pool with `workers` threads (created on first use)."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = TaskPool(workers)
        return pool
