"""The REST API's routes: every handler under <base_url>jetlag/api/.

`routes(base_url)` is the whole table, so what the server answers and what the OpenAPI
document describes can be compared in one place (tests do).
"""

from __future__ import annotations

from typing import Any

from jupyter_server.utils import url_path_join

from jetlag.server_ext.handlers.base import NotFoundHandler
from jetlag.server_ext.handlers.charts import (
    CHART_PARAMS,
    CompareChartHandler,
    CompareHandler,
    TraceChartHandler,
)
from jetlag.server_ext.handlers.jobs import (
    JobCancelHandler,
    JobHandler,
    JobOutputHandler,
    JobPreviewHandler,
    JobResultHandler,
    JobsHandler,
    JobTraceHandler,
)
from jetlag.server_ext.handlers.machines import MachineHandler, MachinesHandler
from jetlag.server_ext.handlers.openapi import OpenAPIHandler
from jetlag.server_ext.handlers.tapis import TapisWebhookHandler
from jetlag.server_ext.handlers.traces import (
    VIEWS,
    IntervalHandler,
    TraceDownloadHandler,
    TraceHandler,
    TracesHandler,
    TraceViewHandler,
)

#: The API's path under the server's base URL.
API_PREFIX = "jetlag/api/"

_ID = r"([^/]+)"
_VIEW = "(" + "|".join(sorted(VIEWS)) + ")"
_CHART = "(" + "|".join(sorted(CHART_PARAMS)) + ")"

#: (path below API_PREFIX as a regex, handler), most specific first.
ROUTES: list[tuple[str, Any]] = [
    ("openapi.json", OpenAPIHandler),
    ("machines", MachinesHandler),
    (f"machines/{_ID}", MachineHandler),
    ("jobs", JobsHandler),
    (f"jobs/{_ID}", JobHandler),
    (f"jobs/{_ID}/cancel", JobCancelHandler),
    (f"jobs/{_ID}/result", JobResultHandler),
    (f"jobs/{_ID}/result/preview", JobPreviewHandler),
    (f"jobs/{_ID}/(stdout|stderr)", JobOutputHandler),
    (f"jobs/{_ID}/trace", JobTraceHandler),
    ("traces", TracesHandler),
    (f"traces/{_ID}", TraceHandler),
    (f"traces/{_ID}/download", TraceDownloadHandler),
    (f"traces/{_ID}/{_VIEW}", TraceViewHandler),
    (f"traces/{_ID}/intervals/{_ID}", IntervalHandler),
    (f"traces/{_ID}/charts/{_CHART}", TraceChartHandler),
    ("compare", CompareHandler),
    ("compare/chart", CompareChartHandler),
    (f"tapis/webhook/{_ID}/{_ID}/{_ID}", TapisWebhookHandler),
]


def routes(base_url: str) -> list[tuple[str, Any]]:
    """Tornado URL specs for every endpoint, then the JSON 404 for the rest of the prefix."""
    prefix = url_path_join(base_url, API_PREFIX)
    table = [(url_path_join(prefix, path) + "/?$", handler) for path, handler in ROUTES]
    table.append((url_path_join(prefix, "(.*)"), NotFoundHandler))
    table.append((prefix.rstrip("/") + "/?$", NotFoundHandler))
    return table
