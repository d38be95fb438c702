"""REST handlers for the chart specs and trace comparison.

GET /traces/{trace_id}/charts/{chart} answers a Vega-Lite v5 spec with its data inline;
GET /compare?a=&b= the per-primitive comparison of two traces, and /compare/chart its
spec. Thin: parameters are checked like the query endpoints' (params.py, the same
parsers), the specs are built by `jetlag.server_ext.charts` on the worker pool.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jupyter_server.auth.decorator import authorized
from tornado import web

from jetlag.server_ext import charts, params
from jetlag.server_ext.handlers.base import JetLagHandler
from jetlag.server_ext.handlers.traces import VIEWS, check_known
from jetlag.server_ext.services import Services

#: `color` choices of the tree chart.
TREE_COLORS = ("inclusive", "exclusive")


def other_trace(query: params.Query, name: str, *, required: bool) -> str | None:
    """The trace id in query parameter `name`: 400 when malformed (or missing and required)."""
    text = params.string(query, name)
    if text is None:
        if required:
            raise params.ParamError(
                f"give {name}=<trace id> (ids look like t3f9a0c41b27e; "
                "list them with GET /jetlag/api/traces)",
                name,
            )
        return None
    if not re.match(params.TRACE_ID_PATTERN, text):
        raise params.ParamError(f"{name} must be a trace id like t3f9a0c41b27e; got {text!r}", name)
    return text


def queries_of(services: Services, trace_id: str, field: str) -> Any:
    """The trace's queries; 404 naming `field` when the store has no such trace."""
    from jetlag.runtime.store.errors import TraceNotFound

    try:
        return services.queries(trace_id)
    except TraceNotFound as error:
        raise params.ParamError(str(error), field, 404) from None


def _tree(query: params.Query) -> dict[str, Any]:
    return {
        "color": params.string(query, "color", choices=TREE_COLORS),
        "compare": other_trace(query, "compare", required=False),
    }


#: chart -> (accepted query parameters, parser)
CHART_PARAMS: dict[str, tuple[tuple[str, ...], Callable[[params.Query], dict[str, Any]]]] = {
    "utilization": VIEWS["utilization"][:2],
    "counters": VIEWS["counters"][:2],
    "tree": (("color", "compare"), _tree),
    "profile": ((), lambda query: {}),
}


def build_chart(services: Services, trace_id: str, chart: str, arguments: dict) -> dict:
    """The spec of `chart` for trace `trace_id` (blocking: run it on the worker pool)."""
    queries = services.queries(trace_id)
    if chart == "tree" and arguments.get("compare"):
        arguments = {**arguments, "compare": queries_of(services, arguments["compare"], "compare")}
    return charts.CHARTS[chart](queries, **arguments)


def build_comparison(services: Services, a: str, b: str) -> dict[str, Any]:
    """The /compare answer of traces `a` and `b` (blocking)."""
    first, second = queries_of(services, a, "a"), queries_of(services, b, "b")
    return charts.compare_profiles(
        services.store.get(a), first.profile(), services.store.get(b), second.profile()
    )


class TraceChartHandler(JetLagHandler):
    """GET /traces/{trace_id}/charts/{chart}: a Vega-Lite v5 spec with its data inline."""

    @web.authenticated
    @authorized
    async def get(self, trace_id: str, chart: str) -> None:
        """Validate the chart's parameters, then build the spec on the worker pool."""
        trace_id = params.trace_id(trace_id)
        accepted, parse = CHART_PARAMS[chart]
        query = self.query()
        check_known(query, accepted)
        arguments = parse(query)
        services = self.services
        self.reply(await self.blocking(build_chart, services, trace_id, chart, arguments))


class CompareHandler(JetLagHandler):
    """GET /compare?a=&b=: both summaries and the per-primitive differences."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """Compare trace a with trace b (differences are b minus a)."""
        query = self.query()
        check_known(query, ("a", "b"))
        a = other_trace(query, "a", required=True)
        b = other_trace(query, "b", required=True)
        self.reply(await self.blocking(build_comparison, self.services, a, b))


class CompareChartHandler(JetLagHandler):
    """GET /compare/chart?a=&b=: the compare spec (Vega-Lite v5)."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        """The two profiles side by side with per-primitive differences."""
        query = self.query()
        check_known(query, ("a", "b"))
        a = other_trace(query, "a", required=True)
        b = other_trace(query, "b", required=True)
        services = self.services
        self.reply(
            await self.blocking(lambda: charts.compare_chart(build_comparison(services, a, b)))
        )
