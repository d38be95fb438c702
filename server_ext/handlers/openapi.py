"""GET /jetlag/api/openapi.json: the OpenAPI 3.1 document of this API (authenticated)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from jetlag.server_ext.handlers.base import JetLagHandler
from jetlag.server_ext.openapi import document


class OpenAPIHandler(JetLagHandler):
    """The document, with `servers` pointing at this server's base URL."""

    @web.authenticated
    @authorized
    def get(self) -> None:
        """The OpenAPI document as JSON."""
        self.reply(document(self.base_url))
