"""Reductions give NumPy's bits: value, dtype and Python/NumPy type, chunked or not.

Differential tests against NumPy: through @physl functions (the scheduler's thread pool runs
the chunk tasks) on sizes on both sides of the chunking threshold, for bool, uint8, int32,
int64, float16, float32 and float64 data with signed zeros, huge and tiny magnitudes, NaN and
infinities; through the engine with a lowered threshold driven by Hypothesis; and unit tests of
each exact path (NumPy's pairwise recursion split into subtrees, the buffered sum of a cast,
the Numba kernel that repeats pairwise_sum, min/max of signed zeros, integer wrap-around).
Floats compare bit for bit except that any NaN equals any NaN (payloads are not promised).
"""

from __future__ import annotations

import contextlib
import warnings
from unittest import mock

import numpy as np
import pytest
from chunk_runner import ThreadRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from jetlag import physl
from jetlag.runtime.primitives import (
    kernels_reduce,
    parallel,
    reduction_engine,
    reductions,  # noqa: F401  (registers)
)
from jetlag.runtime.primitives.registry import REGISTRY

MIN = parallel.MIN_CHUNK_ELEMENTS
N = 4 * MIN + 7  # four chunks with two workers
NAMES = ("sum", "mean", "max", "min", "prod", "nansum", "var", "std", "all", "any")
BITS = {2: np.uint16, 4: np.uint32, 8: np.uint64}


def assert_bitwise(result, expected):
    """Same type, dtype, shape and bits (any NaN equals any NaN)."""
    assert type(result) is type(expected), (type(result), type(expected))
    if not isinstance(expected, (np.ndarray, np.generic)):
        assert result == expected
        return
    assert result.dtype == expected.dtype and np.shape(result) == np.shape(expected)
    got, want = np.asarray(result), np.asarray(expected)
    if want.dtype.kind == "c":
        got, want = got.view(got.real.dtype), want.view(want.real.dtype)
    if want.dtype.kind != "f":
        np.testing.assert_array_equal(got, want)
        return
    nan = np.isnan(want)
    np.testing.assert_array_equal(np.isnan(got), nan)
    unsigned = BITS[want.dtype.itemsize]
    np.testing.assert_array_equal(got[~nan].view(unsigned), want[~nan].view(unsigned))


def quiet(func, *args, **kwargs):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return func(*args, **kwargs)


#: Large values whose sums stay finite (overflow has its own test) and the smallest subnormals.
HUGE = {np.float16: 1.0e3, np.float32: 1.0e36, np.float64: 1.0e300}
TINY = {np.float16: 6.0e-8, np.float32: 1.0e-45, np.float64: 5.0e-324}


