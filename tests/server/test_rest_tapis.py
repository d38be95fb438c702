"""REST with a Tapis machine (the Tapis TEST DOUBLE of tests/jobs/tapis_double.py, driven by
the real tapipy client): a job submitted over REST finishes through Tapis's webhook (the
machine's polling is too slow to finish it in time), its answers conform to the schemas,
and the Tapis token appears in no answer and no log line."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from schema_check import conforms
from server_support import JOB_ENTRY, JOB_SOURCE, npz_bytes
from traitlets.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "jobs"))

from tapis_double import APP, TOKEN_ENV, TapisDouble, make_token, tapis_settings  # noqa: E402

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}


@pytest.fixture
def double(tmp_path, monkeypatch):
    token = make_token()
    monkeypatch.setenv(TOKEN_ENV, token)
    server = TapisDouble(tmp_path / "tapis", token, apps=(APP,))
    yield server
    server.close()
    assert server.violations == [], server.violations


@pytest.fixture
def jp_server_config(store_root, double, jp_http_port, jp_base_url) -> Config:
    webhook = f"http://127.0.0.1:{jp_http_port}{jp_base_url}jetlag/api/tapis/webhook"
    machine = {
        "backend": "tapis",
        **tapis_settings(double, webhook_url=webhook),
        # So slow that only the webhook can finish a job within the test.
        "poll_interval_s": 600.0,
    }
    return Config(
        {
            "ServerApp": {"jpserver_extensions": {"jetlag.server_ext": True}},
            "JetLagExtension": {"machines": {"hpc": machine}},
        }
    )


async def test_a_tapis_job_over_rest_ends_by_webhook_and_no_answer_shows_the_token(
    api, double, jp_serverapp, caplog
):
    caplog.set_level(logging.DEBUG)
    answers = []
    machines = await api("GET", "machines")
    answers.append(machines.body)
    hpc = {m["id"]: m for m in machines.json["machines"]}["hpc"]
    assert hpc["available"] is True, hpc
    conforms(hpc, "Machine")
    args = base64.b64encode(npz_bytes(np.arange(4.0), np.float64(2.0))).decode()
    body = {"source": JOB_SOURCE, "entry": JOB_ENTRY, "args_npz": args, "machine": "hpc"}
    submitted = await api("POST", "jobs", json_body=body)
    assert submitted.status == 201, submitted.body
    job_id = submitted.json["id"]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while True:
        reply = await api("GET", f"jobs/{job_id}")
        answers.append(reply.body)
        if reply.json["state"] in TERMINAL or loop.time() > deadline:
            break
        await asyncio.sleep(0.1)
    job = conforms(reply.json, "Job")
    assert job["state"] == "COMPLETED", job["history"]
    uuid = next(iter(double.jobs))
    assert double.jobs[uuid].deliveries  # Tapis told the server; the server did not poll
    assert any("Tapis RUNNING" in (h["reason"] or "") for h in job["history"])
    preview = await api("GET", f"jobs/{job_id}/result/preview")
    answers.append(preview.body)
    assert preview.status == 200
    for path in ("jobs", f"jobs/{job_id}/stdout", f"jobs/{job_id}/stderr", "openapi.json"):
        answers.append((await api("GET", path)).body)
    token = double.token.encode()
    assert all(token not in answer for answer in answers)
    assert all(f"env:{TOKEN_ENV}".encode() not in answer for answer in answers)
    assert double.token not in caplog.text


async def test_the_webhook_refuses_wrong_tokens_and_unknown_jobs(api, double, jp_serverapp):
    for path in (
        "tapis/webhook/hpc/j000000000000/0123",
        "tapis/webhook/local/j000000000000/0123",
        "tapis/webhook/nowhere/j000000000000/0123",
        "tapis/webhook/hpc/not-a-job/0123",
    ):
        reply = await api("POST", path, body=json.dumps({"event": {}}))
        assert reply.status == 404, (path, reply.body)
