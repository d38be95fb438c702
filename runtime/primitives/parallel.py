"""How a primitive splits its work into chunk tasks without knowing the scheduler.

A primitive calls `parallel_for(bounds, body)`; when a scheduler is running the task it
has installed a `ChunkRunner` for the current thread and the chunks become tasks on its
pool; otherwise (tests, direct calls) they run one after another on the caller.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from typing import Protocol

from jetlag.runtime.primitives.cores import usable_cores
from jetlag.runtime.settings import whole_number

#: Below this many elements an elementwise/reduction primitive stays one task.
MIN_CHUNK_ELEMENTS = 1 << 16


class ChunkRunner(Protocol):
    """What the scheduler provides to run chunk bodies concurrently. A runner may also say
    how many of its `workers` run at once (`cores`, read by `parallelism`)."""

    workers: int

    def run_chunks(self, bodies: Sequence[Callable[[], None]]) -> None:
        """Run every body (possibly concurrently); return when all are done; re-raise the first error."""
        ...


class SerialRunner:
    """Runs chunks one after another on the calling thread (the default)."""

    workers = 1

    def run_chunks(self, bodies: Sequence[Callable[[], None]]) -> None:
        for body in bodies:
            body()


_SERIAL = SerialRunner()
_local = threading.local()


def current_runner() -> ChunkRunner:
    """The chunk runner installed for this thread, or the serial one."""
    return getattr(_local, "runner", _SERIAL)


@contextmanager
def use_runner(runner: ChunkRunner):
    """Install `runner` for the current thread while a task body runs."""
    previous = getattr(_local, "runner", None)
    _local.runner = runner
    try:
        yield runner
    finally:
        if previous is None:
            del _local.runner
        else:
            _local.runner = previous


def worker_count() -> int:
    """How many workers the current runner has (1 when serial)."""
    return current_runner().workers


def parallelism() -> int:
    """How many chunks of one split can run at the same time: the runner's workers, capped
    by the cores they share (a runner's `cores`, e.g. a pool of 16 threads on 2 usable
    cores runs 2 at a time). Splitting into more pieces than that only adds hand-offs."""
    runner = current_runner()
    return max(1, min(runner.workers, getattr(runner, "cores", runner.workers)))


def chunk_bounds(
    n: int, min_chunk: int = MIN_CHUNK_ELEMENTS, chunks_per_worker: int = 2
) -> list[tuple[int, int]]:
    """Split range(n) into contiguous [lo, hi) pieces of at least `min_chunk` items.

    Gives one piece when n is small or only one worker exists, so small arrays never pay
    for task creation. The number of pieces follows the work (`min_chunk`) and the cores
    the runner can use at once (`parallelism`), never the thread count alone.
    """
    workers = parallelism()
    if n <= 0:
        return [(0, 0)]
    if workers <= 1:
        return [(0, n)]
    pieces = min(workers * chunks_per_worker, max(1, n // max(1, min_chunk)))
    if pieces <= 1:
        return [(0, n)]
    step, extra = divmod(n, pieces)
    bounds = []
    lo = 0
    for i in range(pieces):
        hi = lo + step + (1 if i < extra else 0)
        bounds.append((lo, hi))
        lo = hi
    return bounds


def parallel_for(bounds: Sequence[tuple[int, int]], body: Callable[[int, int], None]) -> None:
    """Call body(lo, hi) for every piece, as concurrent tasks when a scheduler runs us."""
    if len(bounds) == 1:
        body(*bounds[0])
        return
    current_runner().run_chunks([lambda lo=lo, hi=hi: body(lo, hi) for lo, hi in bounds])


def default_workers() -> int:
    """Worker threads by default: the cores this process may use -- its affinity mask and
    cgroup CPU quota (cores.py), not os.cpu_count() -- JETLAG_THREADS overrides."""
    return whole_number("JETLAG_THREADS", usable_cores(), 1, "worker threads")
