"""Reading an uploaded `.npz` archive safely: members and their `.npy` headers only.

Checking an upload must not load it (it may be large) nor unpickle anything: this module
opens the zip, refuses duplicate or non-`.npy` members and object dtypes, and reads each
member's shape and dtype from its header, plus the JSON type list when there is one.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from jetlag.runtime.jobs.errors import JobError

TYPES_KEY = "__jetlag_types__"
MAX_MEMBERS = 10_000
Header = tuple[tuple[int, ...], np.dtype]


def _bad(message: str, field: str) -> JobError:
    return JobError(message, field, 400)


def _open_zip(data: bytes, field: str) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise _bad(
            f"{field}: not a valid .npz archive ({error}); write it with "
            "numpy.savez or jetlag.runtime.jobs.arguments.encode_arguments",
            field,
        ) from None
    names = archive.namelist()
    problem = None
    if len(names) != len(set(names)):
        problem = f"the {field} archive lists a member twice"
    elif len(names) > MAX_MEMBERS + 1:
        problem = f"the {field} archive has {len(names)} members; at most {MAX_MEMBERS}"
    if problem is not None:
        archive.close()
        raise _bad(problem, field)
    return archive


def read_headers(data: bytes, field: str = "args") -> dict[str, Header]:
    """Each member's (shape, dtype), read from its `.npy` header only; refuses object arrays."""
    headers: dict[str, Header] = {}
    with _open_zip(data, field) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                raise _bad(
                    f"member {info.filename!r} of the {field} archive is not a .npy "
                    "array; an .npz holds only .npy members",
                    field,
                )
            key = info.filename[: -len(".npy")]
            try:
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                    elif version == (2, 0):
                        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                    else:
                        member.close()
                        array = np.load(io.BytesIO(archive.read(info)), allow_pickle=False)
                        shape, dtype = array.shape, array.dtype
            except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
                raise _bad(
                    f"member {key!r} of the {field} archive is not a valid .npy array ({error})",
                    field,
                ) from None
            if dtype.hasobject:
                raise _bad(
                    f"member {key!r} of the {field} archive is an object array, which "
                    "cannot be read without pickle; use a numeric, boolean or string "
                    "dtype",
                    field,
                )
            headers[key] = (tuple(shape), dtype)
    return headers


def read_types(data: bytes, headers: Mapping[str, Header], field: str) -> dict[str, Any] | None:
    """The archive's JSON type list (member `__jetlag_types__`), or None without one."""
    if TYPES_KEY not in headers:
        return None
    shape, dtype = headers[TYPES_KEY]
    if shape != () or dtype.kind != "U":
        raise _bad(f"{TYPES_KEY} in the {field} archive must be a JSON string", field)
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        text = str(archive[TYPES_KEY][()])
    try:
        types = json.loads(text)
    except ValueError as error:
        raise _bad(
            f"{TYPES_KEY} in the {field} archive is not valid JSON ({error})", field
        ) from None
    if not isinstance(types, dict):
        raise _bad(f"{TYPES_KEY} in the {field} archive must be a JSON object", field)
    return types
