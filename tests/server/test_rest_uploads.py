"""POST /jetlag/api/traces: an APEX-style OTF2 archive (written here with the `otf2`
package, `GUID`/`Parent GUID` attributes) uploaded, listed and queried; and the uploads
that must be refused -- oversized, traversal names, malformed -- leaving nothing behind."""

from __future__ import annotations

import asyncio
import io
import os
import tarfile
from pathlib import Path

import pytest
from conftest import UPLOAD_LIMIT
from schema_check import conforms
from server_support import apex_archive, multipart, traversal_tar, traversal_zip, zip_folder


@pytest.fixture
def apex_zip(tmp_path: Path) -> tuple[bytes, dict[str, int]]:
    tasks = apex_archive(tmp_path / "apex")
    return zip_folder(tmp_path / "apex", prefix="apex-run/"), tasks


def _leftovers(store_root: Path) -> list[str]:
    traces = store_root / "traces"
    return sorted(p.name for p in traces.iterdir()) if traces.exists() else []


async def test_apex_archive_upload_list_and_query(api, apex_zip, store_root):
    data, tasks = apex_zip
    reply = await api(
        "POST",
        "traces",
        params={"label": "apex run"},
        body=data,
        headers={"Content-Type": "application/zip"},
    )
    assert reply.status == 201, reply.body
    trace = conforms(reply.json, "Trace")
    assert trace["origin"] == "upload" and trace["label"] == "apex run"
    assert trace["events"] == 4 and trace["has_otf2"]
    assert reply.headers["Location"].endswith(f"/jetlag/api/traces/{trace['id']}")

    listed = (await api("GET", "traces", params={"origin": "upload"})).json["traces"]
    assert [t["id"] for t in listed] == [trace["id"]]

    utilization = await api("GET", f"traces/{trace['id']}/utilization", params={"bins": 4})
    assert utilization.status == 200
    assert sorted(utilization.json["per_location"]) == ["OS Thread 0", "OS Thread 1"]

    # Ancestry follows Parent GUID: task_c -> task_a -> APEX MAIN.
    leaf = await api("GET", f"traces/{trace['id']}/intervals/{tasks['task_c']}")
    assert leaf.status == 200
    assert leaf.json["primitive"] == "task_c"
    assert [a["guid"] for a in leaf.json["ancestry"]] == [tasks["task_a"], tasks["APEX MAIN"]]
    root = await api("GET", f"traces/{trace['id']}/intervals/{tasks['APEX MAIN']}")
    assert sorted(c["guid"] for c in root.json["children"]) == [tasks["task_a"], tasks["task_b"]]
    assert root.json["ancestry"] == []

    tree = await api("GET", f"traces/{trace['id']}/tree")
    assert tree.status == 200 and tree.json["origin"] == "flat"
    source = await api("GET", f"traces/{trace['id']}/source")
    assert source.status == 404 and source.error[1] == "source"
    assert [n for n in _leftovers(store_root) if n.startswith(".")] == []


async def test_an_uploads_query_indices_are_built_without_a_query(api, apex_zip, store_root):
    reply = await api(
        "POST", "traces", body=apex_zip[0], headers={"Content-Type": "application/zip"}
    )
    derived = store_root / "traces" / reply.json["id"] / "derived"
    for _ in range(200):  # the server prepares them on its worker pool after answering
        if derived.is_dir() and any(derived.iterdir()):
            break
        await asyncio.sleep(0.05)
    assert derived.is_dir() and any(derived.iterdir())


async def test_multipart_and_tar_uploads(api, apex_zip, tmp_path):
    data, _ = apex_zip
    body, kind = multipart({"label": "from a form"}, {"file": ("run.zip", data, "application/zip")})
    reply = await api("POST", "traces", body=body, headers={"Content-Type": kind})
    assert reply.status == 201, reply.body
    assert reply.json["label"] == "from a form"

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        archive.add(tmp_path / "apex", arcname="apex")
    tar = await api(
        "POST",
        "traces",
        params={"filename": "run.tgz"},
        body=buffer.getvalue(),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert tar.status == 201, tar.body
    assert tar.json["events"] == 4


@pytest.mark.parametrize(
    ("body", "params", "headers", "status", "field"),
    [
        (traversal_zip(), {}, {"Content-Type": "application/zip"}, 400, "file"),
        (traversal_tar(), {"filename": "x.tar.gz"}, {}, 400, "file"),
        (b"PK\x03\x04 definitely not a zip", {}, {"Content-Type": "application/zip"}, 400, "file"),
        (b"hello", {"filename": "notes.txt"}, {}, 400, "filename"),
        (b"hello", {}, {"Content-Type": "text/plain"}, 415, "body"),
        (b"", {}, {"Content-Type": "application/zip"}, 400, "file"),
        (b"x", {"colour": "red"}, {"Content-Type": "application/zip"}, 400, "colour"),
    ],
)
async def test_refused_uploads_leave_nothing(api, store_root, body, params, headers, status, field):
    reply = await api("POST", "traces", params=params, body=body, headers=headers)
    assert reply.status == status, reply.body
    assert reply.error[1] == field, reply.error
    assert (await api("GET", "traces")).json["traces"] == []
    assert [n for n in _leftovers(store_root) if n != ".gitkeep"] == []
    assert not any(Path("/etc/evil.otf2").exists() for _ in [0])


async def test_oversized_upload_is_refused_before_it_is_read(api, store_root):
    too_big = os.urandom(UPLOAD_LIMIT + 1)
    reply = await api("POST", "traces", body=too_big, headers={"Content-Type": "application/zip"})
    assert reply.status == 413
    message, field = reply.error
    assert field == "body" and "limit" in message and "max_upload_bytes" in message
    assert (await api("GET", "traces")).json["traces"] == []
    assert _leftovers(store_root) == []


async def test_multipart_without_a_file_part(api, jp_serverapp):
    body, kind = multipart({"label": "x"}, {})
    reply = await api("POST", "traces", body=body, headers={"Content-Type": kind})
    assert reply.status == 400 and reply.error[1] == "file"
    broken = await api(
        "POST",
        "traces",
        body=b"--x\r\nnonsense",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert broken.status == 400 and broken.error[1] == "body"
