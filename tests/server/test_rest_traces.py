"""REST /jetlag/api/traces against a real jupyter-server (jp_fetch): list, one trace, label,
delete, download, every query view, and every bad parameter with its exact error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from schema_check import conforms
from server_support import seed_trace


@pytest.fixture
def trace_id(store_root: Path, jp_serverapp) -> str:
    """A real compiled-function trace saved into the server's store."""
    return seed_trace(store_root, label="seed", origin="save")


async def test_list_get_label_delete(api, trace_id, store_root):
    listing = await api("GET", "traces")
    assert listing.status == 200
    conforms(listing.json, "TraceList")
    assert [t["id"] for t in listing.json["traces"]] == [trace_id]
    assert listing.json["limit"] == 100 and listing.json["offset"] == 0

    other = seed_trace(store_root, origin="cell")
    page = await api("GET", "traces", params={"limit": 1})
    assert [t["id"] for t in page.json["traces"]] == [other]  # newest first
    page = await api("GET", "traces", params={"limit": 1, "offset": 1})
    assert [t["id"] for t in page.json["traces"]] == [trace_id]
    by_origin = await api("GET", "traces", params={"origin": "cell"})
    assert [t["id"] for t in by_origin.json["traces"]] == [other]

    one = await api("GET", f"traces/{trace_id}")
    assert one.status == 200
    conforms(one.json, "Trace")
    assert one.json["label"] == "seed" and one.json["function"] == "work"
    assert one.json["has_tree"] and one.json["has_source"]

    relabel = await api("PATCH", f"traces/{trace_id}", json_body={"label": "renamed"})
    assert relabel.status == 200
    conforms(relabel.json, "TraceSummary")
    assert relabel.json["label"] == "renamed"
    cleared = await api("PATCH", f"traces/{trace_id}", json_body={"label": None})
    assert cleared.status == 200 and cleared.json["label"] is None

    gone = await api("DELETE", f"traces/{trace_id}")
    assert gone.status == 204 and gone.body == b""
    again = await api("GET", f"traces/{trace_id}")
    assert again.status == 404
    assert again.error[1] == "trace_id" and trace_id in again.error[0]
    assert (await api("DELETE", f"traces/{trace_id}")).status == 404
    assert (await api("GET", f"traces/{trace_id}/utilization")).status == 404


async def test_download_is_a_zip_with_every_format(api, trace_id):
    reply = await api("GET", f"traces/{trace_id}/download")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/zip"
    assert f'filename="{trace_id}.zip"' in reply.headers["Content-Disposition"]
    names = zipfile.ZipFile(io.BytesIO(reply.body)).namelist()
    assert any(name.endswith(".otf2") for name in names), names
    assert any("chrome" in name for name in names), names
    assert any(name.endswith("tree.json") for name in names), names


VIEWS = {
    "utilization": "Utilization",
    "gantt": "Gantt",
    "intervals": "Intervals",
    "counters": "Counters",
    "tree": "Tree",
    "profile": "Profile",
    "source": "Source",
    "metadata": "Metadata",
}


@pytest.mark.parametrize("view", sorted(VIEWS))
async def test_every_view_answers_its_schema(api, trace_id, view):
    reply = await api("GET", f"traces/{trace_id}/{view}")
    assert reply.status == 200, reply.body
    conforms(reply.json, VIEWS[view])


