"""`%%remote [MACHINE]` and `%jobs` in a real physl kernel (issue #15).

The kernel and this test process share one store (JETLAG_STORE in a temporary folder):
a `%%remote` call on the local machine returns what the in-kernel call returns and
publishes the job's trace, an unknown machine is a clean error naming it, and `%jobs`
lists a job submitted from Python too. How a `%%remote` cell's arguments are read is
checked in-process.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from IPython.core.error import UsageError
from kernel_session import TRACE_MIME, KernelSession, start_session

from jetlag.kernel.remote_call import bind_result, parse_remote_call
from jetlag.runtime.api import physl

JOB_LINE = re.compile(r"^job (j[0-9a-f]{12}) on local: lra, \w+$", re.MULTILINE)
SETUP = """\
import numpy as np
rng = np.random.default_rng(1)
x = rng.standard_normal((50, 4))
y = (x[:, 1] > 0) * 1.0

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


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("jobs-store")


@pytest.fixture(scope="module")
def remote(physl_kernelspec: Any, store_root: Path) -> Iterator[KernelSession]:
    session = start_session({"JETLAG_STORE": str(store_root)})
    session.ok(SETUP)
    yield session
    session.close()


def test_remote_call_on_local_returns_the_in_kernel_value(remote):
    remote.ok("w_here = lra(x, y, 1e-3, 8)")
    outcome = remote.ok("%%remote local\nw_job = lra(x, y, alpha=1e-3, iterations=8)", timeout=120)
    assert JOB_LINE.search(outcome.stdout), outcome.stdout
    assert outcome.results == []  # bound, not shown
    (data,) = outcome.traces  # the job's trace, published like a cell's
    assert data[TRACE_MIME]["function"] == "lra"
    assert re.fullmatch(r"t[0-9a-f]{12}", data[TRACE_MIME]["trace_id"])
    check = "(type(w_job).__name__, w_job.dtype.name, np.allclose(w_job, w_here, rtol=1e-12))"
    assert remote.ok(check).results == ["('ndarray', 'float64', True)"]


def test_remote_without_target_shows_the_value(remote):
    outcome = remote.ok("%%remote\nlra(x[:10], y[:10], 0.5 * 1e-3, 2)", timeout=120)
    assert outcome.results and outcome.results[0].startswith("array([")


def test_unknown_machine_is_a_clean_error_naming_it(remote):
    outcome = remote.run("%%remote nowhere\nlra(x, y, 1e-3, 8)")
    error = outcome.error
    assert error["ename"] == "RemoteError"
    assert "unknown machine 'nowhere'" in error["evalue"] and "local" in error["evalue"]
    traceback = "\n".join(error["traceback"])
    assert "jetlag/" not in traceback and len(error["traceback"]) <= 3


def test_failed_job_is_reported_in_the_cell_s_words(remote):
    outcome = remote.run("%%remote\nlra(x[:3], y[:2], 1e-3, 2)", timeout=120)
    error = outcome.error
    assert error["ename"] == "RemoteError"
    assert "ended FAILED" in error["evalue"] and "could not be broadcast" in error["evalue"]
    assert re.search(r"In\[\d+\]:\d+:\d+", error["evalue"])  # the cell, not a temp file


def test_bad_cells_are_usage_errors(remote):
    for cell, words in (
        ("%%remote\nlra(len(x), y, 1e-3, 8)", "call is not allowed"),
        ("%%remote\nw = rng(x)", "not a function JetLag compiled"),
        ("%%remote\na = 1\nlra(x, y, 1e-3, 8)", "holds 2 statements"),
        ("%%remote --threads\nlra(x, y, 1e-3, 8)", "expected one argument"),
    ):
        outcome = remote.run(cell)
        assert outcome.status == "error" and words in outcome.stderr, (cell, outcome.stderr)


def test_interrupt_stops_the_waiting_not_the_job(remote):
    client = remote.client
    msg_id = client.execute("%%remote\nlra(x, y, 1e-3, 1000000000)", stop_on_error=False)
    job_id = None
    deadline = time.monotonic() + 60
    while job_id is None:  # wait until the job was submitted and the magic waits for it
        assert time.monotonic() < deadline
        message = client.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") == msg_id and message["msg_type"] == "stream":
            found = JOB_LINE.search(message["content"]["text"])
            job_id = found.group(1) if found else None
    remote.manager.interrupt_kernel()
    reply = client.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = client.get_shell_msg(timeout=60)
    assert reply["content"]["ename"] == "KeyboardInterrupt"
    assert f"stopped waiting for job {job_id}; it goes on running" in reply["content"]["evalue"]
    assert remote.ok(f"%jobs {job_id}").stdout.split()[2] in ("PENDING", "RUNNING")
    assert remote.ok(f"%jobs --cancel {job_id}").stdout == f"job {job_id}: CANCELLED\n"


