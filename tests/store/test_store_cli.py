"""`jetlag trace import|list|export|delete` through runtime.cli.main."""

from __future__ import annotations

import json
import zipfile

from store_data import write_apex_archive, zip_folder

from jetlag.runtime.cli import main


def test_trace_commands(store, trace, tmp_path, capsys, monkeypatch):
    trace.save(tmp_path / "saved")
    assert main(["trace", "import", str(tmp_path / "saved"), "--label", "mine"]) == 0
    trace_id = capsys.readouterr().out.strip()
    assert store.get(trace_id)["label"] == "mine"

    write_apex_archive(tmp_path / "apex")
    packed = zip_folder(tmp_path / "apex", tmp_path / "apex.zip")
    assert main(["trace", "--store", str(store.root), "import", str(packed)]) == 0
    apex_id = capsys.readouterr().out.strip()

    assert main(["trace", "list"]) == 0
    listing = capsys.readouterr().out
    assert trace_id in listing and apex_id in listing and "mine" in listing
    assert listing.index(apex_id) < listing.index(trace_id)  # newest first
    assert main(["trace", "list", "--json", "--limit", "1"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [apex_id]

    monkeypatch.chdir(tmp_path)
    assert main(["trace", "export", trace_id]) == 0
    assert capsys.readouterr().out.strip() == f"{trace_id}.zip"
    assert (
        f"{trace_id}/otf2/traces.otf2" in zipfile.ZipFile(tmp_path / f"{trace_id}.zip").namelist()
    )
    assert main(["trace", "export", apex_id, "-o", str(tmp_path / "a.zip")]) == 0
    assert (tmp_path / "a.zip").is_file()
    capsys.readouterr()

    assert main(["trace", "delete", trace_id]) == 0
    assert [r["id"] for r in store.list()] == [apex_id]
    capsys.readouterr()


def test_trace_command_errors(store, tmp_path, capsys):
    assert main(["trace", "delete", "t0123456789ab"]) == 1
    assert "no trace t0123456789ab" in capsys.readouterr().err
    assert main(["trace", "delete", "bogus"]) == 1
    assert "not a trace id" in capsys.readouterr().err
    (tmp_path / "junk.zip").write_bytes(b"junk")
    assert main(["trace", "import", str(tmp_path / "junk.zip")]) == 1
    assert "neither a zip nor a tar" in capsys.readouterr().err
    assert main(["trace", "list"]) == 0
    assert "no stored traces" in capsys.readouterr().out
    assert store.list() == []