async def test_windows_bins_locations_and_primitive(api, trace_id):
    meta = (await api("GET", f"traces/{trace_id}/metadata")).json
    first, last = meta["span_ns"]
    locations = meta["locations"]
    whole = await api("GET", f"traces/{trace_id}/utilization", params={"bins": 10})
    assert whole.json["begin"] == first and whole.json["end"] == last
    assert len(whole.json["total"]) == 10
    assert list(whole.json["per_location"]) == locations

    # Comma-separated and repeated names mean the same.
    two = locations[:2]
    joined = await api(
        "GET", f"traces/{trace_id}/gantt", params={"bins": 7, "locations": ",".join(two)}
    )
    repeated = await api("GET", f"traces/{trace_id}/gantt", params={"bins": 7, "locations": two})
    assert joined.status == repeated.status == 200
    assert list(joined.json["per_location"]) == two
    assert joined.json == repeated.json

    window = await api(
        "GET",
        f"traces/{trace_id}/utilization",
        params={"begin": last // 4, "end": last // 2, "bins": 3, "primitive": "dot"},
    )
    assert window.status == 200
    assert (window.json["begin"], window.json["end"], window.json["bins"]) == (
        last // 4,
        last // 2,
        3,
    )
    assert window.json["primitive"] == "dot"
    assert all(name.startswith("dot$") for name in window.json["instances"])

    page = await api("GET", f"traces/{trace_id}/intervals", params={"limit": 2, "min_duration": 1})
    assert page.status == 200
    assert len(page.json["intervals"]) == 2 and page.json["next_offset"] == 2
    assert all(i["duration"] >= 1 for i in page.json["intervals"])
    counters = await api(
        "GET", f"traces/{trace_id}/counters", params={"bins": 5, "names": "memory/rss"}
    )
    assert [s["name"] for s in counters.json["series"]] == ["memory/rss"]
    assert len(counters.json["series"][0]["mean"]) == 5


async def test_one_interval_with_ancestry_and_children(api, trace_id):
    listing = (await api("GET", f"traces/{trace_id}/intervals", params={"limit": 1000})).json
    by_guid = {i["guid"]: i for i in listing["intervals"]}
    deepest = max(
        listing["intervals"],
        key=lambda i: len(_chain(by_guid, i["guid"])),
    )
    reply = await api("GET", f"traces/{trace_id}/intervals/{deepest['guid']}")
    assert reply.status == 200
    conforms(reply.json, "IntervalDetail")
    assert [a["guid"] for a in reply.json["ancestry"]] == _chain(by_guid, deepest["guid"])
    parent = reply.json["ancestry"][0]["guid"]
    up = (await api("GET", f"traces/{trace_id}/intervals/{parent}")).json
    assert deepest["guid"] in [c["guid"] for c in up["children"]]


def _chain(by_guid: dict, guid: int) -> list[int]:
    chain, current = [], by_guid[guid]["parent_guid"]
    while current in by_guid:
        chain.append(current)
        current = by_guid[current]["parent_guid"]
    return chain


# (view, params, status, field, words the message must contain)
BAD_QUERIES = [
    ("utilization", {"begin": 100, "end": 50}, 400, "end", "before begin"),
    ("utilization", {"begin": 100, "end": 100}, 400, "end", "after begin"),
    ("utilization", {"bins": 0}, 400, "bins", "from 1 to 10000"),
    ("gantt", {"bins": -3}, 400, "bins", "whole number"),
    ("gantt", {"bins": 10001}, 400, "bins", "from 1 to 10000"),
    ("utilization", {"bins": "12abc"}, 400, "bins", "whole number"),
    ("utilization", {"bins": "1e3"}, 400, "bins", "whole number"),
    ("utilization", {"begin": -5}, 400, "begin", "whole number"),
    ("utilization", {"begin": "9" * 30}, 400, "begin", "whole number"),
    ("utilization", {"end": 2**63}, 400, "end", "from 0 to"),
    ("utilization", {"bins": [3, 4]}, 400, "bins", "once"),
    ("utilization", {"locations": "nowhere"}, 400, "locations", "unknown location"),
    ("gantt", {"primitive": "nosuchprim"}, 400, "primitive", "no primitive"),
    ("intervals", {"limit": 0}, 400, "limit", "from 1 to"),
    ("intervals", {"limit": 10**6}, 400, "limit", "from 1 to"),
    ("intervals", {"offset": -1}, 400, "offset", "whole number"),
    ("intervals", {"min_duration": "x"}, 400, "min_duration", "whole number"),
    ("counters", {"names": "no/such"}, 400, "names", "unknown counter"),
    ("utilization", {"bin": 100}, 400, "bin", "unknown query parameter"),
    ("tree", {"bins": 3}, 400, "bins", "unknown query parameter"),
]


@pytest.mark.parametrize(("view", "params", "status", "field", "words"), BAD_QUERIES)
async def test_bad_query_parameters(api, trace_id, view, params, status, field, words):
    reply = await api("GET", f"traces/{trace_id}/{view}", params=params)
    assert reply.status == status, reply.body
    message, named = reply.error
    assert named == field
    assert words in message


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": "ten"}, "limit"), ({"offset": -2}, "offset"), ({"job_id": "j1"}, "job_id")],
)
async def test_bad_listing_parameters(api, jp_serverapp, params, field):
    reply = await api("GET", "traces", params=params)
    assert reply.status == 400
    assert reply.error[1] == field


async def test_unknown_trace_guid_and_malformed_ids(api, trace_id):
    unknown = await api("GET", "traces/t000000000000/gantt")
    assert unknown.status == 404 and unknown.error[1] == "trace_id"
    malformed = await api("GET", "traces/..%2F..%2Fetc/metadata")
    assert malformed.status == 404
    bad_form = await api("GET", "traces/T-not-an-id")
    assert bad_form.status == 404 and bad_form.error[1] == "trace_id"
    assert "look like" in bad_form.error[0]
    no_guid = await api("GET", f"traces/{trace_id}/intervals/123456789")
    assert no_guid.status == 404 and no_guid.error[1] == "guid"
    bad_guid = await api("GET", f"traces/{trace_id}/intervals/12x")
    assert bad_guid.status == 400 and bad_guid.error[1] == "guid"
    huge_guid = await api("GET", f"traces/{trace_id}/intervals/{2**64}")
    assert huge_guid.status == 400 and huge_guid.error[1] == "guid"


@pytest.mark.parametrize(
    ("body", "headers", "status", "field"),
    [
        (b"{not json", {"Content-Type": "application/json"}, 400, "body"),
        (b"[1, 2]", {"Content-Type": "application/json"}, 400, "body"),
        (b'{"label": 5}', {"Content-Type": "application/json"}, 400, "label"),
        (b'{"label": "' + b"x" * 201 + b'"}', {"Content-Type": "application/json"}, 400, "label"),
        (b'{"name": "x"}', {"Content-Type": "application/json"}, 400, "name"),
        (b"{}", {"Content-Type": "application/json"}, 400, "label"),
        (b"label=x", {"Content-Type": "application/x-www-form-urlencoded"}, 415, "body"),
    ],
)
async def test_bad_label_bodies(api, trace_id, body, headers, status, field):
    reply = await api("PATCH", f"traces/{trace_id}", body=body, headers=headers)
    assert reply.status == status, reply.body
    assert reply.error[1] == field


async def test_jupyterlabs_cache_buster_is_ignored(api, trace_id):
    # ServerConnection.makeRequest appends `?<timestamp>` (a name without a value) to GETs.
    reply = await api("GET", "traces", params=[("1796457482224", "")])
    assert reply.status == 200 and [t["id"] for t in reply.json["traces"]] == [trace_id]
    named = await api("GET", "traces", params=[("1796457482224", "5")])
    assert named.status == 400 and named.error[1] == "1796457482224"
