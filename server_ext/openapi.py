"""The OpenAPI 3.1 document of /jetlag/api/ (served at /jetlag/api/openapi.json).

Built once from the same constants the handlers validate with (params.BOUNDS, the view
table, the submission fields), so the document states exactly what the server checks;
tests fuzz the live server against it with schemathesis. The response schemas are in
schemas.py. This module only describes; it handles no request.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from jetlag.server_ext import params
from jetlag.server_ext.openapi_inputs import (
    ARCHIVE,
    BEGIN,
    BINS,
    COLOR,
    COMPARE,
    COMPARE_A,
    COMPARE_B,
    END,
    GUID,
    JOB_ID,
    LABEL_BODY,
    LIMIT,
    LOCATIONS,
    MACHINE,
    MIN_DURATION,
    NAMES,
    OFFSET,
    PRIMITIVE,
    SUBMIT_BODY,
    TRACE_ID,
    UPLOAD_BODY,
    ref,
    text,
)
from jetlag.server_ext.schemas import STATES, component_schemas

JSON = "application/json"


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


#: Statuses every endpoint may answer besides its own, and why (unknown query parameters
#: are refused everywhere, so every endpoint may answer 400).
_COMMON = {
    "400": "",
    "403": "No valid token (or, for cookie authentication, no XSRF token), or not authorized.",
}
_WHY = {
    "400": "A parameter or the body is invalid, or a query parameter is not one this "
    "endpoint takes; `field` names it.",
    "404": "No such trace, job, machine or item; `field` names what was not found.",
    "409": "The job is not in a state that allows this (still running, already finished).",
    "413": "The request body is larger than the server's limit.",
    "415": "The body's Content-Type is not one this endpoint reads.",
    "503": "The machine cannot take jobs now (misconfigured, or its scheduler does not "
    "answer); `error` says why and where it is configured.",
}


def _errors(*codes: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for code in sorted({*codes, *_COMMON}):
        out[code] = _json(ref("Error"), _WHY.get(code) or _COMMON[code])
    return out


def _op(op_id: str, summary: str, responses: dict[str, Any], parameters=(), body=None):
    operation: dict[str, Any] = {
        "operationId": op_id,
        "summary": summary,
        "parameters": list(parameters),
        "responses": responses,
    }
    if body is not None:
        operation["requestBody"] = body
    return operation


def _view(name: str, summary: str, schema: str, parameters=()) -> dict[str, Any]:
    codes = ("400", "404") if parameters else ("404",)
    return {
        "get": _op(
            f"trace_{name}",
            summary,
            {"200": _json(ref(schema), summary), **_errors(*codes)},
            [TRACE_ID, *parameters],
        )
    }


def _paths() -> dict[str, Any]:
    traces_list = [
        text(
            "origin",
            "Only traces of this origin (cell, save, import, upload, job, ...).",
            maxLength=50,
        ),
        text("job_id", "Only the traces of this job.", pattern=params.JOB_ID_PATTERN),
        LIMIT,
        OFFSET,
    ]
    jobs_list = [
        text("state", "Only jobs in this state.", enum=list(STATES)),
        text("machine", "Only jobs on this machine.", pattern=params.MACHINE_PATTERN),
        LIMIT,
        OFFSET,
    ]
    window = [BEGIN, END, BINS, LOCATIONS, PRIMITIVE]
    return {
        "/openapi.json": {
            "get": _op(
                "openapi",
                "This document.",
                {"200": _json({"type": "object"}, "The OpenAPI 3.1 document."), **_errors()},
            )
        },
        "/machines": {
            "get": _op(
                "list_machines",
                "The machines jobs can run on (`local` always).",
                {"200": _json(ref("MachineList"), "Every configured machine."), **_errors()},
            )
        },
        "/machines/{machine}": {
            "get": _op(
                "get_machine",
                "One machine.",
                {"200": _json(ref("Machine"), "The machine."), **_errors("404")},
                [MACHINE],
            )
        },
        "/jobs": {
            "get": _op(
                "list_jobs",
                "Jobs, newest first.",
                {"200": _json(ref("JobList"), "A page of jobs."), **_errors("400")},
                jobs_list,
            ),
            "post": _op(
                "submit_job",
                "Submit a job (validated: PhySL syntax, entry point, arguments, options).",
                {
                    "201": _json(ref("Job"), "The new job (its Location header names it)."),
                    "200": _json(ref("Job"), "The job already submitted with this key."),
                    **_errors("400", "404", "413", "415", "503"),
                },
                body=SUBMIT_BODY,
            ),
        },
        "/jobs/{job_id}": {
            "get": _op(
                "get_job",
                "One job with its status history.",
                {"200": _json(ref("Job"), "The job."), **_errors("404")},
                [JOB_ID],
            )
        },
        "/jobs/{job_id}/cancel": {
            "post": _op(
                "cancel_job",
                "Cancel a job that has not finished.",
                {
                    "200": _json(ref("Job"), "The job, now CANCELLED (or ending)."),
                    **_errors("404", "409", "503"),
                },
                [JOB_ID],
            )
        },
        "/jobs/{job_id}/result": {
            "get": _op(
                "get_job_result",
                "The result as .npz (load with allow_pickle=False).",
                {
                    "200": {
                        "description": "The result archive.",
                        "content": {"application/octet-stream": {"schema": ARCHIVE}},
                    },
                    **_errors("404", "409"),
                },
                [JOB_ID],
            )
        },
        "/jobs/{job_id}/result/preview": {
            "get": _op(
                "get_job_result_preview",
                "The result's types, shapes and first values.",
                {"200": _json(ref("ResultPreview"), "The preview."), **_errors("404", "409")},
                [JOB_ID],
            )
        },
        "/jobs/{job_id}/stdout": _output("stdout"),
        "/jobs/{job_id}/stderr": _output("stderr"),
        "/jobs/{job_id}/trace": {
            "get": _op(
                "get_job_trace",
                "The id of the job's trace in the store.",
                {"200": _json(ref("JobTrace"), "Where the job's trace is."), **_errors("404")},
                [JOB_ID],
            )
        },
        "/traces": {
            "get": _op(
                "list_traces",
                "Stored traces, newest first.",
                {"200": _json(ref("TraceList"), "A page of traces."), **_errors("400")},
                traces_list,
            ),
            "post": _op(
                "upload_trace",
                "Import an uploaded OTF2 archive as a new trace.",
                {
                    "201": _json(ref("Trace"), "The new trace (its Location header names it)."),
                    **_errors("400", "413", "415"),
                },
                [
                    text("filename", "The archive's file name (only its ending is used)."),
                    text("label", "A label for the new trace.", maxLength=200),
                ],
                body=UPLOAD_BODY,
            ),
        },
        "/traces/{trace_id}": {
            "get": _op(
                "get_trace",
                "One trace's summary.",
                {"200": _json(ref("Trace"), "The trace."), **_errors("404")},
                [TRACE_ID],
            ),
            "patch": _op(
                "label_trace",
                "Change a trace's label.",
                {
                    "200": _json(ref("TraceSummary"), "The trace's row."),
                    **_errors("400", "404", "415"),
                },
                [TRACE_ID],
                body=LABEL_BODY,
            ),
            "delete": _op(
                "delete_trace",
                "Delete a trace.",
                {"204": {"description": "Deleted."}, **_errors("404")},
                [TRACE_ID],
            ),
        },
        "/traces/{trace_id}/download": {
            "get": _op(
                "download_trace",
                "A zip: OTF2, Chrome trace JSON, tree, profile, source.",
                {
                    "200": {
                        "description": "The zip.",
                        "content": {"application/zip": {"schema": ARCHIVE}},
                    },
                    **_errors("404"),
                },
                [TRACE_ID],
            )
        },
        "/traces/{trace_id}/utilization": _view(
            "utilization", "Busy fraction per bin, total and per location.", "Utilization", window
        ),
        "/traces/{trace_id}/gantt": _view(
            "gantt", "Per location and bin: busy fraction and dominant primitive.", "Gantt", window
        ),
        "/traces/{trace_id}/intervals": _view(
            "intervals",
            "Intervals in a window, filtered and paged.",
            "Intervals",
            [BEGIN, END, LOCATIONS, PRIMITIVE, MIN_DURATION, LIMIT, OFFSET],
        ),
        "/traces/{trace_id}/intervals/{guid}": {
            "get": _op(
                "trace_interval",
                "One task by GUID with its ancestry and children.",
                {"200": _json(ref("IntervalDetail"), "The task."), **_errors("400", "404")},
                [TRACE_ID, GUID],
            )
        },
        "/traces/{trace_id}/counters": _view(
            "counters", "Sampled counters, binned.", "Counters", [BEGIN, END, BINS, NAMES]
        ),
        "/traces/{trace_id}/tree": _view(
            "tree", "The execution tree with the profile joined to it.", "Tree"
        ),
        "/traces/{trace_id}/profile": _view("profile", "The profile per primitive.", "Profile"),
        "/traces/{trace_id}/source": _view(
            "source", "The compiled function's text and each primitive's line:col.", "Source"
        ),
        "/traces/{trace_id}/metadata": _view("metadata", "The trace's metadata.", "Metadata"),
        **_charts(window),
        "/tapis/webhook/{machine}/{job_id}/{token}": _tapis_webhook(),
    }


def _charts(window: list[dict[str, Any]]) -> dict[str, Any]:
    """The chart specs (one path per chart, like the views) and the comparison."""
    charts = {
        "utilization": (
            "Utilization chart: total and per-location busy fraction, `brush` on x (ns).",
            window,
        ),
        "counters": (
            "Counters chart: sampled counters, one panel per unit.",
            [BEGIN, END, BINS, NAMES],
        ),
        "tree": ("Execution-tree chart: node-link, point selection `primitive`.", [COLOR, COMPARE]),
        "profile": ("Profile chart: inclusive and exclusive time per primitive.", []),
    }
    paths = {
        f"/traces/{{trace_id}}/charts/{name}": _view(
            f"chart_{name}", summary, "ChartSpec", parameters
        )
        for name, (summary, parameters) in charts.items()
    }
    pair = [COMPARE_A, COMPARE_B]
    paths["/compare"] = {
        "get": _op(
            "compare_traces",
            "Two traces' summaries and per-primitive differences (b minus a).",
            {"200": _json(ref("Comparison"), "The comparison."), **_errors("400", "404")},
            pair,
        )
    }
    paths["/compare/chart"] = {
        "get": _op(
            "compare_chart",
            "Compare chart: both profiles side by side and the differences.",
            {"200": _json(ref("ChartSpec"), "A Vega-Lite v5 spec."), **_errors("400", "404")},
            pair,
        )
    }
    return paths


def _tapis_webhook() -> dict[str, Any]:
    """Tapis's job-status webhook: no Jupyter credentials, the URL's token is the proof."""
    token = {
        "name": "token",
        "in": "path",
        "required": True,
        "description": "The job's webhook token (made by the Tapis backend).",
        "schema": {"type": "string", "maxLength": 200},
    }
    operation = _op(
        "tapis_webhook",
        "Tapis tells of a job's new status; the job is looked at on Tapis at once.",
        {"204": {"description": "Taken."}, **_errors("404")},
        [MACHINE, JOB_ID, token],
        body={
            "required": False,
            "content": {JSON: {"schema": {"type": "object", "description": "Not read."}}},
        },
    )
    operation["security"] = [{}]
    return {"post": operation}


def _output(stream: str) -> dict[str, Any]:
    return {
        "get": _op(
            f"get_job_{stream}",
            f"What the job printed to {stream} (so far).",
            {
                "200": {
                    "description": f"The {stream} text.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                },
                **_errors("404"),
            },
            [JOB_ID],
        )
    }


@cache
def _document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "JetLag server API",
            "version": "1",
            "description": (
                "Machines, jobs and the trace store of the JetLag server extension, and "
                "Traveler-style trace queries whose answers are sized by the screen (bins), "
                'not by the trace. Every error is {"error": message, "field": name|null}.'
            ),
        },
        "servers": [{"url": "/jetlag/api"}],
        "security": [{"token_header": []}, {"token_query": []}],
        "paths": _paths(),
        "components": {
            "schemas": component_schemas(),
            "securitySchemes": {
                "token_header": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "The server's token as `Authorization: token <TOKEN>`.",
                },
                "token_query": {
                    "type": "apiKey",
                    "in": "query",
                    "name": "token",
                    "description": "The server's token as the `token` query parameter.",
                },
            },
        },
    }


def document(base_url: str = "/") -> dict[str, Any]:
    """The document, its server URL under `base_url` (a copy: callers may change it)."""
    doc = copy.deepcopy(_document())
    doc["servers"] = [{"url": base_url.rstrip("/") + "/jetlag/api"}]
    return doc
