"""Remove what crashed writers leave in `<root>/traces/`.

Scratch folders are named `.<kind>-<id>[-<token>]-<pid>` (`.partial-` for a trace being
written, `.export-` for a download being built, `.trash-` for a folder being deleted):
one whose pid is dead -- or that is a day old, in case the pid was reused -- is removed.
A trace folder (named like a trace id) without an index row is complete -- folders are
renamed into place only when written -- so once it is a minute old (younger ones may be a
save between its rename and its insert) it is listed again from its `row.json`; one that
cannot be (no readable row) is removed. An index row whose folder is gone is what a
delete killed between its rename and its row removal leaves: the row is dropped. Scratch
folders of the calling process are left alone: another of its threads may be using them.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

from jetlag.runtime.store.errors import TRACE_ID

SCRATCH_PREFIXES = (".partial-", ".export-", ".trash-")
#: A folder without a row younger than this may be a save between rename and insert.
ORPHAN_AGE_S = 60.0
#: Scratch folders of a live pid older than this belong to a reused pid.
STALE_SCRATCH_S = 24 * 3600.0


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists (on this machine)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def remove_leftovers(
    traces_dir: Path,
    listed: Callable[[], set[str]],
    adopt: Callable[[Path], bool],
    forget: Callable[[str], None],
) -> int:
    """Tidy after crashed writers; returns how many folders or rows were removed or adopted.

    `listed` gives the ids in the index; it is called after the folder is scanned, so a
    trace published in between is not mistaken for an orphan. `adopt(folder)` lists an
    unlisted complete folder again (False if it cannot); `forget(id)` drops a row whose
    folder is gone.
    """
    try:
        entries = list(os.scandir(traces_dir))
    except FileNotFoundError:
        return 0
    known = listed()
    now = time.time()
    removed = 0
    for entry in entries:
        try:
            age = now - entry.stat(follow_symlinks=False).st_mtime
        except FileNotFoundError:
            continue
        if entry.name.startswith(SCRATCH_PREFIXES):
            tail = entry.name.rsplit("-", 1)[-1]
            pid = int(tail) if tail.isdigit() else 0
            if pid == os.getpid():
                continue
            if not pid or not pid_alive(pid) or age > STALE_SCRATCH_S:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
        elif (
            TRACE_ID.fullmatch(entry.name)
            and entry.name not in known
            and entry.is_dir(follow_symlinks=False)
        ):
            if age > ORPHAN_AGE_S:
                if not adopt(Path(entry.path)):
                    shutil.rmtree(entry.path, ignore_errors=True)
                removed += 1
    present = {entry.name for entry in entries}
    for trace_id in known - present:
        if not (traces_dir / trace_id).exists():  # not one published since the scan
            forget(trace_id)
            removed += 1
    return removed
