"""The kernel saves every compiled cell's trace into the trace store (issue #15).

A real physl kernel with JETLAG_STORE in a temporary folder: the cell's trace output
carries the stored trace's id, the store then has the trace (origin "cell", the cell's
label, its events), `%trace off` saves nothing, the event cap keeps the first N events
with an exact profile, and a store that cannot be written leaves cells working with one
stderr line. The saver's hold-and-write logic and the cap are also checked in-process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from kernel_session import TRACE_MIME, KernelSession, start_session

from jetlag.kernel.store_saving import TraceSaver, cap_events
from jetlag.runtime.api import physl
from jetlag.runtime.store.errors import TraceNotFound
from jetlag.runtime.store.traces import TraceStore

NOTEBOOK = "work/analysis.ipynb"
LRA = """\
def lra(x, y, alpha, iterations):
    weights = np.zeros(np.shape(x)[1])
    transx = np.transpose(x)
    step = 0
    while step < iterations:
        pred = 1.0 / (1.0 + np.exp(-np.dot(x, weights)))
        error = pred - y
        gradient = np.dot(transx, error)
        weights = weights - (alpha * gradient)
        step += 1
    return weights
"""
DATA = """\
import numpy as np
rng = np.random.default_rng(0)
x = rng.standard_normal((60, 4))
y = (x[:, 0] > 0) * 1.0
"""


def stored(root: Path, trace_id: str, timeout: float = 30) -> dict[str, Any]:
    """The store's row of `trace_id` once the kernel has written it (it writes when idle)."""
    store = TraceStore(root)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                return store.get(trace_id)
            except TraceNotFound:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
    finally:
        store.close()


def payload(outcome: Any) -> dict[str, Any]:
    (data,) = outcome.traces
    return data[TRACE_MIME]


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def saving(physl_kernelspec: Any, store_root: Path) -> Iterator[KernelSession]:
    """A physl kernel saving into `store_root`, serving the notebook NOTEBOOK."""
    session = start_session({"JETLAG_STORE": str(store_root), "JPY_SESSION_NAME": NOTEBOOK})
    session.ok(DATA)
    session.ok(LRA)
    yield session
    session.close()


def test_compiled_cell_trace_is_saved_and_its_id_published(saving, store_root):
    outcome = saving.ok("w = lra(x, y, 1e-3, 5)")
    assert outcome.stderr == "" and outcome.stdout == ""  # no inline summary by default
    data = payload(outcome)
    assert data["version"] == 2 and data["trace_mode"] == "events"
    trace_id = data["trace_id"]
    assert re.fullmatch(r"t[0-9a-f]{12}", trace_id)
    assert outcome.traces[0]["text/plain"].endswith(f"saved as {trace_id}")
    row = stored(store_root, trace_id)
    label = f"In[{outcome.count}]"
    assert row["origin"] == "cell" and row["cell"] == label == data["cell"]
    # Listed under the function the cell called; the run itself is named after the cell.
    assert row["label"] == "lra" == data["name"]
    assert outcome.traces[0]["text/plain"].startswith(f"JetLag trace of lra (In[{outcome.count}])")
    assert data["function"] == row["function"] == f"cell{outcome.count}"
    assert row["notebook"] == NOTEBOOK
    assert row["events"] == data["events"] > 0 and data["events_dropped"] == 0
    trace = TraceStore(store_root).load(trace_id)
    assert len(trace.events) == row["events"]
    assert {e.display_name for e in trace.profile} >= {"lra", "zeros", "compiled_loop"}
    assert trace.tree is not None and "lra" in trace.source.text
    # The trace keeps lra's own cell too: its primitives' tags are lines of that cell.
    assert any(text == LRA for text in trace.sources.values())
    assert trace.origins[f"cell{outcome.count}"] == trace.source.file


