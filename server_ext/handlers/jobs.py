"""REST handlers for /jetlag/api/jobs: submit, list, one job, cancel, result, output, trace.

A submission carries the function's source text, its entry point, the arguments as `.npz`
(never pickle) and options; the JobService validates and records it (compiling the source
to check it is PhySL happens on the worker pool). Two body forms are accepted:
multipart/form-data (text fields + an `args` file part) and application/json (the `.npz`
base64-encoded in `args_npz`).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from jupyter_server.auth.decorator import authorized
from tornado import web

from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.states import STATES
from jetlag.server_ext import params
from jetlag.server_ext.handlers.base import ApiError, JetLagHandler
from jetlag.server_ext.handlers.body import StreamedBodyHandler
from jetlag.server_ext.handlers.traces import check_known

#: Fields of a submission, in either body form.
TEXT_FIELDS = ("source", "entry", "machine", "idempotency_key")
SUBMIT_FIELDS = (*TEXT_FIELDS, "options", "args_npz")
IDEMPOTENCY_KEY_MAX = 200
SOURCE_MAX = 1 << 20


def _empty_npz() -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer)
    return buffer.getvalue()


def submission(document: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of JobService.submit from a decoded body (ApiError if bad)."""
    unknown = sorted(set(document) - set(SUBMIT_FIELDS))
    if unknown:
        raise ApiError(
            400,
            f"unknown field {unknown[0]!r}; a job takes {', '.join(SUBMIT_FIELDS)}",
            unknown[0],
        )
    out: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = document.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ApiError(400, f"{name} must be a string", name)
        out[name] = value
    for name in ("source", "entry"):
        if not out.get(name):
            raise ApiError(
                400,
                f"{name} is required: the function's source text and the name of the "
                "function to call (its entry point)",
                name,
            )
    if len(out["source"]) > SOURCE_MAX:
        raise ApiError(400, f"source is longer than {SOURCE_MAX} characters", "source")
    key = out.get("idempotency_key")
    if key is not None and (not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable()):
        raise ApiError(
            400,
            f"idempotency_key must be 1 to {IDEMPOTENCY_KEY_MAX} printable characters "
            "(choose one per submission, e.g. a UUID, and reuse it only to retry)",
            "idempotency_key",
        )
    options = document.get("options")
    if options is not None and not isinstance(options, dict):
        raise ApiError(400, 'options must be a JSON object, e.g. {"threads": 2}', "options")
    out["options"] = options or {}
    args = document.get("args_npz")
    out["args_npz"] = args if args is not None else _empty_npz()
    out.setdefault("machine", "local")
    return out


def _decode_base64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise ApiError(400, "args_npz must be the .npz file's bytes, base64-encoded", "args_npz")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError(
            400, "args_npz is not valid base64 (standard alphabet, with padding)", "args_npz"
        ) from None