def make(dtype: str, shape: tuple[int, ...], seed: int, variant: str = "mixed") -> np.ndarray:
    """Data of `dtype`. Floats have magnitudes spread over many decades ("plain"), plus signed
    zeros, huge and tiny values ("mixed"), plus NaN and infinities ("special"); integers span
    their whole range (so sums and products wrap)."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    kind = np.dtype(dtype)
    if kind == np.bool_:
        return rng.integers(0, 2, size).astype(bool).reshape(shape)
    if kind.kind in "iu":
        info = np.iinfo(kind)
        return rng.integers(info.min, info.max, size, dtype=kind, endpoint=True).reshape(shape)
    low, high = (-3, 0) if kind == np.float16 else (-6, 6)
    values = rng.standard_normal(size) * 10.0 ** rng.integers(low, high + 1, size)
    values = values.astype(kind)
    if variant != "plain":
        picks = [0.0, -0.0, HUGE[kind.type], -HUGE[kind.type], TINY[kind.type], -TINY[kind.type]]
        if variant == "special":
            picks += [np.nan, np.inf, -np.inf]
        where = rng.random(size) < (0.002 if variant == "special" else 0.02)
        values[where] = np.array(rng.choice(picks, int(where.sum())), kind)
    return values.reshape(shape)


@physl(threads=2)
def reduce_all(a, axis, keepdims):
    return (
        np.sum(a, axis=axis, keepdims=keepdims),
        np.mean(a, axis=axis, keepdims=keepdims),
        np.max(a, axis=axis, keepdims=keepdims),
        np.min(a, axis=axis, keepdims=keepdims),
        np.prod(a, axis=axis, keepdims=keepdims),
        np.nansum(a, axis=axis, keepdims=keepdims),
        np.var(a, axis=axis, keepdims=keepdims),
        np.std(a, axis=axis, keepdims=keepdims),
        np.all(a, axis=axis, keepdims=keepdims),
        np.any(a, axis=axis, keepdims=keepdims),
    )


def numpy_all(a, axis, keepdims):
    return tuple(getattr(np, name)(a, axis=axis, keepdims=keepdims) for name in NAMES)


DATA = [
    ("bool", "full"),
    ("uint8", "full"),
    ("int32", "full"),
    ("int64", "full"),
    ("float16", "mixed"),
    ("float16", "special"),
    ("float32", "mixed"),
    ("float32", "special"),
    ("float64", "mixed"),
    ("float64", "special"),
]
LAYOUTS = [
    ((1000,), "C"),  # small: one NumPy call
    ((MIN,), "C"),  # at the threshold: still one chunk
    ((N,), "C"),  # four chunks: pairwise subtrees / buffered sums / integer partials
    ((4, N // 4), "C"),  # rows, and all elements of a 2-D array
    ((4, N // 4), "F"),  # all elements in memory order; rows too few to split
    ((3, N // 3), "C"),  # too few rows to split: each row's pairwise recursion is split
    ((N // 9, 9), "C"),  # axis 0 with kept columns of two or three per chunk
    ((N // 5, 5), "F"),  # axis 0 runs down contiguous columns: NumPy per chunk of columns
    ((N // 2, 2), "C"),  # axis 0 of two columns: NumPy adds rows in order, so one task
]


@pytest.mark.parametrize(("dtype", "variant"), DATA)
@pytest.mark.parametrize(("shape", "order"), LAYOUTS, ids=str)
def test_physl_reductions_equal_numpy(dtype, variant, shape, order):
    a = np.asarray(make(dtype, shape, seed=len(shape) * 7 + shape[0] % 97), order=order)
    axes = [None, 0, -1] if len(shape) == 1 else [None, 0, 1, -1]
    for axis in axes:
        for keepdims in (False, True) if axis in (None, -1) else (False,):
            got = quiet(reduce_all, a, axis, keepdims)
            want = quiet(numpy_all, a, axis, keepdims)
            for name, result, expected in zip(NAMES, got, want, strict=True):
                try:
                    assert_bitwise(result, expected)
                except AssertionError as error:
                    raise AssertionError(f"{name} axis={axis} keepdims={keepdims}") from error


@physl(threads=2)
def total(a):
    return np.sum(a)


@physl(threads=2)
def average(a):
    return np.mean(a)


@pytest.fixture
def pieces(monkeypatch):
    """How many chunk tasks each engine split ran (a list, one entry per split)."""
    log: list[int] = []
    original = reduction_engine.run_pieces

    def spy(bounds, piece):
        log.append(len(bounds))
        return original(bounds, piece)

    monkeypatch.setattr(reduction_engine, "run_pieces", spy)
    return log


def test_float32_sum_of_16m_values_is_numpys(pieces):
    """The reviewer's case: NumPy sums float32 pairwise in float32; so does JetLag, in chunks."""
    x = make("float32", (2**24 + 3,), seed=1, variant="plain")
    assert_bitwise(total(x), np.sum(x))
    assert_bitwise(average(x), np.mean(x))
    assert pieces == [4, 4]  # the recursion's top two levels ran as four chunk tasks
    y = x.astype(np.float64)
    assert_bitwise(total(y), np.sum(y))


