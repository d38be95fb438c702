"""Creation primitives against NumPy: values, dtypes, shapes given as ints or tuples, errors."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import creation  # noqa: F401  (registers)
from jetlag.runtime.primitives.registry import REGISTRY


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def assert_same(result, expected):
    assert type(result) is type(expected)
    assert result.dtype == expected.dtype
    assert result.shape == expected.shape
    np.testing.assert_array_equal(result, expected)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
@pytest.mark.parametrize("shape", [3, (2, 3), (), (0, 4), (2, 1, 3)])
@pytest.mark.parametrize("dtype", [None, "float32", "int32", "bool", "complex128"])
def test_filled_constructors(name, shape, dtype):
    reference = np.ones if name == "ones" else np.zeros  # empty is zero-filled on purpose
    result = call(name, shape) if dtype is None else call(name, shape, dtype=dtype)
    assert_same(result, reference(shape, dtype=dtype))


def test_shapes_may_be_numpy_ints_and_arrays():
    assert_same(call("zeros", (np.int64(2), np.int32(3))), np.zeros((2, 3)))
    assert_same(call("ones", np.array([2, 2])), np.ones((2, 2)))


@pytest.mark.parametrize(
    ("fill", "dtype"),
    [(7, None), (2.5, None), (True, None), (2.5, "int32"), (1j, None), (3, "float32")],
)
def test_full(fill, dtype):
    assert_same(call("full", (2, 3), fill, dtype=dtype), np.full((2, 3), fill, dtype=dtype))


def test_full_broadcasts_an_array_fill_value():
    fill = np.array([1, 2, 3])
    assert_same(call("full", (2, 3), fill), np.full((2, 3), fill))


def test_like_constructors():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert_same(call("zeros_like", a), np.zeros_like(a))
    assert_same(call("ones_like", a), np.ones_like(a))
    assert_same(call("empty_like", a), np.zeros_like(a))
    assert_same(call("full_like", a, 4.7), np.full_like(a, 4.7))
    assert_same(call("full_like", a, 4.7, dtype="float64"), np.full_like(a, 4.7, dtype=np.float64))
    assert_same(call("ones_like", a, dtype="bool"), np.ones_like(a, dtype=bool))
    assert_same(call("zeros_like", a, shape=(4,)), np.zeros_like(a, shape=(4,)))
    assert_same(call("zeros_like", (1.5, 2.5)), np.zeros_like((1.5, 2.5)))
    fortran = np.asfortranarray(np.ones((3, 2)))
    assert_same(call("ones_like", fortran), np.ones_like(fortran))


def test_identity_and_eye():
    assert_same(call("identity", 3), np.identity(3))
    assert_same(call("identity", 2, dtype="int64"), np.identity(2, dtype=np.int64))
    assert_same(call("eye", 3), np.eye(3))
    assert_same(call("eye", 3, 4), np.eye(3, 4))
    assert_same(call("eye", 3, 4, 1), np.eye(3, 4, 1))
    assert_same(call("eye", 4, k=-2, dtype="int32"), np.eye(4, k=-2, dtype=np.int32))


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((5,), {}),
        ((2, 9), {}),
        ((2, 9, 3), {}),
        ((0.0, 1.0, 0.1), {}),
        ((5,), {"dtype": "float32"}),
        ((10,), {"step": 3}),
        ((9, 2, -2), {}),
        ((1.5,), {}),
    ],
)
def test_arange(args, kwargs):
    expected = np.arange(
        *args, **{k: np.dtype(v) if k == "dtype" else v for k, v in kwargs.items()}
    )
    assert_same(call("arange", *args, **kwargs), expected)


def test_linspace_and_logspace():
    assert_same(call("linspace", 0, 1), np.linspace(0, 1))
    assert_same(call("linspace", 0, 1, 5, endpoint=False), np.linspace(0, 1, 5, endpoint=False))
    assert_same(call("linspace", 0, 10, 4, dtype="int64"), np.linspace(0, 10, 4, dtype=np.int64))
    samples, step = call("linspace", 2.0, 3.0, 5, retstep=True)
    expected_samples, expected_step = np.linspace(2.0, 3.0, 5, retstep=True)
    assert_same(samples, expected_samples)
    assert step == expected_step
    assert_same(call("logspace", 0, 3, 4), np.logspace(0, 3, 4))
    assert_same(call("logspace", 0, 3, 4, base=2.0), np.logspace(0, 3, 4, base=2.0))


def test_array_and_asarray_from_nested_tuples():
    nested = ((1, 2, 3), (4, 5, 6))
    assert_same(call("array", nested), np.array(nested))
    assert_same(call("array", nested, dtype="float32"), np.array(nested, dtype=np.float32))
    assert_same(call("array", ((1.5, 2), (3, True))), np.array(((1.5, 2), (3, True))))
    assert_same(call("asarray", 3.5), np.asarray(3.5))
    existing = np.arange(3)
    assert call("asarray", existing) is existing
    copied = call("array", existing)
    assert copied is not existing
    assert_same(copied, existing)
    assert_same(call("array", (np.arange(2), np.arange(2))), np.array([[0, 1], [0, 1]]))


def test_shape_errors():
    with pytest.raises(PrimitiveArgumentError, match="negative dimensions are not allowed"):
        call("zeros", (2, -1))
    with pytest.raises(
        PrimitiveArgumentError, match=r"shape must be an int or a tuple of ints, got 2.5"
    ):
        call("ones", 2.5)
    with pytest.raises(PrimitiveArgumentError, match=r"shape must be an int or a tuple of ints"):
        call("zeros", (2, "a"))
    with pytest.raises(PrimitiveArgumentError, match="unknown dtype 'real'; valid dtype names"):
        call("zeros", 3, dtype="real")


def test_registry_metadata():
    for name in (
        "zeros ones full empty identity eye arange linspace logspace zeros_like ones_like "
        "full_like empty_like array asarray"
    ).split():
        entry = REGISTRY[name]
        assert entry.category == "creation"
        assert entry.numpy == f"numpy.{name}"
        assert REGISTRY.resolve_alias(f"numpy.{name}") == name
        assert entry.signature.startswith(f"{name}(")