def test_source_view_shows_each_function_in_its_own_cell(saving, store_root):
    from jetlag.server_ext.queries import TraceQueries

    outcome = saving.ok("w = lra(x, y, 1e-3, 5)")
    trace_id = payload(outcome)["trace_id"]
    stored(store_root, trace_id)
    store = TraceStore(store_root)
    try:
        answer = TraceQueries(store.columns(trace_id), store.directory(trace_id)).source()
    finally:
        store.close()
    lines = answer["text"].splitlines()
    files = [section["file"] for section in answer["sections"]]
    assert len(files) == 2 and files[-1] == answer["file"]  # lra's cell, then the calling one
    lra_cell = answer["sections"][0]
    assert lines[: lra_cell["lines"]] == LRA.splitlines()
    assert lines[lra_cell["lines"] :] == ["w = lra(x, y, 1e-3, 5)"]
    by_name = {}
    for entry in answer["primitives"]:
        by_name.setdefault(entry["primitive"], []).append(entry)
        # Each instance's line is its tag's line in its own file, shifted by the section.
        section = answer["sections"][files.index(entry["file"])]
        assert entry["line"] == section["offset"] + entry["file_line"]
    # The optimizer made the loop's dots one glm_gradient; it and exp sit in lra's cell.
    for name in ("glm_gradient", "exp", "zeros"):
        assert {e["file"] for e in by_name[name]} == {lra_cell["file"]}, name
    assert [lines[e["line"] - 1].strip() for e in by_name["exp"]] == [
        "pred = 1.0 / (1.0 + np.exp(-np.dot(x, weights)))"
    ]
    assert [lines[e["line"] - 1].strip() for e in by_name["zeros"]] == [
        "weights = np.zeros(np.shape(x)[1])"
    ]
    # "lra" is the call in the calling cell and the name its def binds in its own.
    assert sorted(lines[e["line"] - 1] for e in by_name["lra"]) == [
        "def lra(x, y, alpha, iterations):",
        "w = lra(x, y, 1e-3, 5)",
    ]


def test_trace_shows_mode_cap_and_saving(saving, store_root):
    lines = saving.ok("%trace").stdout.splitlines()
    assert lines == [
        "trace mode: events",
        "event cap: 1,000,000 task events per trace",
        "trace summary: off",
        f"trace saving: on (store: {store_root})",
    ]


def test_trace_off_saves_nothing_and_save_off_keeps_the_output(saving, store_root):
    before = len(TraceStore(store_root).list())
    assert saving.ok("%trace off").stdout == "trace mode: off\n"
    quiet = saving.ok("w = lra(x, y, 1e-3, 5)")
    assert quiet.traces == [] and quiet.stdout == ""
    assert saving.ok("%trace save off").stdout == "trace saving: off\n"
    saving.ok("%trace events")
    unsaved = saving.ok("w = lra(x, y, 1e-3, 5)")
    assert payload(unsaved)["trace_id"] is None
    assert "saved as" not in unsaved.traces[0]["text/plain"]
    saving.ok("get_ipython().jetlag.saver.flush()")
    assert len(TraceStore(store_root).list()) == before
    assert saving.ok("%trace save on").stdout.startswith("trace saving: on")


def test_profile_mode_saves_the_profile_without_events(saving, store_root):
    outcome = saving.ok("%trace profile")
    assert outcome.stdout == "trace mode: profile\n"
    assert saving.ok("%trace summary on").stdout == "trace summary: on\n"
    run = saving.ok("w = lra(x, y, 1e-3, 5)")
    assert run.stdout.startswith("[JetLag] lra: ")  # asked for explicitly
    saving.ok("%trace summary off")
    data = payload(run)
    row = stored(store_root, data["trace_id"])
    assert row["events"] == 0 and data["events"] == data["events_dropped"] > 0
    profile = TraceStore(store_root).load(data["trace_id"]).profile
    assert sum(entry.count for entry in profile) == data["events"]


def test_event_cap_keeps_the_first_events_and_an_exact_profile(saving, store_root):
    assert saving.ok("%trace events --cap 3").stdout == (
        "trace mode: events, at most 3 task events per trace\n"
    )
    data = payload(saving.ok("w = lra(x, y, 1e-3, 20)"))
    total = data["events"]
    assert total > 3 and data["event_cap"] == 3 and data["events_dropped"] == total - 3
    row = stored(store_root, data["trace_id"])
    assert row["events"] == 3
    detail = TraceStore(store_root).get(data["trace_id"])
    assert detail["metadata"]["events_dropped"] == total - 3
    assert detail["metadata"]["event_cap"] == 3
    trace = TraceStore(store_root).load(data["trace_id"])
    assert sum(entry.count for entry in trace.profile) == total  # from every event
    assert row["duration_ns"] == data["wall_ns"]  # the whole run, not the kept events
    saving.ok("%trace events --cap 1_000_000")


