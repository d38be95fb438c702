"""Spinning instead of sleeping: the pulse (scheduler/spin.py) and the pool's use of it."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from jetlag.runtime.primitives.parallel import chunk_bounds, parallel_for, use_runner
from jetlag.runtime.scheduler import spin
from jetlag.runtime.scheduler.pool import TaskPool

# A bound never reached when the pulse moves: generous, since the spin loop counts rounds
# calibrated against the clock once, and a busy machine can make that calibration low.
LONG_NS = 60_000_000_000


def test_spin_loop_compiles_on_this_machine():
    assert spin.available()
    assert spin._rounds_per_us > 0  # noqa: SLF001 - calibrated against the clock


def test_wait_returns_when_another_python_thread_bumps():
    # The bumping thread runs Python, so it can only bump if the waiter let go of the GIL.
    pulse = spin.Pulse()
    started = threading.Event()

    def bump_later() -> None:
        started.wait()
        pulse.bump()

    thread = threading.Thread(target=bump_later)
    thread.start()
    started.set()
    assert pulse.wait(0, LONG_NS) is True
    thread.join()
    assert pulse.value == 1


def test_wait_gives_up_when_nothing_moves():
    pulse = spin.Pulse()
    assert pulse.wait(0, 2_000_000) is False
    assert pulse.value == 0


def test_wait_with_bump_moves_the_count_then_waits_past_it():
    pulse = spin.Pulse()
    pulse.bump()
    assert pulse.wait(1, 1_000_000, bump=True) is False  # its own bump is not a change
    assert pulse.value == 2
    assert pulse.wait(1, 1_000_000) is True  # a stale `seen` returns at once


def test_no_budget_means_no_spin_but_a_bump_still_happens():
    pulse = spin.Pulse()
    assert pulse.wait(0, 0) is False
    assert pulse.wait(0, -5, bump=True) is False
    assert pulse.value == 1


def test_without_a_jit_waiting_blocks_instead(monkeypatch):
    monkeypatch.setattr(spin, "_compile", lambda: None)
    monkeypatch.setattr(spin, "_ready", False)
    monkeypatch.setattr(spin, "_spinner", None)
    assert spin.available() is False
    pulse = spin.Pulse()
    assert pulse.wait(0, LONG_NS, bump=True) is False
    assert pulse.value == 1


@pytest.mark.parametrize(("setting", "budget"), [(None, 300_000), ("0", 0), ("50", 50_000)])
def test_spin_budget_from_the_environment(monkeypatch, setting, budget):
    if setting is None:
        monkeypatch.delenv("JETLAG_SPIN_US", raising=False)
    else:
        monkeypatch.setenv("JETLAG_SPIN_US", setting)
    assert spin.spin_budget_ns() == budget


@pytest.mark.parametrize("spin_us", ["0", "300"])
def test_many_chunk_sets_in_a_row_run_every_piece_once(monkeypatch, spin_us):
    # A loop of small parallel steps: exactly the hand-offs the spinning shortens.
    monkeypatch.setenv("JETLAG_SPIN_US", spin_us)
    pool = TaskPool(2)
    try:
        counts = np.zeros(8, dtype=np.int64)
        threads: set[int] = set()
        lock = threading.Lock()

        def piece(index: int) -> None:
            with lock:
                counts[index] += 1
                threads.add(threading.get_ident())

        done = threading.Event()

        def step_loop() -> None:
            for _ in range(300):
                pool.run_chunks([lambda i=i: piece(i) for i in range(8)])
            done.set()

        pool.submit(step_loop)
        assert done.wait(60)
    finally:
        pool.shutdown()
    assert counts.tolist() == [300] * 8
    assert len(threads) <= 2


@pytest.mark.parametrize("spin_us", ["0", "300"])
def test_nested_parallel_pieces_and_errors_with_spinning(monkeypatch, spin_us):
    monkeypatch.setenv("JETLAG_SPIN_US", spin_us)
    pool = TaskPool(2)
    try:
        total = np.zeros(1000)
        outcome: dict[str, BaseException | None] = {}

        def outer(lo: int, hi: int) -> None:
            def inner(a: int, b: int) -> None:
                total[lo + a : lo + b] += 1

            parallel_for([(0, (hi - lo) // 2), ((hi - lo) // 2, hi - lo)], inner)

        def failing(lo: int, hi: int) -> None:
            if lo == 500:
                raise ValueError("piece 500 failed")

        def job() -> None:
            with use_runner(pool):
                parallel_for(chunk_bounds(1000, min_chunk=100), outer)
                try:
                    parallel_for([(0, 500), (500, 1000)], failing)
                except ValueError as error:
                    outcome["error"] = error
            outcome.setdefault("error", None)

        finished = threading.Event()
        pool.submit(lambda: (job(), finished.set()))
        assert finished.wait(60)
    finally:
        pool.shutdown()
    np.testing.assert_array_equal(total, np.ones(1000))
    assert str(outcome["error"]) == "piece 500 failed"


def test_shutdown_stops_spinning_workers(monkeypatch):
    monkeypatch.setenv("JETLAG_SPIN_US", "5000000")  # 5 s: shutdown must not wait it out
    pool = TaskPool(2)
    pool.run_chunks([lambda: None, lambda: None, lambda: None])
    threads = list(pool._threads)  # noqa: SLF001
    pool.shutdown()
    assert not any(thread.is_alive() for thread in threads)
