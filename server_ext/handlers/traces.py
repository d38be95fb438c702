"""REST handlers for /jetlag/api/traces: list, upload, one trace, label, delete, download,
and the Traveler-style queries on one trace (utilization, gantt, intervals, ...).

Thin: they parse and validate parameters (params.py), call the TraceStore or the trace's
cached TraceQueries on the worker pool, and write JSON. No query logic lives here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jetlag.server_ext import params
from jetlag.server_ext.handlers.base import ApiError, JetLagHandler
from jetlag.server_ext.handlers.body import StreamedBodyHandler

#: Query parameters any endpoint tolerates (jupyter-server's own).
_SERVER_PARAMS = frozenset({"token", "_xsrf", "no_track_activity"})
#: Archive name endings an upload may have, and the media types that imply one.
ARCHIVE_SUFFIXES = (".zip", ".tar.gz", ".tgz", ".tar")
ARCHIVE_TYPES = {
    "application/zip": ".zip",
    "application/x-zip-compressed": ".zip",
    "application/gzip": ".tar.gz",
    "application/x-gzip": ".tar.gz",
    "application/x-tar": ".tar",
}
LABEL_MAX = 200


def check_known(query: params.Query, allowed: tuple[str, ...] | frozenset[str]) -> None:
    """400 naming the first query parameter this endpoint does not take (typos)."""
    for name, values in query.items():
        if name.isdigit() and not any(values):
            continue  # `?1733400000000`: the cache buster JupyterLab's ServerConnection adds
        if name not in allowed and name not in _SERVER_PARAMS:
            listed = ", ".join(sorted(allowed)) or "none"
            raise params.ParamError(
                f"unknown query parameter {name!r}; this endpoint takes: {listed}", name
            )


def check_label(value: Any, field: str = "label") -> str | None:
    """A trace label: text of at most LABEL_MAX characters, or None to clear it."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"{field} must be a string (or null to clear it)", field)
    if len(value) > LABEL_MAX or "\x00" in value:
        raise ApiError(400, f"{field} must be at most {LABEL_MAX} characters, without NUL", field)
    return value


def archive_name(filename: str | None, media_type: str) -> str:
    """`upload.<ending>` for an uploaded archive, the ending from its name or media type."""
    if filename:
        lowered = filename.lower()
        for suffix in ARCHIVE_SUFFIXES:
            if lowered.endswith(suffix):
                return "upload" + (".tar.gz" if suffix == ".tgz" else suffix)
        raise ApiError(
            400,
            f"filename {filename!r} does not end in {', '.join(ARCHIVE_SUFFIXES)}; "
            "upload an OTF2 archive as .zip or .tar(.gz)",
            "filename",
        )
    if media_type in ARCHIVE_TYPES:
        return "upload" + ARCHIVE_TYPES[media_type]
    raise ApiError(
        415,
        f"Content-Type {media_type or 'missing'!r}: send the archive as application/zip, "
        "application/gzip or application/x-tar (or name it with ?filename=), "
        "or as multipart/form-data with a 'file' part",
        "body",
    )


@web.stream_request_body
class TracesHandler(StreamedBodyHandler):
    """GET /traces (list, newest first) and POST /traces (upload an OTF2 archive)."""

    limit_setting = "jetlag_max_upload_bytes"
    body_name = "upload"

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The stored traces, newest first, filtered by origin and job id, paged."""
        query = self.query()
        check_known(query, ("origin", "job_id", "limit", "offset"))
        origin = params.string(query, "origin")
        job_id = params.string(query, "job_id")
        limit = params.integer(query, "limit", params.DEFAULT_LIMIT)
        offset = params.integer(query, "offset", 0)
        rows = await self.blocking(
            lambda: self.services.store.list(
                origin=origin, job_id=job_id, limit=limit, offset=offset
            )
        )
        self.reply({"traces": rows, "limit": limit, "offset": offset})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        """Import an uploaded OTF2 archive (raw body or multipart) as a new trace: 201."""
        query = self.query()
        check_known(query, ("filename", "label"))
        label = check_label(params.string(query, "label"))
        media_type = self.content_type()
        store = self.services.store
        if media_type == "multipart/form-data":
            data, name, form_label = self._multipart()
            label = label if label is not None else form_label
            trace_id = await self.blocking(
                lambda: store.import_archive_bytes(data, name, label=label, origin="upload")
            )
        else:
            # A raw body is imported from its spool file: a large archive costs disk, not memory.
            filename = params.string(query, "filename")
            name = archive_name(filename, media_type)  # checks the name's ending
            name = filename or name
            body = self.body_path()
            trace_id = await self.blocking(
                lambda: store.import_path(
                    body, name=name, field="file", label=label, origin="upload"
                )
            )
        row = await self.blocking(store.get, trace_id)
        self.services.prepare_later(trace_id)
        self.set_header("Location", f"{self.base_url.rstrip('/')}/jetlag/api/traces/{trace_id}")
        self.reply(row, 201)

    def _multipart(self) -> tuple[bytes, str, str | None]:
        arguments, files = self.form()
        parts = files.get("file") or []
        if len(parts) != 1:
            raise ApiError(
                400, "send exactly one file part named 'file' holding the OTF2 archive", "file"
            )
        part = parts[0]
        name = archive_name(part.filename or None, part.content_type.split(";")[0].lower())
        labels = arguments.get("label") or []
        label = check_label(labels[0].decode("utf-8", "replace")) if labels else None
        return part.body, part.filename or name, label


class TraceHandler(JetLagHandler):
    """GET, PATCH (label) and DELETE /traces/{trace_id}."""

    @web.authenticated
    @authorized
    async def get(self, trace_id: str) -> None:
        """One trace's summary."""
        check_known(self.query(), ())
        row = await self.blocking(self.services.store.get, params.trace_id(trace_id))
        self.reply(row)

    @web.authenticated
    @authorized
    async def patch(self, trace_id: str) -> None:
        """Change the label: body `{"label": "text"}` (null clears it)."""
        check_known(self.query(), ())
        trace_id = params.trace_id(trace_id)
        document = self.json_body()
        unknown = sorted(set(document) - {"label"})
        if unknown:
            raise ApiError(400, f"only 'label' can be changed, not {unknown[0]!r}", unknown[0])
        if "label" not in document:
            raise ApiError(400, 'send {"label": "new label"}', "label")
        label = check_label(document["label"]) or ""  # the store clears with ""
        row = await self.blocking(self.services.store.relabel, trace_id, label)
        self.reply(row)

    @web.authenticated
    @authorized
    async def delete(self, trace_id: str) -> None:
        """Delete the trace (its folder and index row): 204."""
        check_known(self.query(), ())
        await self.blocking(self.services.delete_trace, params.trace_id(trace_id))
        self.set_status(204)
        self.finish(set_content_type="")