@web.stream_request_body
class JobsHandler(StreamedBodyHandler):
    """GET /jobs (list, filtered, paged) and POST /jobs (submit)."""

    limit_setting = "jetlag_max_job_bytes"
    body_name = "job submission"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The jobs, newest first, filtered by state and machine, paged."""
        query = self.query()
        check_known(query, ("state", "machine", "limit", "offset"))
        state = params.string(query, "state", choices=STATES)
        machine = params.string(query, "machine")
        limit = params.integer(query, "limit", params.DEFAULT_LIMIT)
        offset = params.integer(query, "offset", 0)
        jobs = self.services.jobs
        rows = await self.blocking(
            lambda: jobs.list(state=state, machine=machine, limit=limit, offset=offset)
        )
        self.reply({"jobs": rows, "limit": limit, "offset": offset})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Submit a job: 201 with the job, or 200 with the job an idempotency key names."""
        check_known(self.query(), ())
        media_type = self.content_type()
        if media_type == "multipart/form-data":
            document = self._multipart()
        elif media_type == "application/json":
            document = self._json()
        else:
            raise ApiError(
                415,
                f"Content-Type {media_type or 'missing'!r}: submit a job as multipart/form-data "
                "(fields + an 'args' .npz part) or application/json (args_npz in base64)",
                "body",
            )
        arguments = submission(document)
        try:
            job, existing = await self.blocking(self.services.submit_job, arguments)
        except JobError as error:
            if error.field == "args" and media_type == "application/json":
                # The job service names the arguments "args"; this body form calls them so.
                raise ApiError(error.status, error.message, "args_npz") from None
            raise
        self.set_header("Location", f"{self.base_url.rstrip('/')}/jetlag/api/jobs/{job['id']}")
        self.reply(job, 200 if existing else 201)

    def _json(self) -> dict[str, Any]:
        try:
            document = json.loads(self.body_bytes() or b"")
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, f"the body is not valid JSON: {error}", "body") from None
        if not isinstance(document, dict):
            raise ApiError(400, "the body must be a JSON object", "body")
        if "args_npz" in document:
            document["args_npz"] = _decode_base64(document["args_npz"])
        return document

    def _multipart(self) -> dict[str, Any]:
        arguments, files = self.form()
        document: dict[str, Any] = {}
        for name, values in arguments.items():
            if name not in (*TEXT_FIELDS, "options"):
                raise ApiError(
                    400,
                    f"unknown form field {name!r}; a job takes {', '.join(TEXT_FIELDS)}, "
                    "options (JSON text) and an 'args' file part",
                    name,
                )
            if len(values) != 1:
                raise ApiError(400, f"give the form field {name!r} once", name)
            try:
                document[name] = values[0].decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, f"{name} must be UTF-8 text", name) from None
        if "options" in document:
            try:
                document["options"] = json.loads(document["options"] or "{}")
            except ValueError as error:
                raise ApiError(400, f"options is not valid JSON: {error}", "options") from None
        unknown = sorted(set(files) - {"args"})
        if unknown:
            raise ApiError(400, f"unknown file part {unknown[0]!r}; send 'args'", unknown[0])
        parts = files.get("args") or []
        if len(parts) > 1:
            raise ApiError(400, "send one 'args' part (a .npz file)", "args")
        if parts:
            document["args_npz"] = parts[0].body
        return document


class JobHandler(JetLagHandler):
    """GET /jobs/{job_id}: the job with its full status history."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        """One job."""
        check_known(self.query(), ())
        self.reply(await self.blocking(self.services.jobs.get, params.job_id(job_id)))


class JobCancelHandler(JetLagHandler):
    """POST /jobs/{job_id}/cancel."""

    @web.authenticated
    @authorized
    async def post(self, job_id: str) -> None:
        """Cancel the job (a finished job answers 409)."""
        check_known(self.query(), ())
        self.reply(await self.blocking(self.services.jobs.cancel, params.job_id(job_id)))


class JobResultHandler(JetLagHandler):
    """GET /jobs/{job_id}/result: the result `.npz` (allow_pickle=False on load)."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        """Stream the result file."""
        check_known(self.query(), ())
        job_id = params.job_id(job_id)
        path = Path(await self.blocking(self.services.jobs.result_path, job_id))
        await self.send_file(path, "application/octet-stream", f"{job_id}-result.npz")


class JobPreviewHandler(JetLagHandler):
    """GET /jobs/{job_id}/result/preview: the result's types, shapes and a few values."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        """The result preview as JSON."""
        check_known(self.query(), ())
        jobs = self.services.jobs
        self.reply(await self.blocking(jobs.result_preview, params.job_id(job_id)))


class JobOutputHandler(JetLagHandler):
    """GET /jobs/{job_id}/stdout and /stderr: what the runner printed, as text."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str, stream: str) -> None:
        """The stream's text so far (empty while nothing was printed)."""
        check_known(self.query(), ())
        jobs = self.services.jobs
        text = await self.blocking(jobs.output, params.job_id(job_id), stream)
        self.finish(text.encode("utf-8", "replace"), set_content_type="text/plain; charset=UTF-8")


class JobTraceHandler(JetLagHandler):
    """GET /jobs/{job_id}/trace: the id (and address) of the job's trace in the store."""

    @web.authenticated
    @authorized
    async def get(self, job_id: str) -> None:
        """`{"job_id", "trace_id", "href"}`; 404 while the job has no trace."""
        check_known(self.query(), ())
        answer = await self.blocking(self.services.trace_of_job, params.job_id(job_id))
        answer["href"] = f"{self.base_url.rstrip('/')}/jetlag/api/traces/{answer['trace_id']}"
        self.reply(answer)
