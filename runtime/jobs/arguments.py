"""Values <-> `.npz` bytes that keep their exact Python and NumPy types (no pickle).

A job's arguments and its result travel as an `.npz` archive written and read with
`allow_pickle=False`. Each value becomes zero or more NumPy arrays plus a descriptor in a
type list (JSON, kept in the archive under `__jetlag_types__` and in the manifest):

    {"kind": "none"}                                       None
    {"kind": "bool" | "int" | "float" | "complex", "key"}  Python scalars (0-d arrays;
                                                           an int beyond int64 as "text")
    {"kind": "str", "key"}                                 UTF-8 bytes as a uint8 array
    {"kind": "scalar", "key", "dtype"}                     a NumPy scalar (np.float16(1))
    {"kind": "array", "key", "dtype", "shape"}             an ndarray (0-d included)
    {"kind": "tuple" | "list", "items": [...]}             sequences of the above

The archive's type list is {"positional": [...], "keywords": {name: ...}}. An archive
without one (a REST client's `np.savez(f, x, y, alpha=a)`) means: members `arr_0`,
`arr_1`, ... are positional arrays, every other member a keyword array. Checking reads
only the members' headers, so a large upload is never loaded to be validated.
"""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.npz import MAX_MEMBERS, TYPES_KEY, Header, read_headers, read_types

SCALARS: dict[str, np.dtype] = {
    "bool": np.dtype(np.bool_),
    "int": np.dtype(np.int64),
    "float": np.dtype(np.float64),
    "complex": np.dtype(np.complex128),
}


def _bad(message: str, field: str) -> JobError:
    return JobError(message, field, 400)


def dtype_to_json(dtype: np.dtype) -> Any:
    """A dtype as JSON: its `.npy` header description ('<f8', or fields for a record)."""
    return np.lib.format.dtype_to_descr(dtype)


def dtype_from_json(descr: Any) -> np.dtype:
    """The dtype `dtype_to_json` described (JSON turns a record's tuples into lists)."""

    def fields(item: Any) -> Any:
        if isinstance(item, list):
            return [
                tuple([f[0], fields(f[1]), *([tuple(f[2])] if len(f) > 2 else [])]) for f in item
            ]
        return item

    return np.lib.format.descr_to_dtype(fields(descr))


# -- encoding -------------------------------------------------------------------------------


class _Writer:
    def __init__(self, field: str) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.field = field

    def put(self, key: str, array: np.ndarray, where: str) -> None:
        """Keep `array` as member `key` (refusing object arrays and too many members)."""
        if array.dtype.hasobject:
            raise _bad(
                f"{where} is an object array, which cannot be sent without pickle; "
                "use a numeric, boolean or string dtype",
                self.field,
            )
        if len(self.arrays) >= MAX_MEMBERS:
            raise _bad(
                f"more than {MAX_MEMBERS} values; pass long sequences as NumPy arrays", self.field
            )
        self.arrays[key] = array

    def describe(self, value: Any, key: str, where: str) -> dict[str, Any]:
        """The descriptor of `value`, storing its arrays under `key` (and `key.N`)."""
        if value is None:
            return {"kind": "none"}
        if isinstance(value, np.generic):
            self.put(key, np.asarray(value), where)
            return {"kind": "scalar", "key": key, "dtype": dtype_to_json(value.dtype)}
        if isinstance(value, np.ndarray):
            if type(value) not in (np.ndarray, np.memmap):
                raise _bad(
                    f"{where} is a {type(value).__name__}, a subclass of ndarray that "
                    "cannot be sent exactly; pass np.asarray(value)",
                    self.field,
                )
            array = np.asarray(value)
            self.put(key, array, where)
            return {
                "kind": "array",
                "key": key,
                "dtype": dtype_to_json(array.dtype),
                "shape": list(array.shape),
            }
        if isinstance(value, bool):
            self.put(key, np.array(value), where)
            return {"kind": "bool", "key": key}
        if isinstance(value, int):
            if -(2**63) <= value < 2**63:
                self.put(key, np.array(int(value), dtype=np.int64), where)
                return {"kind": "int", "key": key}
            self.put(key, np.frombuffer(str(int(value)).encode(), np.uint8), where)
            return {"kind": "int", "key": key, "text": True}
        if isinstance(value, float):
            self.put(key, np.array(float(value), dtype=np.float64), where)
            return {"kind": "float", "key": key}
        if isinstance(value, complex):
            self.put(key, np.array(complex(value), dtype=np.complex128), where)
            return {"kind": "complex", "key": key}
        if isinstance(value, str):
            self.put(key, np.frombuffer(value.encode("utf-8", "surrogatepass"), np.uint8), where)
            return {"kind": "str", "key": key}
        if isinstance(value, (tuple, list)):
            kind = "tuple" if isinstance(value, tuple) else "list"
            items = [
                self.describe(item, f"{key}.{i}", f"{where}[{i}]") for i, item in enumerate(value)
            ]
            return {"kind": kind, "items": items}
        raise _bad(
            f"{where} has type {type(value).__name__}, which a job cannot carry; "
            "use numbers, strings, None, NumPy arrays or scalars, or tuples/lists of "
            "them",
            self.field,
        )