class TraceDownloadHandler(JetLagHandler):
    """GET /traces/{trace_id}/download: a zip with OTF2, Chrome JSON, tree, profile, source."""

    @web.authenticated
    @authorized
    async def get(self, trace_id: str) -> None:
        """Stream the trace's export zip."""
        check_known(self.query(), ())
        trace_id = params.trace_id(trace_id)
        path = Path(await self.blocking(self.services.store.export_zip, trace_id))
        await self.send_file(path, "application/zip", f"{trace_id}.zip")


def _window_bins(query: params.Query) -> dict[str, Any]:
    begin, end = params.window(query)
    return {
        "begin": begin,
        "end": end,
        "bins": params.integer(query, "bins", params.DEFAULT_BINS),
        "locations": params.names(query, "locations"),
        "primitive": params.string(query, "primitive"),
    }


def _intervals(query: params.Query) -> dict[str, Any]:
    begin, end = params.window(query)
    return {
        "begin": begin,
        "end": end,
        "locations": params.names(query, "locations"),
        "primitive": params.string(query, "primitive"),
        "min_duration": params.integer(query, "min_duration", 0),
        "limit": params.integer(query, "limit", params.DEFAULT_LIMIT),
        "offset": params.integer(query, "offset", 0),
    }


def _counters(query: params.Query) -> dict[str, Any]:
    begin, end = params.window(query)
    return {
        "begin": begin,
        "end": end,
        "bins": params.integer(query, "bins", params.DEFAULT_BINS),
        "names": params.names(query, "names"),
    }


#: view name -> (accepted query parameters, parser, call on TraceQueries)
VIEWS: dict[str, tuple[tuple[str, ...], Callable[..., dict], Callable[..., Any]]] = {
    "utilization": (
        ("begin", "end", "bins", "locations", "primitive"),
        _window_bins,
        lambda q, a: q.utilization(**a),
    ),
    "gantt": (
        ("begin", "end", "bins", "locations", "primitive"),
        _window_bins,
        lambda q, a: q.gantt(**a),
    ),
    "intervals": (
        ("begin", "end", "locations", "primitive", "min_duration", "limit", "offset"),
        _intervals,
        lambda q, a: q.intervals(**a),
    ),
    "counters": (("begin", "end", "bins", "names"), _counters, lambda q, a: q.counters(**a)),
    "tree": ((), lambda query: {}, lambda q, a: q.tree()),
    "profile": ((), lambda query: {}, lambda q, a: q.profile()),
    "source": ((), lambda query: {}, lambda q, a: q.source()),
    "metadata": ((), lambda query: {}, lambda q, a: q.metadata()),
}


class TraceViewHandler(JetLagHandler):
    """GET /traces/{trace_id}/{view}: one of VIEWS, answered from the trace's columns."""

    @web.authenticated
    @authorized
    async def get(self, trace_id: str, view: str) -> None:
        """Validate the view's parameters, then run the query on the worker pool."""
        trace_id = params.trace_id(trace_id)
        accepted, parse, call = VIEWS[view]
        query = self.query()
        check_known(query, accepted)
        arguments = parse(query)
        services = self.services
        answer = await self.blocking(lambda: call(services.queries(trace_id), arguments))
        self.reply(answer)


class IntervalHandler(JetLagHandler):
    """GET /traces/{trace_id}/intervals/{guid}: one task with its ancestry and children."""

    @web.authenticated
    @authorized
    async def get(self, trace_id: str, guid: str) -> None:
        """The interval whose GUID is `guid` (decimal)."""
        trace_id = params.trace_id(trace_id)
        check_known(self.query(), ())
        value = params.parse_integer(guid, "guid")
        services = self.services
        answer = await self.blocking(lambda: services.queries(trace_id).interval(value))
        self.reply(answer)
