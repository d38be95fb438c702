"""Turn what a user hands the store into a `Trace`, keeping its OTF2 archive.

Accepted: a folder written by `Trace.save` (it has a `trace.json` manifest), an OTF2
archive (its `.otf2` anchor file or a folder holding one, ours or APEX's with `GUID` /
`Parent GUID` attributes), or a .zip / .tar(.gz) holding either. Archives are unpacked by
`unpacking.extract_archive` into the trace's partial folder, so a crash leaves nothing
but a partial folder the store cleans up. The OTF2 archive ends up in `<folder>/otf2/`
(moved out of an unpacked archive, copied from a user's folder). Everything wrong with
the input is a `BadArchive` naming the problem. This module does not write the index.
"""

from __future__ import annotations

import shutil
from pathlib import Path, PurePosixPath
from typing import Any

from jetlag.runtime.measure.archive import MANIFEST, read_manifest
from jetlag.runtime.measure.otf2_reader import find_anchor
from jetlag.runtime.measure.trace import Trace
from jetlag.runtime.store.errors import BadArchive
from jetlag.runtime.store.unpacking import extract_archive
from jetlag.runtime.store.writing import OTF2_DIR

WORK_DIR = ".unpacked"
_FIX_OTF2 = (
    "include the whole OTF2 archive: the .otf2 anchor file, its .def file and its data folder"
)


def _anchors(root: Path) -> list[Path]:
    """`.otf2` anchor files anywhere below an unpacked archive (its size is bounded).

    macOS zips carry AppleDouble copies (`__MACOSX/`, `._name`); they are not archives.
    """
    return sorted(
        path
        for path in root.rglob("*.otf2")
        if path.is_file()
        and not path.name.startswith("._")
        and "__MACOSX" not in path.relative_to(root).parts
    )


def _manifests(root: Path) -> list[Path]:
    """Saved-trace folders at the top of an unpacked archive or one level down."""
    found = [root] if (root / MANIFEST).is_file() else []
    found += sorted(p.parent for p in root.glob(f"*/{MANIFEST}") if p.is_file())
    return found


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name


def _keep_otf2(anchor: Path, directory: Path, *, move: bool) -> None:
    """Move or copy the archive of `anchor` (X.otf2, X.def, X/, X.*) into directory/otf2."""
    target = directory / OTF2_DIR
    target.mkdir(parents=True, exist_ok=True)
    stem = anchor.stem
    for entry in sorted(anchor.parent.iterdir()):
        if entry.name != stem and not entry.name.startswith(stem + "."):
            continue
        if move:
            entry.rename(target / entry.name)
        elif entry.is_dir():
            shutil.copytree(entry, target / entry.name)
        else:
            shutil.copy2(entry, target / entry.name)


def _read_otf2(anchor: Path, name: str, field: str, shown: str) -> Trace:
    try:
        trace = Trace.from_otf2(anchor)
    except Exception as error:  # noqa: BLE001 - any reader failure means a bad archive
        raise BadArchive(
            f"{name}: the OTF2 reader rejected {shown} ({error}); {_FIX_OTF2}", field
        ) from None
    trace.metadata["otf2"] = shown
    return trace


def _check_manifest_files(folder: Path, name: str, field: str) -> dict[str, Any]:
    """The manifest, refusing file entries that point outside the folder (`../`, absolute)."""
    try:
        manifest = read_manifest(folder)
    except (OSError, ValueError) as error:
        raise BadArchive(f"{name}: {error}", field) from None
    files = manifest.get("files", {})
    if not isinstance(files, dict):
        raise BadArchive(f"{name}: {MANIFEST} has no 'files' mapping; save the trace again", field)
    for key, value in files.items():
        path = PurePosixPath(str(value).replace("\\", "/"))
        if not isinstance(value, str) or path.is_absolute() or ".." in path.parts:
            raise BadArchive(
                f"{name}: {MANIFEST} names file {key}={value!r} outside the trace folder; "
                "save the trace again with trace.save(directory)",
                field,
            )
    return manifest


def _read_saved(folder: Path, name: str, field: str) -> tuple[Trace, Path]:
    manifest = _check_manifest_files(folder, name, field)
    anchor = folder / manifest.get("files", {}).get("otf2", "otf2/traces.otf2")
    try:
        trace = Trace.load(folder)
    except Exception as error:  # noqa: BLE001 - a damaged saved trace is bad input
        raise BadArchive(
            f"{name}: the saved trace cannot be read ({error}); save it again with "
            "trace.save(directory)",
            field,
        ) from None
    return trace, anchor


def _read_folder(
    folder: Path, directory: Path, *, name: str, field: str, move: bool, top: Path
) -> Trace:
    """Read a saved trace or an OTF2 archive found in `folder` and keep its archive."""
    manifests = _manifests(folder) if move else ([folder] if (folder / MANIFEST).is_file() else [])
    if len(manifests) > 1:
        shown = ", ".join(_relative(top, m) or "." for m in manifests[:5])
        raise BadArchive(f"{name} holds several saved traces ({shown}); import one", field)
    if manifests:
        trace, anchor = _read_saved(manifests[0], name, field)
    else:
        if move:
            anchors = _anchors(folder)
        else:
            try:
                anchors = [find_anchor(folder)]
            except (FileNotFoundError, ValueError) as error:
                raise BadArchive(f"{name}: {error}; {_FIX_OTF2}", field) from None
        if not anchors:
            raise BadArchive(
                f"{name} holds no OTF2 archive (no *.otf2 anchor file) and no saved trace "
                f"({MANIFEST}); {_FIX_OTF2}",
                field,
            )
        if len(anchors) > 1:
            shown = ", ".join(_relative(top, a) for a in anchors[:5])
            raise BadArchive(f"{name} holds several OTF2 archives ({shown}); upload one", field)
        anchor = anchors[0]
        trace = _read_otf2(anchor, name, field, _relative(top, anchor))
    if anchor.is_file():
        _keep_otf2(anchor, directory, move=move)
    trace.metadata["imported_from"] = name
    return trace


def import_into(
    source: str | Path,
    directory: str | Path,
    *,
    name: str | None = None,
    field: str = "path",
    max_bytes: int,
    max_members: int,
) -> Trace:
    """Read `source` (saved folder, OTF2 anchor/folder, or archive file) into a Trace.

    Its OTF2 archive is placed in `directory/otf2/`; an archive file is unpacked inside
    `directory` first (and the unpacked rest removed). `name` is how errors call the input.
    """
    source, directory = Path(source), Path(directory)
    name = name or str(source)
    if not source.exists():
        raise BadArchive(f"{name}: no such file or folder; check the path", field)
    if source.name == MANIFEST and source.is_file():
        source = source.parent  # the manifest names its saved-trace folder
    if source.is_dir():
        return _read_folder(source, directory, name=name, field=field, move=False, top=source)
    if source.suffix == ".otf2":
        trace = _read_otf2(source, name, field, source.name)
        _keep_otf2(source, directory, move=False)
        trace.metadata["imported_from"] = name
        return trace
    work = directory / WORK_DIR
    try:
        extract_archive(
            source, work, name=name, field=field, max_bytes=max_bytes, max_members=max_members
        )
        return _read_folder(work, directory, name=name, field=field, move=True, top=work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
