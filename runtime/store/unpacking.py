"""Unpack an uploaded .zip or .tar(.gz/.bz2/.xz) into a private folder, refusing anything unsafe.

An archive from a client may try to write outside the folder (`../x`, `/etc/x`, a drive
letter), plant links or devices, or expand into more bytes or files than the server should
hold (a zip bomb, whose headers may lie about the sizes). Every member is checked before it
is written: only plain files and folders with relative names are accepted, files are
created exclusively (a repeated name cannot overwrite), and the bytes actually written are
counted against `max_bytes`. `extractall` is never used. Violations raise `BadArchive`
(400) or `ArchiveTooLarge` (413) naming the member and the fix. This module only unpacks;
what the archive holds is the importer's business.
"""

from __future__ import annotations

import lzma
import re
import stat
import tarfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from jetlag.runtime.store.errors import ArchiveTooLarge, BadArchive

#: Default limit on the unpacked bytes of one archive (2 GiB).
DEFAULT_MAX_BYTES = 2 << 30
#: Default limit on the members of one archive (an OTF2 archive has ~2 files per thread).
DEFAULT_MAX_MEMBERS = 20_000
_CHUNK = 1 << 20
_DRIVE = re.compile(r"^[A-Za-z]:")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_FIX_PACK = "pack the OTF2 archive folder with relative names, e.g. `zip -r trace.zip OTF2_archive`"


class _Budget:
    """Counts members and unpacked bytes against the limits."""

    def __init__(self, name: str, field: str, max_bytes: int, max_members: int) -> None:
        self.name, self.field = name, field
        self.max_bytes, self.max_members = max_bytes, max_members
        self.bytes = 0
        self.members = 0

    def member(self, member: str) -> None:
        self.members += 1
        if self.members > self.max_members:
            raise self.too_many(member)

    def too_many(self, member: str) -> ArchiveTooLarge:
        return ArchiveTooLarge(
            f"{self.name} has more than {self.max_members} members (at {member!r}); "
            "upload one OTF2 archive, not a folder of many, or raise the store's "
            "max_members limit",
            self.field,
        )

    def spend(self, size: int, member: str) -> None:
        self.bytes += size
        if self.bytes > self.max_bytes:
            raise ArchiveTooLarge(
                f"{self.name} unpacks to more than {self.max_bytes} bytes (limit max_bytes, "
                f"passed at member {member!r}); upload a smaller trace or raise the limit",
                self.field,
            )


def _bad(name: str, field: str, member: str, problem: str, fix: str = _FIX_PACK) -> BadArchive:
    return BadArchive(f"{name}: member {member!r} {problem}; {fix}", field)


def member_path(name: str, member: str, field: str) -> PurePosixPath | None:
    """The safe relative path of an archive member (None for the archive's own root)."""
    text = member.replace("\\", "/")
    if _CONTROL.search(text):
        raise _bad(name, field, member, "has control characters in its name")
    if text.startswith("/") or _DRIVE.match(text):
        raise _bad(name, field, member, "has an absolute path")
    parts = [part for part in text.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise _bad(name, field, member, "climbs out of the archive with '..'")
    return PurePosixPath(*parts) if parts else None


def _target(dest: Path, relative: PurePosixPath) -> Path:
    target = dest.joinpath(*relative.parts)
    # No links are ever created and '..' is refused, so this only guards against surprises.
    if not target.resolve().is_relative_to(dest.resolve()):  # pragma: no cover
        raise BadArchive(f"member {relative} would land outside the upload folder")
    return target


def _write(source: IO[bytes], target: Path, budget: _Budget, member: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "xb") as out:
        while chunk := source.read(_CHUNK):
            budget.spend(len(chunk), member)
            out.write(chunk)


def _extract_zip(path: Path, dest: Path, budget: _Budget) -> None:
    name, field = budget.name, budget.field
    with zipfile.ZipFile(path) as archive:
        infos = archive.infolist()
        if len(infos) > budget.max_members:
            raise budget.too_many(infos[budget.max_members].filename)
        declared = sum(info.file_size for info in infos)
        if declared > budget.max_bytes:
            raise ArchiveTooLarge(
                f"{name} declares {declared} unpacked bytes, more than the limit "
                f"{budget.max_bytes} (max_bytes); upload a smaller trace or raise the limit",
                field,
            )
        for info in infos:
            budget.member(info.filename)
            mode = info.external_attr >> 16
            kind = stat.S_IFMT(mode)
            if stat.S_ISLNK(mode):
                raise _bad(name, field, info.filename, "is a symbolic link")
            if kind and not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
                raise _bad(name, field, info.filename, "is not a plain file or folder")
            if info.flag_bits & 0x1:
                raise _bad(name, field, info.filename, "is encrypted", "upload it unencrypted")
            relative = member_path(name, info.filename, field)
            if relative is None:
                continue
            target = _target(dest, relative)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            with archive.open(info) as source:
                _write(source, target, budget, info.filename)


def _extract_tar(path: Path, dest: Path, budget: _Budget) -> None:
    name, field = budget.name, budget.field
    with tarfile.open(path, "r:*") as archive:
        # Iterating reads one header at a time, so a huge member list is refused early.
        for member in archive:
            budget.member(member.name)
            if member.issym() or member.islnk():
                raise _bad(name, field, member.name, "is a link")
            if member.issparse() or not (member.isfile() or member.isdir()):
                raise _bad(name, field, member.name, "is not a plain file or folder")
            relative = member_path(name, member.name, field)
            if relative is None:
                continue
            target = _target(dest, relative)
            if member.isdir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            if budget.bytes + member.size > budget.max_bytes:
                budget.spend(member.size, member.name)  # refuses before writing anything
            source = archive.extractfile(member)
            if source is None:  # pragma: no cover - isfile() members always have data
                raise _bad(name, field, member.name, "has no data")
            with source:
                _write(source, target, budget, member.name)


def _is_tar(path: Path) -> bool:
    try:
        return tarfile.is_tarfile(path)
    except (OSError, EOFError, tarfile.TarError, zlib.error):
        return False


def extract_archive(
    path: str | Path,
    dest: str | Path,
    *,
    name: str,
    field: str = "file",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_members: int = DEFAULT_MAX_MEMBERS,
) -> None:
    """Unpack the zip or tar at `path` into the folder `dest` (created), checking every member.

    `name` is how errors call the archive (a file name, never a server path).
    """
    path, dest = Path(path), Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    budget = _Budget(name, field, max_bytes, max_members)
    try:
        if zipfile.is_zipfile(path):
            _extract_zip(path, dest, budget)
        elif _is_tar(path):
            _extract_tar(path, dest, budget)
        else:
            raise BadArchive(
                f"{name} is neither a zip nor a tar archive (.zip, .tar, .tar.gz, .tgz, "
                f".tar.bz2, .tar.xz); {_FIX_PACK}",
                field,
            )
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as error:
        member = Path(error.filename or "?").name
        raise BadArchive(
            f"{name}: member {member!r} appears twice or both as a file and a folder; {_FIX_PACK}",
            field,
        ) from None
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError) as error:
        raise BadArchive(
            f"{name} is a damaged archive ({error}); pack it again and retry", field
        ) from None
    except OSError as error:
        # gzip and bz2 report damaged data as OSError without an errno; a full disk has one.
        if error.errno is not None:
            raise
        raise BadArchive(
            f"{name} is a damaged archive ({error}); pack it again and retry", field
        ) from None