def _archive(arrays: Mapping[str, np.ndarray], types: Mapping[str, Any]) -> bytes:
    buffer = io.BytesIO()
    members = dict(arrays)
    members[TYPES_KEY] = np.array(json.dumps(types))
    np.savez(buffer, allow_pickle=False, **members)
    return buffer.getvalue()


def encode_arguments(
    args: tuple[Any, ...] | list[Any] = (), kwargs: Mapping[str, Any] | None = None
) -> bytes:
    """The `.npz` bytes of positional and keyword arguments, with their type list."""
    writer = _Writer("args")
    positional = [writer.describe(v, f"a{i}", f"argument {i}") for i, v in enumerate(args)]
    keywords = {}
    for name, value in (kwargs or {}).items():
        if not isinstance(name, str) or not name.isidentifier():
            raise _bad(f"keyword argument name {name!r} is not a Python identifier", "args")
        keywords[name] = writer.describe(value, f"kw_{name}", f"keyword argument {name!r}")
    return _archive(writer.arrays, {"positional": positional, "keywords": keywords})


def encode_result(value: Any) -> tuple[bytes, dict[str, Any]]:
    """The `.npz` bytes of a function's result, and its descriptor."""
    writer = _Writer("result")
    descriptor = writer.describe(value, "r", "the result")
    return _archive(writer.arrays, {"result": descriptor}), descriptor


# -- checking -------------------------------------------------------------------------------


def _inferred(headers: Mapping[str, Header]) -> dict[str, Any]:
    positional: dict[int, dict[str, Any]] = {}
    keywords: dict[str, Any] = {}
    for key, (shape, dtype) in headers.items():
        descriptor = {
            "kind": "array",
            "key": key,
            "dtype": dtype_to_json(dtype),
            "shape": list(shape),
        }
        index = key[4:] if key.startswith("arr_") else ""
        if index.isdigit():
            positional[int(index)] = descriptor
        elif key.isidentifier():
            keywords[key] = descriptor
        else:
            raise _bad(
                f"member {key!r} of the args archive is neither arr_N (a positional "
                "argument) nor a Python identifier (a keyword argument)",
                "args",
            )
    if sorted(positional) != list(range(len(positional))):
        raise _bad(
            "the positional members arr_0, arr_1, ... of the args archive must be "
            f"numbered without gaps; found {sorted(positional)}",
            "args",
        )
    return {"positional": [positional[i] for i in range(len(positional))], "keywords": keywords}