# --- the engine's paths, run on a real 2-thread chunk runner ---------------------------------


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def same_as_numpy(name, a, **kwargs):
    expected = quiet(getattr(np, name), a, **kwargs)
    assert_bitwise(quiet(call, name, a, **kwargs), expected)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(
    ("shape", "axis"),
    [
        ((N,), None),
        ((4, N // 4), None),
        ((2, N // 2), 1),  # each row's recursion split
        ((2, 3, N // 6), (1, 2)),  # trailing axes of a C-contiguous array
        ((N, 1), 0),  # a length-1 axis does not count
    ],
)
def test_pairwise_subtrees(dtype, shape, axis, runner, pieces):
    a = make(dtype, shape, seed=3)
    for layout in (a, np.asfortranarray(a)):
        same_as_numpy("sum", layout, axis=axis)
        same_as_numpy("mean", layout, axis=axis, keepdims=True)
        same_as_numpy("var", layout, axis=axis, ddof=1)
        same_as_numpy("std", layout, axis=axis)
    assert pieces and all(count >= 2 for count in pieces)


@pytest.mark.parametrize(
    ("dtype", "options"),
    [
        ("int64", {}),  # mean: float64 accumulation of converted elements (Numba kernel)
        ("int32", {}),  # the same, buffered by NumPy
        ("uint8", {}),
        ("bool", {}),
        ("float16", {}),  # mean: float32 accumulation, converted back to float16
        ("float32", {"dtype": "float64"}),
        ("float64", {"dtype": "float32"}),
        ("int64", {"dtype": "float32"}),
    ],
)
def test_buffered_sums_of_a_cast(dtype, options, runner, pieces):
    for shape, axis in (((N,), None), ((2, N // 2), 1), ((2, N // 2), None)):
        a = make(dtype, shape, seed=4)
        same_as_numpy("mean", a, axis=axis, **options)
        same_as_numpy("var", a, axis=axis, **options)
        if options:
            same_as_numpy("sum", a, axis=axis, **options)
    assert pieces and all(count >= 2 for count in pieces)


def test_other_buffer_size_goes_to_numpy(runner, pieces):
    a = make("int64", (N,), seed=5)
    old = np.setbufsize(4096)
    try:
        same_as_numpy("mean", a)
    finally:
        np.setbufsize(old)
    assert pieces == []


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_outer_axis_sums_stay_in_numpys_order(dtype, runner, pieces):
    """axis 0 of an (n, 2) array: NumPy adds row after row, which no split reproduces; one
    task (a Numba kernel in the same order) unless the total is not finite."""
    a = make(dtype, (N // 2, 2), seed=6)
    same_as_numpy("sum", a, axis=0)
    same_as_numpy("mean", a, axis=0)
    same_as_numpy("sum", a, axis=0, dtype="float32")
    same_as_numpy("prod", 1 + a / 1e9, axis=0)
    same_as_numpy("sum", make(dtype, (N // 2, 2), seed=6, variant="special"), axis=0)
    assert pieces == ([] if dtype != "int64" else [4, 4])  # integer sums regroup exactly
    pieces.clear()
    b = make(dtype, (N // 9, 9), seed=6)  # nine columns: four chunks of two or three
    same_as_numpy("sum", b, axis=0)
    same_as_numpy("mean", b, axis=0)
    assert pieces == [4, 4]


def test_float_products_are_one_numpy_call(runner, pieces):
    a = 1 + make("float64", (N,), seed=7) / 1e9
    same_as_numpy("prod", a)
    assert pieces == []
    same_as_numpy("prod", a[: 8 * (N // 8)].reshape(8, -1), axis=1)  # kept rows: NumPy per row
    assert pieces == [4]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", ["max", "min"])
def test_extrema_of_signed_zeros(name, dtype, runner):
    rng = np.random.default_rng(8)
    zeros = np.where(rng.random(N) < 0.5, 0.0, -0.0).astype(dtype)
    same_as_numpy(name, zeros)
    same_as_numpy(name, -np.abs(zeros) if name == "max" else np.abs(zeros))
    rows = zeros[: 8 * (N // 8)].reshape(8, -1).copy()
    rows[::2, 5] = 1.0 if name == "max" else -1.0  # half the rows have a non-zero extremum
    same_as_numpy(name, rows, axis=1)
    same_as_numpy(name, rows, axis=None)
    same_as_numpy(name, np.asfortranarray(rows), axis=None)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "int64"])
def test_integer_sums_and_products_wrap_like_numpy(dtype, runner):
    a = make(dtype, (N,), seed=9)
    for name in ("sum", "prod", "mean", "max", "min"):
        same_as_numpy(name, a)
        same_as_numpy(name, a[: 4 * (N // 4)].reshape(4, -1)[:, :-1], axis=1)
        same_as_numpy(name, np.asfortranarray(a[: 8 * (N // 8)].reshape(8, -1)), axis=None)


def test_nansum_sums_the_nan_free_copy(runner):
    a = make("float32", (4, N // 4), seed=10, variant="special")
    a[a == np.inf] = 1
    a[a == -np.inf] = -1
    for axis in (None, 0, 1):
        same_as_numpy("nansum", a, axis=axis)
        same_as_numpy("nansum", np.asfortranarray(a), axis=axis)


def test_float_errors_are_numpys(runner):
    big = np.full(N, 3.0e38, dtype=np.float32)
    columns = big.reshape(1, -1)[:, : 2 * (N // 2)].reshape(-1, 2)  # the one-task kernel
    for a, axis in ((big, None), (columns, 0)):
        with np.errstate(over="raise"):
            with pytest.raises(FloatingPointError) as numpy_error:
                np.sum(a, axis=axis)
            with pytest.raises(FloatingPointError) as our_error:
                call("sum", a, axis=axis)
        assert str(our_error.value) == str(numpy_error.value)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(over="ignore", invalid="ignore"):
                assert_bitwise(call("sum", a, axis=axis), np.sum(a, axis=axis))


# --- the Numba kernel that repeats NumPy's pairwise_sum ---------------------------------------


@pytest.mark.parametrize("accumulator", ["float32", "float64"])
@pytest.mark.parametrize("dtype", ["int64", "float32", "float64"])
def test_pairwise_kernel_repeats_numpy(dtype, accumulator):
    blocks = kernels_reduce.pairwise_blocks(accumulator)
    for size in [*range(1, 140), 255, 256, 257, 1000, 8192]:
        x = make(dtype, (2, 3 * size), seed=size)
        out = np.empty((2, 3), accumulator)
        blocks(x, 0, 3, size, out)
        expected = quiet(np.add.reduce, x.reshape(2, 3, size), axis=2, dtype=accumulator)
        assert_bitwise(out, expected)


# --- Hypothesis: every path on small arrays (threshold lowered) -------------------------------


@contextlib.contextmanager
def small_chunks(pool):
    """Chunk everything of 64+ elements on a real 2-thread pool."""
    with (
        mock.patch.object(parallel, "MIN_CHUNK_ELEMENTS", 64),
        parallel.use_runner(ThreadRunner(pool)),
    ):
        yield


@st.composite
def reduction_cases(draw):
    """(array, axis): small arrays, arrays with rows long enough for the pairwise recursion to
    split (> 128 elements), and rows longer than NumPy's 8192-element buffer."""
    ndim = draw(st.integers(1, 3))
    sides = [draw(st.integers(1, 12)) for _ in range(ndim)]
    size = draw(st.sampled_from(["small", "rows", "buffers"]))
    if size == "rows":
        sides[-1] = draw(st.integers(129, 3000))
    elif size == "buffers":
        sides = [min(side, 2) for side in sides[:-1]] + [draw(st.integers(8193, 20000))]
    dtype = draw(st.sampled_from([d for d, _ in DATA]))
    variant = draw(st.sampled_from(["plain", "mixed", "special"]))
    a = make(dtype, tuple(sides), draw(st.integers(0, 2**16)), variant)
    layout = draw(st.sampled_from(["C", "C", "F", "sliced", "reversed"]))
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "sliced":
        a = a[..., ::2]
    elif layout == "reversed":
        a = a[::-1]
    axis = draw(
        st.one_of(
            st.none(),
            st.integers(-ndim, ndim - 1),
            st.lists(st.integers(0, ndim - 1), unique=True).map(tuple),
        )
    )
    return a, axis


@settings(derandomize=True, max_examples=250, deadline=None)
@given(
    case=reduction_cases(),
    name=st.sampled_from([*NAMES, "count_nonzero"]),
    keepdims=st.booleans(),
)
def test_hypothesis_reductions_equal_numpy(pool, case, name, keepdims):
    a, axis = case
    expected = quiet(getattr(np, name), a, axis=axis, keepdims=keepdims)
    with small_chunks(pool):
        result = quiet(call, name, a, axis=axis, keepdims=keepdims)
    assert_bitwise(result, expected)


@st.composite
def float_sum_cases(draw):
    """(array, axis) that reach the pairwise, buffered and column paths: contiguous arrays
    reduced over all elements, trailing axes or axis 0 of a few columns; float data or a cast
    to float."""
    rows = draw(st.sampled_from([(), (1,), (2,), (3,), (2, 2)]))
    length = draw(st.one_of(st.integers(129, 4000), st.integers(8193, 20000)))
    dtype = draw(st.sampled_from(["float32", "float64", "float16", "int64", "int32", "bool"]))
    variant = draw(st.sampled_from(["plain", "mixed", "special"]))
    a = make(dtype, (*rows, length), draw(st.integers(0, 2**16)), variant)
    form = draw(st.sampled_from(["all", "trailing", "outer"]))
    if form == "all":
        return (np.asfortranarray(a.T) if draw(st.booleans()) else a), None
    if form == "outer":  # axis 0 of a C-contiguous (length, 1..3) matrix
        return np.ascontiguousarray(a.reshape(length, -1)[:, :3]), 0
    trailing = draw(st.integers(1, a.ndim))
    return a, tuple(range(a.ndim - trailing, a.ndim))


@settings(derandomize=True, max_examples=200, deadline=None)
@given(
    case=float_sum_cases(),
    name=st.sampled_from(["sum", "mean", "var", "std", "nansum"]),
    keepdims=st.booleans(),
)
def test_hypothesis_float_sums_equal_numpy(pool, case, name, keepdims):
    a, axis = case
    expected = quiet(getattr(np, name), a, axis=axis, keepdims=keepdims)
    with small_chunks(pool):
        result = quiet(call, name, a, axis=axis, keepdims=keepdims)
    assert_bitwise(result, expected)
