"""Elementwise and operator primitives against NumPy on small inputs (the unchunked path).

The chunked and Numba-kernel paths of the same primitives are tested in test_prim_kernels.py.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import elementwise, operators  # noqa: F401  (registers)
from jetlag.runtime.primitives.registry import REGISTRY

DTYPES = ("bool", "int32", "int64", "float32", "float64")
VALUES = np.array([-3.5, -2.0, -1.0, -0.5, -0.0, 0.0, 0.25, 0.5, 1.0, 2.0, 3.0, 7.5])
UNIT = np.array([-1.0, -0.75, -0.5, 0.0, 0.25, 0.5, 0.9, 1.0])


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def numpy_or_error(func, *args, **kwargs):
    """NumPy's result, or the exception NumPy raises."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return func(*args, **kwargs), None
        except (TypeError, ValueError, OverflowError) as exc:
            return None, exc


def assert_same(result, expected):
    """Equal values (NaN == NaN), equal dtype, and equal Python type for scalars."""
    assert type(result) is type(expected), (type(result), type(expected))
    if isinstance(expected, (np.ndarray, np.generic)):
        assert result.dtype == expected.dtype
        assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


def assert_matches_numpy(name, func, *args, **kwargs):
    expected, error = numpy_or_error(func, *args, **kwargs)
    if error is not None:
        with pytest.raises(PrimitiveArgumentError) as info:
            with np.errstate(all="ignore"):
                call(name, *args, **kwargs)
        assert str(info.value) == str(error).strip()
        return
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result = call(name, *args, **kwargs)
    assert_same(result, expected)


def elementwise_ufuncs(nin):
    return sorted(
        p.name
        for p in REGISTRY
        if p.category == "elementwise"
        and isinstance(getattr(np, p.name, None), np.ufunc)
        and getattr(np, p.name).nin == nin
    )


UNARY = elementwise_ufuncs(1)
BINARY = elementwise_ufuncs(2)


def test_every_requested_ufunc_is_registered():
    wanted = """add subtract multiply divide true_divide floor_divide mod remainder power
    float_power negative positive absolute fabs sign exp exp2 expm1 log log2 log10 log1p sqrt
    cbrt square reciprocal sin cos tan arcsin arccos arctan arctan2 sinh cosh tanh arcsinh
    arccosh arctanh hypot degrees radians deg2rad rad2deg floor ceil trunc rint round maximum
    minimum fmax fmin logical_and logical_or logical_not logical_xor isnan isinf isfinite equal
    not_equal less less_equal greater greater_equal bitwise_and bitwise_or bitwise_xor invert
    copysign heaviside nan_to_num where clip sinc""".split()
    missing = [name for name in wanted if name not in REGISTRY]
    assert missing == []
    for name in wanted:
        assert REGISTRY[name].category == "elementwise"
        assert REGISTRY[name].numpy is not None


@pytest.mark.parametrize("name", UNARY)
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_unary_ufunc_matches_numpy(name, dtype):
    data = (UNIT if name in ("arcsin", "arccos", "arctanh") else VALUES).astype(dtype)
    assert_matches_numpy(name, getattr(np, name), data)
    assert_matches_numpy(name, getattr(np, name), data.reshape(2, -1)[:, ::2])


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize(
    "dtypes", [("float64", "float64"), ("int64", "int32"), ("float32", "int64")]
)
def test_binary_ufunc_matches_numpy(name, dtypes):
    x = VALUES.astype(dtypes[0]).reshape(3, 4)
    y = VALUES[::-1].astype(dtypes[1])[:4]
    func = getattr(np, name)
    assert_matches_numpy(name, func, x, y)
    assert_matches_numpy(name, func, x, 2)
    assert_matches_numpy(name, func, 2.5, y)


@pytest.mark.parametrize("name", ["add", "exp", "multiply"])
def test_dtype_keyword(name):
    func = getattr(np, name)
    args = (VALUES,) * func.nin
    assert_matches_numpy(name, func, *args, dtype=np.float32)
    result = call(name, *args, dtype="float32")
    assert_same(result, func(*args, dtype=np.float32))


def test_unknown_dtype_name_lists_valid_ones():
    with pytest.raises(
        PrimitiveArgumentError, match=r"unknown dtype 'flaot64'; valid dtype names: bool, int8"
    ):
        call("add", VALUES, VALUES, dtype="flaot64")


def test_broadcast_failure_in_numpys_words():
    with pytest.raises(PrimitiveArgumentError) as info:
        call("add", np.ones((3, 4)), np.ones(5))
    assert str(info.value) == "operands could not be broadcast together with shapes (3,4) (5,)"
    with pytest.raises(PrimitiveArgumentError, match=r"shapes \(3,4\) \(5,\)"):
        call("__mul", np.ones((3, 4)), np.ones(5))


