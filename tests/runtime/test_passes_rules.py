"""Each algebraic rule: the tree before and after the rewrite gives NumPy's result (1e-10
relative, same dtype), on the fast path, on the sparse path and on the fallback shapes."""

from __future__ import annotations

import numpy as np
import pytest

from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.ir.text import parse_physl, print_physl
from jetlag.runtime.passes import RULES, optimize, rules_markdown
from jetlag.runtime.scheduler.execute import execute

RNG = np.random.default_rng(7)


def run_both(text: str, *args):
    """(unoptimized value, optimized value, optimized PhySL) of `f(*args)`."""
    program = parse_physl(text)
    optimized = optimize(program)
    before = execute(program, "f", tuple(a.copy() if hasattr(a, "copy") else a for a in args))
    after = execute(optimized, "f", tuple(a.copy() if hasattr(a, "copy") else a for a in args))
    return before.value, after.value, print_physl(optimized)


def detail(error: PhySLRuntimeError) -> str:
    """The message without the failing primitive's name."""
    return error.message.split(" failed: ", 1)[1]


def same(got, want):
    assert np.asarray(got).dtype == np.asarray(want).dtype
    assert np.shape(got) == np.shape(want)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=0)


def check(text, expected, produced, *args):
    before, after, physl = run_both(text, *args)
    assert produced in physl, physl
    same(before, expected)
    same(after, expected)


def sparse(n, fraction=0.1):
    v = RNG.standard_normal(n)
    v[RNG.random(n) > fraction] = 0.0
    return v


# -- dot(A, diag(v)) and dot(diag(v), A) --------------------------------------------------

SCALE_COLUMNS = "define(f, a, v, dot(a, diag(v)))"
SCALE_ROWS = "define(f, a, v, dot(diag(v), a))"


@pytest.mark.parametrize("shape", [(5, 4), (4,), (1, 4), (0, 4)])
def test_scale_columns(shape):
    a, v = RNG.standard_normal(shape), RNG.standard_normal(4)
    check(SCALE_COLUMNS, np.dot(a, np.diag(v)), "scale_columns", a, v)


@pytest.mark.parametrize("shape", [(4, 5), (4,), (4, 1)])
def test_scale_rows(shape):
    a, v = RNG.standard_normal(shape), RNG.standard_normal(4)
    check(SCALE_ROWS, np.dot(np.diag(v), a), "scale_rows", a, v)


def test_scaling_keeps_integer_and_mixed_dtypes():
    a = RNG.integers(-5, 5, (3, 4))
    v = RNG.integers(-5, 5, 4)
    check(SCALE_COLUMNS, np.dot(a, np.diag(v)), "scale_columns", a, v)
    f32 = RNG.standard_normal((4, 3)).astype(np.float32)
    check(SCALE_ROWS, np.dot(np.diag(v), f32), "scale_rows", f32, v)


def test_scaling_falls_back_when_v_is_a_matrix():
    # diag of a 2-D v is its diagonal, so dot(a, diag(v)) is a matrix-vector product.
    a, v = RNG.standard_normal((3, 4)), RNG.standard_normal((4, 4))
    check(SCALE_COLUMNS, np.dot(a, np.diag(v)), "scale_columns", a, v)
    check(SCALE_ROWS, np.dot(np.diag(v), a.T), "scale_rows", a.T, v)


def test_scaling_of_a_scalar_falls_back():
    v = RNG.standard_normal(3)
    check(SCALE_COLUMNS, np.dot(2.5, np.diag(v)), "scale_columns", 2.5, v)


def test_scaling_shape_mismatch_raises_dots_error_at_the_same_line():
    program = parse_physl("define$1$0(f$1$7, a$1$9, v$1$12,\n dot$2$4(a$2$8, diag$2$11(v$2$16)))")
    a, v = RNG.standard_normal((3, 1)), RNG.standard_normal(5)  # a * v would broadcast
    errors = []
    for tree in (program, optimize(program)):
        with pytest.raises(PhySLRuntimeError) as caught:
            execute(tree, "f", (a, v))
        errors.append(caught.value)
    assert errors[1].message.startswith("scale_columns failed: dot(a, diag(v)): shapes")
    assert detail(errors[1]) == "dot(a, diag(v)): " + detail(errors[0])
    assert (errors[0].place.line, errors[0].place.col) == (errors[1].place.line, 4)


