"""Unsafe or broken uploads: the right error class and status, and nothing half-stored."""

from __future__ import annotations

import io
import json
import tarfile
import warnings
import zipfile

import pytest
from conftest import leftovers
from store_data import write_apex_archive, zip_bytes, zip_folder

from jetlag.runtime.store.errors import ArchiveTooLarge, BadArchive


def _zip_with(info: zipfile.ZipInfo, data: bytes = b"x") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(info, data)
    return out.getvalue()


def _tar_with(*members: tarfile.TarInfo, data: bytes = b"") -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for member in members:
            archive.addfile(member, io.BytesIO(data) if member.isfile() else None)
    return out.getvalue()


def _tar_member(name: str, kind: bytes = tarfile.REGTYPE, size: int = 0, link: str = ""):
    member = tarfile.TarInfo(name)
    member.type, member.size, member.linkname = kind, size, link
    return member


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("OTF2_archive/APEX.otf2")
    info.external_attr = 0o120777 << 16
    return _zip_with(info, b"/etc/passwd")


def _duplicate_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        archive.writestr("a.otf2", b"1")
        archive.writestr("a.otf2", b"2")
    return out.getvalue()


CASES = {
    "dotdot zip": (zip_bytes({"../evil.otf2": b"x"}), "'..'"),
    "nested dotdot zip": (zip_bytes({"a/../../evil.otf2": b"x"}), "'..'"),
    "absolute zip": (_zip_with(zipfile.ZipInfo("/tmp/evil.otf2")), "absolute"),
    "drive zip": (zip_bytes({"C:/evil.otf2": b"x"}), "absolute"),
    "backslash dotdot zip": (zip_bytes({"..\\evil.otf2": b"x"}), "'..'"),
    "symlink zip": (_symlink_zip(), "symbolic link"),
    "dotdot tar": (_tar_with(_tar_member("../evil.otf2", size=1), data=b"x"), "'..'"),
    "absolute tar": (_tar_with(_tar_member("/tmp/evil.otf2", size=1), data=b"x"), "absolute"),
    "symlink tar": (_tar_with(_tar_member("a.otf2", tarfile.SYMTYPE, link="/etc/passwd")), "link"),
    "hardlink tar": (_tar_with(_tar_member("a.otf2", tarfile.LNKTYPE, link="/etc/passwd")), "link"),
    "device tar": (_tar_with(_tar_member("dev", tarfile.CHRTYPE)), "not a plain file"),
    "fifo tar": (_tar_with(_tar_member("fifo", tarfile.FIFOTYPE)), "not a plain file"),
    "garbage": (b"\x00\x01 this is not an archive at all" * 10, "neither a zip nor a tar"),
    "empty": (b"", "neither a zip nor a tar"),
    "truncated zip": (zip_bytes({"a.otf2": b"x" * 5000})[:-30], "neither a zip nor a tar"),
    "no anchor": (zip_bytes({"readme.txt": b"hello"}), "no OTF2 archive"),
    "bad otf2": (zip_bytes({"x/APEX.otf2": b"not otf2", "x/APEX.def": b""}), "OTF2 reader"),
    "two anchors": (zip_bytes({"a/A.otf2": b"1", "b/B.otf2": b"2"}), "several OTF2"),
    "duplicate": (_duplicate_zip(), "appears twice"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_uploads_are_400s_and_store_nothing(store, tmp_path, case):
    data, words = CASES[case]
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(BadArchive) as error:
        store.import_archive_bytes(data, "upload.zip")
    assert type(error.value) is BadArchive and error.value.status == 400
    assert error.value.field == "file"
    assert words in str(error.value) and "upload.zip" in str(error.value)
    assert store.list() == [] and leftovers(store) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written outside
    # The same file imported by path is refused the same way (field "path").
    path = tmp_path / "bad.bin"
    path.write_bytes(data)
    with pytest.raises(BadArchive) as again:
        store.import_path(path)
    assert again.value.field == "path" and words in str(again.value)
    assert store.list() == [] and leftovers(store) == []


def test_oversized_archives_are_413s(store, tmp_path):
    write_apex_archive(tmp_path / "apex")
    (tmp_path / "apex" / "notes.txt").write_bytes(b"\0" * 100_000)  # compresses well
    packed = zip_folder(tmp_path / "apex", tmp_path / "apex.zip")
    data = packed.read_bytes()
    unpacked = sum(p.stat().st_size for p in (tmp_path / "apex").rglob("*") if p.is_file())
    assert unpacked - 1 >= len(data)  # small enough to upload, too large unpacked
    for call in (
        lambda: store.import_archive_bytes(data, "apex.zip", max_bytes=len(data) - 1),
        lambda: store.import_archive_bytes(data, "apex.zip", max_bytes=unpacked - 1),
        lambda: store.import_path(packed, max_bytes=200),
        lambda: store.import_path(packed, max_members=3),
    ):
        with pytest.raises(ArchiveTooLarge) as error:
            call()
        assert error.value.status == 413 and "limit" in str(error.value)
        assert store.list() == [] and leftovers(store) == []
    # Within the limits the same archive is fine.
    assert store.import_archive_bytes(data, "apex.zip", max_bytes=10 * len(data) + 100_000)


def test_tar_members_past_the_limit_are_refused_before_writing(store):
    big = _tar_with(_tar_member("OTF2/a.otf2", size=50_000), data=b"\0" * 50_000)
    with pytest.raises(ArchiveTooLarge) as error:
        store.import_archive_bytes(big, "big.tgz", max_bytes=40_000)
    assert "'OTF2/a.otf2'" in str(error.value)
    assert store.list() == [] and leftovers(store) == []


def test_saved_trace_manifest_naming_outside_files_is_refused(store, trace, tmp_path):
    trace.save(tmp_path / "saved")
    manifest = json.loads((tmp_path / "saved" / "trace.json").read_text())
    manifest["files"]["source"] = "../../../../etc/hostname"
    (tmp_path / "saved" / "trace.json").write_text(json.dumps(manifest))
    packed = zip_folder(tmp_path / "saved", tmp_path / "saved.zip")
    with pytest.raises(BadArchive, match="outside the trace folder"):
        store.import_archive_bytes(packed.read_bytes(), "saved.zip")
    assert store.list() == [] and leftovers(store) == []


def test_missing_path_and_bad_limits(store, tmp_path):
    with pytest.raises(BadArchive) as missing:
        store.import_path(tmp_path / "nope")
    assert missing.value.field == "path" and "no such file" in str(missing.value)
    with pytest.raises(BadArchive) as empty_dir:
        store.import_path(tmp_path)
    assert "no OTF2 archive" in str(empty_dir.value)
    with pytest.raises(ValueError) as limit:
        store.import_archive_bytes(b"x", "a.zip", max_bytes=0)
    assert getattr(limit.value, "field", None) in ("max_bytes", "file")
    assert store.list() == [] and leftovers(store) == []


def test_a_server_can_name_its_spooled_upload(store, tmp_path):
    spooled = tmp_path / "spool" / "upload.zip"
    spooled.parent.mkdir()
    spooled.write_bytes(b"garbage")
    with pytest.raises(BadArchive) as error:
        store.import_path(spooled, name="../../my trace.zip", field="file")
    assert error.value.field == "file"
    assert str(error.value).startswith("my trace.zip is neither") and "spool" not in str(
        error.value
    )
