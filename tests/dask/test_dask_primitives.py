"""A sample of the runtime's primitives on the Dask executor give the threads executor's
results: elementwise operators and functions, reductions over every axis, products,
transpose, fused elementwise kernels, metadata, client-side primitives on gathered blocks,
a loop on the client and an in-place write into a partitioned argument."""

from __future__ import annotations

import dask_programs as programs
import numpy as np
import pytest
from dask_compare import assert_same

from jetlag import physl, run_physl

RNG = np.random.default_rng(20)
X = RNG.random((300, 40))
Y = RNG.random((300, 40)) - 0.5
N = RNG.integers(-50, 50, (300, 40))
V = RNG.random(40)

CASES = [
    ("elementwise", (X, Y)),
    ("comparisons", (X, Y)),
    ("integer_math", (N, 7)),
    ("row_vector", (X, V)),
    ("reductions", (X,)),
    ("axis_reductions", (X,)),
    ("keepdims_reductions", (X,)),
    ("truth_reductions", (X,)),
    ("integer_sum", (N,)),
    ("products", (X, V)),
    ("vector_dot", (X,)),
    ("fused_chain", (X, Y)),
    ("without_distributed_form", (X,)),
    ("shape_of", (X,)),
    ("loop_on_client", (X, 3)),
]


def copies(args):
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


@pytest.mark.parametrize("name,args", CASES, ids=[c[0] for c in CASES])
def test_primitive_sample_equals_threads_executor(executor, name, args):
    function = getattr(programs, name)
    expected = physl(function)(*copies(args))
    got = physl(function, executor=executor, trace="off")(*copies(args))
    assert_same(got, expected)


def test_unoptimized_tree_equals_threads_executor(executor):
    expected = physl(programs.elementwise, optimize=False)(X, Y)
    got = physl(programs.elementwise, optimize=False, executor=executor)(X, Y)
    assert_same(got, expected)


def test_a_write_into_a_partitioned_argument_is_seen_afterwards(executor):
    threads_x, dask_x = X.copy(), X.copy()
    expected = physl(programs.writes_argument)(threads_x, V)
    got = physl(programs.writes_argument, executor=executor)(dask_x, V)
    assert_same(got, expected)
    np.testing.assert_array_equal(dask_x, threads_x)


def test_run_physl_takes_the_executor(executor):
    text = "define(f, x, sum(__mul(exp(x), 2.0), 0))\nf"
    assert_same(run_physl(text, X, executor=executor), run_physl(text, X))


def test_errors_name_the_place_as_with_threads(executor):
    def bad(x, w):
        return np.dot(x, w)

    f = physl(bad, executor=executor)
    with pytest.raises(ValueError) as got:
        f(X, np.ones(3))
    with pytest.raises(ValueError) as expected:
        physl(bad)(X, np.ones(3))
    assert type(got.value) is type(expected.value)
    assert str(got.value).splitlines()[0] == str(expected.value).splitlines()[0]
