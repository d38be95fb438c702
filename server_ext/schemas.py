"""JSON Schemas (OpenAPI 3.1 `components/schemas`) of every body the REST API reads or writes.

Each schema states exactly the fields the server writes: `additionalProperties: false`
where the server's answer has a fixed set of keys, open objects only where the content is
free-form by nature (a trace's metadata, a counter's name table). Tests validate real
answers against these schemas, and schemathesis checks the live server with them.
"""

from __future__ import annotations

from typing import Any

from jetlag.runtime.jobs.states import STATES
from jetlag.server_ext import params

__all__ = ["STATES", "component_schemas"]

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
NUMBER: dict[str, Any] = {"type": "number"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
FRACTION: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1}
#: Text a label may hold: one line of printable characters.
LABEL_PATTERN = "^[^\\x00-\\x1f\\x7f]*$"


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def ref(name: str) -> dict[str, str]:
    """A reference to another component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def array(items: dict[str, Any]) -> dict[str, Any]:
    """An array of `items`."""
    return {"type": "array", "items": items}


def record(
    properties: dict[str, Any],
    *,
    optional: tuple[str, ...] = (),
    description: str | None = None,
    closed: bool = True,
) -> dict[str, Any]:
    """An object with these properties, all required except `optional`."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": [name for name in properties if name not in optional],
        "additionalProperties": not closed,
    }
    if description:
        schema["description"] = description
    return schema


def page(name: str, item: str) -> dict[str, Any]:
    """A page of a listing: the items and the paging that produced it."""
    return record(
        {
            name: array(ref(item)),
            "limit": {"type": "integer", "minimum": 1},
            "offset": COUNT,
        }
    )


def _error() -> dict[str, Any]:
    return record(
        {
            "error": {"type": "string", "description": "What is wrong and how to fix it."},
            "field": nullable({"type": "string", "description": "The parameter or field."}),
        },
        description="Every error answer.",
    )


_TRACE_ROW: dict[str, Any] = {
    "id": {"type": "string", "pattern": params.TRACE_ID_PATTERN},
    "label": nullable(STRING),
    "origin": STRING,
    "function": nullable(STRING),
    "notebook": nullable(STRING),
    "cell": nullable(STRING),
    "job_id": nullable(STRING),
    "created_at": {"type": "string", "description": "ISO 8601, UTC."},
    "start_time": nullable(STRING),
    "events": COUNT,
    "locations": COUNT,
    "duration_ns": COUNT,
    "bytes": COUNT,
}

_TRACE_DETAIL: dict[str, Any] = {
    **_TRACE_ROW,
    "root_guid": nullable(COUNT),
    "host": nullable(STRING),
    "threads": nullable({"type": "object", "additionalProperties": INTEGER}),
    "clock_offset_ns": nullable(INTEGER),
    "source_file": nullable(STRING),
    "metadata": {"type": "object", "description": "Free-form metadata of the trace."},
    "location_names": array(STRING),
    "primitives": COUNT,
    "counters": array(record({"name": STRING, "unit": nullable(STRING)})),
    "has_tree": BOOLEAN,
    "has_source": BOOLEAN,
    "has_otf2": BOOLEAN,
    "live": {
        "type": "boolean",
        "description": "A running job's trace, still growing: fetch it again for more events.",
    },
    "revision": {
        "type": "integer",
        "minimum": 0,
        "description": "How many times a live trace was replaced by a longer one (else 0).",
    },
}

_OPTIONS_IN: dict[str, Any] = {
    "threads": nullable({"type": "integer", "minimum": 1, "maximum": 1024}),
    "trace": {"type": "string", "enum": ["off", "profile", "events"]},
    "time_limit_s": {"type": "integer", "minimum": 1, "maximum": 7 * 24 * 3600},
    "label": nullable({"type": "string", "maxLength": 200, "pattern": LABEL_PATTERN}),
    "optimize": BOOLEAN,
    # Dependencies (runtime/jobs/dependencies.py): run only after these jobs completed.
    "after": {
        "type": "array",
        "maxItems": 100,
        "items": {"type": "string", "pattern": params.JOB_ID_PATTERN},
        "description": "Ids of jobs that must complete first; the job fails if one does not.",
    },
    # A job's own Dask cluster (runtime/jobs/dask_allocation.py): Slurm machines only.
    "nodes": {
        "type": "integer",
        "minimum": 1,
        "description": "Nodes of the allocation (up to the machine's max_nodes); more than 1 "
        "starts a Dask cluster there, one worker per node.",
    },
    "dask_workers": {
        "type": "integer",
        "minimum": 1,
        "maximum": 1024,
        "description": "Dask workers started in the allocation, one task each.",
    },
    # Notifications (runtime/jobs/notify.py): sent once when the job ends.
    "notify_url": {
        "type": "string",
        "maxLength": 2000,
        "pattern": "^https?://[^\\s]+$",
        "description": "POSTed (JSON) when the job ends; ${JOB_ID} and ${STATUS} are filled in.",
    },
    "notify_email": {
        "type": "string",
        "maxLength": 254,
        "pattern": "^[^@\\s]+@[^@\\s]+$",
        "description": "Told by e-mail when the job ends (needs the server's SMTP settings).",
    },
}


def _job_options() -> dict[str, Any]:
    return {
        "type": "object",
        "properties": _OPTIONS_IN,
        "additionalProperties": False,
        "description": "Job options; any left out take the machine's defaults.",
    }


