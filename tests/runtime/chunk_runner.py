"""A chunk runner on a real two-thread pool, for tests of the chunked primitive paths
(the `runner` fixture in conftest.py installs one for a test)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor, wait


class ThreadRunner:
    """A ChunkRunner running bodies on a real 2-thread pool, counting what it ran."""

    workers = 2

    def __init__(self, pool: ThreadPoolExecutor):
        self.pool = pool
        self.calls = 0
        self.bodies = 0
        self.threads: set[int] = set()
        self._lock = threading.Lock()

    def _run(self, body):
        with self._lock:
            self.threads.add(threading.get_ident())
        body()

    def run_chunks(self, bodies):
        self.calls += 1
        self.bodies += len(bodies)
        futures = [self.pool.submit(self._run, body) for body in bodies]
        wait(futures)
        for future in futures:
            future.result()