# -- Y^T diag(c) Y -------------------------------------------------------------------------

GRAM = "define(f, y, c, dot(dot(transpose(y), diag(c)), y))"


@pytest.mark.parametrize("fraction", [1.0, 0.1, 0.0])
def test_weighted_gram_dense_sparse_and_all_zero(fraction):
    y, c = RNG.standard_normal((40, 6)), sparse(40, fraction)
    check(GRAM, np.dot(np.dot(np.transpose(y), np.diag(c)), y), "weighted_gram", y, c)


def test_weighted_gram_integer_and_fallback_shapes():
    y, c = RNG.integers(-3, 4, (7, 3)), RNG.integers(0, 3, 7)
    check(GRAM, np.dot(np.dot(np.transpose(y), np.diag(c)), y), "weighted_gram", y, c)
    y1, c1 = RNG.standard_normal(5), RNG.standard_normal(5)  # 1-D y: not a Gram matrix
    check(GRAM, np.dot(np.dot(np.transpose(y1), np.diag(c1)), y1), "weighted_gram", y1, c1)


def test_weighted_gram_needs_the_same_y_twice():
    text = "define(f, y, z, c, dot(dot(transpose(y), diag(c)), z))"
    y, z, c = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2)), RNG.standard_normal(6)
    expected = np.dot(np.dot(y.T, np.diag(c)), z)
    # Only the inner product is rewritten (column scaling of y^T).
    check(text, expected, "scale_columns", y, z, c)
    assert "weighted_gram" not in run_both(text, y, z, c)[2]


def test_a_repeated_impure_operand_is_not_shared():
    text = "define(f, n, c, dot(dot(transpose(rand(n, 2)), diag(c)), rand(n, 2)))"
    assert "weighted_gram" not in print_physl(optimize(parse_physl(text)))


# -- Y^T (diag(c) + I) v -------------------------------------------------------------------

SHIFTED = "define(f, y, c, v, dot(dot(transpose(y), __add(diag(c), identity(len(c)))), v))"
SHIFTED_COMMUTED = "define(f, y, c, v, dot(dot(transpose(y), __add(identity(len(c)), diag(c))), v))"


def shifted_expected(y, c, v):
    return np.dot(np.dot(np.transpose(y), np.diag(c) + np.identity(len(c))), v)


@pytest.mark.parametrize("text", [SHIFTED, SHIFTED_COMMUTED])
@pytest.mark.parametrize("fraction", [1.0, 0.1])
def test_shifted_weighted_product_with_a_boolean_mask(text, fraction):
    y, c = RNG.standard_normal((30, 5)), sparse(30, fraction)
    mask = c != 0
    check(text, shifted_expected(y, c, mask), "shifted_weighted_product", y, c, mask)


def test_shifted_weighted_product_vector_matrix_and_integer_operands():
    y, c = RNG.standard_normal((8, 3)), RNG.integers(0, 4, 8)
    v2 = RNG.standard_normal((8, 2))
    check(SHIFTED, shifted_expected(y, c, v2), "shifted_weighted_product", y, c, v2)
    vi = RNG.integers(-2, 3, 8)
    check(SHIFTED, shifted_expected(y, c, vi), "shifted_weighted_product", y, c, vi)


def test_shifted_weighted_product_falls_back_for_three_dimensional_v():
    y, c, v = RNG.standard_normal((4, 3)), RNG.standard_normal(4), RNG.standard_normal((2, 4, 3))
    check(SHIFTED, shifted_expected(y, c, v), "shifted_weighted_product", y, c, v)


def test_shifted_weighted_product_size_mismatch_raises_like_numpy():
    text = "define(f, y, c, v, n, dot(dot(transpose(y), __add(diag(c), identity(n))), v))"
    y, c, v = RNG.standard_normal((4, 3)), RNG.standard_normal(4), RNG.standard_normal(4)
    program = parse_physl(text)
    messages = []
    for tree in (program, optimize(program)):
        with pytest.raises(PhySLRuntimeError) as caught:
            execute(tree, "f", (y, c, v, 5))
        messages.append(detail(caught.value))
    assert messages[1] == "dot(dot(t, diag(c) + identity(n)), v): " + messages[0]
    assert "broadcast" in messages[0]