def test_aliases_and_kernel_flags():
    assert REGISTRY.resolve_alias("numpy.exp") == "exp"
    assert REGISTRY.resolve_alias("numpy.abs") == "absolute"
    assert REGISTRY.resolve_alias("builtins.abs") == "builtin_abs"
    assert REGISTRY.resolve_alias("builtins.max") == "builtin_max"
    assert REGISTRY.resolve_alias("builtins.min") == "builtin_min"
    assert REGISTRY.resolve_alias("builtins.round") == "builtin_round"
    assert REGISTRY.resolve_alias("numpy.around") == "round"
    assert REGISTRY.resolve_alias("numpy.acos") == "arccos"
    assert REGISTRY.resolve_method("clip") == "clip"
    assert REGISTRY.resolve_method("round") == "round"
    for name in ("add", "subtract", "multiply", "divide", "negative", "sqrt", "absolute"):
        assert REGISTRY[name].kernel, name
    for name in ("maximum", "minimum", "less", "less_equal", "greater", "greater_equal"):
        assert REGISTRY[name].kernel, name
    for name in ("equal", "not_equal", "__add", "__lt"):
        assert REGISTRY[name].kernel, name
    # NumPy's SIMD exp/log/tanh round differently from Numba's libm: chunked NumPy instead.
    for name in ("exp", "log", "tanh"):
        assert not REGISTRY[name].kernel, name


# --- Python's builtins are Python's; NumPy's functions are NumPy's, on any operand -----------


def test_builtin_abs_max_min_round_of_python_numbers_are_python_values():
    assert call("builtin_abs", -3) == 3 and type(call("builtin_abs", -3)) is int
    assert type(call("builtin_abs", -2.5)) is float
    assert call("builtin_max", 3, 4.5) == 4.5 and type(call("builtin_max", 3, 4.5)) is float
    assert call("builtin_min", 3, 4) == 3 and type(call("builtin_min", 3, 4)) is int
    assert call("builtin_max", (1, 7, 3)) == 7  # max(iterable)
    assert call("builtin_min", 5, 2, 9) == 2  # min(a, b, c)
    assert call("builtin_round", 2.5) == 2 and type(call("builtin_round", 2.5)) is int
    assert call("builtin_round", 2.675, 2) == round(2.675, 2)
    with pytest.raises(PrimitiveArgumentError, match="truth value of an array"):
        call("builtin_max", np.ones(2), np.zeros(2))  # Python compares the arrays


def test_numpy_abs_max_min_round_of_python_numbers_are_numpy_values():
    for name, args, expected in [
        ("absolute", (-3,), np.abs(-3)),
        ("absolute", (True,), np.abs(True)),
        ("maximum", (3, 4.5), np.maximum(3, 4.5)),
        ("minimum", (2, True), np.minimum(2, True)),
        ("round", (2.5,), np.round(2.5)),
    ]:
        assert_same(call(name, *args), expected)


def test_abs_max_min_round_of_arrays_are_numpy():
    assert_same(call("absolute", np.array([-1, 2])), np.array([1, 2]))
    assert_same(call("absolute", np.float32(-2)), np.float32(2))
    assert_same(call("maximum", np.array([1.0, np.nan]), 2), np.maximum([1.0, np.nan], 2))
    assert_same(call("minimum", np.int32(3), 4), np.minimum(np.int32(3), 4))
    assert_same(call("round", np.array([1.25, 2.5]), 1), np.round(np.array([1.25, 2.5]), 1))
    assert_same(call("round", np.array([0.5, 1.5, 2.5])), np.array([0.0, 2.0, 2.0]))
    assert_same(call("round", np.float64(2.5)), np.round(np.float64(2.5)))


# --- where, clip, nan_to_num, sinc ----------------------------------------------------------


def test_where_three_and_one_argument_forms():
    cond = np.array([[True, False, True]])
    assert_same(call("where", cond, np.arange(3), 1.5), np.where(cond, np.arange(3), 1.5))
    assert_same(call("where", cond, 1, 2), np.where(cond, 1, 2))
    indices = call("where", np.array([0, 3, 0, 4]))
    assert isinstance(indices, tuple)
    np.testing.assert_array_equal(indices[0], [1, 3])
    with pytest.raises(PrimitiveArgumentError, match="where takes either 1 or 3 arguments"):
        call("where", cond, 1)


def test_clip_positional_and_keyword_bounds():
    x = np.arange(-3, 4)
    assert_same(call("clip", x, -1, 2), np.clip(x, -1, 2))
    assert_same(call("clip", x, None, 2), np.clip(x, None, 2))
    assert_same(call("clip", x, min=0), np.clip(x, min=0))
    assert_same(
        call("clip", x.astype(np.float32), 0.5, 1.5), np.clip(x.astype(np.float32), 0.5, 1.5)
    )
    with pytest.raises(PrimitiveArgumentError, match="unexpected keyword"):
        call("clip", x, lower=0)


