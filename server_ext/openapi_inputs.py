"""The inputs the OpenAPI document states: query and path parameters, request bodies.

Built from the constants the handlers validate with (params.BOUNDS, the id patterns), so
each parameter's type, minimum and maximum are what the server checks. openapi.py puts
them on the operations.
"""

from __future__ import annotations

from typing import Any

from jetlag.server_ext import params

#: Example ids a fuzzer may start from; tests seed a trace and a job with these ids.
EXAMPLE_TRACE_ID = "t0123456789ab"
EXAMPLE_JOB_ID = "j0123456789ab"
EXAMPLE_GUID = 1


def ref(name: str) -> dict[str, str]:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def integer(name: str, description: str, default: int | None = None) -> dict[str, Any]:
    """An integer query parameter bounded by params.BOUNDS[name]."""
    low, high = params.BOUNDS[name]
    schema: dict[str, Any] = {"type": "integer", "minimum": low, "maximum": high}
    if default is not None:
        schema["default"] = default
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def text(name: str, description: str, **schema: Any) -> dict[str, Any]:
    """A text query parameter (at most 1000 characters unless `schema` says less)."""
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", "maxLength": 1000, **schema},
    }


BEGIN = integer("begin", "Window start in ns from the trace's start (default: 0).")
END = integer(
    "end", "Window end in ns from the trace's start; must be after begin (default: trace end)."
)
BINS = integer("bins", "Number of bins (one per pixel).", params.DEFAULT_BINS)
LOCATIONS = {
    "name": "locations",
    "in": "query",
    "required": False,
    "description": "Location names, comma-separated or the parameter repeated (default: all).",
    "schema": {
        "type": "array",
        "items": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[^,]+$"},
    },
    "style": "form",
    "explode": True,
}
PRIMITIVE = text(
    "primitive",
    "Only tasks of this primitive: an instance name (`dot$12$15`) or a display name (`dot`).",
)
LIMIT = integer("limit", "Page size.", params.DEFAULT_LIMIT)
OFFSET = integer("offset", "Items to skip.", 0)
MIN_DURATION = integer("min_duration", "Only intervals at least this long (ns).", 0)
NAMES = dict(
    LOCATIONS,
    name="names",
    description="Counter names, comma-separated or repeated (default: all).",
)

#: The chart endpoints' own parameters.
COLOR = text(
    "color",
    "Colour the tree's nodes by inclusive or exclusive time (default inclusive).",
    enum=["inclusive", "exclusive"],
)
COMPARE = text(
    "compare",
    "Another trace's id: colour the nodes by inclusive time minus that trace's.",
    pattern=params.TRACE_ID_PATTERN,
)


def trace_pair(name: str, description: str) -> dict[str, Any]:
    """A required trace id in the query (`a`, `b` of /compare)."""
    return {
        "name": name,
        "in": "query",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": params.TRACE_ID_PATTERN},
        "example": EXAMPLE_TRACE_ID,
    }


COMPARE_A = trace_pair("a", "The first trace (differences are b minus a).")
COMPARE_B = trace_pair("b", "The second trace.")


def _path_id(name: str, pattern: str, example: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": pattern},
        "example": example,
    }


TRACE_ID = _path_id("trace_id", params.TRACE_ID_PATTERN, EXAMPLE_TRACE_ID, "A trace id.")
JOB_ID = _path_id("job_id", params.JOB_ID_PATTERN, EXAMPLE_JOB_ID, "A job id.")
MACHINE = _path_id("machine", params.MACHINE_PATTERN, "local", "A machine's id.")
GUID = {
    "name": "guid",
    "in": "path",
    "required": True,
    "description": "The task's GUID (decimal).",
    "schema": {"type": "integer", "minimum": 0, "maximum": params.MAX_GUID},
    "example": EXAMPLE_GUID,
}


ARCHIVE = {"type": "string", "contentMediaType": "application/octet-stream"}
UPLOAD_BODY = {
    "required": True,
    "description": (
        "An OTF2 archive (ours, or APEX's with `GUID`/`Parent GUID` attributes) as .zip or "
        ".tar(.gz): either the raw archive (name it with ?filename= when the media type does "
        "not say which) or multipart/form-data with a `file` part and an optional `label`."
    ),
    "content": {
        "application/zip": {"schema": ARCHIVE},
        "application/gzip": {"schema": ARCHIVE},
        "application/x-tar": {"schema": ARCHIVE},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "contentMediaType": "application/zip"},
                    "label": {"type": "string", "maxLength": 200},
                },
                "required": ["file"],
                "additionalProperties": False,
            },
            "encoding": {
                "file": {"contentType": "application/zip, application/gzip, application/x-tar"}
            },
        },
    },
}
SUBMIT_BODY = {
    "required": True,
    "description": (
        "The job: `source` (Python source text holding the function, compiled on arrival "
        "by the PhySL frontend), `entry` (the function to call), `machine`, `options`, an "
        "optional client-chosen `idempotency_key` (a retry with the same key returns the "
        "first job, 200), and the arguments as an `.npz` file written with allow_pickle=False "
        "(`arr_0`, `arr_1`, ... positional; other names keywords). Either multipart/form-data "
        "(text fields, `options` as JSON text, the .npz as the `args` file part) or "
        "application/json (`options` an object, the .npz base64-encoded in `args_npz`)."
    ),
    "content": {
        "multipart/form-data": {
            "schema": ref("JobSubmissionForm"),
            "encoding": {
                "args": {"contentType": "application/octet-stream"},
                "options": {"contentType": "application/json"},
            },
        },
        "application/json": {"schema": ref("JobSubmission")},
    },
}
LABEL_BODY = {
    "required": True,
    "content": {"application/json": {"schema": ref("TraceLabel")}},
}