# -- dot(inverse(A), b) --------------------------------------------------------------------

SOLVE = "define(f, a, b, dot(inverse(a), b))"


def well_conditioned(n):
    return RNG.standard_normal((n, n)) + n * np.eye(n)


@pytest.mark.parametrize("b_shape", [(5,), (5, 3)])
def test_inverse_dot(b_shape):
    a, b = well_conditioned(5), RNG.standard_normal(b_shape)
    check(SOLVE, np.dot(np.linalg.inv(a), b), "inverse_dot", a, b)


def test_inverse_dot_integer_and_float32_and_stacked_right_sides():
    a, b = np.array([[2, 1], [1, 3]]), np.array([1, 2])
    check(SOLVE, np.dot(np.linalg.inv(a), b), "inverse_dot", a, b)
    a32, b32 = well_conditioned(3).astype(np.float32), RNG.standard_normal(3).astype(np.float32)
    before, after, _ = run_both(SOLVE, a32, b32)
    assert after.dtype == np.float32
    np.testing.assert_allclose(after, before, rtol=1e-5)
    b3 = RNG.standard_normal((2, 5, 3))  # dot contracts with the middle axis: not a solve
    a5 = well_conditioned(5)
    check(SOLVE, np.dot(np.linalg.inv(a5), b3), "inverse_dot", a5, b3)


def test_inverse_dot_singular_matrix_keeps_inverses_message():
    program = parse_physl(SOLVE)
    a, b = np.array([[1.0, 2.0], [2.0, 4.0]]), np.ones(2)
    messages = []
    for tree in (program, optimize(program)):
        with pytest.raises(PhySLRuntimeError) as caught:
            execute(tree, "f", (a, b))
        messages.append(detail(caught.value))
    assert messages[1] == "dot(inverse(a), b): " + messages[0]
    assert messages[0].startswith("matrix is singular")


# -- transposes ----------------------------------------------------------------------------


def test_double_transpose_becomes_asarray():
    x = RNG.standard_normal((3, 4))
    check("define(f, x, transpose(transpose(x)))", x, "asarray", x)
    before, after, physl = run_both("define(f, x, transpose(transpose(x)))", [[1, 2], [3, 4]])
    assert "transpose" not in physl
    same(after, np.array([[1, 2], [3, 4]]))


def test_transpose_of_a_provably_one_dimensional_value_is_dropped():
    text = "define(f, n, block(define(p, zeros(3)), transpose(__ne(p, 0))))"
    before, after, physl = run_both(text, 0)
    assert "transpose" not in physl
    same(after, np.transpose(np.zeros(3) != 0))


@pytest.mark.parametrize(
    "body",
    [
        "transpose(x)",  # a parameter: rank unknown
        "block(define(p, zeros(list(3, 2))), transpose(p))",  # 2-D
        "block(define(p, zeros(3)), store(p, x), transpose(p))",  # re-bound to a parameter
        "transpose(5)",  # a Python int becomes a 0-d array
    ],
)
def test_transpose_is_kept_unless_provably_one_dimensional(body):
    program = parse_physl(f"define(f, x, {body})")
    assert "transpose" in print_physl(optimize(program))


# -- the table itself ----------------------------------------------------------------------


def test_rule_table_is_data_shown_in_markdown():
    table = rules_markdown()
    for rule in RULES:
        assert f"`{rule.pattern}`" in table and rule.reason in table
    assert RULES[0].describe().startswith("dot(dot(transpose(Y), diag(c)), Y) -> weighted_gram")


def test_rules_are_off_when_the_program_binds_one_of_their_names():
    text = "define(diag, v, v)\ndefine(f, a, v, dot(a, diag(v)))"
    assert "scale_columns" not in print_physl(optimize(parse_physl(text)))
    text = "define(f, a, scale_columns, dot(a, diag(scale_columns)))"
    assert print_physl(optimize(parse_physl(text))) == print_physl(parse_physl(text))


@pytest.mark.parametrize(
    "call",
    ["dot(a, diag(v, 1))", "dot(a, diag(v, k=0))", 'dot(a, identity(3, dtype="float32"))'],
)
def test_calls_with_extra_arguments_do_not_match(call):
    text = f"define(f, a, v, {call})"
    assert print_physl(optimize(parse_physl(text))) == print_physl(parse_physl(text))
