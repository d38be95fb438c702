"""How many chunks a primitive splits into follows the work and the usable cores, not the
thread count: small work stays one chunk, and threads past the cores change nothing.

These assert the structure of traces (chunk events per primitive evaluation, threads per
chunk set) and results, never times; the usable cores are fixed at 2 so the assertions
hold on any machine.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))

import data  # noqa: E402
import listings  # noqa: E402

from jetlag import physl  # noqa: E402
from jetlag.runtime.primitives import parallel  # noqa: E402
from jetlag.runtime.scheduler import pool as pool_module  # noqa: E402
from jetlag.runtime.scheduler.pool import TaskPool  # noqa: E402

CORES = 2
ITERATIONS = 3


@pytest.fixture
def two_cores(monkeypatch):
    """Fresh shared pools that believe the machine has two usable cores."""
    pools: dict[int, TaskPool] = {}
    monkeypatch.setattr(pool_module, "_pools", pools)
    monkeypatch.setattr(pool_module, "usable_cores", lambda: CORES)
    yield
    for made in pools.values():
        made.shutdown()


def _lra(threads: int, rows: int, cols: int):
    f = physl(listings.lra, threads=threads, trace="events")
    x, y = data.lra_data(rows, cols, seed=rows + cols)
    weights = f(x, y, 1e-3, ITERATIONS, False)
    return weights, f.trace.events


def _glm(events) -> tuple[list, list]:
    evaluations = [e for e in events if e.name.startswith("glm_gradient$") and e.kind != "chunk"]
    chunks = [e for e in events if e.name.startswith("glm_gradient$") and e.kind == "chunk"]
    return evaluations, chunks


class _Runner:
    def __init__(self, workers: int, cores: int | None = None) -> None:
        self.workers = workers
        if cores is not None:
            self.cores = cores

    def run_chunks(self, bodies) -> None:
        for body in bodies:
            body()


def test_chunk_bounds_count_the_cores_not_the_threads():
    with parallel.use_runner(_Runner(16, cores=2)):
        assert parallel.parallelism() == 2
        assert len(parallel.chunk_bounds(10**6, min_chunk=1000)) == 4
    with parallel.use_runner(_Runner(2, cores=8)):
        assert parallel.parallelism() == 2  # never more than the workers either
    with parallel.use_runner(_Runner(16)):  # a runner that does not say: its workers
        assert len(parallel.chunk_bounds(10**6, min_chunk=1000)) == 32


def test_work_below_the_grain_is_one_chunk_at_any_thread_count():
    with parallel.use_runner(_Runner(16, cores=16)):
        assert parallel.chunk_bounds(parallel.MIN_CHUNK_ELEMENTS - 1) == [
            (0, parallel.MIN_CHUNK_ELEMENTS - 1)
        ]
        pieces = parallel.chunk_bounds(3 * parallel.MIN_CHUNK_ELEMENTS)
        assert len(pieces) == 3
        assert all(hi - lo >= parallel.MIN_CHUNK_ELEMENTS for lo, hi in pieces)


@pytest.mark.parametrize("threads", [2, 16])
def test_lra_400x50_runs_its_whole_loop_as_one_compiled_task_in_one_chunk(two_cores, threads):
    # Small work stays on one worker: the loop (its print included) is one compiled function.
    _, events = _lra(threads, 400, 50)
    loops = [e for e in events if e.name.startswith("compiled_loop$")]
    assert [e.kind for e in loops] == ["task"]
    assert not any(e.kind == "chunk" for e in events)
    assert _glm(events) == ([], [])  # inside the compiled loop, not a primitive of its own


def test_lra_2000x2000_with_16_threads_splits_like_2_threads_on_2_cores(two_cores):
    # X is large: the loop runs interpreted so that glm_gradient splits (loop_size.py).
    weights_2, events_2 = _lra(2, 2000, 2000)
    weights_16, events_16 = _lra(16, 2000, 2000)
    per_call = []
    for events in (events_2, events_16):
        evaluations, chunks = _glm(events)
        assert len(evaluations) == ITERATIONS
        by_parent = Counter(e.parent_guid for e in chunks)
        assert set(by_parent) == {e.guid for e in evaluations}
        per_call.append(sorted(by_parent.values()))
        threads = defaultdict(set)
        for e in chunks:
            threads[e.parent_guid].add(e.worker)
        # the task's own thread plus at most CORES - 1 helpers run each chunk set
        assert all(len(names) <= CORES for names in threads.values())
    assert per_call[0] == per_call[1]
    assert all(2 <= count <= 2 * CORES for count in per_call[1])
    # the same pieces, so the same partial sums: the result does not depend on threads
    assert np.array_equal(weights_2, weights_16)


def test_a_chunk_set_wakes_at_most_the_cores_worth_of_threads():
    pool = TaskPool(8, cores=2)
    ran: set[int] = set()
    lock = threading.Lock()

    def body() -> None:
        with lock:
            ran.add(threading.get_ident())
        time.sleep(0.002)  # lets go of the GIL: any queued helper could claim the next

    try:
        pool.run_chunks([body] * 16)
    finally:
        pool.shutdown()
    assert threading.get_ident() in ran
    assert len(ran) <= 1 + pool.cores  # the caller and at most `cores` helpers


def _als(threads: int):
    ratings = data.synthetic_ratings(120, 100, density=0.1, seed=4)
    x0, y0 = data.als_start(120, 100, 8)
    f = physl(listings.ALS, threads=threads, trace="events")
    result = f(ratings, 0.1, 8, 2, 40.0, x0.copy(), y0.copy())
    return result, f.trace.events


def test_als_row_loops_on_16_threads_split_like_2_threads_on_2_cores(two_cores):
    result_2, events_2 = _als(2)
    result_16, events_16 = _als(16)
    shapes = []
    for events in (events_2, events_16):
        chunks = [e for e in events if e.kind == "chunk"]
        assert chunks, "the row loops should be split on two cores"
        by_parent = Counter(e.parent_guid for e in chunks)
        assert max(by_parent.values()) <= 2 * CORES
        threads = defaultdict(set)
        for e in chunks:
            threads[e.parent_guid].add(e.worker)
        assert all(len(names) <= CORES for names in threads.values())
        shapes.append(sorted(by_parent.values()))
    assert shapes[0] == shapes[1]
    assert np.array_equal(result_2, result_16)


def reduce_and_map(x, w):
    s = np.sum(x)
    m = np.max(x, axis=1)
    e = np.exp(x)
    d = np.dot(x, w)
    return s + np.sum(m) + np.sum(e) + np.sum(d)


@pytest.mark.parametrize("threads", [2, 16])
def test_reductions_elementwise_and_dot_split_into_at_most_two_pieces_per_core(two_cores, threads):
    x = np.random.default_rng(7).standard_normal((1024, 1024))
    w = np.random.default_rng(8).standard_normal(1024)
    f = physl(reduce_and_map, threads=threads, trace="events", optimize=False)
    assert f(x, w) == reduce_and_map(x, w)  # NumPy's bits: the splits repeat its order
    chunks = [e for e in f.trace.events if e.kind == "chunk"]
    by_primitive = defaultdict(Counter)
    for e in chunks:
        by_primitive[e.name.split("$")[0]][e.parent_guid] += 1
    assert {"sum", "max", "exp", "dot"} <= set(by_primitive)  # large enough to split at all
    for counts in by_primitive.values():
        assert max(counts.values()) <= 2 * CORES
