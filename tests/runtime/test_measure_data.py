"""Synthetic event logs shared by the measurement tests, and checks that they are valid."""

from __future__ import annotations

import threading

import numpy as np

from jetlag.runtime.measure.events import EventLog, TaskEvent

ROOT = 1


def small_log() -> EventLog:
    """A hand-made run: a call on the driver, inline work nested in it, tasks and chunks.

    call f      driver  [0, 1000]      guid 2  parent 1 (root)
      inline    driver  [100, 200]     guid 3
      task dot  w0      [150, 900]     guid 4
        chunk   w0      [200, 400]     guid 5
        chunk   w1      [210, 500]     guid 6  (taken by another worker)
        chunk   w0      [400, 600]     guid 7
      task sum  w1      [600, 700]     guid 8
      inline    driver  [950, 950]     guid 9  (zero length)
    """
    log = EventLog()
    for event in (
        TaskEvent(2, ROOT, "f", "driver", 0, 1000, "call"),
        TaskEvent(3, 2, "add$2$4", "driver", 100, 200, "inline"),
        TaskEvent(4, 2, "dot$3$8", "w0", 150, 900, "task"),
        TaskEvent(5, 4, "dot$3$8#chunk", "w0", 200, 400, "chunk"),
        TaskEvent(6, 4, "dot$3$8#chunk", "w1", 210, 500, "chunk"),
        TaskEvent(7, 4, "dot$3$8#chunk", "w0", 400, 600, "chunk"),
        TaskEvent(8, 2, "sum$4$2", "w1", 600, 700, "task"),
        TaskEvent(9, 2, "add$2$4", "driver", 950, 950, "inline"),
    ):
        log.add(event)
    return log


def random_log(events: int = 3000, workers: int = 4, seed: int = 7) -> EventLog:
    """Properly nested random events recorded concurrently from `workers` threads.

    Each worker runs a sequence of top-level tasks (parents: the root or a task on another
    worker) with randomly nested children on the same worker.
    """
    log = EventLog()
    per_worker = events // workers

    def work(index: int) -> None:
        rng = np.random.default_rng(seed + index)
        name = f"jetlag-worker-{index}"
        guid = (index + 1) * 10_000_000
        t = 1_000_000_000 + int(rng.integers(0, 1000))
        made = 0
        while made < per_worker:
            budget = min(int(rng.integers(1, 12)), per_worker - made)
            parent = ROOT if index == 0 or rng.random() < 0.5 else (index * 10_000_000 + 1)
            guid, t = _subtree(log, rng, name, guid, parent, t, budget, 0)
            made += budget
            t += int(rng.integers(0, 50))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return log


def _subtree(log, rng, worker, guid, parent, t, budget, depth):
    """Record `budget` events nested under one new event starting at t; returns (guid, end)."""
    mine = guid
    guid += 1
    start = t
    t += int(rng.integers(0, 20))
    remaining = budget - 1
    while remaining > 0:
        size = min(remaining, int(rng.integers(1, 4)) if depth < 4 else 1)
        guid, t = _subtree(log, rng, worker, guid, mine, t, size, depth + 1)
        remaining -= size
        t += int(rng.integers(0, 20))
    name = ["dot$3$8", "sum$4$2", "add$2$4", "dot$3$8#chunk"][int(rng.integers(0, 4))]
    kind = "chunk" if name.endswith("#chunk") else ("task" if depth == 0 else "inline")
    log.add(TaskEvent(mine, parent, name, worker, start, t, kind))
    return guid, t + int(rng.integers(0, 5))


def test_small_log_has_every_kind():
    kinds = {e.kind for e in small_log()}
    assert kinds == {"call", "inline", "task", "chunk"}


def test_random_log_is_nested_per_worker_and_complete():
    log = random_log(events=400, workers=3)
    assert len(log) == 399  # 400 // 3 per worker
    by_worker: dict[str, list[TaskEvent]] = {}
    for event in log:
        by_worker.setdefault(event.worker, []).append(event)
    for events in by_worker.values():
        events.sort(key=lambda e: (e.start_ns, -e.end_ns))
        stack: list[TaskEvent] = []
        for event in events:
            while stack and stack[-1].end_ns <= event.start_ns:
                stack.pop()
            assert not stack or event.end_ns <= stack[-1].end_ns
            stack.append(event)