def _check(
    descriptor: Any, headers: Mapping[str, Header], used: set[str], where: str, field: str
) -> None:
    if not isinstance(descriptor, dict) or "kind" not in descriptor:
        raise _bad(f"the type of {where} must be an object with a 'kind'", field)
    kind = descriptor["kind"]
    if kind == "none":
        return
    if kind in ("tuple", "list"):
        items = descriptor.get("items")
        if not isinstance(items, list):
            raise _bad(f"the {kind} type of {where} needs a list of 'items'", field)
        for i, item in enumerate(items):
            _check(item, headers, used, f"{where}[{i}]", field)
        return
    key = descriptor.get("key")
    if not isinstance(key, str) or key not in headers:
        raise _bad(
            f"the type list names member {key!r} for {where}, which the archive lacks", field
        )
    if key in used:
        raise _bad(f"the type list uses member {key!r} twice", field)
    used.add(key)
    shape, dtype = headers[key]
    if kind == "str" or (kind == "int" and descriptor.get("text")):
        if len(shape) != 1 or dtype != np.uint8:
            raise _bad(
                f"{where} is declared as {kind} (UTF-8 bytes) but member {key!r} holds "
                f"{dtype} of shape {shape}; it must be a 1-d uint8 array",
                field,
            )
        return
    elif kind in SCALARS:
        expected: Header = ((), SCALARS[kind])
    elif kind in ("scalar", "array"):
        try:
            declared = dtype_from_json(descriptor.get("dtype"))
        except (TypeError, ValueError, IndexError) as error:
            raise _bad(f"the dtype of {where} is not a NumPy dtype ({error})", field) from None
        if kind == "scalar":
            expected = ((), declared)
        else:
            wanted = descriptor.get("shape")
            if not isinstance(wanted, list) or not all(isinstance(n, int) for n in wanted):
                raise _bad(f"the shape of {where} must be a list of whole numbers", field)
            expected = (tuple(wanted), declared)
    else:
        raise _bad(f"{where} has the unknown kind {kind!r}", field)
    if (shape, dtype) != expected:
        raise _bad(
            f"{where} is declared as {kind} {expected[1]} of shape {expected[0]} but "
            f"member {key!r} holds {dtype} of shape {shape}",
            field,
        )


def check_arguments(data: bytes) -> dict[str, Any]:
    """The type list of argument bytes, checked against the archive (JobError, field "args").

    Refuses what is not an `.npz`, object arrays, members the type list does not use, and
    declarations that do not match the members' dtypes and shapes.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise _bad(f"args must be the bytes of an .npz archive, got {type(data).__name__}", "args")
    data = bytes(data)
    headers = read_headers(data, "args")
    types = read_types(data, headers, "args")
    members = {k: v for k, v in headers.items() if k != TYPES_KEY}
    if types is None:
        return _inferred(members)
    positional, keywords = types.get("positional", []), types.get("keywords", {})
    if not isinstance(positional, list) or not isinstance(keywords, dict):
        raise _bad("the type list needs 'positional' (a list) and 'keywords' (an object)", "args")
    used: set[str] = set()
    for i, descriptor in enumerate(positional):
        _check(descriptor, members, used, f"argument {i}", "args")
    for name, descriptor in keywords.items():
        if not isinstance(name, str) or not name.isidentifier():
            raise _bad(f"keyword argument name {name!r} is not a Python identifier", "args")
        _check(descriptor, members, used, f"keyword argument {name!r}", "args")
    unused = sorted(set(members) - used)
    if unused:
        raise _bad(f"the archive holds members the type list does not use: {unused}", "args")
    return {"positional": positional, "keywords": keywords}


# -- decoding -------------------------------------------------------------------------------


def _rebuild(descriptor: Mapping[str, Any], members: Any) -> Any:
    kind = descriptor["kind"]
    if kind == "none":
        return None
    if kind in ("tuple", "list"):
        items = [_rebuild(item, members) for item in descriptor["items"]]
        return tuple(items) if kind == "tuple" else items
    array = members[descriptor["key"]]
    if kind == "str":
        return array.tobytes().decode("utf-8", "surrogatepass")
    if kind == "int":
        return int(array.tobytes().decode()) if descriptor.get("text") else int(array[()])
    if kind == "bool":
        return bool(array[()])
    if kind == "float":
        return float(array[()])
    if kind == "complex":
        return complex(array[()])
    if kind == "scalar":
        return array[()]
    return array


def _load(data: bytes, field: str) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as archive:
        return {key: archive[key] for key in archive.files if key != TYPES_KEY}


def decode_arguments(data: bytes) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The positional and keyword arguments `encode_arguments` (or np.savez) wrote."""
    types = check_arguments(data)
    members = _load(bytes(data), "args")
    args = tuple(_rebuild(d, members) for d in types["positional"])
    kwargs = {name: _rebuild(d, members) for name, d in types["keywords"].items()}
    return args, kwargs


def decode_result(data: bytes) -> Any:
    """The value `encode_result` wrote."""
    headers = read_headers(data, "result")
    types = read_types(data, headers, "result")
    if types is None or "result" not in types:
        raise _bad(f"the result archive has no {TYPES_KEY} entry", "result")
    _check(types["result"], headers, set(), "the result", "result")
    return _rebuild(types["result"], _load(data, "result"))
