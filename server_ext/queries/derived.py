"""Derived indices of one trace, built once and kept on disk beside it (or in memory).

A *component* is a named group of NumPy arrays (the busy-time unions of a location set,
the innermost-interval timeline, the GUID index ...). `DerivedStore.get(name, build)`
answers from memory, else from `<trace dir>/derived/<name>/` (memory-mapped), else calls
`build()` and writes the result there atomically: into a temporary folder first, renamed
into place only when complete, so a crash never leaves a half-written component and the
first query after a server restart maps the files instead of recomputing. A stamp
(format version, event count, span) written with each component makes a stale one be
rebuilt. When the trace directory cannot be written (read-only store), components stay
in memory. No pickle: plain `.npy` files and a JSON stamp.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

#: Folder inside a trace directory that holds the derived components.
DERIVED_DIR = "derived"
#: Bump when a component's layout changes: older ones are then rebuilt.
DERIVED_VERSION = 1
_STAMP = "stamp.json"

Arrays = dict[str, np.ndarray]


class DerivedStore:
    """Components of one trace: memory first, then `<directory>/derived/`, then built."""

    def __init__(self, directory: Path | None, stamp: dict[str, Any]) -> None:
        self.root = Path(directory) / DERIVED_DIR if directory is not None else None
        self.stamp = {"derived_version": DERIVED_VERSION, **stamp}
        self.writable = self.root is not None
        #: ("built" | "loaded", name) in the order they happened (tests and benchmarks read it).
        self.log: list[tuple[str, str]] = []
        self._memory: dict[str, Arrays] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, name: str, build: Callable[[], Arrays]) -> Arrays:
        """The arrays of component `name`, building (and saving) them on first use."""
        arrays = self._memory.get(name)
        if arrays is not None:
            return arrays
        with self._guard:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:  # one builder per component; other threads wait and then share it
            arrays = self._memory.get(name)
            if arrays is None:
                arrays = self._read(name)
                if arrays is not None:
                    self.log.append(("loaded", name))
                else:
                    arrays = build()
                    self.log.append(("built", name))
                    if self._write(name, arrays):
                        # Map the written files so a big component lives in the page cache,
                        # not in this process's heap.
                        arrays = self._read(name) or arrays
                self._memory[name] = arrays
        return arrays

    def _read(self, name: str) -> Arrays | None:
        if self.root is None:
            return None
        return self._read_folder(self.root / name)

    def _read_folder(self, folder: Path) -> Arrays | None:
        try:
            stamp = json.loads((folder / _STAMP).read_text("utf-8"))
        except (OSError, ValueError):
            return None
        if stamp.get("trace") != self.stamp or not isinstance(stamp.get("arrays"), list):
            return None
        arrays: Arrays = {}
        try:
            for key in stamp["arrays"]:
                mapped = np.load(folder / f"{key}.npy", mmap_mode="r", allow_pickle=False)
                # A plain ndarray view of the mapping: slicing a np.memmap costs ~10x more.
                arrays[key] = np.asarray(mapped)
        except (OSError, ValueError):
            return None  # damaged or partly deleted: rebuilt and replaced
        return arrays

    def _write(self, name: str, arrays: Arrays) -> bool:
        if not self.writable or self.root is None:
            return False
        temporary = self.root / f".tmp-{os.getpid()}-{secrets.token_hex(4)}-{name}"
        try:
            self._sweep()
            temporary.mkdir(parents=True)
            for key, array in arrays.items():
                np.save(temporary / f"{key}.npy", np.ascontiguousarray(array), allow_pickle=False)
            stamp = {"trace": self.stamp, "arrays": list(arrays)}
            # The stamp goes last: a folder without one is never read.
            (temporary / _STAMP).write_text(json.dumps(stamp), "utf-8")
            self._install(temporary, self.root / name)
            return True
        except OSError:
            # Read-only store, full disk, or `derived` is not a folder: answer from memory.
            self.writable = False
            shutil.rmtree(temporary, ignore_errors=True)
            return False

    def _sweep(self) -> None:
        """Remove what a crashed writer left: temporary folders of processes that are gone."""
        if self.root is None or not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            parts = entry.name.split("-")
            if len(parts) < 3 or parts[0] not in (".tmp", ".old") or not parts[1].isdigit():
                continue
            try:
                os.kill(int(parts[1]), 0)
            except ProcessLookupError:
                shutil.rmtree(entry, ignore_errors=True)
            except OSError:
                pass  # alive but not ours to signal: leave it

    def _install(self, temporary: Path, target: Path) -> None:
        """Rename `temporary` to `target`; a stale or damaged `target` is replaced."""
        try:
            os.replace(temporary, target)
            return
        except OSError:
            if not target.exists():
                raise
        if self._read_folder(target) is not None:
            # Another process finished the same component first: keep theirs.
            shutil.rmtree(temporary, ignore_errors=True)
            return
        trash = target.with_name(f".old-{os.getpid()}-{secrets.token_hex(4)}-{target.name}")
        try:
            os.replace(target, trash)
        except OSError:
            pass
        try:
            os.replace(temporary, target)
        except OSError:
            shutil.rmtree(temporary, ignore_errors=True)  # another writer's copy won
        shutil.rmtree(trash, ignore_errors=True)
