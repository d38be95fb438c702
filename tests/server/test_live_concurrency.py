"""200 job submissions from 20 client threads against a live server: every job recorded
exactly once (retries with the same idempotency key included) and every job finishes."""

from __future__ import annotations

import base64
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import requests
from server_support import npz_bytes

pytestmark = pytest.mark.slow

JOBS = 200
CLIENTS = 20
#: Every RETRY_EVERY-th submission is sent a second time with the same key.
RETRY_EVERY = 4
SOURCE = """\
def twice(x):
    return x * 2.0
"""


def test_200_concurrent_submissions_recorded_once_and_finished(live_server):
    live_server.start()
    args = base64.b64encode(npz_bytes(np.arange(3.0))).decode()

    def submit(index: int) -> list[tuple[int, str]]:
        session = requests.Session()
        session.headers["Authorization"] = f"token {live_server.token}"
        document = {
            "source": SOURCE,
            "entry": "twice",
            "args_npz": args,
            "idempotency_key": f"client-key-{index}",
            "options": {"trace": "off", "threads": 1},
        }
        answers = []
        for _ in range(2 if index % RETRY_EVERY == 0 else 1):
            reply = session.post(f"{live_server.api}/jobs", json=document, timeout=120)
            answers.append((reply.status_code, reply.json()["id"]))
        return answers

    started = time.monotonic()
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = list(pool.map(submit, range(JOBS)))
    submitted_s = time.monotonic() - started

    ids = [answer[0][1] for answer in answers]
    assert len(set(ids)) == JOBS
    statuses = Counter(status for answer in answers for status, _ in answer)
    assert statuses == {201: JOBS, 200: JOBS // RETRY_EVERY}, statuses
    for answer in answers:  # a retry names the first job
        assert len({job_id for _, job_id in answer}) == 1

    listed = live_server.request("GET", "jobs", params={"limit": 1000}).json()["jobs"]
    keys = Counter(job["idempotency_key"] for job in listed)
    assert len(listed) == JOBS and set(keys.values()) == {1}

    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        listed = live_server.request("GET", "jobs", params={"limit": 1000}).json()["jobs"]
        states = Counter(job["state"] for job in listed)
        if states["COMPLETED"] == JOBS or states.keys() & {"FAILED", "CANCELLED", "TIMEOUT"}:
            break
        time.sleep(1)
    finished_s = time.monotonic() - started
    print(f"{JOBS} jobs: submitted in {submitted_s:.1f} s, all finished after {finished_s:.1f} s")
    assert states == {"COMPLETED": JOBS}, states