def test_nan_to_num_and_sinc():
    x = np.array([np.nan, np.inf, -np.inf, 1.5])
    assert_same(call("nan_to_num", x), np.nan_to_num(x))
    assert_same(call("nan_to_num", x, nan=-1.0, posinf=9.0), np.nan_to_num(x, nan=-1.0, posinf=9.0))
    y = x.copy()
    assert call("nan_to_num", y, copy=False) is y
    assert_same(call("sinc", VALUES), np.sinc(VALUES))
    assert_same(call("sinc", np.arange(4)), np.sinc(np.arange(4)))


# --- operators ------------------------------------------------------------------------------

OPERATORS = {
    "__add": np.add,
    "__sub": np.subtract,
    "__mul": np.multiply,
    "__div": np.true_divide,
    "__floordiv": np.floor_divide,
    "__mod": np.remainder,
    "__pow": np.power,
    "__lt": np.less,
    "__le": np.less_equal,
    "__gt": np.greater,
    "__ge": np.greater_equal,
    "__eq": np.equal,
    "__ne": np.not_equal,
    "__bitand": np.bitwise_and,
    "__bitor": np.bitwise_or,
    "__bitxor": np.bitwise_xor,
    "__lshift": np.left_shift,
    "__rshift": np.right_shift,
}


def test_operators_on_python_ints_stay_python_ints():
    assert call("__add", 2, 1) == 3 and type(call("__add", 2, 1)) is int
    assert call("__floordiv", -7, 2) == -4 and type(call("__floordiv", -7, 2)) is int
    assert call("__mod", -7, 3) == 2
    assert call("__div", 1, 2) == 0.5
    assert call("__pow", 2, -1) == 0.5  # NumPy would refuse this for integers
    assert call("__pow", 2, 100) == 2**100  # no int64 overflow
    assert call("__lt", 1, 2) is True
    assert call("__neg", 5) == -5 and type(call("__neg", 5)) is int
    assert call("__invert", 5) == -6
    assert call("__lshift", 1, 70) == 1 << 70
    assert call("__add", True, True) == 2 and type(call("__add", True, True)) is int


def test_operators_on_other_python_values():
    assert call("__add", (1, 2), (3,)) == (1, 2, 3)
    assert call("__mul", (0,), 3) == (0, 0, 0)
    assert call("__add", "ab", "c") == "abc"
    assert call("__eq", "a", "a") is True
    assert call("__eq", None, None) is True
    with pytest.raises(ZeroDivisionError):
        call("__floordiv", 1, 0)


def test_operators_on_numpy_scalars_are_numpy():
    assert_same(call("__add", np.int32(2), 1), np.int32(3))
    assert_same(call("__mul", np.float32(2), 1.5), np.float32(3.0))


def test_not_gives_bool_for_scalars_and_logical_not_for_arrays():
    assert call("__not", 0) is True
    assert call("__not", 2.5) is False
    assert call("__not", ()) is True
    assert call("__not", np.float64(0.0)) is True
    assert call("__not", None) is True
    assert_same(call("__not", np.array([0, 2, 0])), np.array([True, False, True]))


@pytest.mark.parametrize("name", sorted(OPERATORS))
def test_operator_on_arrays_matches_numpy(name):
    x = np.array([[5, -3, 8], [1, 0, 2]])
    y = np.array([2, 3, 1])
    assert_matches_numpy(name, OPERATORS[name], x, y)
    assert_matches_numpy(name, OPERATORS[name], x.astype(np.float32), 3)


def test_unary_operators_on_arrays():
    x = np.array([1, -2, 3], dtype=np.int32)
    assert_same(call("__neg", x), -x)
    assert_same(call("__pos", x), +x)
    assert_same(call("__invert", x), ~x)
    assert_same(call("__invert", np.array([True, False])), np.array([False, True]))


def test_operator_errors_are_argument_errors():
    with pytest.raises(PrimitiveArgumentError, match="Integers to negative integer powers"):
        call("__pow", np.arange(3), -1)
    with pytest.raises(PrimitiveArgumentError, match="ufunc 'bitwise_and' not supported"):
        call("__bitand", np.ones(3), np.ones(3))


# --- hypothesis: broadcasting and dtypes of binary ufuncs and operators ---------------------

BINARY_CASES = [(name, getattr(np, name)) for name in BINARY] + sorted(OPERATORS.items())


def _operands(dtypes, shapes):
    return st.tuples(*(hnp.arrays(d, s) for d, s in zip(dtypes, shapes, strict=True)))


@st.composite
def binary_case(draw):
    name, func = draw(st.sampled_from(BINARY_CASES))
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4))
    dtypes = draw(st.tuples(st.sampled_from(DTYPES), st.sampled_from(DTYPES)))
    x, y = draw(_operands(dtypes, shapes.input_shapes))
    scalar = draw(st.sampled_from([None, 0, 1, 3, -2, 2.5, -0.5, True]))
    if scalar is not None:
        if draw(st.booleans()):
            x = scalar
        else:
            y = scalar
    return name, func, x, y


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(binary_case())
def test_binary_broadcasting_and_dtypes_match_numpy(case):
    name, func, x, y = case
    assert_matches_numpy(name, func, x, y)
