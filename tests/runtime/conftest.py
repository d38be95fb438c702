"""Fixtures shared by the runtime tests: a chunk runner on a real two-thread pool.

`runner` installs a `ThreadRunner` for one test: primitives then split large inputs for two
workers and their chunk bodies run concurrently on the pool's threads, never the caller's
(a test file may define its own `runner` instead).
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from chunk_runner import ThreadRunner

from jetlag.runtime.primitives import parallel


@pytest.fixture(scope="module")
def pool():
    with ThreadPoolExecutor(2) as executor:
        yield executor


@pytest.fixture
def runner(pool):
    chunk_runner = ThreadRunner(pool)
    with parallel.use_runner(chunk_runner):
        yield chunk_runner
    assert threading.get_ident() not in chunk_runner.threads
