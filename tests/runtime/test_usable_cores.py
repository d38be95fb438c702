"""The default thread count is the cores this process may use: affinity mask and cgroup quota.

The cgroup files are fakes in a tmp dir (cores.py takes the root and /proc/self/cgroup as
parameters); the affinity mask is real, narrowed with `taskset` in a subprocess.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from jetlag.runtime.primitives import cores
from jetlag.runtime.primitives.cores import quota_cores, usable_cores
from jetlag.runtime.primitives.parallel import default_workers
from jetlag.runtime.scheduler.pool import TaskPool

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


@pytest.fixture
def many_cpus(monkeypatch):
    """An affinity mask of 16 CPUs, so the quota is what limits."""
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: set(range(16)))


def test_cgroup_v2_cpu_max_caps_the_cores(tmp_path, many_cpus):
    _write(tmp_path / "self", "0::/box/job\n")
    _write(tmp_path / "root/box/job/cpu.max", "200000 100000\n")
    assert quota_cores(tmp_path / "root", tmp_path / "self") == 2.0
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 2


def test_a_quota_on_an_ancestor_cgroup_applies_and_the_tightest_wins(tmp_path, many_cpus):
    _write(tmp_path / "self", "0::/box/job\n")
    _write(tmp_path / "root/box/job/cpu.max", "max 100000\n")
    _write(tmp_path / "root/box/cpu.max", "300000 100000\n")
    _write(tmp_path / "root/cpu.max", "800000 100000\n")
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 3


def test_a_fractional_quota_rounds_up(tmp_path, many_cpus):
    _write(tmp_path / "self", "0::/\n")
    _write(tmp_path / "root/cpu.max", "150000 100000\n")
    assert quota_cores(tmp_path / "root", tmp_path / "self") == 1.5
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 2
    _write(tmp_path / "root/cpu.max", "20000 100000\n")
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 1


def test_no_quota_leaves_the_affinity_mask(tmp_path, many_cpus):
    _write(tmp_path / "self", "0::/\n")
    _write(tmp_path / "root/cpu.max", "max 100000\n")
    assert quota_cores(tmp_path / "root", tmp_path / "self") is None
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 16
    # nothing readable at all: the mask
    assert usable_cores(tmp_path / "missing", tmp_path / "missing-self") == 16


def test_cgroup_v1_cfs_quota_caps_the_cores(tmp_path, many_cpus):
    _write(tmp_path / "self", "4:memory:/x\n3:cpu,cpuacct:/docker/abc\n0::/\n")
    _write(tmp_path / "root/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "400000\n")
    _write(tmp_path / "root/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n")
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 4


def test_cgroup_v1_unlimited_quota_is_minus_one(tmp_path, many_cpus):
    _write(tmp_path / "self", "1:cpu:/\n")
    _write(tmp_path / "root/cpu/cpu.cfs_quota_us", "-1\n")
    _write(tmp_path / "root/cpu/cpu.cfs_period_us", "100000\n")
    assert quota_cores(tmp_path / "root", tmp_path / "self") is None


def test_a_container_whose_mount_is_its_own_cgroup_reads_the_mount_root(tmp_path, many_cpus):
    # Without a cgroup namespace /proc/self/cgroup names the host's path, which does not
    # exist under the container's mount; the mount's own files are the container's.
    _write(tmp_path / "self", "0::/kubepods/pod1/ctr\n")
    _write(tmp_path / "root/cpu.max", "100000 100000\n")
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 1


def test_the_quota_never_raises_the_affinity_mask(tmp_path, monkeypatch):
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0, 1})
    _write(tmp_path / "self", "0::/\n")
    _write(tmp_path / "root/cpu.max", "800000 100000\n")
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 2


def test_garbage_in_the_files_is_no_quota(tmp_path, many_cpus):
    _write(tmp_path / "self", "garbage\n0::/\n")
    _write(tmp_path / "root/cpu.max", "lots 100000\n")
    assert usable_cores(tmp_path / "root", tmp_path / "self") == 16


def test_default_workers_follow_the_usable_cores_and_jetlag_threads_overrides(monkeypatch):
    monkeypatch.delenv("JETLAG_THREADS", raising=False)
    monkeypatch.setattr("jetlag.runtime.primitives.parallel.usable_cores", lambda: 3)
    assert default_workers() == 3
    monkeypatch.setenv("JETLAG_THREADS", "16")
    assert default_workers() == 16


def test_a_pool_larger_than_the_cores_knows_how_many_run_at_once():
    pool = TaskPool(4, cores=2)
    try:
        assert (pool.workers, pool.cores) == (4, 2)
        # more threads than cores could only take turns: as many as the cores are started
        assert len(pool._threads) == 2
    finally:
        pool.shutdown()
    pool = TaskPool(1, cores=8)
    try:
        assert pool.cores == 1
    finally:
        pool.shutdown()


@pytest.mark.skipif(shutil.which("taskset") is None, reason="taskset (util-linux) is missing")
def test_taskset_to_one_cpu_gives_one_default_worker():
    first = min(os.sched_getaffinity(0))
    code = (
        "from jetlag.runtime.primitives.cores import usable_cores\n"
        "from jetlag.runtime.primitives.parallel import default_workers\n"
        "print(usable_cores(), default_workers())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "JETLAG_THREADS"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    shown = subprocess.run(
        ["taskset", "-c", str(first), sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        cwd=REPO,
    )
    assert shown.stdout.split() == ["1", "1"]


def test_this_processs_own_reading_is_reused_for_a_few_seconds(monkeypatch):
    monkeypatch.setattr(cores, "_own", None)
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0, 1, 2})
    first = usable_cores()
    monkeypatch.setattr(cores.os, "sched_getaffinity", lambda pid: {0})
    assert usable_cores() == first  # every compiled call asks: the files are not read again
    monkeypatch.setattr(cores, "_own", (time.monotonic() - 1, first))  # REREAD_S passed
    assert usable_cores() == 1
