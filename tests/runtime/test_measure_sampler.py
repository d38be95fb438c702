"""The background counter sampler and the Counters time series."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from jetlag.runtime.ir.text import parse_physl
from jetlag.runtime.measure.counters import Counters
from jetlag.runtime.measure.sampler import CounterSampler, meminfo_bytes, rss_bytes, thread_cpu_ns
from jetlag.runtime.scheduler import execute

PROGRAM = "define(f, x, dot(x, x))"


def test_a_run_shorter_than_an_interval_gets_process_cpu_and_memory_cheaply():
    with CounterSampler(interval=60.0) as sampler:
        pass
    counters = sampler.samples
    assert set(counters) == {
        "cpu/process",
        "memory/rss",
        "meminfo/MemFree",
        "meminfo/MemAvailable",
        "meminfo/Cached",
    }
    assert sampler._full_samples == 0  # no thread's files were read
    _, cpu = counters.series("cpu/process")
    assert len(cpu) == 1 and cpu[0] >= 0


def test_counters_present_after_a_sampled_run():
    program = parse_physl(PROGRAM)
    x = np.ones((600, 600))
    execute(program, args=(x,))  # the pool's workers exist before sampling starts
    with CounterSampler(interval=0.01) as sampler:
        result = execute(program, args=(x,), record_events=True)
        # Per-thread CPU comes with the background samples: outlive a few intervals.
        deadline = time.monotonic() + 10
        while sampler._full_samples < 2 and time.monotonic() < deadline:
            execute(program, args=(x,))
    np.testing.assert_allclose(result.value, x @ x)
    counters = sampler.samples
    for name in ("cpu/process", "memory/rss", "meminfo/MemFree", "meminfo/MemAvailable"):
        assert name in counters, name
    assert "meminfo/Cached" in counters
    workers = [n for n in counters if n.startswith("cpu/thread/jetlag-worker-")]
    assert workers, list(counters)
    assert counters.unit("cpu/process") == "%" and counters.unit("memory/rss") == "bytes"
    times, rss = counters.series("memory/rss")
    assert len(times) >= 2 and (np.diff(times) > 0).all() and (rss > 0).all()
    _, cpu = counters.series("cpu/process")
    assert (cpu >= 0).all()
    assert sampler.thread_ids[workers[0].removeprefix("cpu/thread/")] > 0
    assert not sampler.running
    sampled = len(sampler.counters)
    time.sleep(0.05)  # five intervals: a stopped sampler's counters are final
    assert len(sampler.counters) == sampled
    assert "cpu/thread/jetlag-sampler" not in counters  # the sampler's thread is not measured


def sample_count(sampler: CounterSampler) -> int:
    """How many samples `sampler` has taken so far (memory/rss is in every one)."""
    samples = sampler.samples
    return len(samples.series("memory/rss")[0]) if "memory/rss" in samples else 0


def wait_until(condition, what: str, seconds: float = 60) -> None:
    """Poll `condition` until it holds; fail after `seconds` (a bound, not a measurement)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {seconds} s"
        time.sleep(0.005)


def test_one_daemon_thread_samples_every_running_sampler_when_due():
    fast = CounterSampler(interval=0.01).start()
    slow = CounterSampler(interval=0.05).start()
    try:
        threads = [t for t in threading.enumerate() if t.name == "jetlag-sampler"]
        assert len(threads) == 1 and threads[0].daemon
        assert fast.running and slow.running
        assert fast.start() is fast  # idempotent
        # Each is sampled at its own interval: the slow one at least once in the
        # background, the fast one at least twice more. Waited for, not slept for, so a
        # busy machine only makes it take longer; sampling both at one rate never gets
        # there (their counts then differ by at most the one sample being taken).
        wait_until(
            lambda: sample_count(slow) >= 2 and sample_count(fast) >= sample_count(slow) + 2,
            "sampling each sampler at its own interval",
        )
    finally:
        counters = fast.stop()
        slow_counters = slow.stop()
    fast_samples = len(counters.series("memory/rss")[0])
    slow_samples = len(slow_counters.series("memory/rss")[0])
    assert fast_samples > slow_samples >= 3  # first, at least one background, final
    assert "cpu/process" in counters  # the final sample gives a utilization
    assert fast.stop() is counters  # stopping twice is harmless
    assert not fast.running and not slow.running
    again = CounterSampler(interval=0.01).start()  # the idle thread serves a new sampler
    try:
        wait_until(lambda: sample_count(again) >= 2, "a background sample of a new sampler")
    finally:
        again.stop()
    assert len(again.counters.series("memory/rss")[0]) >= 3
    assert [t for t in threading.enumerate() if t.name == "jetlag-sampler"] == threads


