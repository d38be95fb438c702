"""A job's result files: `result.npz` (exact value) and `result.json` (types and a preview).

The preview is small, JSON-safe and exact for scalars: Python ints stay ints, floats keep
their repr (NaN and infinities become the strings "nan", "inf", "-inf"), complex numbers
are {"real", "imag"}, arrays show their dtype, shape and first few values. This module
writes and reads files; it does not run anything.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from jetlag.runtime.jobs.arguments import decode_result, dtype_to_json, encode_result
from jetlag.runtime.jobs.package import RESULT_FILE, RESULT_JSON, write_atomic

PREVIEW_VALUES = 10
PREVIEW_ITEMS = 100
PREVIEW_TEXT = 1000


def json_number(value: Any) -> Any:
    """A number as JSON allows it: non-finite floats as "nan", "inf", "-inf"."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        number = float(value)
        if math.isnan(number):
            return "nan"
        if math.isinf(number):
            return "inf" if number > 0 else "-inf"
        return number
    if isinstance(value, (complex, np.complexfloating)):
        number = complex(value)
        return {"real": json_number(number.real), "imag": json_number(number.imag)}
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


def preview(value: Any) -> dict[str, Any]:
    """A small JSON-safe description of `value` (see the module docstring)."""
    if value is None:
        return {"kind": "none", "value": None}
    if isinstance(value, np.generic):
        return {"kind": "scalar", "dtype": str(value.dtype), "value": json_number(value.item())}
    if isinstance(value, np.ndarray):
        flat = value.reshape(-1)[:PREVIEW_VALUES]
        return {
            "kind": "array",
            "dtype": str(value.dtype),
            "descr": dtype_to_json(value.dtype),
            "shape": list(value.shape),
            "values": [json_number(item) for item in flat.tolist()]
            if value.dtype.names is None
            else [str(item) for item in flat],
            "truncated": value.size > PREVIEW_VALUES,
        }
    if isinstance(value, str):
        return {
            "kind": "str",
            "value": value[:PREVIEW_TEXT],
            "truncated": len(value) > PREVIEW_TEXT,
        }
    if isinstance(value, (tuple, list)):
        return {
            "kind": "tuple" if isinstance(value, tuple) else "list",
            "items": [preview(item) for item in value[:PREVIEW_ITEMS]],
            "length": len(value),
        }
    kind = type(value).__name__
    return {"kind": kind, "value": json_number(value)}


def write_result(directory: Path, value: Any) -> dict[str, Any]:
    """Write `result.npz` and `result.json` (atomically); returns the JSON written.

    Raises JobError (field "result") when the value cannot be carried (an object array,
    a dict, ...).
    """
    data, descriptor = encode_result(value)
    info = {
        "format": "jetlag-job-result",
        "version": 1,
        "type": descriptor,
        "preview": preview(value),
        "bytes": len(data),
    }
    write_atomic(directory / RESULT_FILE, data)
    write_atomic(directory / RESULT_JSON, json.dumps(info, allow_nan=False, indent=1).encode())
    return info


def read_result(directory: Path) -> Any:
    """The exact value a job returned, from its `result.npz`."""
    return decode_result((directory / RESULT_FILE).read_bytes())


def read_result_info(directory: Path) -> dict[str, Any]:
    """The `result.json` of a job: its type descriptor and preview."""
    return json.loads((directory / RESULT_JSON).read_text())
