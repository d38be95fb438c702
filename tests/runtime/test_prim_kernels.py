"""The chunked paths of the array primitives, run through a real concurrent chunk runner.

Large inputs (>= parallel.MIN_CHUNK_ELEMENTS) must split into several chunk tasks, take the
Numba kernel path exactly when it is equivalent to NumPy, and give NumPy's results bit for bit
(reductions too: see test_prim_reductions_exact.py). Hypothesis drives the chunked NumPy paths
on small arrays by lowering the threshold.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import warnings
from unittest import mock

import numpy as np
import pytest
from chunk_runner import ThreadRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from jetlag.runtime.primitives import (
    casting,  # noqa: F401  (registers)
    creation,  # noqa: F401
    elementwise,  # noqa: F401
    elementwise_engine,
    operators,  # noqa: F401
    parallel,
    reduction_engine,
    reductions,
)
from jetlag.runtime.primitives.registry import REGISTRY

MIN = parallel.MIN_CHUNK_ELEMENTS
N = 4 * MIN + 7  # four chunks with two workers


@pytest.fixture
def kernel_log(monkeypatch):
    """Which ufuncs ran through a Numba kernel (True) or not (False)."""
    log = []
    original = elementwise_engine._run_kernel

    def spy(ufunc, operands):
        result = original(ufunc, operands)
        log.append((ufunc.__name__, result is not None))
        return result

    monkeypatch.setattr(elementwise_engine, "_run_kernel", spy)
    return log


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def assert_same(result, expected):
    assert type(result) is type(expected), (type(result), type(expected))
    if isinstance(expected, (np.ndarray, np.generic)):
        assert result.dtype == expected.dtype
        assert np.shape(result) == np.shape(expected)
    np.testing.assert_array_equal(result, expected)


def assert_close(result, expected, rtol):
    assert type(result) is type(expected)
    assert result.dtype == expected.dtype
    assert np.shape(result) == np.shape(expected)
    np.testing.assert_allclose(result, expected, rtol=rtol)


RNG = np.random.default_rng(2024)
FLOAT_SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-310, 1e300, -1.0, 2.0, 0.5])


def big(dtype, seed=0):
    """N values of `dtype` with special values (NaN, inf, signed zeros, extremes) mixed in."""
    rng = np.random.default_rng(seed)
    if np.dtype(dtype).kind == "f":
        values = rng.standard_normal(N) * 100
        values[::97] = np.resize(FLOAT_SPECIALS, values[::97].size)
        values[5::89] = values[6::89][: values[5::89].size]  # equal neighbours: ties
        return quiet(values.astype, dtype)
    info = np.iinfo(dtype)
    values = rng.integers(-1000, 1000, N).astype(dtype)
    values[::101] = np.resize(
        np.array([info.min, info.max, 0, -1], dtype=dtype), values[::101].size
    )
    return values


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


# --- elementwise kernels ------------------------------------------------------------------

KERNEL_BINARY = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "maximum",
    "minimum",
    "less",
    "less_equal",
    "greater",
    "greater_equal",
    "equal",
    "not_equal",
]


@pytest.mark.parametrize("name", KERNEL_BINARY)
def test_binary_kernel_array_array_float64(name, runner, kernel_log):
    x, y = big("float64", 1), big("float64", 2)
    y[::13] = x[::13]  # exact ties for comparisons and maximum/minimum
    result = quiet(call, name, x, y)
    assert kernel_log == [(getattr(np, name).__name__, True)]
    assert_same(result, quiet(getattr(np, name), x, y))
    assert runner.calls == 1 and runner.bodies == 4


def test_maximum_minimum_kernels_keep_numpys_nan_and_signed_zero_rules(runner, kernel_log):
    x = np.resize(np.array([0.0, -0.0, np.nan, 1.0, np.nan]), N)
    y = np.resize(np.array([-0.0, 0.0, 1.0, np.nan, np.nan]), N)
    for name in ("maximum", "minimum"):
        result = call(name, x, y)
        expected = getattr(np, name)(x, y)
        assert_same(result, expected)
        np.testing.assert_array_equal(np.signbit(result), np.signbit(expected))
    assert kernel_log == [("maximum", True), ("minimum", True)]


@pytest.mark.parametrize(
    ("name", "dtype", "scalar", "scalar_first"),
    [
        ("add", "float32", 0.1, False),
        ("maximum", "float32", 0.5, False),
        ("less", "float32", 0.1, False),  # 0.1 is compared as float32(0.1), as NumPy does
        ("subtract", "int64", 7, True),
        ("minimum", "int64", -3, True),
        ("greater_equal", "int64", 0, True),
        ("multiply", "float64", 3, False),  # a Python int operand of a float64 array
    ],
)
def test_binary_kernel_with_a_python_scalar(name, dtype, scalar, scalar_first, runner, kernel_log):
    x = big(dtype)
    args = (scalar, x) if scalar_first else (x, scalar)
    assert_same(quiet(call, name, *args), quiet(getattr(np, name), *args))
    assert kernel_log == [(getattr(np, name).__name__, True)]
    assert runner.bodies == 4


@pytest.mark.parametrize(
    ("name", "dtype"), [("add", "int64"), ("multiply", "int64"), ("divide", "float32")]
)
def test_binary_kernel_other_dtypes(name, dtype, runner, kernel_log):
    x, y = big(dtype, 3), big(dtype, 4)
    assert_same(quiet(call, name, x, y), quiet(getattr(np, name), x, y))  # int64 wraps like NumPy
    assert kernel_log == [(getattr(np, name).__name__, True)]


@pytest.mark.parametrize(
    ("name", "dtype"),
    [
        ("negative", "float64"),
        ("absolute", "float64"),
        ("sqrt", "float64"),
        ("negative", "int64"),
        ("absolute", "int64"),
        ("sqrt", "float32"),
    ],
)
def test_unary_kernels(name, dtype, runner, kernel_log):
    x = big(dtype).reshape(-1, 1)  # any C-contiguous shape is raveled
    result = quiet(call, name, x)
    expected = quiet(getattr(np, name), x)
    assert_same(result, expected)
    np.testing.assert_array_equal(np.signbit(result), np.signbit(expected))
    assert kernel_log == [(name, True)]
    assert runner.bodies == 4


def test_operators_use_the_same_kernels(runner, kernel_log):
    x, y = big("float64", 5), big("float64", 6)
    assert_same(quiet(call, "__add", x, y), x + y)
    assert_same(quiet(call, "__lt", x, y), x < y)
    assert_same(quiet(call, "__div", x, y), quiet(np.true_divide, x, y))
    assert_same(call("__neg", x), -x)
    assert kernel_log == [("add", True), ("less", True), ("divide", True), ("negative", True)]


def _cases_without_kernel():
    f64, f32, i64 = big("float64"), big("float32"), big("int64")
    return [
        ("add", (big("int32"), big("int32"))),  # dtype without kernels
        ("add", (f32, f64)),  # mixed dtypes: NumPy casts one operand
        ("multiply", (i64, 2.5)),  # int64 array with a Python float: float64 loop
        ("add", (f32, np.float64(1.5))),  # NumPy scalars are not weak
        ("less", (i64, 2**70)),  # out-of-range Python int: NumPy's special comparison
        ("add", (f64[: N - 1 : 2], f64[1::2])),  # not contiguous
        ("add", (f64[: N - 1].reshape(-1, 2), f64[:2])),  # broadcasting
        ("logical_and", (f64, f64)),  # no kernel for this ufunc
        ("exp", (f64,)),  # NumPy's SIMD exp differs from Numba's libm in the last bit
        ("tanh", (f32,)),
        ("add", (f64, True)),  # Python bool operand
    ]


@pytest.mark.parametrize("case", range(11))
def test_chunked_numpy_path_when_no_kernel_is_exact(case, runner, kernel_log):
    name, args = _cases_without_kernel()[case]
    result = quiet(call, name, *args)
    assert_same(result, quiet(getattr(np, name), *args))
    assert all(not used for _, used in kernel_log)
    assert runner.calls == 1 and runner.bodies >= 2


def test_small_inputs_stay_one_task(runner, kernel_log):
    x = np.ones(MIN - 1)
    assert_same(call("add", x, x), x + x)
    assert_same(call("exp", x), np.exp(x))
    assert_same(call("sum", x), np.sum(x))
    assert runner.calls == 0
    assert kernel_log == []  # below the chunk size no kernel is even considered


def test_without_a_concurrent_runner_large_work_is_plain_numpy(kernel_log):
    x = big("float64")
    assert parallel.worker_count() == 1
    assert_same(quiet(call, "add", x, x), quiet(np.add, x, x))
    assert_same(quiet(call, "sum", x), quiet(np.sum, x))  # one chunk: NumPy's pairwise sum
    assert_same(
        call("max", x.reshape(-1, 1)[:-7].reshape(64, -1), axis=1),
        np.max(x[:-7].reshape(64, -1), axis=1),
    )
    assert kernel_log == [("add", False)]


def test_dtype_keyword_disables_the_kernel(runner, kernel_log):
    x = big("float64")
    assert_same(quiet(call, "add", x, x, dtype="float32"), quiet(np.add, x, x, dtype=np.float32))
    assert kernel_log == []
    assert runner.calls == 1


def test_other_elementwise_functions_chunked(runner):
    x = big("float64").reshape(-1, 1)
    assert_same(call("where", x > 0, x, 0.5), np.where(x > 0, x, 0.5))
    assert_same(call("where", (x > 0)[:, 0], 1, 2), np.where((x > 0)[:, 0], 1, 2))
    assert_same(call("clip", x, -1, 1), np.clip(x, -1, 1))
    assert_same(call("round", x, 1), np.round(x, 1))
    assert_same(call("nan_to_num", x), np.nan_to_num(x))
    assert_same(quiet(call, "sinc", x), quiet(np.sinc, x))
    assert runner.calls == 6 and runner.bodies == 24


# --- creation and casting -----------------------------------------------------------------


def test_fills_and_casts_are_chunked(runner):
    assert_same(call("ones", (N,), dtype="int32"), np.ones(N, dtype=np.int32))
    assert_same(call("full", (2, N), 2.5), np.full((2, N), 2.5))
    assert_same(
        call("full_like", np.zeros(N, np.int8), 100), np.full_like(np.zeros(N, np.int8), 100)
    )
    x = big("float64")
    assert_same(quiet(call, "astype", x, "int32"), quiet(x.astype, np.int32))
    assert_same(quiet(call, "float32", x), quiet(np.float32, x))
    assert runner.calls == 5 and runner.bodies == 20


# --- reductions -----------------------------------------------------------------------------


def plain_floats(dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(N).astype(dtype) + 0.5


def test_reduction_kernel_shapes():
    a2 = np.ones((8, MIN))
    assert reduction_engine._kernel_shape(a2, (0, 1)) == "flat"
    assert reduction_engine._kernel_shape(a2, (1,)) == "rows"
    assert reduction_engine._kernel_shape(a2, (0,)) is None
    assert reduction_engine._kernel_shape(a2.astype(np.int32), (0, 1)) is None
    assert reduction_engine._kernel_shape(np.asfortranarray(a2), (0, 1)) is None
    assert reduction_engine._kernel_shape(np.ones(MIN - 1), (0,)) is None
    assert reduction_engine._kernel_shape(np.ones((2, 3, MIN)), (2,)) is None


@pytest.mark.parametrize("shape", [(N,), (4, N // 4)])
def test_sum_and_mean_kernels_float64(shape, runner):
    x = plain_floats("float64")[: np.prod(shape)].reshape(shape)
    assert_same(call("sum", x), np.sum(x))
    assert_same(call("mean", x), np.mean(x))
    assert_same(call("sum", x, keepdims=True), np.sum(x, keepdims=True))
    assert runner.calls == 3 and runner.bodies == 12


def test_float32_sum_is_numpys_pairwise_float32_sum(runner):
    x = plain_floats("float32")
    assert_same(call("sum", x), np.sum(x))
    assert_same(call("mean", x), np.mean(x))
    assert runner.bodies == 8


def test_integer_sum_kernel_is_exact_and_wraps(runner):
    x = big("int64")  # holds int64 min/max: the sum overflows and wraps as in NumPy
    assert_same(call("sum", x), np.sum(x))
    small = np.random.default_rng(1).integers(-(2**20), 2**20, N)
    assert_same(call("mean", small), np.mean(small))  # partial sums are exact in float64
    assert runner.bodies == 8


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64"])
def test_min_max_kernels(dtype, runner):
    x = plain_floats(dtype) * 1000 if dtype != "int64" else big("int64")
    assert_same(call("max", x), np.max(x))
    assert_same(call("min", x), np.min(x))
    assert_same(call("ptp", x), np.ptp(x))
    if dtype != "int64":
        x[N // 3] = np.nan
        assert np.isnan(call("max", x)) and np.isnan(call("min", x))
    assert runner.calls >= 4


@pytest.mark.parametrize("dtype", ["float64", "int64"])
def test_row_kernels(dtype, runner):
    rows, cols = 400, 1000  # 65 rows per chunk at least -> four chunks
    x = (np.random.default_rng(3).standard_normal((rows, cols)) * 100).astype(dtype)
    if dtype == "float64":
        x[7, 500] = np.nan
    for name, func in (("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min)):
        for axis in (1, -1, (1,)):
            for keepdims in (False, True):
                result = call(name, x, axis=axis, keepdims=keepdims)
                expected = func(x, axis=axis, keepdims=keepdims)
                assert_same(result, expected)
    assert runner.bodies == 4 * runner.calls


@pytest.mark.parametrize(
    ("name", "func", "axis", "exact"),
    [
        ("sum", np.sum, 0, True),  # split along the kept axis: each output exactly NumPy's
        ("max", np.max, 0, True),
        ("prod", np.prod, 1, True),  # float products split only along kept rows
        ("all", np.all, None, True),
        ("any", np.any, 1, True),
        ("count_nonzero", np.count_nonzero, None, True),
        ("nansum", np.nansum, None, True),
        ("mean", np.mean, 0, True),
        ("var", np.var, None, True),
        ("std", np.std, 1, True),
        ("sum", np.sum, None, True),  # F-contiguous: NumPy's pairwise order over memory
    ],
)
def test_chunked_numpy_reductions(name, func, axis, exact, runner):
    x = 1 + plain_floats("float64")[: 8 * (N // 8)].reshape(8, -1) / 100
    x[3, 17] = np.nan if name == "nansum" else x[3, 17]
    if name == "prod":
        x = 1 + (x - 1) / 1000  # keep the product of 260k factors finite
    if name == "sum" and axis is None:
        x = np.asfortranarray(x)
    result = call(name, x, axis=axis)
    expected = func(x, axis=axis)
    if exact:
        assert_same(result, expected)
    else:
        assert_close(result, expected, rtol=1e-12)
    assert runner.calls >= 1 and runner.bodies >= 4


def test_moments_with_dtypes_chunked(runner):
    x = plain_floats("float64")[: 8 * (N // 8)].reshape(8, -1)
    assert_same(call("var", x, dtype="float32"), np.var(x, dtype=np.float32))
    assert_same(call("std", x, axis=0, ddof=1), np.std(x, axis=0, ddof=1))
    z = x + 1j * x[::-1]
    assert_same(call("mean", z, axis=1), np.mean(z, axis=1))
    assert_same(call("var", z), np.var(z))  # complex variance: NumPy itself
    assert_same(call("mean", x.astype(np.float16)), np.mean(x.astype(np.float16)))
    assert_same(call("sum", x, axis=()), np.sum(x, axis=()))


def test_integer_and_bool_reductions_chunked_exactly(runner):
    x = big("int32")[: 4 * (N // 4)].reshape(4, -1)
    for name, func in (("sum", np.sum), ("mean", np.mean), ("prod", np.prod), ("max", np.max)):
        assert_same(call(name, x), func(x))
    b = x > 0
    assert_same(call("sum", b), np.sum(b))
    assert_same(call("all", b, axis=0), np.all(b, axis=0))
    assert_same(call("count_nonzero", b, axis=1), np.count_nonzero(b, axis=1))
    assert runner.calls >= 7


def test_cumulative_lanes_chunked(runner):
    x = big("int64")[: 8 * (N // 8)].reshape(8, -1)
    assert_same(call("cumsum", x, axis=0), np.cumsum(x, axis=0))
    assert_same(
        call("cumprod", x.T, axis=1, dtype="float64"), np.cumprod(x.T, axis=1, dtype=np.float64)
    )
    assert runner.calls == 2


# --- hypothesis through the chunked NumPy paths (threshold lowered, kernels off) ------------


@contextlib.contextmanager
def small_chunks(pool):
    """Chunk everything of 4+ elements on a real thread pool, without Numba kernels."""
    chunk_runner = ThreadRunner(pool)
    with (
        mock.patch.object(parallel, "MIN_CHUNK_ELEMENTS", 4),
        mock.patch.object(elementwise_engine.kernels, "has_kernel", lambda ufunc: False),
        mock.patch.object(reductions, "kernel_reduce", lambda *args: None),
        parallel.use_runner(chunk_runner),
    ):
        yield chunk_runner


DTYPES = ("bool", "int32", "int64", "float32", "float64")
BINARY = [
    "add",
    "subtract",
    "multiply",
    "divide",
    "floor_divide",
    "power",
    "maximum",
    "less",
    "equal",
    "arctan2",
    "bitwise_and",
    "logical_xor",
    "__add",
    "__mod",
    "__ge",
    "__bitor",
]
NUMPY_OF = {
    "__add": np.add,
    "__mod": np.remainder,
    "__ge": np.greater_equal,
    "__bitor": np.bitwise_or,
}


@st.composite
def broadcast_operands(draw):
    shapes = draw(
        hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=9)
    )
    return tuple(
        draw(hnp.arrays(draw(st.sampled_from(DTYPES)), shape)) for shape in shapes.input_shapes
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(BINARY), operands=broadcast_operands())
def test_hypothesis_chunked_binary_equals_numpy(pool, name, operands):
    func = NUMPY_OF.get(name) or getattr(np, name)
    try:
        expected = quiet(func, *operands)
    except (TypeError, ValueError):
        return  # unsupported dtype pairs are covered in test_prim_elementwise
    with small_chunks(pool) as chunk_runner:
        result = quiet(call, name, *operands)
    assert_same(result, expected)
    same_shapes = all(x.shape == expected.shape for x in operands)
    if expected.size >= 8 and (expected.shape[0] >= 8 or same_shapes):
        assert chunk_runner.calls == 1


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(["sum", "prod", "max", "min", "mean", "all", "count_nonzero", "var"]),
    a=hnp.arrays(
        st.sampled_from(["int32", "int64", "float64"]),
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=6),
        elements={"min_value": -50, "max_value": 50},
    ),
    data=st.data(),
    keepdims=st.booleans(),
)
def test_hypothesis_chunked_reductions_equal_numpy(pool, name, a, data, keepdims):
    axis = data.draw(
        st.one_of(
            st.none(), hnp.valid_tuple_axes(a.ndim, min_size=1), st.integers(-a.ndim, a.ndim - 1)
        )
    )
    func = getattr(np, name)
    if name in ("max", "min") and a.size == 0:
        return
    expected = quiet(func, a, axis=axis, keepdims=keepdims)
    with small_chunks(pool) as chunk_runner:
        result = quiet(call, name, a, axis=axis, keepdims=keepdims)
    regroups = name in ("all", "count_nonzero", "max", "min") or (
        a.dtype.kind == "i" and name in ("sum", "prod")
    )
    if axis is None and a.size >= 8 and regroups:
        assert chunk_runner.calls >= 1
    assert_same(result, expected)


def test_nothing_is_compiled_at_import():
    code = (
        "import jetlag.runtime.primitives\n"
        "from jetlag.runtime.primitives import kernels_elementwise as e, kernels_reduce as r\n"
        "from jetlag.runtime.primitives import operators, elementwise, reductions\n"
        "caches = [e.binary_kernels, e.unary_kernel, r.sum_kernels, r.extremum_kernels]\n"
        "print(sum(c.cache_info().currsize for c in caches))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
