"""The GLM pass (passes/glm.py) and its fused primitive glm_gradient (primitives/fused.py)."""

from __future__ import annotations

import numpy as np
import pytest

from examples import listings
from examples.data import lra_data
from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.frontend import compile_function
from jetlag.runtime.ir.nodes import Call, Location
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes import explain
from jetlag.runtime.passes.dead_code import DeadDefinitions
from jetlag.runtime.passes.glm import GlmFusion
from jetlag.runtime.passes.rewrite import AlgebraicRewrite
from jetlag.runtime.primitives import REGISTRY
from jetlag.runtime.primitives import fused as fused_module
from jetlag.runtime.primitives.parallel import use_runner
from jetlag.runtime.scheduler.execute import execute
from jetlag.runtime.scheduler.scope import FunctionValue, Scope

PASSES = (AlgebraicRewrite(), GlmFusion(), DeadDefinitions())
glm_gradient = REGISTRY["glm_gradient"].impl


def fused_calls(program) -> list[Call]:
    return [n for n in program.walk() if isinstance(n, Call) and n.name == "glm_gradient"]


def run_both(fn, args, threads=None):
    """(unoptimized value, optimized value, optimized program) of `fn` on `args`."""
    program = compile_function(fn).program
    optimized = explain(program, PASSES)
    plain = execute(program, fn.__name__, args, threads=threads).value
    fast = execute(optimized.program, fn.__name__, args, threads=threads).value
    return plain, fast, optimized


# -- functions the pass must or must not fuse -------------------------------------------


def inline_linear(x, y, w):
    g = np.dot(np.transpose(x), np.dot(x, w) - y)
    return g


def descent_loop(x, y, w):
    transx = np.transpose(x)
    gradient = np.zeros(np.shape(x)[1])
    for _i in range(3):
        error = np.dot(x, w) - y
        gradient = np.dot(transx, error)
        w = w - 0.001 * gradient
    return w


def prediction_returned(x, y, w):
    transx = np.transpose(x)
    pred = 1.0 / (1.0 + np.exp(-np.dot(x, w)))
    error = pred - y
    gradient = np.dot(transx, error)
    return gradient + np.sum(pred)


def other_matrix(x, x2, y, w):
    transx = np.transpose(x2)
    error = np.dot(x, w) - y
    gradient = np.dot(transx, error)
    return gradient


def transpose_rebound(x, y, w):
    transx = np.transpose(x)
    for _i in range(2):
        error = np.dot(x, w) - y
        gradient = np.dot(transx, error)
        transx = np.transpose(x) * 2.0
    return gradient


def written_in_place(x, y, w):
    transx = np.transpose(x)
    gradient = np.zeros(np.shape(x)[1])
    for _i in range(2):
        error = np.dot(x, w) - y
        gradient = np.dot(transx, error)
        x[0, 0] = 5.0
    return gradient


def not_elementwise(x, y, w):
    transx = np.transpose(x)
    error = np.dot(x, w) - np.sum(y)
    error = error / np.sum(error)
    gradient = np.dot(transx, error)
    return gradient


def operand_rebound(x, y, w):
    transx = np.transpose(x)
    error = np.dot(x, w) - y
    y = error * 2.0
    gradient = np.dot(transx, y)
    return gradient


def two_products(x, y, w):
    transx = np.transpose(x)
    z = np.dot(x, w)
    error = z * z - y
    gradient = np.dot(transx, error)
    return gradient


# -- the paper's LRA listing ----------------------------------------------------------------


def test_lra_reads_x_once_per_iteration_and_equals_numpy():
    x, y = lra_data(300, 40)
    want = listings.lra(x, y, 0.01, 4, False)
    plain, fast, optimized = run_both(listings.lra, (x, y, 0.01, 4, False))
    (call,) = fused_calls(optimized.program)
    np.testing.assert_allclose(fast, want, rtol=1e-10)
    np.testing.assert_allclose(fast, plain, rtol=1e-10)
    text = optimized.text()
    assert "# rewrite: dot(transpose(X), f(dot(X, w), ...)) -> glm_gradient" in text
    assert "(folds in pred, error)" in text
    # The replaced dot's place; the inlined expressions keep theirs.
    assert call.loc == Location(27, 19)
    assert "__div$25$15(1.0, __add$25$22(1.0, exp$25$28(__neg$25$35(z$25$36))))" in text
    printed = print_physl(optimized.program)
    for gone in ("transx", "pred", "error", "dot$"):
        assert gone not in printed


def test_lra_threaded_equals_numpy():
    x, y = lra_data(2000, 64, seed=3)
    want = listings.lra(x, y, 0.001, 3, False)
    _, fast, _ = run_both(listings.lra, (x, y, 0.001, 3, False), threads=2)
    np.testing.assert_allclose(fast, want, rtol=1e-10)


def test_physl_decorator_runs_the_fused_form():
    from jetlag.runtime.api import physl
    from jetlag.runtime.passes import PIPELINE

    assert [p.name for p in PIPELINE].index("glm-fusion") == 1
    f = physl(listings.lra)
    x, y = lra_data(120, 16)
    np.testing.assert_allclose(
        f(x, y, 0.01, 3, False), listings.lra(x, y, 0.01, 3, False), rtol=1e-10
    )
    assert "glm_gradient" in f.physl_optimized
    assert "# rewrite: dot(transpose(X)" in f.physl_optimized


def test_single_statement_gradient_is_fused():
    x, y = lra_data(50, 7)
    w = np.linspace(-1, 1, 7)
    plain, fast, optimized = run_both(inline_linear, (x, y, w))
    assert len(fused_calls(optimized.program)) == 1
    np.testing.assert_allclose(fast, x.T @ (x @ w - y), rtol=1e-10)
    np.testing.assert_allclose(fast, plain, rtol=1e-10)


