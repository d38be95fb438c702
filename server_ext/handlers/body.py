"""Request bodies read as a stream, with a size limit checked before anything is read.

Handlers that accept uploads (traces, jobs) are `@stream_request_body`: after the request
is authenticated, `prepare` compares `Content-Length` with the handler's limit and answers
413 at once when it is too large, so an oversized upload is never read; a body without a
length (chunked) is counted while it arrives. The bytes go to a private temporary folder
(removed when the request ends), not into memory, so a large trace upload costs disk only.
That folder is a store scratch folder (`<store>/traces/.partial-upload<hex>-<pid>/`): if the
server is killed during an upload, the store's cleanup removes it once the pid is dead.
"""

from __future__ import annotations

import os
import secrets
import shutil
from pathlib import Path
from typing import Any

from tornado import httputil, web

from jetlag.server_ext.handlers.base import ApiError, JetLagHandler

#: Methods whose body is streamed; any other method's body is ignored.
_BODY_METHODS = ("POST", "PUT", "PATCH")
#: Bytes a chunked body may run past the limit before the connection is cut instead.
_SLACK = 1 << 20


def _megabytes(count: int) -> str:
    return f"{count / 2**20:.1f} MiB" if count >= 2**20 else f"{count} bytes"


class StreamedBodyHandler(JetLagHandler):
    """Base of the handlers whose POST body is streamed to disk (see the module docstring).

    Subclasses set `limit_setting` (the web app setting holding the byte limit) and decorate
    themselves with `@tornado.web.stream_request_body`.
    """

    limit_setting = "jetlag_max_upload_bytes"
    body_name = "upload"

    def initialize(self, **kwargs: Any) -> None:
        super().initialize(**kwargs)
        self._spool_dir: Path | None = None
        self._spool = None
        self.body_size = 0
        self._too_large = False
        self._in_use = False

    @property
    def body_limit(self) -> int:
        """The most bytes this handler accepts in one body."""
        return int(self.settings[self.limit_setting])

    async def prepare(self) -> None:
        await super().prepare()
        method = self.request.method
        if self._finished or method not in _BODY_METHODS or method not in self.allowed_methods():
            return
        # jupyter-server may leave authentication to the method decorators; an upload must
        # not be read for a client that is going to be refused anyway.
        if not self.current_user:
            raise web.HTTPError(403)
        limit = self.body_limit
        length = self.request.headers.get("Content-Length")
        if length is not None:
            try:
                size = int(length)
            except ValueError:
                raise ApiError(400, f"Content-Length {length!r} is not a number", "body") from None
            if size > limit:
                raise ApiError(
                    413,
                    f"the {self.body_name} is {_megabytes(size)}, more than the limit of "
                    f"{_megabytes(limit)}; send a smaller one or raise "
                    f"JetLagExtension.{self.limit_setting.removeprefix('jetlag_')}",
                    "body",
                )
        self.request.connection.set_max_body_size(limit + _SLACK)
        store = self.services.store
        scratch = Path(getattr(store, "traces_dir", Path(store.root) / "traces"))
        self._spool_dir = scratch / f".partial-upload{secrets.token_hex(6)}-{os.getpid()}"
        self._spool_dir.mkdir(mode=0o700, parents=True)
        self._spool = open(self._spool_dir / "body", "wb")  # noqa: SIM115 (closed in finish)

    def data_received(self, chunk: bytes) -> None:
        """Append a piece of the body to the spool file (dropped once over the limit)."""
        self.body_size += len(chunk)
        if self.body_size > self.body_limit:
            self._too_large = True
        if self._spool is not None and not self._too_large:
            self._spool.write(chunk)

    def body_path(self) -> Path:
        """The whole body on disk (ApiError 413 when it ran over the limit)."""
        if self._too_large:
            raise ApiError(
                413,
                f"the {self.body_name} is more than the limit of {_megabytes(self.body_limit)}",
                "body",
            )
        if self._spool is None or self._spool_dir is None:
            raise ApiError(400, "the request has no body", "body")
        # From here on the handler works with the files: only on_finish removes them.
        self._in_use = True
        self._spool.close()
        return self._spool_dir / "body"

    def spool_directory(self) -> Path:
        """The request's private temporary folder (removed when the request ends)."""
        assert self._spool_dir is not None
        return self._spool_dir

    def body_bytes(self) -> bytes:
        """The whole body in memory (for JSON and multipart bodies)."""
        return self.body_path().read_bytes()

    def content_type(self) -> str:
        """The body's media type, lower case, without parameters."""
        return self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def form(self) -> tuple[dict[str, list[bytes]], dict[str, list[httputil.HTTPFile]]]:
        """The fields and files of a multipart/form-data body (ApiError 400 if malformed)."""
        arguments: dict[str, list[bytes]] = {}
        files: dict[str, list[httputil.HTTPFile]] = {}
        try:
            httputil.parse_body_arguments(
                self.request.headers.get("Content-Type", ""),
                self.body_bytes(),
                arguments,
                files,
                self.request.headers,
            )
        except httputil.HTTPInputError as error:
            raise ApiError(
                400, f"the multipart/form-data body is malformed: {error}", "body"
            ) from None
        return arguments, files

    def on_finish(self) -> None:
        self._cleanup()
        super().on_finish()

    def on_connection_close(self) -> None:
        # The client went away while sending: nothing will use the partial body.
        if not self._in_use:
            self._cleanup()
        super().on_connection_close()

    def _cleanup(self) -> None:
        if self._spool is not None:
            self._spool.close()
            self._spool = None
        if self._spool_dir is not None:
            shutil.rmtree(self._spool_dir, ignore_errors=True)
            self._spool_dir = None
