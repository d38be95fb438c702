"""One trace from all workers: the block tasks of both workers, merged on the client's
clock under the client's tasks, in one GUID tree that the profile, OTF2 and otf2-print read."""

from __future__ import annotations

import shutil
import subprocess

import data
import listings
import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.scheduler.dask_trace import measure_offsets


@pytest.fixture(scope="module")
def lra_trace(client):
    from jetlag.runtime.scheduler.dask_executor import DaskExecutor

    x, y = data.lra_data(400, 60, seed=8)
    f = physl(listings.lra, optimize=False, trace="events")
    f.executor = DaskExecutor(client, threshold_bytes=16 << 10, timeout_s=120)
    f(x, y, 1e-3, 4, False)
    return f.trace


def test_the_trace_holds_block_tasks_of_both_workers(lra_trace, client):
    workers = set(client.scheduler_info()["workers"])
    locations = [w for w in lra_trace.workers if w != "driver"]
    # The node part of a location is the worker's address, the rest its thread.
    assert {w.rsplit("/", 1)[0] for w in locations} == workers
    names = {e.display_name for e in lra_trace.profile}
    # As written (no fusion): the products and each elementwise step ran per block.
    assert {"dot#block", "exp#block", "__sub#block"} <= names


def test_guids_are_unique_and_every_parent_exists(lra_trace):
    assert lra_trace.check_tree() == []
    rows = lra_trace.events.rows
    by_guid = {int(r["guid"]): r for r in rows}
    assert len(by_guid) == len(rows)
    driver = lra_trace.events.workers.index("driver")
    blocks = [r for r in rows if lra_trace.events.names[r["name"]].endswith("#block")]
    assert len(blocks) >= 8  # 4 iterations, two products of two blocks at least
    for row in blocks:
        parent = by_guid[int(row["parent"])]
        # A block hangs off the client's evaluation of the same primitive instance...
        assert parent["worker"] == driver
        name = lra_trace.events.names[row["name"]]
        assert name == lra_trace.events.names[parent["name"]] + "#block"
        # ...and lies inside it on the client's clock.
        assert parent["start"] <= row["start"] <= row["end"] <= parent["end"]


def test_the_profile_adds_up_across_workers(lra_trace):
    profile = {e.instance: e for e in lra_trace.profile}
    rows = lra_trace.events.rows
    for entry in profile.values():
        if entry.instance.endswith("#block"):
            # Blocks ran on the workers: nothing of them is the client's exclusive time.
            assert entry.exclusive_ns == entry.inclusive_ns
    blocks = sum(e.count for e in profile.values() if e.instance.endswith("#block"))
    names = lra_trace.events.names
    assert blocks == sum(1 for r in rows if names[r["name"]].endswith("#block"))
    root = profile["run"]
    assert root.inclusive_ns == lra_trace.wall_ns


def test_clock_offsets_of_local_workers_are_small(client):
    # Same machine, same monotonic clock: the estimate is within a round trip of zero.
    offsets = measure_offsets(client)
    assert set(offsets) == set(client.scheduler_info()["workers"])
    assert all(abs(o) < 50_000_000 for o in offsets.values())


def test_otf2_export_of_the_merged_trace_reads_back(lra_trace, tmp_path):
    lra_trace.save(tmp_path / "trace")
    loaded = Trace.load(tmp_path / "trace")
    assert len(loaded.events) == len(lra_trace.events)
    assert sorted(loaded.workers) == sorted(lra_trace.workers)
    tool = shutil.which("otf2-print")
    assert tool, "otf2-print is missing: run scripts/install-system"
    anchor = next((tmp_path / "trace").rglob("*.otf2"))
    shown = subprocess.run([tool, str(anchor)], capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert '"GUID"' in shown.stdout and '"Parent GUID"' in shown.stdout
    assert "#block" in shown.stdout
    definitions = subprocess.run([tool, "-G", str(anchor)], capture_output=True, text=True)
    for worker in (w for w in lra_trace.workers if w != "driver"):
        assert worker in definitions.stdout
    assert np.all(loaded.events.rows["end"] >= loaded.events.rows["start"])
