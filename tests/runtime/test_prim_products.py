"""Product primitives (dot, matmul, vdot, inner, outer, tensordot, kron, cross, einsum)
against NumPy, their exact error messages, and the row-chunked dot/matmul path run
through a real concurrent chunk runner."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.primitives import REGISTRY, parallel


def call(name, *args, **kwargs):
    return REGISTRY[name].impl(*args, **kwargs)


def same(result, expected, rtol=0.0):
    assert np.asarray(result).dtype == np.asarray(expected).dtype
    assert np.shape(result) == np.shape(expected)
    if rtol:
        np.testing.assert_allclose(result, expected, rtol=rtol)
    else:
        np.testing.assert_array_equal(result, expected)


class ThreadChunkRunner:
    """A real concurrent runner: chunk bodies run on a two-thread pool."""

    workers = 2

    def __init__(self):
        self.batches: list[int] = []
        self.threads: set[int] = set()
        self._pool = ThreadPoolExecutor(2)
        self._lock = threading.Lock()

    def run_chunks(self, bodies):
        self.batches.append(len(bodies))

        def run(body):
            with self._lock:
                self.threads.add(threading.get_ident())
            body()

        for future in [self._pool.submit(run, body) for body in bodies]:
            future.result()

    def close(self):
        self._pool.shutdown()


@pytest.fixture
def runner():
    chunk_runner = ThreadChunkRunner()
    with parallel.use_runner(chunk_runner):
        yield chunk_runner
    chunk_runner.close()


A = np.arange(12, dtype=np.float64).reshape(3, 4) - 5
B = np.arange(8, dtype=np.float64).reshape(4, 2) / 3
V4 = np.array([1.0, -2.0, 0.5, 3.0])


# --- registration -----------------------------------------------------------------------


def test_registration():
    assert REGISTRY.resolve_alias("numpy.dot") == "dot"
    assert REGISTRY.resolve_method("dot") == "dot"
    assert REGISTRY.resolve_alias("numpy.matmul") == "matmul"
    for name in ("vdot", "inner", "outer", "tensordot", "kron", "cross", "einsum"):
        assert REGISTRY.resolve_alias(f"numpy.{name}") == name
        assert REGISTRY[name].category == "product"
        assert REGISTRY[name].numpy == f"numpy.{name}"


# --- fixed inputs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        (A, B),
        (A, V4),
        (V4, V4),
        (V4, B),
        (3, A),
        (A, 2.5),
        (np.arange(24).reshape(2, 3, 4), np.arange(8).reshape(4, 2)),
        (np.arange(24).reshape(2, 3, 4), np.arange(40).reshape(5, 4, 2)),
    ],
)
def test_dot_matches_numpy(a, b):
    same(call("dot", a, b), np.dot(a, b))


@pytest.mark.parametrize(
    "a, b",
    [
        (A, B),
        (A, V4),
        (V4, V4),
        (V4, B),
        (np.arange(24).reshape(2, 3, 4), np.arange(8).reshape(4, 2)),
        (np.arange(24).reshape(2, 3, 4), np.arange(16).reshape(2, 4, 2)),
        (np.arange(24).reshape(2, 1, 3, 4), np.arange(24).reshape(3, 4, 2)),
    ],
)
def test_matmul_matches_numpy(a, b):
    same(call("matmul", a, b), np.matmul(a, b))


def test_other_products_match_numpy():
    c = np.array([[1 + 2j, 3], [0, -1j]])
    same(call("vdot", c, c), np.vdot(c, c))
    same(call("vdot", A, A), np.vdot(A, A))
    same(call("inner", A, A), np.inner(A, A))
    same(call("inner", V4, V4), np.inner(V4, V4))
    same(call("inner", 2, A), np.inner(2, A))
    same(call("outer", V4, np.arange(3)), np.outer(V4, np.arange(3)))
    same(call("outer", A, B), np.outer(A, B))
    t3 = np.arange(24.0).reshape(2, 3, 4)
    same(
        call("tensordot", t3, np.arange(12.0).reshape(3, 4)),
        np.tensordot(t3, np.arange(12.0).reshape(3, 4)),
    )
    same(call("tensordot", A, B, axes=1), np.tensordot(A, B, axes=1))
    same(call("tensordot", t3, A, axes=((1,), (0,))), np.tensordot(t3, A, axes=((1,), (0,))))
    same(call("tensordot", t3, A, axes=(1, 0)), np.tensordot(t3, A, axes=(1, 0)))
    same(call("tensordot", A, B, axes=0), np.tensordot(A, B, axes=0))
    same(call("kron", np.eye(2, dtype=np.int32), A), np.kron(np.eye(2, dtype=np.int32), A))
    x, y = np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])
    same(call("cross", x, y), np.cross(x, y))
    stacked = np.arange(12.0).reshape(4, 3)
    same(call("cross", stacked, y), np.cross(stacked, y))
    same(call("cross", stacked.T, y, axisa=0), np.cross(stacked.T, y, axisa=0))
    same(call("cross", stacked.T, stacked.T, axis=0), np.cross(stacked.T, stacked.T, axis=0))
    same(call("einsum", "ij,jk->ik", A, B), np.einsum("ij,jk->ik", A, B))
    same(call("einsum", "ii", np.eye(3)), np.einsum("ii", np.eye(3)))
    same(call("einsum", "i,i", V4, V4, optimize=True), np.einsum("i,i", V4, V4))


# --- hypothesis: shapes and dtypes ------------------------------------------------------

DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]


def _array(draw, shape, dtype):
    values = draw(
        st.lists(st.integers(-4, 4), min_size=int(np.prod(shape)), max_size=int(np.prod(shape)))
    )
    return np.array(values, dtype=np.int64).reshape(shape).astype(dtype)


@st.composite
def product_operands(draw, allow_scalar):
    m, n, k = draw(st.integers(1, 5)), draw(st.integers(1, 5)), draw(st.integers(1, 5))
    left = [(n,), (m, n), (2, m, n)] + ([()] if allow_scalar else [])
    right = [(n,), (n, k), (2, n, k)] + ([()] if allow_scalar else [])
    a_shape, b_shape = draw(st.sampled_from(left)), draw(st.sampled_from(right))
    a_type, b_type = draw(st.sampled_from(DTYPES)), draw(st.sampled_from(DTYPES))
    return _array(draw, a_shape, a_type), _array(draw, b_shape, b_type)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(product_operands(allow_scalar=True))
def test_dot_shapes_and_dtypes(operands):
    a, b = operands
    same(call("dot", a, b), np.dot(a, b))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(product_operands(allow_scalar=False))
def test_matmul_shapes_and_dtypes(operands):
    a, b = operands
    same(call("matmul", a, b), np.matmul(a, b))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(product_operands(allow_scalar=True))
def test_outer_shapes_and_dtypes(operands):
    a, b = operands
    same(call("outer", a, b), np.outer(a, b))


# --- the chunked path -------------------------------------------------------------------


def test_big_dot_and_matmul_split_rows_across_a_concurrent_runner(runner):
    rng = np.random.default_rng(7)
    a = rng.standard_normal((600, 600))
    b = rng.standard_normal((600, 300))
    same(call("dot", a, b), np.dot(a, b), rtol=1e-12)
    assert runner.batches == [4]
    same(call("matmul", a, b), np.matmul(a, b), rtol=1e-12)
    assert runner.batches == [4, 4]
    tall = rng.standard_normal((4000, 600))
    vector = rng.standard_normal(600)
    same(call("dot", tall, vector), np.dot(tall, vector), rtol=1e-12)
    same(call("matmul", tall, vector), np.matmul(tall, vector), rtol=1e-12)
    assert runner.batches == [4, 4, 4, 4]


def test_chunked_product_of_strided_operands(runner):
    rng = np.random.default_rng(3)
    a = np.asfortranarray(rng.standard_normal((300, 400)))
    b = rng.standard_normal((800, 300))[::2].T.T  # non-contiguous rows
    same(call("dot", a, b[:400]), np.dot(a, b[:400]), rtol=1e-12)
    assert runner.batches == [4]


@pytest.mark.parametrize(
    "a_type, b_type",
    [
        (np.int32, np.int64),
        (np.int64, np.float32),
        (np.bool_, np.bool_),
        (np.float32, np.float32),
        (np.bool_, np.int32),
        (np.complex128, np.float64),
    ],
)
def test_chunked_product_dtypes(runner, a_type, b_type):
    rng = np.random.default_rng(11)
    a = rng.integers(-3, 4, size=(64, 200)).astype(a_type)
    b = rng.integers(-3, 4, size=(200, 100)).astype(b_type)
    same(call("dot", a, b), np.dot(a, b))
    same(call("matmul", a, b), np.matmul(a, b))
    assert runner.batches == [2, 2]


def test_small_products_stay_one_task(runner):
    same(call("dot", A, B), np.dot(A, B))
    same(
        call("dot", np.ones((50, 50)), np.ones((50, 50))),
        np.dot(np.ones((50, 50)), np.ones((50, 50))),
    )
    assert runner.batches == []


def test_without_a_runner_big_products_run_serially():
    a = np.ones((600, 600))
    same(call("dot", a, a[:, :300]), np.dot(a, a[:, :300]))


# --- errors -----------------------------------------------------------------------------


def error(name, *args, **kwargs):
    with pytest.raises(PrimitiveArgumentError) as info:
        call(name, *args, **kwargs)
    return str(info.value)


def test_dot_not_aligned():
    assert error("dot", np.ones((3, 4)), np.ones(5)) == (
        "shapes (3, 4) and (5,) are not aligned: "
        "dimension 1 of the first operand (4) != dimension 0 of the second (5)"
    )
    assert error("dot", np.ones((3, 4)), np.ones((2, 5, 6))) == (
        "shapes (3, 4) and (2, 5, 6) are not aligned: "
        "dimension 1 of the first operand (4) != dimension 1 of the second (5)"
    )


def test_matmul_errors():
    assert error("matmul", np.ones((2, 3)), np.ones((4, 2))) == (
        "shapes (2, 3) and (4, 2) are not aligned: "
        "dimension 1 of the first operand (3) != dimension 0 of the second (4)"
    )
    assert error("matmul", 2.0, np.ones(3)) == (
        "operands must have at least one dimension, got a scalar; "
        "use __mul (a * b) to scale by a scalar"
    )
    assert error("matmul", np.ones((2, 3, 4)), np.ones((5, 4, 2))) == (
        "shapes (2, 3, 4) and (5, 4, 2) cannot be broadcast together: "
        "stacked dimensions (2,) and (5,) differ"
    )


def test_other_product_errors():
    assert error("vdot", np.ones(3), np.ones(4)) == (
        "operands have 3 and 4 elements; vdot needs the same number of elements"
    )
    assert error("inner", np.ones((2, 3)), np.ones(4)) == (
        "shapes (2, 3) and (4,) are not aligned: "
        "dimension 1 of the first operand (3) != dimension 0 of the second (4)"
    )
    assert error("tensordot", np.ones((2, 3)), np.ones((4, 5)), axes=1) == (
        "shapes (2, 3) and (4, 5) are not aligned for the sum: "
        "dimension 1 of the first operand (3) != dimension 0 of the second (4)"
    )
    assert (
        error("tensordot", np.ones((2, 3)), np.ones((4, 5)), axes=3)
        == "axes=3 sums over the last 3 axes of the first operand and the first 3 of the second, but their shapes are (2, 3) and (4, 5)"
    )
    assert error("tensordot", A, B, axes=-1) == (
        "axes must be an int or a pair of axis lists such as list(list(1), list(0)); "
        "got the negative count -1"
    )
    assert error("tensordot", A, B, axes="ij") == (
        "axes must be an int or a pair of axis lists such as list(list(1), list(0)); got 'ij'"
    )
    assert error("tensordot", A, B, axes=((0, 1), (0,))) == (
        "the axis lists (0, 1) and (0,) have different lengths; "
        "each summed axis of the first operand needs a partner in the second"
    )
    assert error("tensordot", A, B, axes=((1,), (2,))) == (
        "axis 2 is out of bounds for the second operand of shape (4, 2)"
    )
    assert error("cross", np.ones(4), np.ones(3)) == (
        "vectors must have 2 or 3 components, but the first operand (shape (4,)) "
        "has 4 along axis -1"
    )
    assert error("einsum", 3, A) == (
        'einsum: the subscripts must be a string such as "ij,jk->ik", got int'
    )
    assert error("einsum", "ij") == "needs at least one operand after the subscripts"
    assert error("einsum", "ij,jk->ik", A, A).startswith("operands could not be broadcast")
