"""REST /jetlag/api/machines and /jobs against a real jupyter-server (jp_fetch) and real
local job runners: submit (multipart and JSON), idempotency, status history, cancel,
result download and preview, output, the job's trace, and every bad submission."""

from __future__ import annotations

import asyncio
import base64
import io
import json

import numpy as np
import pytest
from conftest import JOB_LIMIT
from schema_check import conforms
from server_support import JOB_ENTRY, JOB_SOURCE, multipart, npz_bytes

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT"}
ARGS = npz_bytes(np.arange(4.0), np.float64(2.0))


async def wait_for(api, job_id: str, timeout: float = 120) -> dict:
    """Poll GET jobs/{id} until the job ends (bounded)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        job = (await api("GET", f"jobs/{job_id}")).json
        if job["state"] in TERMINAL or loop.time() > deadline:
            return job
        await asyncio.sleep(0.2)


def form(args: bytes | None = ARGS, **fields: str) -> tuple[bytes, dict[str, str]]:
    values = {"source": JOB_SOURCE, "entry": JOB_ENTRY, **fields}
    files = {"args": ("args.npz", args, "application/octet-stream")} if args is not None else {}
    body, kind = multipart({k: v for k, v in values.items() if v is not None}, files)
    return body, {"Content-Type": kind}


async def test_machines(api, jp_serverapp):
    listing = await api("GET", "machines")
    assert listing.status == 200
    conforms(listing.json, "MachineList")
    assert listing.json["machines"][0]["id"] == "local"
    local = await api("GET", "machines/local")
    assert local.status == 200 and local.json["available"] is True
    conforms(local.json, "Machine")
    unknown = await api("GET", "machines/cray")
    assert unknown.status == 404
    message, field = unknown.error
    assert field == "machine" and "local" in message


async def test_submit_run_and_fetch_everything(api, store_root):
    body, headers = form(machine="local", options=json.dumps({"threads": 1}))
    submitted = await api("POST", "jobs", body=body, headers=headers)
    assert submitted.status == 201, submitted.body
    job = conforms(submitted.json, "Job")
    assert job["state"] in {"SUBMITTED", "PENDING", "RUNNING", "COMPLETED"}
    assert submitted.headers["Location"].endswith(f"/jetlag/api/jobs/{job['id']}")

    done = await wait_for(api, job["id"])
    assert done["state"] == "COMPLETED", done
    conforms(done, "Job")
    states = [entry["state"] for entry in done["history"]]
    assert states[0] == "SUBMITTED" and states[-1] == "COMPLETED" and "RUNNING" in states
    assert all(entry["at"] for entry in done["history"])

    result = await api("GET", f"jobs/{job['id']}/result")
    assert result.status == 200
    assert result.headers["Content-Type"] == "application/octet-stream"
    with np.load(io.BytesIO(result.body), allow_pickle=False) as archive:
        values = [archive[name] for name in archive.files if not name.startswith("__")]
    assert any(np.array_equal(v, np.arange(4.0) * 2.0 + 1.0) for v in values)

    preview = await api("GET", f"jobs/{job['id']}/result/preview")
    assert preview.status == 200
    conforms(preview.json, "ResultPreview")
    assert preview.json["preview"]["values"] == [1.0, 3.0, 5.0, 7.0]

    for stream in ("stdout", "stderr"):
        text = await api("GET", f"jobs/{job['id']}/{stream}")
        assert text.status == 200
        assert text.headers["Content-Type"].startswith("text/plain")

    trace = await api("GET", f"jobs/{job['id']}/trace")
    assert trace.status == 200, trace.body
    conforms(trace.json, "JobTrace")
    assert trace.json["trace_id"] == done["trace_id"]
    gantt = await api("GET", f"traces/{done['trace_id']}/gantt", params={"bins": 8})
    assert gantt.status == 200
    listed = await api("GET", "traces", params={"job_id": job["id"]})
    assert [t["id"] for t in listed.json["traces"]] == [done["trace_id"]]

    jobs = await api("GET", "jobs", params={"state": "COMPLETED", "machine": "local"})
    assert [j["id"] for j in conforms(jobs.json, "JobList")["jobs"]] == [job["id"]]
    assert (await api("GET", "jobs", params={"state": "FAILED"})).json["jobs"] == []

    finished = await api("POST", f"jobs/{job['id']}/cancel")
    assert finished.status == 409 and finished.error[1] == "job_id"


async def test_json_submission_and_idempotency_key(api, jp_serverapp):
    document = {
        "source": JOB_SOURCE,
        "entry": JOB_ENTRY,
        "args_npz": base64.b64encode(ARGS).decode(),
        "options": {"trace": "off", "label": "json"},
        "idempotency_key": "key-1",
    }
    first = await api("POST", "jobs", json_body=document)
    assert first.status == 201, first.body
    again = await api("POST", "jobs", json_body=document)
    assert again.status == 200
    assert again.json["id"] == first.json["id"]
    listing = await api("GET", "jobs")
    assert [j["id"] for j in listing.json["jobs"]] == [first.json["id"]]
    done = await wait_for(api, first.json["id"])
    assert done["state"] == "COMPLETED" and done["label"] == "json"
    no_trace = await api("GET", f"jobs/{done['id']}/trace")
    assert no_trace.status == 404 and no_trace.error[1] == "job_id"


async def test_cancel_a_running_job(api, jp_serverapp):
    body, headers = form()
    job = (await api("POST", "jobs", body=body, headers=headers)).json
    cancelled = await api("POST", f"jobs/{job['id']}/cancel")
    if cancelled.status == 409:  # it finished first: nothing left to cancel
        assert (await wait_for(api, job["id"]))["state"] == "COMPLETED"
        return
    assert cancelled.status == 200
    ended = await wait_for(api, job["id"])
    assert ended["state"] == "CANCELLED"
    result = await api("GET", f"jobs/{job['id']}/result")
    assert result.status == 409 and result.error[1] == "job_id"
    assert "CANCELLED" in result.error[0]


async def test_unknown_and_malformed_job_ids(api, jp_serverapp):
    for path in ("jobs/j000000000000", "jobs/j000000000000/result", "jobs/j000000000000/stdout"):
        reply = await api("GET", path)
        assert reply.status == 404 and reply.error[1] == "job_id", path
    assert (await api("POST", "jobs/j000000000000/cancel")).status == 404
    malformed = await api("GET", "jobs/not-a-job")
    assert malformed.status == 404 and "look like" in malformed.error[0]


BAD_SOURCE = "def scale(x, factor):\n    return x * (factor + \n"
OBJECT_ARGS = b"PK" + b"\0" * 10


def _object_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, np.array([{"a": 1}, None], dtype=object))
    return buffer.getvalue()


# (form fields, args, status, field, words the message must contain)
BAD_FORMS = [
    ({"machine": "cray"}, ARGS, 404, "machine", "local"),
    ({"source": BAD_SOURCE}, ARGS, 400, "source", ":2:"),
    ({"entry": "missing"}, ARGS, 400, "entry", "missing"),
    ({}, b"this is not a zip", 400, "args", ""),
    ({}, _object_npz(), 400, "args", "object"),
    ({"options": json.dumps({"threads": -2})}, ARGS, 400, "options.threads", "1 to 1024"),
    ({"options": json.dumps({"threads": 10**9})}, ARGS, 400, "options.threads", "1 to 1024"),
    ({"options": json.dumps({"time_limit_s": 0})}, ARGS, 400, "options.time_limit_s", ""),
    ({"options": json.dumps({"time_limit_s": 10**12})}, ARGS, 400, "options.time_limit_s", ""),
    ({"options": json.dumps({"speed": 11})}, ARGS, 400, "options.speed", "unknown option"),
    ({"options": "{threads: 2"}, ARGS, 400, "options", "not valid JSON"),
    ({"options": "[1]"}, ARGS, 400, "options", "JSON object"),
    ({"idempotency_key": "x" * 201}, ARGS, 400, "idempotency_key", "1 to 200"),
    ({"source": None}, ARGS, 400, "source", "required"),
    ({"colour": "red"}, ARGS, 400, "colour", "unknown form field"),
]


@pytest.mark.parametrize(("fields", "args", "status", "field", "words"), BAD_FORMS)
async def test_bad_submissions(api, jp_serverapp, fields, args, status, field, words):
    body, headers = form(args, **fields)
    reply = await api("POST", "jobs", body=body, headers=headers)
    assert reply.status == status, reply.body
    message, named = reply.error
    assert named == field
    assert words in message
    assert (await api("GET", "jobs")).json["jobs"] == []


async def test_syntax_error_names_line_and_column(api, jp_serverapp):
    body, headers = form(source="def scale(x, factor):\n    return x +* factor\n")
    reply = await api("POST", "jobs", body=body, headers=headers)
    assert reply.status == 400
    message, field = reply.error
    assert field == "source"
    assert ":2:" in message  # file:line:col of the syntax error


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        (b"{oops", {"Content-Type": "application/json"}, 400, "body"),
        (
            b'{"source": "x", "entry": "f", "args_npz": "%%%"}',
            {"Content-Type": "application/json"},
            400,
            "args_npz",
        ),
        (
            b'{"source": "def f():\\n    return 1\\n", "entry": "f", "args_npz": "aGVsbG8="}',
            {"Content-Type": "application/json"},
            400,
            "args_npz",  # valid base64, but not an .npz: named as this body form names it
        ),
        (b'{"source": 5, "entry": "f"}', {"Content-Type": "application/json"}, 400, "source"),
        (
            b'{"entry": "f", "source": "x", "extra": 1}',
            {"Content-Type": "application/json"},
            400,
            "extra",
        ),
        (b"source=x", {"Content-Type": "text/plain"}, 415, "body"),
    ],
)
async def test_bad_json_submissions(api, jp_serverapp, body, headers, status, field):
    reply = await api("POST", "jobs", body=body, headers=headers)
    assert reply.status == status, reply.body
    assert reply.error[1] == field


async def test_oversized_submission(api, jp_serverapp):
    body, headers = form(args=b"\0" * (JOB_LIMIT + 10))
    reply = await api("POST", "jobs", body=body, headers=headers)
    assert reply.status == 413 and reply.error[1] == "body"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"state": "DONE"}, "state"), ({"limit": "0"}, "limit"), ({"offset": "x"}, "offset")],
)
async def test_bad_job_listing_parameters(api, jp_serverapp, params, field):
    reply = await api("GET", "jobs", params=params)
    assert reply.status == 400 and reply.error[1] == field
