"""The OpenAPI document: served authenticated, valid OpenAPI 3.1, and in step with the
routes the server registers and the bounds its handlers check."""

from __future__ import annotations

import re

from jetlag.server_ext import params
from jetlag.server_ext.handlers import ROUTES
from jetlag.server_ext.openapi import document

METHODS = ("get", "post", "patch", "put", "delete")


def _sample(template: str) -> str:
    """A concrete path for a templated one ({trace_id} -> a trace id, ...)."""
    values = {
        "trace_id": "t0123456789ab",
        "job_id": "j0123456789ab",
        "machine": "local",
        "guid": "7",
        "token": "0123abcd",  # the Tapis webhook's
    }
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], template).lstrip("/")


def _route(path: str):
    matches = [handler for pattern, handler in ROUTES if re.fullmatch(pattern, path)]
    assert len(matches) == 1, (path, matches)
    return matches[0]


async def test_served_document_is_the_built_one(api, jp_serverapp, jp_base_url):
    reply = await api("GET", "openapi.json")
    assert reply.status == 200
    assert reply.json == document(jp_base_url)
    assert reply.json["servers"] == [{"url": jp_base_url.rstrip("/") + "/jetlag/api"}]


def test_document_is_valid_openapi_31():
    import openapi_spec_validator

    openapi_spec_validator.validate(document())
    assert document()["openapi"].startswith("3.1")


def test_every_route_is_documented_with_its_methods():
    doc = document()
    documented = set()
    for template, operations in doc["paths"].items():
        handler = _route(_sample(template))
        documented.add(handler)
        methods = {m for m in operations if m in METHODS}
        assert methods == {m.lower() for m in handler.allowed_methods()}, template
        for method in methods:
            operation = operations[method]
            assert "403" in operation["responses"], (template, method)
            names = [p["name"] for p in operation["parameters"] if p["in"] == "path"]
            assert names == re.findall(r"\{(\w+)\}", template), template
    assert documented == {handler for _, handler in ROUTES}


def test_documented_bounds_are_the_checked_ones():
    doc = document()
    seen = set()
    for operations in doc["paths"].values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                name = parameter["name"]
                if name in params.BOUNDS:
                    low, high = params.BOUNDS[name]
                    schema = parameter["schema"]
                    assert (schema["minimum"], schema["maximum"]) == (low, high), name
                    seen.add(name)
    assert seen == set(params.BOUNDS)
    assert params.BOUNDS["bins"] == (1, 10_000)
