"""REST: a job's notification options are checked (errors name the field) and a job that
ends tells a real webhook receiver on 127.0.0.1 once, the attempt in its history."""

from __future__ import annotations

import asyncio
import base64
import sys
from pathlib import Path

import numpy as np
from schema_check import conforms
from server_support import JOB_ENTRY, JOB_SOURCE, npz_bytes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "jobs"))

from receivers import WebhookReceiver  # noqa: E402

ARGS = base64.b64encode(npz_bytes(np.arange(4.0), np.float64(2.0))).decode()


def submission(**options) -> dict:
    return {"source": JOB_SOURCE, "entry": JOB_ENTRY, "args_npz": ARGS, "options": options}


async def test_bad_notification_options_are_400_naming_the_field(api, jp_serverapp):
    cases = [
        ({"notify_url": "http://user:pw@example.org/"}, "options.notify_url"),
        ({"notify_email": "ada@example.org"}, "options.notify_email"),  # no SMTP configured
    ]
    for options, field in cases:
        reply = await api("POST", "jobs", json_body=submission(**options))
        assert reply.status == 400, reply.body
        assert reply.error[1] == field
    assert (await api("GET", "jobs")).json["jobs"] == []


async def test_a_finished_job_tells_its_webhook_once(api, jp_serverapp):
    hook = WebhookReceiver()
    try:
        url = hook.url("/jobs/${JOB_ID}/${STATUS}")
        reply = await api("POST", "jobs", json_body=submission(notify_url=url, trace="off"))
        assert reply.status == 201, reply.body
        job_id = reply.json["id"]
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 120
        while not hook.requests and loop.time() < deadline:
            await asyncio.sleep(0.1)
        job = conforms((await api("GET", f"jobs/{job_id}")).json, "Job")
        assert [r["path"] for r in hook.requests] == [f"/jobs/{job_id}/COMPLETED"]
        assert job["options"]["notify_url"] == url
        while loop.time() < deadline:
            job = (await api("GET", f"jobs/{job_id}")).json
            if any((h["reason"] or "").startswith("notification") for h in job["history"]):
                break
            await asyncio.sleep(0.1)
        assert job["history"][-1]["reason"].endswith("sent (HTTP 200, attempt 1)")
        conforms(job, "Job")
    finally:
        hook.close()
