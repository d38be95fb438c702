"""Reduction primitives against NumPy on small inputs: axis forms, keepdims, dtype, ddof, errors.

The chunked and Numba-kernel paths are tested in test_prim_kernels.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import reductions  # noqa: F401  (registers)
from jetlag.runtime.primitives.registry import REGISTRY


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def assert_same(result, expected):
    assert type(result) is type(expected), (type(result), type(expected))
    if isinstance(expected, (np.ndarray, np.generic)):
        assert result.dtype == expected.dtype
        assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


RNG = np.random.default_rng(7)
ARRAYS = {
    "float64": RNG.standard_normal((3, 4, 5)),
    "float32": RNG.standard_normal((3, 4, 5)).astype(np.float32),
    "int64": RNG.integers(-9, 10, (3, 4, 5)),
    "int32": RNG.integers(-9, 10, (3, 4, 5)).astype(np.int32),
    "bool": RNG.integers(0, 2, (3, 4, 5)).astype(bool),
}
AXES = [None, 0, 1, -1, (0, 2), (2, 0), (0, 1, 2), ()]

PLAIN = {
    "sum": np.sum,
    "prod": np.prod,
    "mean": np.mean,
    "max": np.max,
    "min": np.min,
    "all": np.all,
    "any": np.any,
    "count_nonzero": np.count_nonzero,
    "nansum": np.nansum,
    "nanmean": np.nanmean,
    "median": np.median,
    "ptp": np.ptp,
    "std": np.std,
    "var": np.var,
    "average": np.average,
}


@pytest.mark.parametrize("name", sorted(PLAIN))
@pytest.mark.parametrize("dtype", sorted(ARRAYS))
@pytest.mark.parametrize("axis", AXES)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_matches_numpy(name, dtype, axis, keepdims):
    a = ARRAYS[dtype]
    func = PLAIN[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            expected = func(a, axis=axis, keepdims=keepdims)
        except TypeError as exc:  # ptp of booleans: NumPy refuses to subtract them
            with pytest.raises(PrimitiveArgumentError) as info:
                call(name, a, axis=axis, keepdims=keepdims)
            assert str(info.value) == str(exc)
            return
        result = call(name, a, axis=axis, keepdims=keepdims)
    assert_same(result, expected)


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "nansum", "std", "var"])
@pytest.mark.parametrize("dtype", ["float32", "int16", "complex128"])
def test_dtype_keyword(name, dtype):
    a = ARRAYS["int64"]
    try:
        expected = PLAIN[name](a, axis=1, dtype=np.dtype(dtype))
    except TypeError as exc:  # e.g. std with an integer dtype: NumPy refuses the sqrt cast
        with pytest.raises(PrimitiveArgumentError) as info:
            call(name, a, axis=1, dtype=dtype)
        assert str(info.value) == str(exc)
        return
    assert_same(call(name, a, axis=1, dtype=dtype), expected)


@pytest.mark.parametrize("ddof", [0, 1, 2.5])
def test_std_var_ddof(ddof):
    a = ARRAYS["float64"]
    assert_same(call("std", a, ddof=ddof), np.std(a, ddof=ddof))
    assert_same(call("var", a, axis=(0, 2), ddof=ddof), np.var(a, axis=(0, 2), ddof=ddof))


def test_nan_handling():
    a = np.array([[1.0, np.nan, 3.0], [4.0, 5.0, 6.0]])
    for name in ("sum", "max", "min", "mean", "nansum", "nanmean", "median", "ptp"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert_same(call(name, a), PLAIN[name](a))
            assert_same(call(name, a, axis=1), PLAIN[name](a, axis=1))


def test_reductions_of_python_values():
    assert_same(call("sum", (1, 2, 3)), np.sum((1, 2, 3)))
    assert_same(call("max", ((1, 5), (7, 2)), axis=0), np.max(((1, 5), (7, 2)), axis=0))
    assert_same(call("mean", 4), np.mean(4))
    assert_same(call("sum", [1.5, 2.5]), np.sum([1.5, 2.5]))


def test_average_with_weights():
    a = ARRAYS["float64"]
    w = np.arange(1.0, 5.0)
    assert_same(call("average", a, axis=1, weights=w), np.average(a, axis=1, weights=w))
    avg, total = call("average", a, axis=1, weights=w, returned=True)
    expected_avg, expected_total = np.average(a, axis=1, weights=w, returned=True)
    assert_same(avg, expected_avg)
    assert_same(total, expected_total)


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("dtype", [None, "float32"])
def test_cumulative(name, axis, dtype):
    a = ARRAYS["int32"][0]
    func = getattr(np, name)
    assert_same(call(name, a, axis=axis, dtype=dtype), func(a, axis=axis, dtype=dtype))


def test_axis_errors_in_numpys_words():
    a = ARRAYS["float64"]
    with pytest.raises(PrimitiveArgumentError) as info:
        call("sum", a, axis=3)
    assert str(info.value) == "axis 3 is out of bounds for array of dimension 3"
    with pytest.raises(PrimitiveArgumentError, match="axis -4 is out of bounds"):
        call("mean", a, axis=(0, -4))
    with pytest.raises(PrimitiveArgumentError, match="duplicate value in 'axis'"):
        call("max", a, axis=(0, -3))
    with pytest.raises(PrimitiveArgumentError, match="axis must be an int, a tuple of ints or nil"):
        call("min", a, axis=1.5)
    with pytest.raises(PrimitiveArgumentError, match="axis 2 is out of bounds"):
        call("cumsum", a[0], axis=2)


def test_empty_array_errors_and_results():
    with pytest.raises(
        PrimitiveArgumentError, match="zero-size array to reduction operation maximum"
    ):
        call("max", np.zeros((0, 3)))
    assert_same(call("sum", np.zeros((0, 3))), np.float64(0.0))
    assert_same(call("max", np.zeros((0, 3)), axis=1), np.zeros(0))


def test_registry_metadata():
    assert REGISTRY.resolve_alias("numpy.amax") == "max"
    assert REGISTRY.resolve_alias("numpy.amin") == "min"
    for method in (
        "sum",
        "mean",
        "max",
        "min",
        "prod",
        "std",
        "var",
        "all",
        "any",
        "cumsum",
        "cumprod",
    ):
        assert REGISTRY.resolve_method(method) == method
    for name in ("sum", "mean", "max", "min"):
        assert REGISTRY[name].kernel
        assert REGISTRY[name].category == "reduction"
