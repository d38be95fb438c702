"""Each Python construct the frontend accepts, run end to end, equals plain Python/NumPy.

Every function below is run twice: as ordinary Python and compiled with @physl.
"""

from __future__ import annotations

import numpy as np
import pytest

from jetlag import physl


def control_flow(n):
    total = 0
    i = 0
    while i < n:
        i += 1
        if i % 3 == 0:
            continue
        elif i > 20:
            break
        else:
            total += i
    for j in range(2, n, 3):
        total -= j
    return total


def tuples_and_swap(a, b):
    a, b = b, a
    pair = (a * 2, b + 1)
    first, second = pair
    return first, second


def indexing_reads(x):
    return x[1], x[1:3, ::2], x[-1, -1], x[:, 0], x[x > 4], x[[0, 2]], x[None].shape


def indexing_writes(x, v):
    y = x.copy()
    y[0, :] = v
    y[1] += 10.0
    y[y < 3] = -1.0
    y[2, 1:3] = 7.0
    return y


def shapes_and_methods(x):
    rows = len(x)
    cols = np.shape(x)[1]
    return rows * cols, x.shape, x.T, x.sum(axis=0), x.mean(), x.reshape(-1).max(), x.ndim


def helper(v, k):
    return v * k + 1


def calls_other_function(x):
    return helper(x, 3.0) - helper(x, 1.0)


def recursive_power(base, n):
    if n == 0:
        return 1.0
    return base * recursive_power(base, n - 1)


def early_return(x, limit):
    i = 0
    while True:
        if x[i] > limit:
            return i
        i += 1


def logic(a, b):
    both = a > 0 and b > 0
    either = a > 0 or b > 0
    neither = not (a > 0) and not (b > 0)
    chained = 0 < a < 10
    return both, either, neither, chained, a if a > b else b


def conditional_define(flag):
    if flag:
        value = 1.5
    else:
        value = -2.5
    return value * 2


def nested_def_and_lambda(x):
    def square(v):
        return v * v

    cube = lambda v: v * v * v  # noqa: E731
    return square(x) + cube(x)


def arithmetic(a, b):
    return a + b, a - b, a * b, a / b, a // b, a % b, a**2, -a, +a, abs(a - b)


def matrix_ops(a, b):
    return a @ b, np.dot(a, b), np.linalg.inv(a) @ b, np.linalg.solve(a, b), np.linalg.det(a)


def dtype_arguments(n):
    ints = np.zeros(n, dtype=np.int32)
    floats = np.ones((n, 2), dtype=float)
    return ints, floats.astype(np.float32), np.arange(n, dtype="int64")


CASES = [
    (control_flow, (30,)),
    (control_flow, (5,)),
    (tuples_and_swap, (np.arange(3.0), np.ones(3))),
    (indexing_reads, (np.arange(12.0).reshape(3, 4),)),
    (indexing_writes, (np.arange(12.0).reshape(3, 4), np.full(4, 9.0))),
    (shapes_and_methods, (np.arange(12.0).reshape(3, 4),)),
    (calls_other_function, (np.arange(4.0),)),
    (recursive_power, (1.5, 6)),
    (early_return, (np.array([1.0, 2.0, 8.0, 9.0]), 5.0)),
    (logic, (3, -1)),
    (logic, (0, 12)),
    (conditional_define, (True,)),
    (conditional_define, (False,)),
    (nested_def_and_lambda, (np.arange(5.0),)),
    (arithmetic, (np.arange(1.0, 6.0), np.full(5, 2.0))),
    (arithmetic, (7, 3)),
    (matrix_ops, (np.array([[4.0, 1.0], [2.0, 3.0]]), np.array([1.0, 2.0]))),
    (dtype_arguments, (4,)),
]


def assert_same(got, expected):
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected)
        for g, e in zip(got, expected, strict=True):
            assert_same(g, e)
        return
    if isinstance(expected, np.ndarray):
        assert isinstance(got, np.ndarray)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_allclose(got, expected, rtol=1e-12)
        return
    assert type(got) is type(expected) or (np.isscalar(got) and np.isscalar(expected)), (
        f"{type(got)} != {type(expected)}"
    )
    assert got == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "function,args", CASES, ids=[f"{f.__name__}-{i}" for i, (f, _) in enumerate(CASES)]
)
def test_construct_matches_python(function, args):
    expected = function(*args)
    compiled = physl(function)
    assert_same(compiled(*args), expected)


def test_print_is_streamed_in_program_order(capsys):
    def talkative(x):
        print("start")
        y = np.dot(x, x)
        print("sum", y.sum())
        for i in range(2):
            print("i =", i, end=";")
        print()
        return y

    x = np.ones((300, 300))
    talkative(x)
    expected = capsys.readouterr().out
    physl(talkative)(x)
    assert capsys.readouterr().out == expected
