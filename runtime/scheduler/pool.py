"""The worker thread pool: runs ready tasks and chunk bodies, and nothing else.

Workers take callables from one queue. A task that splits into chunks (`run_chunks`)
puts them on the queue and also runs them itself, claiming each chunk before running it,
so a worker never waits on work that nobody has started: nested parallelism cannot
deadlock. Continuations made ready by a finishing task may run on the same worker
(`run_soon(..., inline=True)`) through a per-thread trampoline, avoiding a queue hop for
small follow-up work without growing the stack.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence

from jetlag.runtime.measure.events import (
    TaskEvent,
    current_guid,
    current_log,
    new_guid,
    now_ns,
    task_scope,
)
from jetlag.runtime.primitives.parallel import use_runner

Work = Callable[[], None]

_WAIT_SLICE_S = 0.05


class _Chunk:
    """One piece of a split primitive; whoever claims it first runs it."""

    __slots__ = ("body", "claim", "done", "error", "parent", "log", "name", "pool")

    def __init__(self, body: Work, parent: int, log, name: str, pool: TaskPool) -> None:
        self.pool = pool
        self.body = body
        self.claim = threading.Lock()
        # Held until the chunk has run: cheaper to make than an Event, and only the
        # caller of run_chunks ever waits on it.
        self.done = threading.Lock()
        self.done.acquire()
        self.error: BaseException | None = None
        self.parent = parent
        self.log = log
        self.name = name

    def worker(self) -> str:
        """The track this chunk ran on: a worker's name, or "driver" for the caller."""
        return threading.current_thread().name if self.pool.on_worker() else "driver"

    def __call__(self) -> None:
        if not self.claim.acquire(blocking=False):
            return  # somebody else runs (or ran) it
        # Whatever happens from here on (even a KeyboardInterrupt on the caller's thread),
        # `done` is released, so nobody waits for this chunk forever.
        start = now_ns()
        guid = 0
        try:
            guid = new_guid()
            with task_scope(guid, self.log):
                self.body()
        except BaseException as error:  # noqa: BLE001 - re-raised by run_chunks
            self.error = error
        finally:
            self.done.release()
            if self.log is not None and guid:
                event = TaskEvent(
                    guid, self.parent, self.name, self.worker(), start, now_ns(), "chunk"
                )
                self.log.add(event)


class TaskPool:
    """A fixed set of worker threads sharing one queue."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"a task pool needs at least one worker, got {workers}")
        self.workers = workers
        self._queue: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._local = threading.local()
        self._threads = [
            threading.Thread(target=self._work, name=f"jetlag-worker-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, work: Work) -> None:
        """Queue `work` for any worker."""
        self._queue.put(work)

    def run_soon(self, work: Work, inline: bool) -> None:
        """Run `work` on this worker after the current item when `inline`, else queue it."""
        pending = getattr(self._local, "pending", None)
        if not inline or pending is None:
            self._queue.put(work)
            return
        pending.append(work)

    def run_next(self, work: Work) -> None:
        """Run `work` on this worker right after the current item if nothing else is
        waiting here, else queue it for any worker (so a task that makes several others
        ready keeps one and shares the rest)."""
        pending = getattr(self._local, "pending", None)
        if pending is None or pending:
            self._queue.put(work)
            return
        pending.append(work)

    def on_worker(self) -> bool:
        """True when called from one of this pool's workers."""
        return getattr(self._local, "pending", None) is not None

    def run_chunks(self, bodies: Sequence[Work]) -> None:
        """Run all bodies, sharing them with idle workers; re-raise the first error."""
        parent = current_guid()
        log = current_log()
        name = getattr(self._local, "task_name", "chunk")
        chunks = [_Chunk(body, parent, log, name + "#chunk", self) for body in bodies]
        for chunk in chunks[1:]:
            self._queue.put(chunk)
        for chunk in chunks:
            chunk()
        for chunk in chunks:
            # Timed slices: a simulated or real Ctrl-C reaches the caller while it waits.
            while not chunk.done.acquire(timeout=_WAIT_SLICE_S):
                pass
        for chunk in chunks:
            if chunk.error is not None:
                raise chunk.error

    def set_task_name(self, name: str) -> None:
        """Name the task running on this thread (chunk events are named after it)."""
        self._local.task_name = name

    def _work(self) -> None:
        self._local.pending = []
        with use_runner(self):
            while True:
                item = self._queue.get()
                if item is None:
                    return
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
        for thread in self._threads:
            thread.join(timeout=5)


_pools: dict[int, TaskPool] = {}
_pools_lock = threading.Lock()


def shared_pool(workers: int) -> TaskPool:
    """The process-wide pool with `workers` threads (created on first use)."""
    with _pools_lock:
        pool = _pools.get(workers)
        if pool is None:
            pool = _pools[workers] = TaskPool(workers)
        return pool
