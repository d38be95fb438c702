"""Job dependencies (`after=[ids]`): held by the service on the local machine, chained with
afterok on Slurm; a parent that fails or is cancelled fails its children with the reason."""

from __future__ import annotations

import json
import subprocess

import job_functions
import numpy as np
import pytest
from cluster_fixtures import *  # noqa: F403 - the cluster fixtures
from jobs_support import WAIT, running_pid, until

import jetlag.remote as remote
from jetlag.runtime.jobs import JobError
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.backends.slurm_commands import parse_show
from jetlag.runtime.jobs.processes import stop_job

TINY = "def tiny(i):\n    return i + 1\n"


def submit(service, after, machine="local", **options):
    return service.submit(
        source=TINY,
        entry="tiny",
        args_npz=encode_arguments((1,)),
        machine=machine,
        options={"trace": "off", "after": after, **options},
    )["id"]


def test_a_local_chain_runs_in_order(store, service):
    first = remote.run(job_functions.forever, 1.0, trace="off").id
    second = submit(service, [first])
    third = submit(service, [second, first])
    held = service.get(second)
    assert held["state"] == "SUBMITTED" and first in held["reason"]
    assert "waiting for its parent jobs" in held["reason"]
    service.poll()
    assert service.get(third)["state"] == "SUBMITTED"
    # The parent "completes": record COMPLETED as its runner would, then stop it.
    pid, start = running_pid(service, first)
    service.records.transition(first, "COMPLETED", sources=("RUNNING",), reason="done")
    stop_job(pid, start)
    until(lambda: service.get(third)["state"] == "COMPLETED", "the chain to complete")
    assert remote.job(third).result() == 2
    history = [h["state"] for h in service.get(second)["history"]]
    assert history[:2] == ["SUBMITTED", "SUBMITTED"] and history[-1] == "COMPLETED"


def test_a_failing_or_cancelled_parent_fails_its_children(store, service):
    bad = remote.run(job_functions.mismatch, np.ones(3), np.ones(4)).id
    child = submit(service, [bad])
    grandchild = submit(service, [child])
    until(lambda: service.get(grandchild)["state"] == "FAILED", "the children to fail")
    reason = service.get(child)["reason"]
    assert f"parent job {bad} ended FAILED" in reason and "never run" in reason
    assert f"parent job {child} ended FAILED" in service.get(grandchild)["reason"]
    forever = remote.run(job_functions.forever, 1.0, trace="off")
    orphan = remote.run(job_functions.tiny, 1, after=[forever], trace="off").id
    assert service.get(orphan)["options"]["after"] == [forever.id]
    forever.cancel()
    until(lambda: service.get(orphan)["state"] == "FAILED", "the child of a cancelled job")
    assert f"parent job {forever.id} ended CANCELLED" in service.get(orphan)["reason"]


def test_bad_parents_are_refused_naming_the_field(store, service):
    with pytest.raises(JobError) as caught:
        submit(service, ["j000000000000"])
    assert caught.value.status == 404 and caught.value.field == "options.after[0]"
    with pytest.raises(JobError) as caught:
        submit(service, ["not-a-job"])
    assert caught.value.status == 400 and caught.value.field == "options.after[0]"
    with pytest.raises(JobError) as caught:
        submit(service, 7)
    assert caught.value.field == "options.after"


def _slurm_state(cluster, service, job_id):
    ref = json.loads(service.records.get(job_id)["backend_ref"] or "{}")
    done = subprocess.run(
        ["scontrol", "--oneliner", "show", "job", ref["slurm"]],
        env=cluster.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return parse_show(done.stdout)


def test_an_afterok_chain_on_slurm(store, slurm_jobs, slurm_cluster):
    slurm_jobs.start_monitor(0.05)
    first = submit(slurm_jobs, [], machine="cluster")
    second = submit(slurm_jobs, [first], machine="cluster")
    third = submit(slurm_jobs, [second], machine="cluster")
    # Slurm itself holds the children: they are queued at once, with afterok.
    for child, parent in ((second, first), (third, second)):
        shown = _slurm_state(slurm_cluster, slurm_jobs, child)
        parent_ref = json.loads(slurm_jobs.records.get(parent)["backend_ref"])["slurm"]
        assert shown["Dependency"] in (f"afterok:{parent_ref}(unfulfilled)", "(null)")
    until(lambda: slurm_jobs.get(third)["state"] == "COMPLETED", "the chain", WAIT)
    assert remote.job(third).result() == 2
    assert [slurm_jobs.get(j)["state"] for j in (first, second)] == ["COMPLETED"] * 2


def test_a_failing_slurm_parent_fails_its_slurm_child(store, slurm_jobs, slurm_cluster):
    slurm_jobs.start_monitor(0.05)
    bad = remote.run(job_functions.mismatch, np.ones(3), np.ones(4), machine="cluster")
    child = submit(slurm_jobs, [bad.id], machine="cluster")
    local_child = submit(slurm_jobs, [bad.id])
    until(lambda: slurm_jobs.get(child)["state"] == "FAILED", "the child to fail", WAIT)
    assert f"parent job {bad.id} ended FAILED" in slurm_jobs.get(child)["reason"]
    until(
        lambda: _slurm_state(slurm_cluster, slurm_jobs, child)["JobState"] == "CANCELLED",
        "Slurm to drop the child",
    )
    until(lambda: slurm_jobs.get(local_child)["state"] == "FAILED", "the local child to fail")


def test_a_local_parent_holds_a_slurm_child(store, slurm_jobs):
    slurm_jobs.start_monitor(0.05)
    parent = submit(slurm_jobs, [])
    child = submit(slurm_jobs, [parent], machine="cluster")
    until(lambda: slurm_jobs.get(child)["state"] == "COMPLETED", "the child", WAIT)
    child_history = slurm_jobs.get(child)["history"]
    parent_end = slurm_jobs.get(parent)["ended_at"]
    queued = next(h for h in child_history if h["state"] == "PENDING")
    assert queued["at"] >= parent_end
