"""Jobs on the local machine: submitted, run by the runner in its own process, and back."""

from __future__ import annotations

import json

import job_functions
import numpy as np
import pytest
from jobs_support import WAIT, same

import jetlag.remote as remote
from jetlag.runtime.jobs import JobError, JobFailed
from jetlag.runtime.jobs.arguments import encode_arguments
from jetlag.runtime.jobs.package import jobs_dir


def data():
    rng = np.random.default_rng(7)
    X = rng.random((40, 3))
    return X, (X[:, 0] > 0.5).astype(np.float64)


def test_a_physl_function_gives_the_same_result_as_in_process(store, service):
    X, y = data()
    job = remote.run(job_functions.lra, X, y, 0.5, 7, label="lra")
    assert job.wait(WAIT) == "COMPLETED", job.info()
    expected = job_functions.lra(X, y, 0.5, 7)
    got = job.result()
    assert same(got, expected)
    assert type(got[1]) is int
    assert job.stdout == "lra done after 7 iterations\n"
    info = service.get(job.id)
    assert [h["state"] for h in info["history"]] == [
        "SUBMITTED",
        "PENDING",
        "RUNNING",
        "COMPLETED",
    ]
    assert all(h["at"] for h in info["history"])
    assert info["label"] == "lra" and info["exit_code"] == 0 and info["origin"] == "python"
    assert info["options"]["trace"] == "events"
    preview = service.result_preview(job.id)
    assert preview["preview"]["items"][1] == {"kind": "int", "value": 7}
    assert service.result_path(job.id).name == "result.npz"


def test_the_trace_is_saved_in_the_store_and_loads(store, service):
    X, y = data()
    job = remote.run(job_functions.lra, X, y, 0.5, 3)
    job.wait(WAIT)
    trace_id = service.get(job.id)["trace_id"]
    assert trace_id is not None and trace_id.startswith("t")
    trace = job.trace()
    assert len(trace.events) > 0 and trace.function == "lra"
    from jetlag.runtime.store.traces import TraceStore

    stored = TraceStore(store)
    try:
        assert [row["id"] for row in stored.list(job_id=job.id)] == [trace_id]
    finally:
        stored.close()


def test_exact_types_and_keyword_arguments_come_back(store, service):
    values = (1, np.int64(1), True, 0.5, float("nan"), 2j, np.float16(3), (2, 3), None, "s")
    job = remote.run(job_functions.identity, *values, trace="off")
    assert same(job.result(WAIT), values)
    assert service.get(job.id)["trace_id"] is None
    job = remote.run(job_functions.scale, np.arange(3.0), kwargs={"factor": 3, "shift": 1})
    assert same(job.result(WAIT), np.arange(3.0) * 3 + 1)


def test_an_error_in_the_function_fails_the_job_with_its_place(store, service):
    job = remote.run(job_functions.mismatch, np.ones(3), np.ones(4))
    assert job.wait(WAIT) == "FAILED"
    reason = service.get(job.id)["reason"]
    assert f"{job_functions.__file__}:" in reason and "broadcast" in reason
    assert "broadcast" in job.stderr
    with pytest.raises(JobFailed) as caught:
        job.result()
    assert caught.value.job_id == job.id and "broadcast" in str(caught.value)
    with pytest.raises(JobError) as caught:
        service.result_path(job.id)
    assert caught.value.status == 409


def test_rest_style_submission_with_a_plain_npz(store, service):
    import io

    buffer = io.BytesIO()
    np.savez(buffer, np.arange(4.0), factor=np.float64(0.5))
    source = "import numpy as np\n\ndef scale(x, factor):\n    return np.sum(x * factor)\n"
    row = service.submit(source=source, entry="scale", args_npz=buffer.getvalue(), origin="rest")
    assert row["state"] in ("PENDING", "RUNNING") and row["origin"] == "rest"
    job = remote.job(row["id"])
    assert job.result(WAIT) == np.float64(3.0)
    assert [j["id"] for j in remote.jobs()] == [row["id"]]


def test_the_same_idempotency_key_gives_one_job(store, service):
    args = encode_arguments((1,))
    source = "def tiny(i):\n    return i + 1\n"
    first = service.submit(source=source, entry="tiny", args_npz=args, idempotency_key="k-1")
    again = service.submit(source=source, entry="tiny", args_npz=args, idempotency_key="k-1")
    assert again["id"] == first["id"]
    assert (first["existing"], again["existing"]) == (False, True)
    assert len(service.list()) == 1
    assert [p.name for p in jobs_dir(store).iterdir()] == [first["id"]]
    assert remote.job(first["id"]).result(WAIT) == 2


def test_a_time_limit_ends_the_job_timeout(store, service):
    job = remote.run(job_functions.forever, 1.0, time_limit_s=1, trace="off")
    assert job.wait(WAIT) == "TIMEOUT"
    info = service.get(job.id)
    assert "time limit of 1 s" in info["reason"] and info["exit_code"] == 124
    exit_info = json.loads((service.directory(job.id) / "exit.json").read_text())
    assert exit_info["state"] == "TIMEOUT"


def test_wait_with_a_timeout_names_the_job(store, service):
    job = remote.run(job_functions.forever, 1.0, trace="off")
    with pytest.raises(TimeoutError, match=job.id):
        job.wait(timeout=0.2)
    job.cancel()
