"""f.trace after a call: profile by default, full events on request, adaptive inlining."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime.measure.trace import Trace


def gradient_step(x, w, steps):
    for _ in range(steps):  # a `for` stays interpreted: its primitives are traced one by one
        w = w - 1e-3 * np.dot(np.transpose(x), np.dot(x, w))
    return w


def test_profile_is_the_default(monkeypatch):
    monkeypatch.delenv("JETLAG_TRACE", raising=False)
    f = physl(gradient_step)
    x = np.random.default_rng(0).random((600, 600))
    f(x, np.ones(600), 3)
    trace = f.trace
    assert isinstance(trace, Trace)
    assert len(trace.events) == 0 and trace.metadata["events_dropped"] > 0
    dots = [e for e in trace.profile if e.display_name == "dot"]
    assert sum(e.count for e in dots) == 6
    assert str(trace).startswith("JetLag trace of gradient_step: profile of ")
    assert "dot" in str(trace)
    assert "process.cpu" in " ".join(trace.counters.names) or len(trace.counters.names) > 0


def test_events_mode_keeps_every_task_in_one_guid_tree(tmp_path):
    f = physl(gradient_step, trace="events")
    x = np.random.default_rng(1).random((600, 600))
    f(x, np.ones(600), 2)
    trace = f.trace
    assert trace.check_tree() == []
    kinds = set(trace.events.kinds)
    assert {"task", "chunk", "call"} <= kinds
    trace.save(tmp_path / "trace")
    loaded = Trace.load(tmp_path / "trace")
    assert len(loaded.events) == len(trace.events)
    otf2_print = shutil.which("otf2-print")
    assert otf2_print, "otf2-print is missing: run scripts/install-system"
    archive = next((tmp_path / "trace").rglob("*.otf2"))
    shown = subprocess.run([otf2_print, str(archive)], capture_output=True, text=True, check=True)
    assert '"GUID"' in shown.stdout and '"Parent GUID"' in shown.stdout


def test_the_trace_is_assembled_when_read_and_describes_its_own_call(monkeypatch):
    assembled = []
    original = Trace.from_run.__func__

    def counting(cls, *args, **kwargs):
        assembled.append(args[0])
        return original(cls, *args, **kwargs)

    monkeypatch.setattr(Trace, "from_run", classmethod(counting))
    f = physl(gradient_step)
    x = np.random.default_rng(2).random((300, 300))
    f(x, np.ones(300), 2)
    f(x, np.ones(300), 3)  # a call whose trace nobody reads is never assembled
    assert assembled == []
    trace = f.trace
    assert f.trace is trace and len(assembled) == 1
    dots = [e for e in trace.profile if e.display_name == "dot"]
    assert sum(e.count for e in dots) == 6  # the latest call's: 3 steps, 2 dots each
    assert trace.metadata["trace_mode"] == "profile" and trace.function == "gradient_step"
    f(x, np.ones(300), 1)
    assert sum(e.count for e in f.trace.profile if e.display_name == "dot") == 2


def test_trace_off(monkeypatch):
    f = physl(gradient_step, trace="off")
    f(np.ones((3, 3)), np.ones(3), 1)
    assert f.trace is None
    monkeypatch.setenv("JETLAG_TRACE", "off")
    g = physl(gradient_step)
    g(np.ones((3, 3)), np.ones(3), 1)
    assert g.trace is None


def test_adaptive_policy_switches_a_cheap_primitive_to_inline(monkeypatch):
    # sum over 200k elements is "big" by the static rule but takes far less than 20 ms.
    monkeypatch.setenv("JETLAG_INLINE_NS", "20000000")
    monkeypatch.setenv("JETLAG_INLINE_WARMUP", "3")

    def repeated_sums(v, n):
        # The loop condition needs each total, so every sum finishes (and is measured)
        # before the next one is issued.
        total = 0.0
        while total < n * 200_000.0:
            total = total + np.sum(v)
        return total

    f = physl(repeated_sums, trace="events")
    v = np.ones(200_000)
    assert f(v, 8) == 8 * 200_000.0
    sums = sorted(
        (e for e in f.trace.events if e.name.startswith("sum$") and e.kind != "chunk"),
        key=lambda e: e.start_ns,
    )
    assert [e.kind for e in sums] == ["task"] * 3 + ["inline"] * 5
    decisions = f.trace.metadata["inlining"]
    (instance,) = [name for name in decisions if name.startswith("sum$")]
    assert decisions[instance]["decision"] == "inline"
    assert decisions[instance]["count"] == 8


def test_adaptive_policy_keeps_expensive_primitives_spawned(monkeypatch):
    monkeypatch.setenv("JETLAG_INLINE_NS", "1")
    f = physl(gradient_step, trace="events")
    x = np.random.default_rng(2).random((300, 300))
    f(x, np.ones(300), 6)
    dots = [e for e in f.trace.events if e.name.startswith("dot$") and e.kind != "chunk"]
    assert dots and all(e.kind == "task" for e in dots)


@pytest.mark.parametrize("mode", ["profile", "events"])
def test_tree_counters_feed_the_dot_export(mode):
    f = physl(gradient_step, trace=mode)
    f(np.ones((4, 4)), np.ones(4), 2)
    dot = f.trace.tree.dot(counters=f.trace.tree_counters())
    assert "count" in dot
