"""Authentication, authorization and routing: no token -> 403 and no data; cookie sessions
need XSRF for writes; unknown routes are 404 JSON and wrong methods 405 JSON."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from server_support import seed_trace

PROTECTED = [
    ("GET", "openapi.json"),
    ("GET", "machines"),
    ("GET", "machines/local"),
    ("GET", "jobs"),
    ("POST", "jobs"),
    ("GET", "jobs/j000000000000"),
    ("GET", "traces"),
    ("POST", "traces"),
    ("GET", "traces/{trace}"),
    ("PATCH", "traces/{trace}"),
    ("DELETE", "traces/{trace}"),
    ("GET", "traces/{trace}/gantt"),
    ("GET", "traces/{trace}/download"),
    ("GET", "nonexistent/route"),
]


@pytest.fixture
def trace_id(store_root: Path, jp_serverapp) -> str:
    return seed_trace(store_root, label="secret-label")


@pytest.mark.parametrize(("method", "path"), PROTECTED)
async def test_no_token_gets_403_and_no_data(api, trace_id, method, path):
    reply = await api(method, path.format(trace=trace_id), token=False, body=b"{}")
    assert reply.status == 403
    assert set(reply.json) == {"error", "field"}
    assert trace_id not in reply.body.decode() and b"secret-label" not in reply.body
    bad = await api(
        method, path.format(trace=trace_id), headers={"Authorization": "token wrong"}, body=b"{}"
    )
    assert bad.status == 403
    # Nothing changed: the trace is still there with its label.
    still = await api("GET", f"traces/{trace_id}")
    assert still.status == 200 and still.json["label"] == "secret-label"


async def test_token_in_the_query_works(api, jp_fetch, jp_serverapp, jp_auth_header):
    token = jp_auth_header["Authorization"].split()[-1]
    reply = await jp_fetch(
        "jetlag", "api", "machines", params={"token": token}, headers={"Authorization": ""}
    )
    assert reply.code == 200 and json.loads(reply.body)["machines"]


async def test_cookie_sessions_need_xsrf_for_writes(jp_fetch, jp_serverapp, jp_auth_header):
    """A browser logged in with a cookie reads freely but writes only with the XSRF token."""
    token = jp_auth_header["Authorization"].split()[-1]
    login = await jp_fetch(
        "login",
        params={"token": token},
        headers={"Authorization": ""},
        follow_redirects=False,
        raise_error=False,
    )
    # The login page (rendered without credentials) sets the _xsrf cookie.
    page = await jp_fetch("login", headers={"Authorization": ""}, raise_error=False)
    cookies = "; ".join(
        c.split(";", 1)[0]
        for c in login.headers.get_list("Set-Cookie") + page.headers.get_list("Set-Cookie")
    )
    assert "_xsrf" in cookies, cookies
    xsrf = re.search(r"_xsrf=([^;]+)", cookies).group(1)
    browser = {"Authorization": "", "Cookie": cookies}

    read = await jp_fetch("jetlag", "api", "machines", headers=browser, raise_error=False)
    assert read.code == 200
    write = await jp_fetch(
        "jetlag",
        "api",
        "jobs",
        method="POST",
        body=b"{}",
        headers={**browser, "Content-Type": "application/json"},
        raise_error=False,
    )
    assert write.code == 403
    assert set(json.loads(write.body)) == {"error", "field"}
    with_xsrf = await jp_fetch(
        "jetlag",
        "api",
        "jobs",
        method="POST",
        body=b"{}",
        headers={**browser, "Content-Type": "application/json", "X-XSRFToken": xsrf},
        raise_error=False,
    )
    # Past authentication and XSRF, the empty submission itself is what is wrong.
    assert with_xsrf.code == 400 and json.loads(with_xsrf.body)["field"] == "source"


async def test_unknown_routes_are_json_404(api, jp_serverapp):
    for path in ("nope", "traces/t000000000000/unknownview", "jobs/j000000000000/nothing", ""):
        reply = await api("GET", path)
        assert reply.status == 404, path
        message, field = reply.error
        assert "openapi.json" in message and field is None


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "machines", "GET"),
        ("PUT", "traces", "GET, POST"),
        ("POST", "traces/t000000000000/gantt", "GET"),
        ("GET", "jobs/j000000000000/cancel", "POST"),
        ("PATCH", "jobs", "GET, POST"),
    ],
)
async def test_wrong_methods_are_json_405(api, jp_serverapp, method, path, allowed):
    reply = await api(method, path, body=b"" if method != "GET" else None)
    assert reply.status == 405
    message, field = reply.error
    assert reply.headers["Allow"] == allowed
    assert method in message and allowed in message and field is None