def test_the_thread_is_not_woken_for_a_sampler_due_after_its_next_look(monkeypatch):
    import jetlag.runtime.measure.sampler as sampler_module

    ticker = sampler_module._TICKER
    # The idle thread looks for due samplers every DEFAULT_INTERVAL: make that a minute,
    # and wait until the thread has planned such a look, so whether it is woken depends
    # on the samplers below and not on how soon the machine let it run.
    monkeypatch.setattr(sampler_module, "DEFAULT_INTERVAL", 60.0)
    warm = CounterSampler(interval=0.01).start()  # the thread exists, and is notified
    warm.stop()
    wait_until(
        lambda: ticker._next_look > time.monotonic() + 30, "the idle thread's one-minute look"
    )
    condition = ticker._condition
    notify = condition.notify
    notified = []
    monkeypatch.setattr(condition, "notify", lambda *a: (notified.append(a), notify(*a)))
    usual = CounterSampler(interval=60.0).start()  # due at or after the next look
    usual.stop()
    assert notified == []
    quick = CounterSampler(interval=0.005).start()  # due long before the thread's next look
    try:
        assert len(notified) == 1
        # Sampled at its own interval, not at the look a minute away.
        wait_until(lambda: sample_count(quick) >= 3, "two background samples of a quick sampler")
    finally:
        quick.stop()
        monkeypatch.undo()
        with condition:
            condition.notify()  # back to the usual interval for the tests that follow


def test_the_idle_thread_exits_and_the_next_sampler_starts_another(monkeypatch):
    import jetlag.runtime.measure.sampler as sampler_module

    monkeypatch.setattr(sampler_module, "IDLE_EXIT_S", 0.15)
    first = CounterSampler(interval=0.01).start()
    first.stop()
    names = lambda: [t for t in threading.enumerate() if t.name == "jetlag-sampler"]  # noqa: E731
    wait_until(lambda: names() == [], "the idle sampling thread's exit")
    again = CounterSampler(interval=0.01).start()
    try:
        assert len(names()) == 1  # it cannot exit while a sampler runs
        wait_until(lambda: sample_count(again) >= 2, "a background sample by the new thread")
    finally:
        again.stop()
    assert len(again.counters.series("memory/rss")[0]) >= 3


def test_interval_must_be_positive():
    with pytest.raises(ValueError, match="the sampling interval must be positive, got 0"):
        CounterSampler(interval=0)


def test_proc_readers():
    assert rss_bytes() > 0
    status = open("/proc/self/status").read()
    vm_rss = next(
        int(line.split()[1]) * 1024 for line in status.splitlines() if line.startswith("VmRSS:")
    )
    assert abs(rss_bytes() - vm_rss) < 4 << 20  # statm's resident pages are VmRSS
    assert rss_bytes("/nonexistent") is None
    info = meminfo_bytes(("MemFree", "Cached", "NoSuchField"))
    assert set(info) == {"MemFree", "Cached"} and info["MemFree"] > 0
    assert thread_cpu_ns(threading.get_native_id()) > 0
    assert thread_cpu_ns(-5) is None


def test_thread_cpu_falls_back_to_stat_ticks(tmp_path):
    task = tmp_path / "task" / "42"
    task.mkdir(parents=True)
    fields = ["S"] + ["0"] * 10 + ["150", "50"] + ["0"] * 30
    (task / "stat").write_text("42 (odd (name) x) " + " ".join(fields))
    assert thread_cpu_ns(42, str(tmp_path)) == 200 * 1_000_000_000 // 100
    (tmp_path / "status").write_text("Name:\tx\nVmRSS:\t  2048 kB\n")
    assert rss_bytes(str(tmp_path)) == 2048 * 1024
    sampler = CounterSampler(proc=str(tmp_path))
    sampler.sample()
    (task / "stat").write_text("42 (odd (name) x) " + " ".join(fields).replace("150", "250"))
    sampler.sample()
    assert "cpu/thread/thread-42" in sampler.counters
    assert sampler.thread_ids["thread-42"] == 42


def test_counters_series_and_snapshot():
    counters = Counters()
    counters.add(30, "b", 3.0, "u")
    counters.add_many(10, {"a": (1.0, "x"), "b": (2.0, "u")})
    assert counters.names == ["b", "a"] and len(counters) == 3
    times, values = counters.series("b")
    np.testing.assert_array_equal(times, [10, 30])
    np.testing.assert_array_equal(values, [2.0, 3.0])
    copy = counters.copy()
    counters.add(40, "a", 4.0)
    assert len(copy) == 3 and copy.span() == (10, 30)
    with pytest.raises(KeyError):
        counters.series("missing")
