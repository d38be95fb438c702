"""The base of every /jetlag/api/ handler: authentication, JSON answers, JSON errors.

Every error is `{"error": message, "field": name-or-null}` with the status the failing part
chose: StoreError, JobError, QueryError and ParamError carry `.status` and `.field`; tornado's
own HTTPErrors (403 without credentials, 404, 405) keep theirs. Anything else is a bug and
answers 500 without details (they go to the server log, not to the client).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web
from tornado.ioloop import IOLoop

from jetlag.server_ext.services import Services

T = TypeVar("T")

#: Bytes read and sent at a time when streaming a file.
CHUNK = 1 << 20
#: The resource name jupyter-server's Authorizer sees for every JetLag endpoint.
AUTH_RESOURCE = "jetlag"

_REASONS = {
    400: "bad request",
    401: "authentication required: send 'Authorization: token <TOKEN>' or ?token=",
    403: "forbidden: the request has no valid token (or XSRF cookie) or is not authorized",
    404: "not found",
    405: "method not allowed",
    409: "conflict",
    413: "request body too large",
    415: "unsupported media type",
}


class ApiError(web.HTTPError):
    """An HTTP error with a message for the user and the field it concerns."""

    def __init__(self, status: int, message: str, field: str | None = None) -> None:
        super().__init__(status, log_message=message.replace("%", "%%"))
        self.message = message
        self.field = field


def _domain_errors() -> tuple[type[BaseException], ...]:
    """The error types whose `.status`/`.field` say how to answer (imported lazily)."""
    from jetlag.runtime.jobs.errors import JobError
    from jetlag.runtime.store.errors import StoreError
    from jetlag.server_ext.params import ParamError
    from jetlag.server_ext.queries import QueryError

    return (StoreError, JobError, QueryError, ParamError)


def _answer(exc: BaseException | None, status: int) -> tuple[int, str, str | None]:
    """(status, message, field) for an exception raised while handling a request."""
    if isinstance(exc, ApiError):
        return exc.status_code, exc.message, exc.field
    if exc is not None and isinstance(exc, _domain_errors()):
        return int(getattr(exc, "status", 400)), str(exc), getattr(exc, "field", None)
    if isinstance(exc, web.HTTPError):
        message = exc.log_message or ""
        if message and exc.args:
            message = message % exc.args
        return exc.status_code, message or _REASONS.get(exc.status_code, "error"), None
    if status >= 500:
        return status, "internal error in the JetLag server extension; see the server log", None
    return status, _REASONS.get(status, "error"), None


class JetLagHandler(APIHandler):
    """JSON in, JSON out, errors as `{"error", "field"}`; blocking work on the worker pool."""

    auth_resource = AUTH_RESOURCE

    @property
    def services(self) -> Services:
        """The extension's services (store, jobs, queries), kept in the web app's settings."""
        return self.settings["jetlag_services"]

    async def blocking(self, function: Callable[..., T], *args: Any) -> T:
        """Run `function(*args)` on the worker pool so the event loop stays responsive."""
        return await IOLoop.current().run_in_executor(self.services.executor, function, *args)

    def query(self) -> dict[str, list[str]]:
        """The query arguments decoded (UTF-8, undecodable bytes replaced)."""
        return {
            name: [value.decode("utf-8", "replace") for value in values]
            for name, values in self.request.query_arguments.items()
        }

    def reply(self, document: Any, status: int = 200) -> None:
        """Finish with `document` as JSON."""
        self.set_status(status)
        self.finish(
            json.dumps(document, allow_nan=False, separators=(",", ":")),
            set_content_type="application/json; charset=UTF-8",
        )

    async def send_file(self, path: Path, content_type: str, filename: str) -> None:
        """Stream a file as a download, reading it on the worker pool in 1 MiB pieces."""
        self.set_header("Content-Disposition", f'attachment; filename="{filename}"')
        self.set_header("Content-Length", str(path.stat().st_size))
        self.set_header("Content-Type", content_type)
        with path.open("rb") as stream:
            while chunk := await self.blocking(stream.read, CHUNK):
                self.write(chunk)
                await self.flush()
        self.finish(set_content_type=content_type)

    def json_body(self) -> dict[str, Any]:
        """The request body as a JSON object (ApiError 400/415 when it is not one)."""
        kind = self.request.headers.get("Content-Type", "application/json").split(";")[0]
        if kind.strip().lower() != "application/json":
            raise ApiError(415, f"send the body as application/json, not {kind!r}", "body")
        try:
            document = json.loads(self.request.body or b"")
        except (ValueError, UnicodeDecodeError) as error:
            raise ApiError(400, f"the body is not valid JSON: {error}", "body") from None
        if not isinstance(document, dict):
            raise ApiError(400, "the body must be a JSON object", "body")
        return document

    # -- errors -------------------------------------------------------------------------

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        """Use the status a domain error carries instead of tornado's 500."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if exc is not None and not isinstance(exc, web.HTTPError):
            status, _, _ = _answer(exc, status_code)
            status_code = status
        super().send_error(status_code, **kwargs)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        """Expected errors (bad input) are logged in one line; bugs with their traceback."""
        if value is not None and isinstance(value, (web.HTTPError, *_domain_errors())):
            status, message, field = _answer(value, 400)
            self.log.info(
                "%s %s -> %d %s (field %s)",
                self.request.method,
                self.request.path,
                status,
                message,
                field,
            )
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """`{"error": message, "field": name-or-null}` (never a traceback)."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        status, message, field = _answer(exc, status_code)
        if status == 405:
            allowed = ", ".join(self.allowed_methods())
            self.set_header("Allow", allowed)
            message = f"{self.request.method} is not allowed on {self.request.path}; use {allowed}"
        self.clear_header("Content-Disposition")
        self.finish(
            json.dumps({"error": message, "field": field}),
            set_content_type="application/json; charset=UTF-8",
        )

    @classmethod
    def allowed_methods(cls) -> list[str]:
        """The HTTP methods this handler implements (the `Allow` header of a 405)."""
        methods = []
        for name in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            method = getattr(cls, name.lower())
            if method is not web.RequestHandler._unimplemented_method:
                methods.append(name)
        return methods


class NotFoundHandler(JetLagHandler):
    """Anything under /jetlag/api/ that no route matches: 404 JSON, whatever the method."""

    def _missing(self, *args: Any) -> None:
        raise ApiError(
            404,
            f"no endpoint {self.request.path}; the API is described at "
            f"{self.base_url.rstrip('/')}/jetlag/api/openapi.json",
        )

    @web.authenticated
    @authorized
    def get(self, *args: Any) -> None:
        """404: no such endpoint."""
        self._missing()

    @web.authenticated
    @authorized
    def post(self, *args: Any) -> None:
        """404: no such endpoint."""
        self._missing()

    @web.authenticated
    @authorized
    def patch(self, *args: Any) -> None:
        """404: no such endpoint."""
        self._missing()

    @web.authenticated
    @authorized
    def put(self, *args: Any) -> None:
        """404: no such endpoint."""
        self._missing()

    @web.authenticated
    @authorized
    def delete(self, *args: Any) -> None:
        """404: no such endpoint."""
        self._missing()
