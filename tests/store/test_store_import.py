"""Imports: a Trace.save folder, our OTF2, an APEX-style OTF2 archive, and zip/tar of them."""

from __future__ import annotations

import pytest
from conftest import leftovers
from store_data import APEX_EVENTS, by_guid, tar_folder, write_apex_archive, zip_folder

from jetlag.runtime.store.traces import TraceStore


def _apex_chains(store: TraceStore, trace_id: str) -> None:
    """The stored APEX trace keeps every GUID, parent chain, name and thread."""
    trace = store.load(trace_id)
    got = {(e.guid, e.parent_guid, e.name, e.worker) for e in trace.events}
    assert got == {(g, p, r, t) for g, p, r, t, _, _ in APEX_EVENTS}
    events = {e.guid: e for e in trace.events}
    assert (events[100].start_ns, events[100].end_ns) == (10_000, 90_000)  # us ticks -> ns
    chain, guid = [], 104
    while guid:
        chain.append(guid)
        guid = events[guid].parent_guid
    assert chain == [104, 102, 100]
    assert trace.check_tree() == []
    columns = store.columns(trace_id)
    assert sorted(columns.parent.tolist()) == sorted(p for _, p, *_ in APEX_EVENTS)
    assert (store.directory(trace_id) / "otf2" / "APEX.otf2").is_file()
    assert store.get(trace_id)["has_otf2"]


def test_import_of_a_saved_trace_folder(store, trace, tmp_path):
    trace.save(tmp_path / "saved")
    trace_id = store.import_path(tmp_path / "saved", label="from disk")
    row = store.get(trace_id)
    assert row["origin"] == "import" and row["label"] == "from disk" and row["has_otf2"]
    back = store.load(trace_id)
    assert by_guid(back) == by_guid(trace)
    assert back.tree.physl() == trace.tree.physl() and back.source == trace.source
    assert back.counters.names == trace.counters.names
    assert (store.directory(trace_id) / "otf2" / "traces.otf2").is_file()
    assert (tmp_path / "saved" / "otf2" / "traces.otf2").is_file()  # copied, not moved


def test_import_of_our_otf2_anchor_and_folder(store, trace, tmp_path):
    anchor = trace.write_otf2(tmp_path / "ours")
    for source in (anchor, tmp_path / "ours"):
        trace_id = store.import_path(source)
        back = store.load(trace_id)
        assert by_guid(back) == by_guid(trace)
        assert back.root_guid == 1 and back.function == "f"
    assert len(store.list()) == 2 and leftovers(store) == []


def test_import_of_an_apex_archive_keeps_guid_chains(store, tmp_path):
    anchor = write_apex_archive(tmp_path / "apex")
    _apex_chains(store, store.import_path(anchor.parent))
    _apex_chains(store, store.import_path(anchor))


@pytest.mark.parametrize("packer", ["zip", "tar.gz", "tar", "tar.xz"])
def test_import_of_packed_apex_archives(store, tmp_path, packer):
    write_apex_archive(tmp_path / "apex")
    target = tmp_path / f"upload.{packer}"
    if packer == "zip":
        zip_folder(tmp_path / "apex", target, top="run1")
    else:
        tar_folder(
            tmp_path / "apex", target, {"tar": "w", "tar.gz": "w:gz", "tar.xz": "w:xz"}[packer]
        )
    _apex_chains(store, store.import_path(target))
    upload_id = store.import_archive_bytes(target.read_bytes(), target.name, label="up")
    _apex_chains(store, upload_id)
    row = store.get(upload_id)
    assert row["origin"] == "upload" and row["label"] == "up"
    assert row["metadata"]["imported_from"] == target.name
    assert leftovers(store) == []
    assert not list(store.directory(upload_id).glob(".*"))  # no unpacked rest, no upload


def test_import_of_packed_saved_trace_and_our_otf2(store, trace, tmp_path):
    trace.save(tmp_path / "saved")
    saved = store.import_path(zip_folder(tmp_path / "saved", tmp_path / "saved.zip", top="x"))
    back = store.load(saved)
    assert by_guid(back) == by_guid(trace) and back.tree.physl() == trace.tree.physl()
    ours = tmp_path / "ours"
    trace.write_otf2(ours)
    packed = tar_folder(ours, tmp_path / "ours.tgz")
    assert by_guid(store.load(store.import_archive_bytes(packed.read_bytes(), "o.tgz"))) == (
        by_guid(trace)
    )


def test_macos_zip_extras_and_a_manifest_path_are_understood(store, trace, tmp_path):
    write_apex_archive(tmp_path / "apex")
    extra = tmp_path / "apex" / "__MACOSX" / "OTF2_archive"
    extra.mkdir(parents=True)
    (extra / "._APEX.otf2").write_bytes(b"\0\5\26\7 AppleDouble")
    (tmp_path / "apex" / "OTF2_archive" / "._APEX.otf2").write_bytes(b"\0\5\26\7")
    _apex_chains(store, store.import_path(zip_folder(tmp_path / "apex", tmp_path / "mac.zip")))
    trace.save(tmp_path / "saved")
    saved = store.import_path(tmp_path / "saved" / "trace.json")
    assert by_guid(store.load(saved)) == by_guid(trace)
