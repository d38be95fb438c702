"""Arguments and results keep their exact Python and NumPy types through `.npz` (no pickle)."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from jobs_support import same

from jetlag.runtime.jobs.arguments import (
    TYPES_KEY,
    check_arguments,
    decode_arguments,
    decode_result,
    encode_arguments,
    encode_result,
)
from jetlag.runtime.jobs.errors import JobError
from jetlag.runtime.jobs.results import preview, read_result, read_result_info, write_result

AWKWARD = [
    1,
    np.int64(1),
    True,
    np.bool_(False),
    0.1,
    float("nan"),
    float("inf"),
    -float("inf"),
    -0.0,
    np.float64(0.1),
    1 + 2j,
    complex(float("nan"), -0.0),
    np.complex64(1 - 1j),
    np.float16(1.5),
    np.uint8(255),
    2**80,
    -(2**63),
    "",
    "héllo\x00 wörld",
    None,
    (3, 4),
    (),
    [1, (2.0, None)],
    np.array(3.0),
    np.array(7, dtype=np.int8),
    np.arange(6, dtype=np.float16).reshape(2, 3),
    np.arange(12).reshape(3, 4).T,
    np.asfortranarray(np.ones((2, 3), dtype=np.float32)),
    np.array([True, False]),
    np.array(["a", "bc"]),
    np.zeros(0),
    np.zeros((2,), dtype=[("x", "<f8"), ("y", "<i4", (2,))]),
]


def test_arguments_round_trip_exactly_in_type_and_value():
    kwargs = {"alpha": np.float32(0.5), "shape": (2, 3), "name": "x", "none": None}
    args, back = decode_arguments(encode_arguments(AWKWARD, kwargs))
    assert len(args) == len(AWKWARD)
    for original, decoded in zip(AWKWARD, args, strict=True):
        assert same(original, decoded), (original, decoded)
    assert back.keys() == kwargs.keys()
    for name, value in kwargs.items():
        assert same(value, back[name])


@pytest.mark.parametrize("value", AWKWARD, ids=lambda v: type(v).__name__)
def test_results_round_trip_exactly(value):
    data, _ = encode_result(value)
    assert same(value, decode_result(data))


def test_result_files_carry_types_and_a_json_safe_preview(tmp_path):
    value = (float("nan"), -float("inf"), 2**70, 1 + 2j, np.arange(20.0), np.float16(2.5), "s")
    info = write_result(tmp_path, value)
    json.dumps(info, allow_nan=False)  # strict JSON: no NaN literals anywhere
    assert same(read_result(tmp_path), value)
    items = read_result_info(tmp_path)["preview"]["items"]
    assert items[0] == {"kind": "float", "value": "nan"}
    assert items[1] == {"kind": "float", "value": "-inf"}
    assert items[2] == {"kind": "int", "value": 2**70}
    assert items[3] == {"kind": "complex", "value": {"real": 1.0, "imag": 2.0}}
    assert items[4]["shape"] == [20] and items[4]["dtype"] == "float64"
    assert items[4]["values"] == list(range(10)) and items[4]["truncated"] is True
    assert items[5] == {"kind": "scalar", "dtype": "float16", "value": 2.5}


def test_preview_keeps_float_repr_exact():
    assert preview(0.1)["value"] == 0.1
    assert preview(np.float64(1 / 3))["value"] == 1 / 3


def savez(*args, **kwargs) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, *args, **kwargs)
    return buffer.getvalue()


def test_a_plain_npz_gives_positional_and_keyword_arrays():
    args, kwargs = decode_arguments(savez(np.ones(2), np.int32(3), alpha=np.float64(0.5)))
    assert same(args, (np.ones(2), np.array(3, dtype=np.int32)))
    assert same(kwargs, {"alpha": np.array(0.5)})


def reject(data, fragment: str) -> None:
    with pytest.raises(JobError) as caught:
        check_arguments(data)
    assert caught.value.field == "args" and caught.value.status == 400
    assert fragment in str(caught.value)


def with_types(types, **arrays) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{TYPES_KEY: np.array(json.dumps(types))})
    return buffer.getvalue()


def test_bad_archives_are_refused_naming_the_field():
    buffer = io.BytesIO()
    np.savez(buffer, np.array([None, 1], dtype=object), allow_pickle=True)
    reject(buffer.getvalue(), "object array")
    reject(b"not a zip", "not a valid .npz")
    npy = io.BytesIO()
    np.save(npy, np.ones(2))
    reject(npy.getvalue(), "not a valid .npz")
    reject(savez(arr_1=np.ones(1)), "without gaps")
    reject(savez(**{"a-b": np.ones(1)}), "identifier")
    reject("text", "bytes of an .npz")


def test_a_type_list_that_does_not_match_the_members_is_refused():
    one = {"positional": [{"kind": "float", "key": "a0"}], "keywords": {}}
    reject(with_types(one, a0=np.array(1, dtype=np.int64)), "declared as float")
    reject(with_types(one, a0=np.array(1.0), extra=np.ones(1)), "does not use")
    reject(with_types(one), "lacks")
    arrays = {"positional": [{"kind": "array", "key": "a0", "dtype": "<f8", "shape": [3]}]}
    reject(with_types(arrays, a0=np.ones(2)), "shape")
    reject(with_types({"positional": [{"kind": "set", "key": "a0"}]}, a0=np.ones(1)), "kind")
    reject(with_types({"positional": [{"nokind": 1}]}), "'kind'")
    reject(with_types({"positional": [{"kind": "str", "key": "a0"}]}, a0=np.ones(2)), "uint8")
    twice = {"positional": [{"kind": "float", "key": "a0"}, {"kind": "float", "key": "a0"}]}
    reject(with_types(twice, a0=np.array(1.0)), "twice")


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ({"a": 1}, "dict"),
        (np.array([object()], dtype=object), "object array"),
        (np.ma.array([1.0]), "subclass"),
        (object(), "object"),
    ],
)
def test_values_a_job_cannot_carry_are_refused(value, fragment):
    with pytest.raises(JobError) as caught:
        encode_arguments((value,))
    assert caught.value.field == "args" and fragment in str(caught.value)
    with pytest.raises(JobError) as caught:
        encode_result(value)
    assert caught.value.field == "result"
