"""Live task events: while a job runs on this host, through Slurm or over SSH, its task
events reach the store as a growing trace; the final trace replaces it under the same id
and equals a run without live events."""

from __future__ import annotations

import collections
import time

import job_functions
import numpy as np
import pytest
from cluster_fixtures import *  # noqa: F403 - the cluster fixtures
from jobs_support import WAIT, until
from tapis_double import tapis_settings
from test_ssh import login_machine

import jetlag.remote as remote
from jetlag.runtime.jobs import remote as remote_module
from jetlag.runtime.jobs.live import LIVE_INTERVAL_ENV
from jetlag.runtime.jobs.live_import import FETCH_INTERVAL_ENV
from jetlag.runtime.store.replacing import live_trace_id
from jetlag.runtime.store.traces import TraceStore

#: Enough iterations that the job runs for seconds (its events flushed many times).
ITERATIONS = 2500


@pytest.fixture
def live_env(monkeypatch):
    """Runners flush and the service fetches every 0.3 s (set before any service starts)."""
    monkeypatch.setenv(LIVE_INTERVAL_ENV, "0.3")
    monkeypatch.setenv(FETCH_INTERVAL_ENV, "0.3")
    return monkeypatch


def data():
    rng = np.random.default_rng(7)
    X = rng.random((20000, 50))
    return X, (X[:, 0] > 0.5).astype(np.float64)


def run_lra(**options):
    X, y = data()
    return remote.run(job_functions.lra, X, y, 0.5, ITERATIONS, threads=1, **options)


def watch(store, job):
    """Snapshots of the job's trace taken while the job was RUNNING (checked after each)."""
    traces = TraceStore(store)
    seen = []
    try:
        # status() polls the service (what a server's monitor thread does all the time).
        while job.status() in ("SUBMITTED", "PENDING", "RUNNING"):
            rows = traces.list(job_id=job.id)
            if rows:
                detail = traces.get(rows[0]["id"])
                guids = np.array(traces.columns(rows[0]["id"]).guid)
                if detail["live"] and job.info()["state"] == "RUNNING":
                    seen.append((detail, guids, len(rows)))
            time.sleep(0.1)
    finally:
        traces.close()
    return seen


def final_trace(store, job):
    traces = TraceStore(store)
    try:
        rows = traces.list(job_id=job.id)
        assert len(rows) == 1, rows  # the live trace was replaced, not duplicated
        trace_id = job.info()["trace_id"]
        assert trace_id == rows[0]["id"] == live_trace_id(job.id)
        return traces.get(trace_id), traces.load(trace_id)
    finally:
        traces.close()


def name_counts(trace) -> collections.Counter:
    names = trace.events.names
    return collections.Counter(names[i] for i in trace.events.rows["name"].tolist())


def check_live(seen, detail, trace, prefix=None):
    """Partial events were stored while the job ran, grew, and all are in the final trace."""
    assert seen, "no live trace was stored while the job ran"
    assert all(count == 1 for _, _, count in seen)
    revisions = [d["revision"] for d, _, _ in seen]
    events = [d["events"] for d, _, _ in seen]
    assert revisions == sorted(revisions) and events == sorted(events)
    assert 0 < events[0] < detail["events"]
    assert not detail["live"] and detail["revision"] == 0
    final_guids = set(trace.events.rows["guid"].tolist())
    for live, guids, _ in seen:
        assert live["has_source"]  # the job's source text: its lines are the events' tags
        assert len(set(guids.tolist())) == len(guids)
        assert set(guids.tolist()) <= final_guids
        if prefix:
            assert all(name.startswith(prefix) for name in live["location_names"])
    assert len(final_guids) == len(trace.events)
    assert trace.check_tree() == []


def test_a_local_jobs_events_reach_the_store_while_it_runs(live_env, store):
    live = run_lra(label="live")
    seen = watch(store, live)
    assert live.wait(WAIT) == "COMPLETED", live.info()
    # The same job without live events (the runner writes no chunks).
    live_env.setenv(LIVE_INTERVAL_ENV, "0")
    plain = run_lra(label="plain")
    assert plain.wait(WAIT) == "COMPLETED", plain.info()
    assert not (remote_module.service(store).directory(plain.id) / "live").exists()

    detail, trace = final_trace(store, live)
    check_live(seen, detail, trace)
    _, baseline = final_trace(store, plain)
    assert len(trace.events) == len(baseline.events)
    assert name_counts(trace) == name_counts(baseline)
    # No more fetches for a job that ended.
    service = remote_module.service(store)
    fetched = service.watcher.live.fetches[live.id]
    for _ in range(5):
        service.poll()
    assert service.watcher.live.fetches[live.id] == fetched


def test_a_slurm_jobs_events_reach_the_store_while_it_runs(live_env, store, slurm_jobs):
    there = run_lra(machine="cluster", label="there", time_limit_s=300)
    seen = watch(store, there)
    assert there.wait(WAIT) == "COMPLETED", there.info()
    live_env.setenv(LIVE_INTERVAL_ENV, "0")
    here = run_lra(label="here")
    assert here.wait(WAIT) == "COMPLETED", here.info()

    detail, trace = final_trace(store, there)
    check_live(seen, detail, trace, prefix="cluster/")
    assert all(name.startswith("cluster/") for name in detail["location_names"])
    _, baseline = final_trace(store, here)
    assert len(trace.events) == len(baseline.events)
    assert name_counts(trace) == name_counts(baseline)
    fetched = slurm_jobs.watcher.live.fetches[there.id]
    # One fetch per interval at most: the job ran for a while, polled every 0.05 s.
    assert fetched >= 1
    for _ in range(5):
        slurm_jobs.poll()
    assert slurm_jobs.watcher.live.fetches[there.id] == fetched


