"""The download zip: every format, readable by otf2-print and Trace.load, and importable."""

from __future__ import annotations

import json
import shutil
import subprocess
import zipfile

import pytest
from store_data import APEX_EVENTS, by_guid, write_apex_archive

from jetlag.runtime.measure.trace import Trace


def _otf2_print(anchor) -> str:
    tool = shutil.which("otf2-print")
    if tool is None:
        pytest.fail("otf2-print is not installed: run the project's install script (otf2-tools)")
    done = subprocess.run([tool, str(anchor)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_export_zip_holds_every_format(store, trace, tmp_path):
    trace_id = store.save(trace, label="x")
    path = store.export_zip(trace_id)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path / "out")
    top = f"{trace_id}/"
    assert all(name.startswith(top) for name in names)
    for name in (
        "otf2/traces.otf2",
        "chrome_trace.json",
        "profile.csv",
        "tree.physl",
        "tree.json",
        "tree.dot",
        "source/prog.physl",
        "meta.json",
        "trace.json",
    ):
        assert top + name in names, name
    folder = tmp_path / "out" / trace_id

    out = _otf2_print(folder / "otf2" / "traces.otf2")
    assert out.count("ENTER") == 5 and '("Parent GUID" <1>; UINT64; 3)' in out
    chrome = json.loads((folder / "chrome_trace.json").read_text())
    assert sum(e["ph"] == "X" for e in chrome["traceEvents"]) == 5
    assert (folder / "profile.csv").read_text() == trace.profile.to_csv()
    assert "time_ns=" in (folder / "tree.dot").read_text()
    assert (folder / "source" / "prog.physl").read_text() == trace.source.text

    back = Trace.load(folder)  # the unpacked zip is a saved trace folder
    assert by_guid(back) == by_guid(trace) and back.tree.physl() == trace.tree.physl()
    assert back.source == trace.source

    # The written OTF2 stays in the trace folder; the zip is made once.
    assert (store.directory(trace_id) / "otf2" / "traces.otf2").is_file()
    assert store.export_zip(trace_id) == path
    # Relabelling changes meta.json, so the next download is rebuilt with it.
    store.relabel(trace_id, "renamed")
    with zipfile.ZipFile(store.export_zip(trace_id)) as archive:
        assert json.loads(archive.read(f"{top}meta.json"))["label"] == "renamed"


def test_export_keeps_an_imported_apex_archive_and_reimports(store, tmp_path):
    anchor = write_apex_archive(tmp_path / "apex")
    trace_id = store.import_path(anchor)
    path = store.export_zip(trace_id)
    with zipfile.ZipFile(path) as archive:
        archive.extractall(tmp_path / "out")
    assert f"{trace_id}/otf2/APEX.otf2" in zipfile.ZipFile(path).namelist()
    out = _otf2_print(tmp_path / "out" / trace_id / "otf2" / "APEX.otf2")
    assert out.count("ENTER") == len(APEX_EVENTS)
    again = store.import_archive_bytes(path.read_bytes(), "download.zip")
    assert by_guid(store.load(again)) == by_guid(store.load(trace_id))
