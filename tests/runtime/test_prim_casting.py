"""Casting primitives: astype, NumPy scalar types as functions, Python's float/int/bool/complex."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import casting  # noqa: F401  (registers)
from jetlag.runtime.primitives.registry import REGISTRY


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def assert_same(result, expected):
    assert type(result) is type(expected)
    if isinstance(expected, (np.ndarray, np.generic)):
        assert result.dtype == expected.dtype
        assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


DATA = np.array([[-2.7, -0.5, 0.0], [0.5, 1.5, 300.25]])


@pytest.mark.parametrize(
    "dtype", ["float64", "float32", "float16", "int64", "int32", "uint8", "bool", "complex128"]
)
def test_astype_matches_numpy(dtype):
    with np.errstate(all="ignore"):
        assert_same(call("astype", DATA, dtype), DATA.astype(dtype))
        assert_same(call("astype", DATA.T, dtype), DATA.T.astype(dtype))


def test_astype_copy_flag_and_scalars():
    assert call("astype", DATA, "float64", copy=False) is DATA
    assert call("astype", DATA, "float64") is not DATA
    assert_same(call("astype", np.float64(2.7), "int32"), np.int32(2))
    assert_same(call("astype", 3, "float32"), np.float32(3))
    assert_same(call("astype", (1, 2), "int8"), np.array([1, 2], dtype=np.int8))
    assert REGISTRY.resolve_method("astype") == "astype"


def test_astype_needs_a_known_dtype():
    with pytest.raises(
        PrimitiveArgumentError, match="unknown dtype 'float65'; valid dtype names: bool"
    ):
        call("astype", DATA, "float65")
    with pytest.raises(PrimitiveArgumentError, match="astype needs a dtype name"):
        call("astype", DATA, None)


@pytest.mark.parametrize(
    "name", ["float64", "float32", "float16", "int64", "int32", "int16", "int8", "uint8", "bool_"]
)
def test_numpy_scalar_types_as_functions(name):
    numpy_type = getattr(np, name)
    assert_same(call(name, 2.75), numpy_type(2.75))
    assert_same(call(name, np.int64(3)), numpy_type(np.int64(3)))
    with np.errstate(all="ignore"):
        assert_same(call(name, DATA), numpy_type(DATA))
    assert_same(call(name), numpy_type(0))


def test_numpy_scalar_type_aliases_and_errors():
    assert REGISTRY.resolve_alias("numpy.float64") == "float64"
    assert REGISTRY.resolve_alias("numpy.double") == "float64"
    assert REGISTRY.resolve_alias("numpy.bool") == "bool_"
    assert_same(call("complex128", 1.5), np.complex128(1.5))
    with pytest.raises(
        PrimitiveArgumentError, match="Python integer 1099511627776 out of bounds for int32"
    ):
        call("int32", 2**40)


def test_python_float_int_bool_complex():
    assert call("float", 3) == 3.0 and type(call("float", 3)) is float
    assert type(call("float", np.float32(2.5))) is float
    assert call("float", np.array(1.25)) == 1.25 and type(call("float", np.array(1.25))) is float
    assert call("float", "1e3") == 1000.0
    assert call("float") == 0.0
    assert call("int", 2.9) == 2 and type(call("int", -2.9)) is int and call("int", -2.9) == -2
    assert call("int", np.int32(7)) == 7 and type(call("int", np.int32(7))) is int
    assert call("int", "ff", 16) == 255
    assert call("int", np.array(5.5)) == 5
    assert call("bool", 0) is False and call("bool", 0.1) is True
    assert call("bool", ()) is False and call("bool", (0,)) is True
    assert call("bool", np.array(0)) is False
    assert call("complex", 1, 2) == 1 + 2j
    assert REGISTRY.resolve_alias("builtins.float") == "float"
    assert REGISTRY.resolve_alias("builtins.int") == "int"
    assert REGISTRY.resolve_alias("builtins.bool") == "bool"


@pytest.mark.parametrize("name", ["float", "int", "bool", "complex"])
def test_python_conversions_refuse_arrays_with_dimensions(name):
    with pytest.raises(PrimitiveArgumentError) as info:
        call(name, np.array([1.0, 2.0]))
    assert str(info.value) == (
        f"{name}() needs a scalar or a 0-d array, got an array of shape (2,); "
        "use astype(x, dtype) to convert every element"
    )


def test_python_conversion_errors_keep_pythons_message():
    with pytest.raises(PrimitiveArgumentError, match="could not convert string to float: 'abc'"):
        call("float", "abc")
    with pytest.raises(PrimitiveArgumentError, match="cannot convert float NaN to integer"):
        call("int", float("nan"))