def test_bad_cap_is_a_usage_error(saving):
    outcome = saving.run("%trace events --cap zero")
    assert outcome.status == "error"
    assert "--cap takes a positive whole number" in outcome.stderr


@pytest.mark.usefixtures("physl_kernelspec")
def test_unwritable_store_leaves_cells_working_with_one_stderr_line(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    session = start_session({"JETLAG_STORE": str(blocker / "store")})
    try:
        session.ok("import numpy as np")  # plain Python: no trace
        first = session.ok("x = np.ones((5, 3))\ns = np.sum(np.dot(x, x.T))")
        assert payload(first)["trace_id"] is None
        (line,) = first.stderr.splitlines()
        assert line.startswith(f"JetLag: could not save the trace into the store at {blocker}")
        assert "said once per kernel session" in line
        second = session.ok("s2 = np.sum(np.dot(x, x.T))")
        assert second.stderr == "" and len(second.traces) == 1
        assert session.ok("s == s2").results == ["np.True_"]
    finally:
        session.close()


# -- in-process: the saver and the cap -----------------------------------------------------


@physl(trace="events")
def _small(x):
    return np.sum(np.dot(x, x.T)) + np.sum(np.exp(x))


def _trace() -> Any:
    _small(np.ones((50, 3)))
    return _small.trace


def test_cap_events_keeps_first_by_start_and_the_profile():
    trace = _trace()
    total = len(trace.events)
    before = {e.instance: (e.count, e.inclusive_ns) for e in trace.profile}
    wall = trace.wall_ns
    starts = np.sort(trace.events.rows["start"])
    assert cap_events(trace, 3) == total - 3
    assert np.array_equal(trace.events.rows["start"], starts[:3])
    assert {e.instance: (e.count, e.inclusive_ns) for e in trace.profile} == before
    assert trace.metadata["wall_ns"] == wall
    assert (trace.metadata["events_dropped"], trace.metadata["event_cap"]) == (total - 3, 3)
    assert cap_events(trace, 3) == 0  # under the cap: unchanged


class _FailingStore:
    root = Path("/nowhere")

    def new_id(self) -> str:
        return "t000000000001"

    def save(self, trace: Any, **fields: Any) -> str:
        raise OSError(28, "No space left on device")


def test_background_failures_are_said_once():
    saver = TraceSaver()
    saver._store = _FailingStore()
    assert saver.save(_trace(), cell="In[1]", label="f") == "t000000000001"
    assert saver.save(_trace(), cell="In[2]", label="f") == "t000000000001"
    assert saver.flush(timeout=10)
    line = saver.problem()
    assert line is not None and "No space left on device" in line and "(2 traces)" in line
    saver.save(_trace(), cell="In[3]", label="f")
    saver.flush(timeout=10)
    assert saver.problem() is None  # once per session


def test_saver_writes_only_while_idle(tmp_path):
    saver = TraceSaver(root=str(tmp_path))
    saver.QUIET_S = 0.01
    saver.busy()
    trace_id = saver.save(_trace(), cell="In[1]", label="small")
    time.sleep(0.3)
    store = TraceStore(tmp_path)
    with pytest.raises(TraceNotFound):
        store.get(trace_id)  # held while the kernel is busy
    saver.idle()
    assert stored(tmp_path, trace_id)["cell"] == "In[1]"
    assert saver.problem() is None


def test_unusable_cap_and_save_settings_are_dropped_and_said(monkeypatch):
    from jetlag.kernel.state import KernelState, drop_unusable_settings

    monkeypatch.setenv("JETLAG_TRACE_CAP", "lots")
    monkeypatch.setenv("JETLAG_TRACE_SAVE", "maybe")
    warnings = drop_unusable_settings()
    assert any("JETLAG_TRACE_CAP='lots' is not a whole number >= 1" in w for w in warnings)
    assert any("JETLAG_TRACE_SAVE='maybe' is not one of on, off" in w for w in warnings)
    state = KernelState()
    assert state.event_cap == 1_000_000 and state.saver.enabled
    monkeypatch.setenv("JETLAG_TRACE_CAP", "500")
    monkeypatch.setenv("JETLAG_TRACE_SAVE", "off")
    state = KernelState()
    assert state.event_cap == 500 and not state.saver.enabled
