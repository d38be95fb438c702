"""Schemathesis against a live, token-authenticated `jupyter server` with the extension.

The server runs in a subprocess on a store seeded with a real trace (under the document's
example trace id) and a finished job, so the `{trace_id}`/`{job_id}` operations answer
with data, not only 404. Schemathesis (Python API) loads /jetlag/api/openapi.json, runs
the examples, coverage (boundary and invalid values, other methods) and fuzzing phases
once each, bounded in examples and time, and checks every response: no 5xx, status
code, content type and body conforming to the document.
"""

from __future__ import annotations

import base64
import time
from collections import Counter

import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events
from server_support import JOB_ENTRY, JOB_SOURCE, npz_bytes, seed_trace

from jetlag.server_ext.openapi_inputs import EXAMPLE_TRACE_ID

#: Bounds of the run: examples per operation and phase, and seconds in all.
MAX_EXAMPLES = 50
MAX_TIME_S = 120
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "unsupported_method",
    "allow_header_conformance",
)


def _finished_job(server) -> str:
    """Submit a tiny job through REST and wait (bounded) for it to complete."""
    reply = server.request(
        "POST",
        "jobs",
        json={
            "source": JOB_SOURCE,
            "entry": JOB_ENTRY,
            "args_npz": base64.b64encode(npz_bytes([1.0, 2.0], 3.0)).decode(),
        },
    )
    assert reply.status_code == 201, reply.text
    job_id = reply.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        state = server.request("GET", f"jobs/{job_id}").json()["state"]
        if state == "COMPLETED":
            return job_id
        assert state in {"SUBMITTED", "PENDING", "RUNNING"}, state
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish")


@pytest.mark.slow
def test_schemathesis_finds_no_5xx_and_no_nonconforming_answer(live_server):
    seed_trace(live_server.store, trace_id=EXAMPLE_TRACE_ID, label="fuzzed")
    doomed = seed_trace(live_server.store, label="deleted by the fuzzer")
    live_server.start()
    job_id = _finished_job(live_server)
    guid = live_server.request("GET", f"traces/{EXAMPLE_TRACE_ID}/intervals").json()["intervals"][
        -1
    ]["guid"]

    # Archives are sent as they are (the fuzzer's bytes; the server must refuse them cleanly).
    schemathesis.serializer.alias(
        ["application/zip", "application/gzip", "application/x-tar"], "application/octet-stream"
    )
    config = SchemathesisConfig.from_dict(
        {
            "headers": {"Authorization": f"token {live_server.token}"},
            "base-url": live_server.api,
            "workers": 1,
            "seed": 15,
            # The token goes in the Authorization header; generated tokens would only test
            # that wrong ones get 403 (test_rest_auth does that).
            "generation": {
                "max-examples": MAX_EXAMPLES,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": True},
                "fuzzing": {"enabled": True},
                "coverage": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
            "parameters": {
                "path.trace_id": EXAMPLE_TRACE_ID,
                "path.job_id": job_id,
                "path.machine": "local",
                "path.guid": guid,
            },
            # Deleting the seeded trace would turn the rest into 404s: delete another one.
            "operations": [
                {"include-operation-id": "delete_trace", "parameters": {"path.trace_id": doomed}}
            ],
        }
    )
    schema = schemathesis.openapi.from_url(
        f"{live_server.api}/openapi.json",
        config=config,
        headers={"Authorization": f"token {live_server.token}"},
    )

    failures: list[str] = []
    statuses: Counter[int] = Counter()
    operations: set[str] = set()
    cases = 0
    # One pass of each phase, bounded by MAX_EXAMPLES; MAX_TIME_S stops it early if the
    # machine is slow. (Schemathesis' own max-time would keep fuzzing until it runs out.)
    started = time.monotonic()
    stream = schemathesis.engine.from_schema(schema).execute()
    for event in stream:
        if time.monotonic() - started > MAX_TIME_S:
            stream.stop()
        if isinstance(event, events.ScenarioFinished):
            for interaction in event.recorder.interactions.values():
                cases += 1
                operations.add(event.recorder.label)
                if interaction.response is not None:
                    statuses[interaction.response.status_code] += 1
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.status.name == "FAILURE":
                        info = check.failure_info
                        failures.append(
                            f"{event.recorder.label}: {check.name}: "
                            f"{info.failure.title}: {info.failure.message[:600]}\n  {info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"error in {event.label}: {event.info.format()}")
        elif isinstance(event, events.FatalError):
            failures.append(f"fatal: {event.exception}")
    summary = (
        f"{cases} cases, {len(operations)} operations, statuses {dict(sorted(statuses.items()))}"
    )
    print(summary)
    unique = list(dict.fromkeys(f.split("\n  ")[0][:300] for f in failures))
    assert not failures, "\n".join(unique[:30]) + "\n" + summary
    assert not [code for code in statuses if code >= 500], summary
    documented = {
        f"{method.upper()} {path}"
        for path, methods in schema.raw_schema["paths"].items()
        for method in methods
    }
    # The document itself is what schemathesis loaded; it does not fuzz that operation.
    assert documented - operations == {"GET /openapi.json"}, summary
    assert statuses[200] > 0 and statuses[400] > 0, summary
