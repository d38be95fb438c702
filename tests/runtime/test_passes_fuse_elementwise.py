"""The elementwise-fusion pass (passes/fuse_elementwise.py) on programs and listings."""

from __future__ import annotations

import numpy as np
import pytest

from examples import listings
from examples.data import lra_data
from jetlag import physl
from jetlag.runtime.ir.nodes import Call
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes.fuse_elementwise import ElementwiseFusion
from jetlag.runtime.primitives.fused_map import FUSE_MIN_ELEMENTS


def fuse(text: str):
    return ElementwiseFusion().run(parse_physl(text))


def fused(program) -> list[Call]:
    return [n for n in program.walk() if isinstance(n, Call) and n.name == "fused_elementwise"]


def test_a_tree_of_two_or_more_operations_becomes_one_call():
    result = fuse("define(f, x, w, __div(1.0, __add(1.0, exp(__neg(dot(x, w))))))")
    (call,) = fused(result.program)
    assert print_physl(call) == (
        "fused_elementwise(lambda(t0, __div(1.0, __add(1.0, exp(__neg(t0))))), dot(x, w))"
    )
    (applied,) = result.applied
    assert applied.text == (
        "fuse: 4 elementwise operations -> one compiled loop: "
        "__div(1.0, __add(1.0, exp(__neg(t0))))"
    )


def test_variables_keep_their_names_and_appear_once():
    result = fuse("define(g, a, b, __add(__mul(a, b), __mul(a, a)))")
    (call,) = fused(result.program)
    assert print_physl(call) == (
        "fused_elementwise(lambda(a, b, __add(__mul(a, b), __mul(a, a))), a, b)"
    )


def test_single_operations_and_non_compilable_ones_stay():
    assert not fused(fuse("define(f, a, __add(a, 1))").program)
    assert not fused(fuse("define(f, a, where(__lt(a, 0), 1, 2))").program)
    assert not fused(fuse("define(f, a, __not(__lt(a, 0)))").program)


def test_operands_are_fused_on_their_own():
    result = fuse("define(f, a, __add(sum(__mul(a, __add(a, 1))), __mul(2, a)))")
    calls = fused(result.program)
    assert len(calls) == 2
    assert "sum(fused_elementwise(lambda(a, __mul(a, __add(a, 1))), a))" in print_physl(
        result.program
    )


def test_a_name_the_program_binds_is_never_taken_for_a_primitive():
    result = fuse("block(define(exp, lambda(v, v)), define(f, a, __add(exp(a), __mul(a, 2))))")
    (call,) = fused(result.program)
    assert (
        print_physl(call) == "fused_elementwise(lambda(t0, a, __add(t0, __mul(a, 2))), exp(a), a)"
    )


def test_the_glm_lambda_is_left_alone():
    text = "define(f, x, w, y, glm_gradient(x, w, lambda(z, y, __sub(exp(z), __mul(y, 2))), y))"
    result = fuse(text)
    assert result.program == parse_physl(text)


def test_locations_point_at_the_user_source():
    @physl
    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    text = sigmoid.physl_optimized
    assert "# fuse: 4 elementwise operations -> one compiled loop" in text
    assert "fused_elementwise$" in text and "exp$" in text


def arrays(kind: str):
    rng = np.random.default_rng(11)
    size = FUSE_MIN_ELEMENTS + 17
    if kind == "float":
        return rng.standard_normal(size), rng.standard_normal(size)
    if kind == "int":
        return rng.integers(-50, 50, size), rng.integers(1, 9, size)
    return rng.random(size), rng.random(size) < 0.3


def poly(a, b):
    return (a * 3 + b) * (a - b) + a * a


def mixed(a, b):
    return (a > 0.5) & b


@pytest.mark.parametrize("fn,kind", [(poly, "float"), (poly, "int"), (mixed, "bool")])
def test_results_equal_numpy_with_the_pass_on_and_off(fn, kind):
    a, b = arrays(kind)
    want = fn(a, b)
    on, off = physl(fn), physl(fn, optimize=False)
    assert "fused_elementwise" in on.physl_optimized
    for compiled in (on, off):
        got = compiled(a, b)
        assert got.dtype == want.dtype
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_lra_listing_equals_numpy_with_fused_kernels():
    x, y = lra_data(400, 60)
    want = listings.lra(x, y, 1e-3, 5, False)
    # Without compile-loops: the whole loop (its print included) would otherwise run as one
    # compiled function, with the fused kernels inside it rather than as primitives.
    passes = ["algebra", "glm-fusion", "dead-definitions", "elementwise-fusion"]
    f = physl(listings.lra, optimize=passes)
    np.testing.assert_allclose(f(x, y, 1e-3, 5, False), want, rtol=1e-10)
    names = {entry.display_name for entry in f.trace.profile}
    assert {"glm_gradient", "fused_elementwise"} <= names
