"""Fixtures of the query tests: `dominance_path` runs a test once per way the Gantt view
finds dominant primitives (summing the window's segments, or searching prefix sums)."""

from __future__ import annotations

import pytest

from jetlag.server_ext.queries import gantt


@pytest.fixture(params=["summed", "searched"])
def dominance_path(request, monkeypatch):
    # DIRECT_RATIO scales the cost of summing against searching: 0 always searches,
    # a huge ratio always sums (both are exact; the choice is only about speed).
    monkeypatch.setattr(gantt, "DIRECT_RATIO", 0 if request.param == "searched" else 10**9)
    return request.param