def _submission(form: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "source": {
            "type": "string",
            "minLength": 1,
            "maxLength": 1 << 20,
            "description": "Python source text defining the entry function.",
        },
        "entry": {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "description": "The name of the function to call.",
        },
        "machine": {"type": "string", "pattern": params.MACHINE_PATTERN, "default": "local"},
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 200},
        "options": _job_options(),
    }
    if form:
        properties["args"] = {
            "type": "string",
            "contentMediaType": "application/octet-stream",
            "description": "The arguments as an .npz file.",
        }
    else:
        properties["args_npz"] = {
            "type": "string",
            "contentEncoding": "base64",
            "description": "The arguments' .npz file, base64.",
        }
    return record(properties, optional=tuple(n for n in properties if n not in ("source", "entry")))


_JOB: dict[str, Any] = {
    "id": {"type": "string", "pattern": params.JOB_ID_PATTERN},
    "machine": STRING,
    "entry": STRING,
    "label": nullable(STRING),
    "state": {"type": "string", "enum": list(STATES)},
    "reason": nullable(STRING),
    "created_at": STRING,
    "updated_at": STRING,
    "started_at": nullable(STRING),
    "ended_at": nullable(STRING),
    "exit_code": nullable(INTEGER),
    "trace_id": nullable({"type": "string", "pattern": params.TRACE_ID_PATTERN}),
    "origin": STRING,
    "idempotency_key": nullable(STRING),
    "pid": nullable(INTEGER),
    "options": record(
        {
            "threads": nullable({"type": "integer", "minimum": 1}),
            "trace": {"type": "string", "enum": ["off", "profile", "events"]},
            "time_limit_s": {"type": "integer", "minimum": 1},
            "label": nullable(STRING),
            "optimize": BOOLEAN,
            "notify_url": STRING,
            "notify_email": STRING,
            "after": array({"type": "string", "pattern": params.JOB_ID_PATTERN}),
            "nodes": {"type": "integer", "minimum": 2},
            "dask_workers": {"type": "integer", "minimum": 1},
        },
        optional=("notify_url", "notify_email", "after", "nodes", "dask_workers"),
        description="The checked options, defaults filled in.",
    ),
    "history": array(ref("JobHistoryEntry")),
    "outputs": record(
        {"result": BOOLEAN, "stdout": BOOLEAN, "stderr": BOOLEAN},
        description="Which output files exist.",
    ),
}


def component_schemas() -> dict[str, Any]:
    """Every component schema, by name."""
    from jetlag.server_ext.query_schemas import query_schemas

    return {
        "Error": _error(),
        "Machine": record(
            {
                "id": STRING,
                "backend": STRING,
                "host": nullable(STRING),
                "user": nullable(STRING),
                "partition": nullable(STRING),
                "max_nodes": {"type": "integer", "minimum": 1},
                "cores_per_node": {"type": "integer", "minimum": 1},
                "max_concurrent": nullable({"type": "integer", "minimum": 1}),
                "default_time_limit_s": {"type": "integer", "minimum": 1},
                "max_time_limit_s": {"type": "integer", "minimum": 1},
                "workdir": nullable(STRING),
                "python": nullable(STRING),
                "setup": array(STRING),
                "poll_interval_s": {"type": "number", "exclusiveMinimum": 0},
                "description": STRING,
                "settings": {"type": "object", "description": "Backend settings (no secrets)."},
                "problem": nullable(STRING),
                "source": nullable(STRING),
                "available": BOOLEAN,
                "reason": nullable(STRING),
            },
            description="A machine jobs can run on (no secrets).",
        ),
        "MachineList": record(
            {
                "machines": array(ref("Machine")),
                "errors": array(STRING),
            },
            description="The machines, and errors that kept a whole machines file out.",
        ),
        "JobHistoryEntry": record(
            {
                "state": {"type": "string", "enum": list(STATES)},
                "at": STRING,
                "reason": nullable(STRING),
            }
        ),
        "Job": record(
            _JOB,
            optional=("history", "outputs"),
            description="A job; one job (GET /jobs/{job_id}) adds history and outputs.",
        ),
        "JobList": page("jobs", "Job"),
        "JobSubmission": _submission(form=False),
        "JobSubmissionForm": _submission(form=True),
        "JobOptions": _job_options(),
        "JobTrace": record(
            {
                "job_id": {"type": "string", "pattern": params.JOB_ID_PATTERN},
                "trace_id": {"type": "string", "pattern": params.TRACE_ID_PATTERN},
                "href": STRING,
            }
        ),
        "ResultPreview": record(
            {
                "format": {"type": "string", "const": "jetlag-job-result"},
                "version": {"type": "integer", "minimum": 1},
                "type": {"type": "object", "description": "The exact type of the result."},
                "preview": {
                    "type": "object",
                    "properties": {"kind": STRING},
                    "required": ["kind"],
                    "description": "A small JSON view: kind, dtype, shape, first values.",
                },
                "bytes": COUNT,
            },
            optional=("format", "version", "type", "preview", "bytes"),
            description="result.json of a completed job (empty when the runner wrote none).",
        ),
        "TraceSummary": record(_TRACE_ROW, description="A trace's row in the store's index."),
        "Trace": record(_TRACE_DETAIL, description="A trace's row plus its summary."),
        "TraceList": page("traces", "TraceSummary"),
        "TraceLabel": record(
            {"label": nullable({"type": "string", "maxLength": 200, "pattern": LABEL_PATTERN})}
        ),
        **query_schemas(),
    }
