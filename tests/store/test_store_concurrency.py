"""Many writers at once (threads, processes) and crashes: nothing lost, nothing half-listed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from conftest import leftovers
from store_data import by_guid, small_trace

from jetlag.runtime.store.traces import TraceStore

HERE = Path(__file__).parent


def _python(code: str, root: Path) -> subprocess.Popen:
    """A child Python process running `code` with the store helpers importable."""
    prelude = f"import sys; sys.path.insert(0, {str(HERE)!r}); ROOT = {str(root)!r}\n"
    return subprocess.Popen(
        [sys.executable, "-c", prelude + textwrap.dedent(code)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_concurrent_saves_from_threads(store):
    ids: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for round_ in range(4):
            trace_id = store.save(small_trace(shift=index * 100_000 + round_), origin="cell")
            with lock:
                ids.append(trace_id)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 24
    assert {r["id"] for r in store.list(limit=100)} == set(ids)
    assert all(len(store.load(i).events) == 5 for i in ids[:3])
    assert leftovers(store) == []


def test_concurrent_saves_from_two_processes(store):
    code = """
        from store_data import small_trace
        from jetlag.runtime.store.traces import TraceStore
        store = TraceStore(ROOT)
        for i in range(6):
            print(store.save(small_trace(shift=i), origin="proc"))
        ids = [store.save_async(small_trace(shift=100 + i), origin="proc") for i in range(4)]
        store.flush(60)
        print("\\n".join(ids))
    """
    children = [_python(code, store.root) for _ in range(2)]
    mine = [store.save(small_trace(shift=i), origin="parent") for i in range(3)]
    printed = []
    for child in children:
        out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err
        printed += out.split()
    assert len(set(printed)) == 20
    assert {r["id"] for r in store.list(origin="proc", limit=100)} == set(printed)
    assert store.count() == 23 and len(mine) == 3
    assert leftovers(store) == []


def test_a_crashed_writers_partial_folder_is_cleaned(store, trace):
    dead = _dead_pid()
    partial = store.traces_dir / f".partial-t0123456789ab-{dead}"
    (partial / "events").mkdir(parents=True)
    (partial / "events" / "start.npy").write_bytes(b"half")
    export = store.traces_dir / f".export-t0123456789ab-0011aabb-{dead}"
    export.mkdir()
    alive = store.traces_dir / f".partial-t0123456789ac-{os.getppid()}"
    alive.mkdir()  # a live writer's folder stays
    old_orphan = store.traces_dir / "t00000000000a"
    young_orphan = store.traces_dir / "t00000000000b"
    for orphan in (old_orphan, young_orphan):
        orphan.mkdir()
        (orphan / "meta.json").write_text("{}")
    past = time.time() - 120
    os.utime(old_orphan, (past, past))

    reopened = TraceStore(store.root)  # cleanup runs on open
    assert not partial.exists() and not export.exists() and not old_orphan.exists()
    assert alive.exists() and young_orphan.exists()
    assert reopened.list() == []
    trace_id = reopened.save(trace)
    assert [r["id"] for r in reopened.list()] == [trace_id]


@pytest.mark.parametrize("stage", ["writing", "listing"])
def test_kill_9_during_a_save_lists_nothing_and_cleanup_recovers(store, stage):
    marker = store.root / "reached"
    code = f"""
        import time
        from store_data import small_trace
        from jetlag.runtime.store import traces
        from jetlag.runtime.store.index import TraceIndex

        def stall(*args, **kwargs):
            open({str(marker)!r}, "w").close()
            time.sleep(120)

        if {stage!r} == "writing":
            real = traces.write_trace
            traces.write_trace = lambda *a, **k: (real(*a, **k), stall())[0]
        else:
            TraceIndex.insert = stall
        traces.TraceStore(ROOT).save(small_trace())
    """
    child = _python(code, store.root)
    deadline = time.monotonic() + 60
    while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    assert marker.exists(), child.communicate()[1]
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)

    assert store.list() == []  # never listed half-written
    left = leftovers(store)
    assert len(left) == 1
    assert left[0].startswith(".partial-" if stage == "writing" else "t")
    if stage == "writing":
        assert store.cleanup() == 1
        assert leftovers(store) == [] and store.list() == []
        return
    # Renamed but not listed: the folder is complete, so once it is a minute old (it is
    # no save in flight then) cleanup lists it again -- nothing is lost.
    assert store.cleanup() == 0 and store.list() == []
    past = time.time() - 120
    os.utime(store.traces_dir / left[0], (past, past))
    assert store.cleanup() == 1
    assert [row["id"] for row in store.list()] == left
    assert by_guid(store.load(left[0])) == by_guid(small_trace())


def test_an_adopted_orphan_keeps_its_new_label(store, trace):
    trace_id = store.save(trace, label="before")
    store.relabel(trace_id, "after")
    store.index.remove(trace_id)  # as if the row were lost
    past = time.time() - 120
    os.utime(store.traces_dir / trace_id, (past, past))
    assert store.cleanup() == 1
    assert store.get(trace_id)["label"] == "after"


def test_kill_9_during_a_delete_never_brings_the_trace_back(store, trace):
    kept, doomed = store.save(trace), store.save(trace)
    code = f"""
        import os, signal
        from jetlag.runtime.store.index import TraceIndex
        from jetlag.runtime.store.traces import TraceStore

        TraceIndex.remove = lambda self, trace_id: os.kill(os.getpid(), signal.SIGKILL)
        TraceStore(ROOT).delete({doomed!r})
    """
    child = _python(code, store.root)
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    # Killed after moving the folder aside, before removing the row: cleanup drops the row.
    assert store.cleanup() == 2  # the dead deleter's trash folder and the row
    assert [row["id"] for row in store.list()] == [kept]
    assert leftovers(store) == []


def test_a_second_store_sees_saves_and_deletes_of_the_first(store, trace):
    other = TraceStore(store.root)
    trace_id = store.save(trace)
    assert by_guid(other.load(trace_id)) == by_guid(trace)
    other.delete(trace_id)
    assert store.list() == []