def test_intermediate_first_defined_inside_the_loop_is_fused():
    x, y = lra_data(80, 6)
    w = np.zeros(6)
    plain, fast, optimized = run_both(descent_loop, (x, y, w.copy()))
    assert len(fused_calls(optimized.program)) == 1
    np.testing.assert_allclose(fast, descent_loop(x, y, w.copy()), rtol=1e-10)
    np.testing.assert_allclose(fast, plain, rtol=1e-10)


def test_the_same_product_twice_is_one_parameter():
    x, y = lra_data(50, 7)
    w = np.linspace(-1, 1, 7)
    plain, fast, optimized = run_both(two_products, (x, y, w))
    (call,) = fused_calls(optimized.program)
    assert "__mul" in print_physl(call) and "dot" not in print_physl(call)
    np.testing.assert_allclose(fast, plain, rtol=1e-10)


@pytest.mark.parametrize(
    "fn",
    [
        prediction_returned,
        other_matrix,
        transpose_rebound,
        written_in_place,
        not_elementwise,
        operand_rebound,
    ],
)
def test_not_fused_when_not_provably_equivalent(fn):
    program = compile_function(fn).program
    assert fused_calls(explain(program, PASSES).program) == []


def test_top_level_and_shadowed_programs_are_left_alone():
    top = parse_physl("define(t, transpose(x))\nstore(e, __sub(dot(x, w), y))\nstore(g, dot(t, e))")
    assert GlmFusion().run(top).program is top
    shadowed = parse_physl(
        "define(f, x, w, y, block(define(t, transpose(x)), define(g, dot(t, exp(dot(x, w)))),"
        " define(exp, 1), g))"
    )
    assert fused_calls(GlmFusion().run(shadowed).program) == []


# -- the primitive ------------------------------------------------------------------------


def function(text: str) -> FunctionValue:
    (node,) = parse_physl(text).body
    names = tuple(p.name for p in node.args[:-1])
    return FunctionValue("lambda", names, node.args[-1], Scope(None))


SIGMOID_ERROR = "lambda(z, y, __sub(__div(1.0, __add(1.0, exp(__neg(z)))), y))"


class TwoWorkers:
    """Runs chunk bodies serially but asks primitives to split for two workers."""

    workers = 2

    def run_chunks(self, bodies):
        for body in reversed(bodies):
            body()


def sigmoid_gradient(x, w, y):
    return x.T @ (1.0 / (1.0 + np.exp(-(x @ w))) - y)


@pytest.mark.parametrize("rows,cols", [(1, 3), (37, 5), (1000, 300)])
def test_blocked_pass_equals_numpy(rows, cols, monkeypatch):
    monkeypatch.setattr(fused_module, "BLOCK_BYTES", 64 * cols)
    x, y = lra_data(rows, cols)
    w = np.linspace(-0.5, 0.5, cols)
    want = sigmoid_gradient(x, w, y)
    got = glm_gradient(x, w, function(SIGMOID_ERROR), y)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    with use_runner(TwoWorkers()):
        split = glm_gradient(x, w, function(SIGMOID_ERROR), y)
    np.testing.assert_allclose(split, want, rtol=1e-10)
    assert split.dtype == want.dtype and split.shape == (cols,)


def test_scalar_operands_and_float32():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    w = np.ones(3, dtype=np.float32)
    got = glm_gradient(x, w, function("lambda(z, a, __mul(z, a))"), np.float32(2))
    want = np.dot(x.T, np.dot(x, w) * np.float32(2))
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)


@pytest.mark.parametrize(
    "x,w,operand",
    [
        (np.ones(4), np.ones(4), 1.0),  # x 1-D
        (np.ones((4, 3)), np.ones((3, 2)), np.ones((4, 2))),  # w 2-D
        (np.arange(12).reshape(4, 3), np.ones(3, dtype=int), 1),  # integers
        (np.ones((4, 3)), np.ones(3), np.ones((4, 1))),  # an operand that is no row vector
    ],
)
def test_other_shapes_fall_back_to_the_unfused_form(x, w, operand):
    f = function("lambda(z, v, __add(z, v))")
    want = np.dot(np.transpose(x), np.dot(x, w) + operand)
    got = glm_gradient(x, w, f, operand)
    np.testing.assert_allclose(got, want, rtol=1e-10)
    assert np.asarray(got).dtype == want.dtype


def test_block_results_that_are_not_row_vectors_fall_back():
    # f ignores z's shape: every block would give a 2-vector, the unfused form decides.
    x, w = np.ones((2, 3)), np.ones(3)
    f = function("lambda(z, v, __add(__mul(z, 0.0), v))")
    got = glm_gradient(x, w, f, np.array([1.0, 2.0]))
    np.testing.assert_allclose(got, np.dot(x.T, np.array([1.0, 2.0])))


def test_errors_name_the_unfused_expression():
    f = function("lambda(z, v, __add(z, v))")
    with pytest.raises(PrimitiveArgumentError, match=r"^dot\(transpose\(x\), f\(dot\(x, w\)"):
        glm_gradient(np.ones((4, 3)), np.ones(5), f, 1.0)
    with pytest.raises(PrimitiveArgumentError, match="only elementwise primitives"):
        glm_gradient(np.ones((4, 3)), np.ones(3), function("lambda(z, sum(z))"))
    with pytest.raises(PrimitiveArgumentError, match="takes 2 parameter"):
        glm_gradient(np.ones((4, 3)), np.ones(3), f)
