"""What comes back from a Tapis job: its outputs, its trace, and its live event chunks.

Outputs are downloaded from the job's output folder once the job has ended (Tapis serves
them only then unless asked with `allowIfRunning`); the trace folder comes as one zip and
is imported into the store under the machine's name. While the job runs, the app has its
runner write live chunks into `live/` of the output folder (tapis_app.py), and
`fetch_live_chunks` lists that folder and downloads only the chunks after the last one
read -- whole files, in order, each written here atomically -- so the live view of a
Tapis job grows as a Slurm job's does.
"""

from __future__ import annotations

import logging
import shutil
from pathlib import Path
from typing import Any

from jetlag.runtime.jobs.backends.tapis_client import TapisClient
from jetlag.runtime.jobs.live import LIVE_DIR, MAX_CHUNK_BYTES, chunk_index, chunk_name
from jetlag.runtime.jobs.package import (
    EXIT_FILE,
    RESULT_FILE,
    RESULT_JSON,
    STDERR_FILE,
    STDOUT_FILE,
    TRACE_DIR,
    write_atomic,
)
from jetlag.runtime.jobs.trace_home import import_trace

log = logging.getLogger(__name__)

#: The outputs fetched when a Tapis job ends (the trace folder comes as a zip).
OUTPUTS = (EXIT_FILE, RESULT_FILE, RESULT_JSON, STDOUT_FILE, STDERR_FILE)
#: Chunks downloaded in one look at a running job (the rest come at the next look).
CHUNKS_PER_LOOK = 16


def download_outputs(client: TapisClient, uuid: str, directory: Path) -> None:
    """Download the job's output files that exist into its folder (each atomically)."""
    for name in OUTPUTS:
        data = client.download(uuid, name)
        if data is not None:
            write_atomic(directory / name, data)


def import_tapis_trace(
    client: TapisClient, uuid: str, directory: Path, root: Path, machine: str, row: Any
) -> tuple[str | None, str | None]:
    """Fetch the trace folder (a zip) into the job folder and import it into the store:
    (trace id, None), (None, None) without a trace, (None, why) when it could not come."""
    data = client.download(uuid, TRACE_DIR, folder=True)
    if data is None:
        return None, None
    from jetlag.runtime.store.unpacking import extract_archive

    unpacked, archive = directory / "trace.partial", directory / "trace.zip"
    shutil.rmtree(unpacked, ignore_errors=True)
    try:
        write_atomic(archive, data)
        extract_archive(archive, unpacked, name=f"the trace of Tapis job {uuid}")
        inner = unpacked / TRACE_DIR
        shutil.rmtree(directory / TRACE_DIR, ignore_errors=True)
        (inner if inner.is_dir() else unpacked).rename(directory / TRACE_DIR)
    except Exception as error:  # noqa: BLE001 - the result matters more than the trace
        log.warning("the trace of job %s could not be fetched: %s", row["id"], error)
        return None, f"its trace could not be fetched ({error})"
    finally:
        archive.unlink(missing_ok=True)
        shutil.rmtree(unpacked, ignore_errors=True)
    return import_trace(root, directory, row["id"], machine, row["label"])


def fetch_live_chunks(client: TapisClient, uuid: str, after: int, into: Path) -> int:
    """Download the running job's live chunks after chunk `after` into `into`, in order,
    stopping at a gap or a chunk too big to read; returns the last chunk index here.
    TapisError when Tapis fails; a job with no live folder yet has nothing to fetch."""
    listing = client.list_outputs(uuid, f"{LIVE_DIR}/", running=True)
    if listing is None:
        return after
    sizes = {index: size for name, size in listing if (index := chunk_index(name)) is not None}
    last = after
    into.mkdir(parents=True, exist_ok=True)
    while last + 1 in sizes and last < after + CHUNKS_PER_LOOK:
        index = last + 1
        if sizes[index] > MAX_CHUNK_BYTES:
            break  # the live view stops here; the final trace still comes whole
        data = client.download(uuid, f"{LIVE_DIR}/{chunk_name(index)}", running=True)
        if data is None:  # the app removed live/ as the job ended: nothing more to show
            break
        write_atomic(into / chunk_name(index), data)
        last = index
    return last