@physl
def scaled(a, factor):
    return a * factor


def test_jobs_lists_jobs_from_python_and_the_kernel(remote, store_root):
    import jetlag.remote

    job = jetlag.remote.run(scaled, np.arange(3.0), 2.0, root=store_root)
    assert job.wait(timeout=120) == "COMPLETED"
    submitted = remote.ok("%%remote --no-wait\nlra(x, y, 1e-3, 3)")
    assert "not waiting: `%jobs j" in submitted.stdout
    kernel_job = JOB_LINE.search(submitted.stdout).group(1)
    listing = remote.ok("%jobs").stdout.splitlines()
    assert listing[0].split() == [
        "id",
        "machine",
        "entry",
        "label",
        "state",
        "created",
        "duration",
        "trace",
    ]
    ids = {line.split()[0]: line for line in listing[1:]}
    assert job.id in ids and kernel_job in ids
    assert " scaled " in ids[job.id] and " COMPLETED " in ids[job.id]
    assert job.info()["trace_id"] in ids[job.id]
    deadline = time.monotonic() + 120
    while "COMPLETED" not in remote.ok(f"%jobs {kernel_job}").stdout.splitlines()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    report = remote.ok(f"%jobs {kernel_job}").stdout
    assert "origin kernel" in report
    assert re.search(r"SUBMITTED.*\n.*PENDING.*\n.*RUNNING.*\n.*COMPLETED", report)
    assert "stderr (last 20 lines):" in report
    unknown = remote.run("%jobs j000000000000")
    assert unknown.error["ename"] == "RemoteError" and "no job" in unknown.error["evalue"]


# -- in-process: reading a %%remote cell -----------------------------------------------------


@physl
def combine(a, b, c):
    return a * c + b


class _Holder:
    value = np.arange(4.0)


NAMESPACE = {"combine": combine, "x": np.arange(6.0), "h": _Holder(), "k": 3, "np": np}


def test_arguments_in_the_allowed_subset():
    call = parse_remote_call("out = combine(x[1:3], -k * 2.5, c=h.value[0])", NAMESPACE)
    assert call.name == "combine" and call.targets == ("out",) and not call.unpack
    a, b, c = call.args
    assert np.array_equal(a, np.array([1.0, 2.0])) and b == -7.5 and c == 0.0
    keywords = parse_remote_call("combine((1, 2), c=1.5, b=k)", NAMESPACE)
    assert keywords.args == ((1, 2), 3, 1.5) and keywords.targets is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("combine(np.ones(3), 1, 2)", "call is not allowed"),
        ("combine(x, h._secret, 2)", "starts with '_'"),
        ("combine(x, missing, 2)", "no variable named 'missing'"),
        ("combine(x + x, 1, 2)", "arithmetic on something that is not a number"),
        ("combine(*x)", "a starred argument"),
        ("combine(x, 1, 2, 3)", "too many positional arguments"),
        ("combine(x, 1)", "missing a required argument: 'c'"),
        ("print(x)", "no function named 'print'"),
        ("h.value = combine(x, 1, 2)", "assigned to a name or a tuple of names"),
        ("combine(lambda: 1, 2, 3)", "lambda is not allowed"),
        ("combine(x, 10 ** 10 ** 10, 2)", "an exponent beyond 1024"),
    ],
)
def test_refused_cells_say_what_is_allowed(body, words):
    with pytest.raises(UsageError, match=re.escape(words)):
        parse_remote_call(body, NAMESPACE)


def test_results_bind_like_assignment():
    namespace: dict[str, Any] = {}
    call = parse_remote_call("a, b = combine(x, 1, 2)", NAMESPACE)
    bind_result(call, (1, 2), namespace)
    assert namespace == {"a": 1, "b": 2}
    with pytest.raises(UsageError, match="has 3 values"):
        bind_result(call, (1, 2, 3), namespace)