def test_an_ssh_jobs_events_come_over_its_connection(
    live_env, store, ssh_server, slurm_cluster, machines_file, tmp_path
):
    machine = login_machine(
        ssh_server,
        slurm_cluster,
        tmp_path / "w",
        # The login node's environment: the runner flushes every 0.3 s there too.
        setup=[f"export {LIVE_INTERVAL_ENV}=0.3"],
    )
    service = machines_file({"login": machine})
    try:
        there = run_lra(machine="login", label="ssh", time_limit_s=300)
        seen = watch(store, there)
        assert there.wait(WAIT) == "COMPLETED", there.info()
        detail, trace = final_trace(store, there)
        check_live(seen, detail, trace, prefix="login/")
        # The chunks came over the connection into the job's local folder.
        local = service.directory(there.id) / "live"
        assert sorted(p.name for p in local.iterdir())[0] == "events-000001.npz"
    finally:
        service.stop_monitor()
        cancel_jobs_of(service, slurm_cluster)  # noqa: F405


def test_a_tapis_jobs_events_are_downloaded_while_it_runs(live_env, store, double, machines_file):
    # The app's runner flushes every 0.3 s: the machine's live_interval_s, sent to Tapis
    # as one of the job's envVariables (the double's app gets no JETLAG_* of ours).
    settings = tapis_settings(double, live_interval_s=0.3)
    service = machines_file({"hpc": {"backend": "tapis", "poll_interval_s": 0.05, **settings}})
    try:
        there = run_lra(machine="hpc", label="tapis", time_limit_s=300)
        seen = watch(store, there)
        assert there.wait(WAIT) == "COMPLETED", there.info()
        detail, trace = final_trace(store, there)
        check_live(seen, detail, trace, prefix="hpc/")
        # The chunks were listed and downloaded with allowIfRunning into the job's folder;
        # the app removed them from the outputs at the end (the final trace has them all).
        local = service.directory(there.id) / "live"
        assert sorted(p.name for p in local.iterdir())[0] == "events-000001.npz"
        uuid = service.records.get(there.id)["backend_ref"]
        assert not (double.jobs[uuid].folder / "output" / "live").exists()
        # Its statuses came from searches by uuid (one call per poll for all the machine's jobs).
        assert [uuid] in double.searches
        assert not any(op == "getJobStatus" for _, _, op in double.requests)
    finally:
        service.stop_monitor()


def test_a_live_trace_never_undoes_the_final_one(store):
    """A live revision stored after the final trace (a slow import racing the job's end)
    is dropped; an older revision never replaces a newer one."""
    from jetlag.runtime.measure.events import EventLog
    from jetlag.runtime.measure.trace import Trace

    def trace(n, **metadata):
        log = EventLog()
        for i in range(n):
            log.record(i + 1, 0, "add$1$1", "worker-0", 10 * i, 10 * i + 5, "task")
        return Trace.from_events(log, metadata=metadata)

    traces = TraceStore(store)
    try:
        trace_id = "t0123456789ab"
        traces.save(trace(2, live=True, revision=1), trace_id=trace_id, replace=True)
        traces.save(trace(3, live=True, revision=2), trace_id=trace_id, replace=True)
        traces.save(trace(1, live=True, revision=1), trace_id=trace_id, replace=True)
        assert traces.get(trace_id)["events"] == 3
        assert len(traces.columns(trace_id)) == 3
        traces.save(trace(5), trace_id=trace_id, replace=True)
        traces.save(trace(4, live=True, revision=9), trace_id=trace_id, replace=True)
        detail = traces.get(trace_id)
        assert (detail["events"], detail["live"], detail["revision"]) == (5, False, 0)
        assert len(traces.load(trace_id).events) == 5
        assert traces.count() == 1
        until(lambda: not list(store.joinpath("traces").glob(".partial-*")), "scratch removed")
    finally:
        traces.close()


def test_chunks_hold_only_new_events_as_plain_arrays_and_bad_ones_are_refused(tmp_path):
    from jetlag.runtime.jobs.live import BadChunk, LiveEvents, LiveWriter
    from jetlag.runtime.measure.events import EventLog

    log = EventLog()
    writer = LiveWriter(tmp_path, log, clock_offset_ns=123, interval_s=60)
    assert writer.flush() == 0 and not list(tmp_path.iterdir())  # nothing new: no chunk
    log.record(1, 0, "a$1$1", "worker-0", 10, 20, "task")
    log.record(2, 1, "b$2$1", "worker-0", 11, 15, "inline")
    assert writer.flush() == 2
    log.record(3, 1, "b$2$1", "worker-0", 16, 19, "chunk")
    assert writer.flush() == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["events-000001.npz", "events-000002.npz"]

    events = LiveEvents()
    assert events.read_new(tmp_path) == 2 and events.read_new(tmp_path) == 0
    table = events.table()
    assert sorted(table.rows["guid"].tolist()) == [1, 2, 3]
    assert table.names == ["a$1$1", "b$2$1"] and events.last.clock_offset_ns == 123

    # A chunk that needs pickle (an object array) is refused, naming the file.
    np.savez(tmp_path / "events-000003.npz", rows=np.array([None], dtype=object))
    with pytest.raises(BadChunk, match="events-000003.npz"):
        events.read_new(tmp_path)
