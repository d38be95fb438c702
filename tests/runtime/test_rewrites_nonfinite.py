"""The algebraic rewrites skip only work whose result NumPy's dense form would not change.

Each rewritten primitive never multiplies by the zeros of the dense diag/identity/inverse
matrices; where those zeros would meet an inf or a nan (0 * inf = nan in NumPy's product),
it must give NumPy's answer anyway. Checked three ways (plain NumPy, physl(optimize=False),
physl) with the specials in used and skipped rows, in the weights, on both sides of
SPARSE_FRACTION, and for the compiled loops' support functions with their `*_finite` flag.
nan and inf must sit exactly where NumPy puts them (inf with its sign); finite values agree
to 1e-12 of the largest finite value. The sign of a zero is not compared: the dense sums
add +0.0 terms and turn -0.0 into +0.0, the rewrites do not, and -0.0 == +0.0
(test_the_sign_of_a_zero_may_differ_from_numpy_and_is_not_compared).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from numba.core.errors import TypingError

from jetlag import physl
from jetlag.runtime.codegen import support
from jetlag.runtime.codegen.support_loops import Deviation
from jetlag.runtime.errors import PhySLRuntimeError
from jetlag.runtime.primitives import REGISTRY
from jetlag.runtime.primitives import rewritten as rewritten_module
from jetlag.runtime.primitives.rewritten import SPARSE_FRACTION

SPECIALS = (np.nan, np.inf, -np.inf)


# -- the programs, as a user writes them ---------------------------------------------------


def columns(a, v):
    return np.dot(a, np.diag(v))


def rows(a, v):
    return np.dot(np.diag(v), a)


def gram(y, c):
    return np.dot(np.dot(np.transpose(y), np.diag(c)), y)


def shifted(t, c, v):
    n = np.shape(c)[0]
    return np.dot(np.dot(t, np.diag(c) + np.identity(n)), v)


def als_b_vector(y, conf_u):
    # Listing 2's b: dot(dot(transpose(Y), c_u + I_i), transpose(p_u)).
    num_items = np.shape(y)[0]
    c_u = np.diag(conf_u)
    i_i = np.identity(num_items)
    p_u = conf_u != 0
    return np.dot(np.dot(np.transpose(y), c_u + i_i), np.transpose(p_u))


def inverse_dot(a, b):
    return np.dot(np.linalg.inv(a), b)


REWRITTEN_INTO = {
    columns: "scale_columns",
    rows: "scale_rows",
    gram: "weighted_gram",
    shifted: "shifted_weighted_product",
    als_b_vector: "shifted_weighted_product",
    inverse_dot: "inverse_dot",
}

_made: dict = {}


def both(fn):
    """(physl(fn, optimize=False), physl(fn)), made once per function."""
    if fn not in _made:
        _made[fn] = (physl(fn, optimize=False), physl(fn))
    return _made[fn]


# -- comparing with NumPy ------------------------------------------------------------------


def assert_like_numpy(got, expected, where=""):
    """nan and ±inf exactly where NumPy has them; finite values to 1e-12 of the largest."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, where
    assert got.dtype == expected.dtype, where
    pairs = (
        [(got.real, expected.real), (got.imag, expected.imag)]
        if got.dtype.kind == "c"
        else [(got, expected)]
    )
    for g, e in pairs:
        np.testing.assert_array_equal(np.isnan(g), np.isnan(e), err_msg=f"nan {where}")
        np.testing.assert_array_equal(np.isposinf(g), np.isposinf(e), err_msg=f"+inf {where}")
        np.testing.assert_array_equal(np.isneginf(g), np.isneginf(e), err_msg=f"-inf {where}")
        finite = np.isfinite(e)
        scale = max(1.0, float(np.abs(e[finite]).max())) if finite.any() else 1.0
        np.testing.assert_allclose(g[finite], e[finite], rtol=1e-12, atol=1e-12 * scale)


def run_three_ways(fn, *args):
    """NumPy's result, then physl(optimize=False)'s and physl's, each on copies."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # inf * 0 in NumPy's own product
        expected = fn(*(np.copy(a) for a in args))
        unoptimized, optimized = both(fn)
        assert REWRITTEN_INTO[fn] in optimized.physl_optimized
        plain = unoptimized(*(np.copy(a) for a in args))
        fast = optimized(*(np.copy(a) for a in args))
    return expected, plain, fast


def check_three_ways(fn, *args):
    expected, plain, fast = run_three_ways(fn, *args)
    assert_like_numpy(plain, expected, "physl(optimize=False)")
    assert_like_numpy(fast, expected, "physl (optimized)")
    return expected, fast


def with_specials(array, places, values):
    out = np.array(array, dtype=float)
    for place, value in zip(places, values, strict=False):
        out[place] = value
    return out


def weights(rng, n, fraction):
    """A weight vector with about `fraction` of its entries non-zero (at least one)."""
    w = rng.integers(1, 6, n) * 40.0
    w[rng.random(n) >= fraction] = 0.0
    w[rng.integers(n)] = 40.0
    return w


def record_calls(monkeypatch) -> list[str]:
    """The names rewritten.py evaluates through the registry (its dense fallbacks) from now."""
    calls: list[str] = []
    real_call = rewritten_module._call

    def recording(name, *args):
        calls.append(name)
        return real_call(name, *args)

    monkeypatch.setattr(rewritten_module, "_call", recording)
    return calls


SPARSE, DENSE = SPARSE_FRACTION / 3, (1 + SPARSE_FRACTION) / 2  # both sides of the cut


# -- dot(A, diag(v)) and dot(diag(v), A) ---------------------------------------------------


@pytest.mark.parametrize("value", SPECIALS)
def test_a_non_finite_entry_of_a_makes_numpys_row_nan_and_the_rewrite_does_too(value):
    a = np.arange(12.0).reshape(3, 4) + 1
    v = np.array([2.0, 0.0, -1.0, 3.0])
    a[1, 2] = value
    expected, fast = check_three_ways(columns, a, v)
    assert np.isnan(expected[1, [0, 1, 3]]).all()  # NumPy's dense product: a[1, 2] * 0.0
    expected, fast = check_three_ways(rows, a.T.copy(), v)
    assert np.isnan(expected[[0, 1, 3], 1]).all()


def test_two_non_finite_entries_in_one_row_make_all_of_it_nan():
    a = np.ones((2, 3))
    a[0, 0], a[0, 2] = np.inf, -np.inf
    expected, _ = check_three_ways(columns, a, np.array([1.0, 2.0, 3.0]))
    assert np.isnan(expected[0]).all() and np.isfinite(expected[1]).all()


def test_non_finite_scales_need_no_dense_product(monkeypatch):
    # v[j] meets only column j in the dense product, exactly as in a * v.
    a = np.array([[1.0, 0.0, 2.0], [0.0, 3.0, -1.0]])
    v = np.array([np.inf, np.nan, -np.inf])
    calls = record_calls(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected_columns, expected_rows = np.dot(a, np.diag(v)), np.dot(np.diag(v), a.T)
        assert_like_numpy(REGISTRY["scale_columns"].impl(a, v), expected_columns)
        assert_like_numpy(REGISTRY["scale_rows"].impl(a.T, v), expected_rows)
    assert "diag" not in calls and "dot" not in calls
    # A non-finite a does take the dense product.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        REGISTRY["scale_columns"].impl(np.array([[np.inf, 1.0]]), np.ones(2))
    assert "diag" in calls


def test_one_dimensional_and_integer_operands():
    v = np.array([1.0, 0.0, 2.0])
    check_three_ways(columns, np.array([np.inf, 1.0, 2.0]), v)
    check_three_ways(rows, np.array([1.0, np.nan, 2.0]), v)
    check_three_ways(columns, np.array([[1, 2, 3]]), np.array([np.inf, 0.0, 1.0]))


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    specials_in_a=st.integers(0, 3),
    specials_in_v=st.integers(0, 2),
    zeros_in_v=st.floats(0.0, 1.0),
)
def test_scalings_put_specials_where_numpy_does(
    seed, shape, specials_in_a, specials_in_v, zeros_in_v
):
    rng = np.random.default_rng(seed)
    m, n = shape
    a = rng.standard_normal((m, n))
    v = rng.standard_normal(n)
    v[rng.random(n) < zeros_in_v] = 0.0
    for _ in range(specials_in_a):
        a[rng.integers(m), rng.integers(n)] = SPECIALS[rng.integers(3)]
    for _ in range(specials_in_v):
        v[rng.integers(n)] = SPECIALS[rng.integers(3)]
    check_three_ways(columns, a, v)
    check_three_ways(rows, a.T.copy(), v)


# -- Yᵀ·diag(c)·Y ---------------------------------------------------------------------------


@pytest.mark.parametrize("fraction", [SPARSE, DENSE])
@pytest.mark.parametrize("used", [False, True])
@pytest.mark.parametrize("value", SPECIALS)
def test_weighted_gram_with_a_special_in_a_used_or_skipped_row(fraction, used, value):
    rng = np.random.default_rng(11)
    y = rng.standard_normal((40, 4))
    c = weights(rng, 40, fraction)
    row = np.flatnonzero(c != 0 if used else c == 0)[0]
    y[row, 2] = value
    expected, _ = check_three_ways(gram, y, c)
    assert np.isnan(expected[2]).all()  # row 2 of the answer, used row or skipped


@pytest.mark.parametrize("fraction", [SPARSE, DENSE])
def test_weighted_gram_with_non_finite_weights_keeps_its_fast_path(fraction, monkeypatch):
    rng = np.random.default_rng(12)
    y = rng.standard_normal((30, 3))
    c = weights(rng, 30, fraction)
    used = np.flatnonzero(c)
    c[used[0]], c[used[-1]] = np.inf, np.nan
    check_three_ways(gram, y, c)
    calls = record_calls(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        assert_like_numpy(REGISTRY["weighted_gram"].impl(y, c), dense_gram(y, c))
    assert "diag" not in calls


@settings(derandomize=True, max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    count=st.integers(1, 30),
    features=st.integers(1, 5),
    fraction=st.sampled_from([SPARSE, DENSE, 1.0]),
    specials_in_y=st.integers(0, 2),
    specials_in_c=st.integers(0, 2),
)
def test_weighted_gram_puts_specials_where_numpy_does(
    seed, count, features, fraction, specials_in_y, specials_in_c
):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((count, features))
    c = weights(rng, count, fraction)
    for _ in range(specials_in_y):
        y[rng.integers(count), rng.integers(features)] = SPECIALS[rng.integers(3)]
    for _ in range(specials_in_c):
        c[rng.integers(count)] = SPECIALS[rng.integers(3)]
    check_three_ways(gram, y, c)


@pytest.mark.parametrize("value", SPECIALS)
def test_large_operands_are_scanned_too(value):
    # Past _SMALL_SCAN elements the scan is a Numba loop over the memory (Y and Yᵀ).
    rng = np.random.default_rng(18)
    y = rng.standard_normal((3000, 2))
    c = weights(rng, 3000, SPARSE)
    y[np.flatnonzero(c == 0)[-1], 1] = value
    check_three_ways(gram, y, c)
    check_three_ways(shifted, y.T, rng.standard_normal(3000), c)  # a Fortran-ordered t
    check_three_ways(columns, y.T, rng.standard_normal(3000))


@settings(derandomize=True, max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    layout=st.sampled_from(["C", "F", "strided rows", "strided columns"]),
    dtype=st.sampled_from([np.float64, np.float32, np.complex128]),
    special=st.sampled_from([None, *SPECIALS]),
)
def test_the_interpreted_scan_is_numpys_isfinite_all(seed, layout, dtype, special):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((1500, 6)).astype(dtype)
    if special is not None:
        base[rng.integers(1500), rng.integers(6)] = special
    array = {"C": base, "F": base.T, "strided rows": base[::2], "strided columns": base[:, ::2]}
    chosen = array[layout]
    assert rewritten_module._all_finite(chosen) == bool(np.isfinite(chosen).all())


# -- T·(diag(c) + I)·v: the ALS b vector -----------------------------------------------------


@pytest.mark.parametrize("fraction", [SPARSE, DENSE])
@pytest.mark.parametrize("used", [False, True])
def test_als_b_vector_with_a_special_in_y(fraction, used):
    rng = np.random.default_rng(13)
    y = rng.standard_normal((40, 4))
    conf = weights(rng, 40, fraction)
    row = np.flatnonzero(conf != 0 if used else conf == 0)[0]
    y[row, 1] = np.inf
    expected, _ = check_three_ways(als_b_vector, y, conf)
    assert np.isnan(expected[1])


@pytest.mark.parametrize("fraction", [SPARSE, DENSE])
@pytest.mark.parametrize("used", [False, True])
@pytest.mark.parametrize("value", SPECIALS)
def test_shifted_product_with_a_special_weight_in_a_used_or_skipped_row(fraction, used, value):
    rng = np.random.default_rng(14)
    t = rng.standard_normal((3, 30))
    v = weights(rng, 30, fraction)
    c = rng.standard_normal(30)
    c[np.flatnonzero(v != 0 if used else v == 0)[0]] = value
    expected, _ = check_three_ways(shifted, t, c, v)
    if not used:
        assert np.isnan(expected).all()  # (t * inf) * 0: every row meets it


@settings(derandomize=True, max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 30),
    out_rows=st.integers(1, 4),
    right_columns=st.sampled_from([0, 1, 3]),  # 0: a 1-D v
    fraction=st.sampled_from([SPARSE, DENSE, 1.0]),
    specials=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 1)),
)
def test_shifted_product_puts_specials_where_numpy_does(
    seed, n, out_rows, right_columns, fraction, specials
):
    rng = np.random.default_rng(seed)
    t = rng.standard_normal((out_rows, n))
    c = rng.standard_normal(n)
    v = weights(rng, n, fraction)
    if right_columns:
        v = v[:, None] * rng.standard_normal((n, right_columns))
    in_t, in_c, in_v = specials
    for _ in range(in_t):
        t[rng.integers(out_rows), rng.integers(n)] = SPECIALS[rng.integers(3)]
    for _ in range(in_c):
        c[rng.integers(n)] = SPECIALS[rng.integers(3)]
    for _ in range(in_v):
        v[rng.integers(n)] = SPECIALS[rng.integers(3)]
    check_three_ways(shifted, t, c, v)


# -- inverse(A)·b ----------------------------------------------------------------------------


def well_conditioned(rng, n):
    return rng.standard_normal((n, n)) + n * np.eye(n)


@pytest.mark.parametrize("place", [(0, 0), (2, 3), (4, 4)])
@pytest.mark.parametrize("value", SPECIALS)
def test_inverse_dot_with_a_special_in_a(place, value):
    rng = np.random.default_rng(15)
    a = well_conditioned(rng, 5)
    a[place] = value
    for b in (rng.standard_normal(5), np.eye(5)[0], rng.standard_normal((5, 2))):
        check_three_ways(inverse_dot, a, b)


@pytest.mark.parametrize("value", SPECIALS)
def test_inverse_dot_with_a_special_in_b(value):
    # inf in b: the solve gives nan everywhere, NumPy's product ±inf.
    rng = np.random.default_rng(16)
    a, b = well_conditioned(rng, 5), rng.standard_normal(5)
    b[2] = value
    check_three_ways(inverse_dot, a, b)


@pytest.mark.parametrize(
    "a",
    [
        np.array([[1.0, 1e200, 0.0], [0.0, 1.0, 1e200], [0.0, 0.0, 1.0]]),  # inverse has 1e400
        np.diag([1e-309, 1.0, 1.0]),  # a subnormal pivot: its reciprocal overflows
    ],
)
def test_inverse_dot_where_the_inverse_of_a_finite_matrix_overflows(a):
    b = np.array([1.0, 0.0, 0.0]) if a[0, 0] == 1.0 else np.array([0.0, 1.0, 0.0])
    expected, fast = check_three_ways(inverse_dot, a, b)
    assert np.isnan(expected[0]) and not np.isnan(np.linalg.solve(a, b)).any()
    with pytest.raises(Deviation):  # the compiled solve declines: the interpreter answers
        support.support_inverse_dot(a, b)


def test_inverse_dot_of_a_singular_matrix_raises_inverses_error_from_both_paths():
    a, b = np.array([[1.0, 2.0], [2.0, 4.0]]), np.ones(2)
    errors = []
    for made in both(inverse_dot):
        with pytest.raises(PhySLRuntimeError) as caught:
            made(a.copy(), b.copy())
        errors.append(caught.value)
    assert type(errors[0]) is type(errors[1])
    plain, rewritten = (e.message.split(" failed: ", 1)[1] for e in errors)
    assert rewritten == "dot(inverse(a), b): " + plain
    assert plain.startswith("matrix is singular")
    with pytest.raises(np.linalg.LinAlgError):
        inverse_dot(a, b)


@settings(derandomize=True, max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 6),
    columns_of_b=st.sampled_from([0, 1, 2]),
    specials=st.tuples(st.integers(0, 2), st.integers(0, 1)),
)
def test_inverse_dot_puts_specials_where_numpy_does(seed, n, columns_of_b, specials):
    rng = np.random.default_rng(seed)
    a = well_conditioned(rng, n)
    b = rng.standard_normal((n, columns_of_b) if columns_of_b else n)
    in_a, in_b = specials
    for _ in range(in_a):
        a[rng.integers(n), rng.integers(n)] = SPECIALS[rng.integers(3)]
    for _ in range(in_b):
        b[rng.integers(n)] = SPECIALS[rng.integers(3)]
    expected, plain, fast = run_three_ways(inverse_dot, a, b)
    assert_like_numpy(plain, expected, "physl(optimize=False)")
    assert_like_numpy(fast, expected, "physl (optimized)")
    answered = like_numpy_or_deviation(
        lambda: support.support_inverse_dot(a, b), expected, "support_inverse_dot"
    )
    assert answered or not (np.isfinite(a).all() and np.isfinite(b).all())


# -- signed zeros ----------------------------------------------------------------------------


def test_the_sign_of_a_zero_may_differ_from_numpy_and_is_not_compared():
    # Decision: JetLag matches NumPy's values, not the sign of a zero. The dense product
    # adds +0.0 terms (-1 * 0.0 + 2 * 0.0 = +0.0) where the rewrite gives -1 * 0.0 = -0.0;
    # -0.0 == +0.0, and NumPy's own sign of a zero depends on its BLAS's summation.
    a, v = np.array([[-1.0, 2.0]]), np.array([0.0, 1.0])
    expected, fast = check_three_ways(columns, a, v)
    np.testing.assert_array_equal(fast, expected)  # equal as numbers
    assert np.signbit(fast[0, 0])  # the rewrite kept its fast path: -1 * 0.0
    assert fast[0, 0] == expected[0, 0] == 0.0


# -- the compiled loops' support functions ---------------------------------------------------


@njit
def compiled_gram(y, c, y_finite):
    return support.support_weighted_gram(y, c, y_finite)


@njit
def compiled_gram_default(y, c):
    return support.support_weighted_gram(y, c)


@njit
def compiled_shifted(t, c, n, v, t_finite):
    return support.support_shifted_weighted_product(t, c, n, v, t_finite)


@njit
def compiled_hoisted_gram(y, cs):
    # What a generated loop does: one scan of the loop-invariant y, the flag passed on.
    finite = support.support_all_finite(y)
    out = np.empty((cs.shape[0], y.shape[1], y.shape[1]))
    for i in range(cs.shape[0]):
        out[i] = support.support_weighted_gram(y, cs[i], finite)
    return out


def like_numpy_or_deviation(call, expected, label):
    """The compiled routine's answer equals NumPy's, or it declines with Deviation (inf or
    nan where it would skip work): the loop then runs interpreted, which gives NumPy's."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            got = call()
        except Deviation:
            return False
    assert_like_numpy(got, expected, label)
    return True


def dense_gram(y, c):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.dot(np.dot(y.T, np.diag(c)), y)


def dense_shifted(t, c, n, v):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.dot(np.dot(t, np.diag(c) + np.identity(n)), v)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    count=st.integers(1, 40),
    features=st.integers(1, 5),
    fraction=st.sampled_from([SPARSE, DENSE, 1.0]),
    specials=st.tuples(st.integers(0, 2), st.integers(0, 2)),
)
def test_support_weighted_gram_equals_numpys_dense_product(
    seed, count, features, fraction, specials
):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((count, features))
    c = weights(rng, count, fraction)
    for _ in range(specials[0]):
        y[rng.integers(count), rng.integers(features)] = SPECIALS[rng.integers(3)]
    for _ in range(specials[1]):
        c[rng.integers(count)] = SPECIALS[rng.integers(3)]
    expected = dense_gram(y, c)
    finite = bool(np.isfinite(y).all())
    answered = [
        like_numpy_or_deviation(lambda: compiled_gram(y, c, False), expected, "y_finite=False"),
        like_numpy_or_deviation(lambda: compiled_gram_default(y, c), expected, "default"),
        like_numpy_or_deviation(
            lambda: compiled_gram(np.asfortranarray(y), c, False), expected, "F layout"
        ),
        like_numpy_or_deviation(
            lambda: compiled_hoisted_gram(y, c[None, :])[0], expected, "hoisted"
        ),
    ]
    assert answered == [finite] * 4  # declines exactly when y holds inf or nan
    if finite:
        assert_like_numpy(compiled_gram(y, c, True), expected, "y_finite=True")


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(1, 40),
    out_rows=st.integers(1, 5),
    fraction=st.sampled_from([SPARSE, DENSE, 1.0]),
    boolean_v=st.booleans(),
    specials=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 1)),
)
def test_support_shifted_weighted_product_equals_numpys_dense_product(
    seed, n, out_rows, fraction, boolean_v, specials
):
    rng = np.random.default_rng(seed)
    y = rng.standard_normal((n, out_rows))
    t = y.T  # as in ALS: a transposed view
    c = rng.standard_normal(n)
    v = weights(rng, n, fraction)
    if boolean_v:
        v = v != 0
    in_t, in_c, in_v = specials
    for _ in range(in_t):
        y[rng.integers(n), rng.integers(out_rows)] = SPECIALS[rng.integers(3)]
    for _ in range(in_c):
        c[rng.integers(n)] = SPECIALS[rng.integers(3)]
    if not boolean_v:
        for _ in range(in_v):
            v[rng.integers(n)] = SPECIALS[rng.integers(3)]
    expected = dense_shifted(t, c, n, v)
    skipped = np.asarray(v) == 0
    exact = bool(
        np.isfinite(t).all()
        and np.isfinite(np.asarray(v, float)).all()
        and np.isfinite(c[skipped]).all()
    )
    answered = [
        like_numpy_or_deviation(
            lambda: compiled_shifted(t, c, n, v, False), expected, "t_finite=False"
        ),
        like_numpy_or_deviation(
            lambda: compiled_shifted(t.copy(), c, n, v, False), expected, "C layout"
        ),
    ]
    assert answered == [exact] * 2  # declines exactly where skipping is not NumPy's answer
    if np.isfinite(t).all():
        like_numpy_or_deviation(
            lambda: compiled_shifted(t, c, n, v, True), expected, "t_finite=True"
        )


@settings(derandomize=True, max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 5)),
    one_dimensional=st.booleans(),
    specials=st.tuples(st.integers(0, 3), st.integers(0, 2)),
)
def test_support_scalings_equal_numpys_dense_product(seed, shape, one_dimensional, specials):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape[1] if one_dimensional else shape)
    v = rng.standard_normal(shape[1])
    v[rng.random(shape[1]) < 0.4] = 0.0
    for _ in range(specials[0]):
        a[tuple(rng.integers(n) for n in a.shape)] = SPECIALS[rng.integers(3)]
    for _ in range(specials[1]):
        v[rng.integers(shape[1])] = SPECIALS[rng.integers(3)]
    finite = bool(np.isfinite(a).all())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        columns_expected = np.dot(a, np.diag(v))
        right = a if one_dimensional else a.T.copy()
        rows_expected = np.dot(np.diag(v), right)
    assert (
        like_numpy_or_deviation(
            lambda: support.support_scale_columns(a, v), columns_expected, "scale_columns"
        )
        == finite
    )
    assert (
        like_numpy_or_deviation(
            lambda: support.support_scale_rows(right, v), rows_expected, "scale_rows"
        )
        == finite
    )


def test_support_scalings_keep_integer_dtypes_and_leave_complex_ones_to_the_interpreter():
    a, v = np.array([[1, -2], [3, 4]]), np.array([2, 0])
    np.testing.assert_array_equal(support.support_scale_columns(a, v), np.dot(a, np.diag(v)))
    np.testing.assert_array_equal(support.support_scale_rows(a, v), np.dot(np.diag(v), a))
    # NumPy's complex BLAS gives nan + nan j across the whole row here (alpha scaling
    # mixes the parts of inf + nan j); the support functions refuse to compile instead.
    z = np.array([[complex(np.inf, 0.0), 1.0 + 1.0j, 2.0 + 0.0j]])
    w = np.array([1.0 + 0.0j, 0.0 + 0.0j, 1.0 + 0.0j])
    with pytest.raises(TypingError, match="complex operands are left to the interpreter"):
        support.support_scale_columns(z, w)
    with pytest.raises(TypingError, match="complex operands are left to the interpreter"):
        support.support_scale_rows(z.T.copy(), w.real)
    check_three_ways(columns, z, w)  # the interpreted rewrite falls back to NumPy's product


@settings(derandomize=True, max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    layout=st.sampled_from(["C", "F", "strided rows", "strided columns", "1-D", "3-D"]),
    dtype=st.sampled_from([np.float64, np.float32, np.complex128]),
    special=st.sampled_from([None, *SPECIALS]),
)
def test_support_all_finite_is_numpys_isfinite_all(seed, layout, dtype, special):
    rng = np.random.default_rng(seed)
    base = rng.standard_normal((9, 8)).astype(dtype)
    if special is not None:
        base[rng.integers(9), rng.integers(8)] = special
    array = {
        "C": base,
        "F": base.T,
        "strided rows": base[::2],
        "strided columns": base[:, 1::3],
        "1-D": base.ravel()[::3],
        "3-D": base.reshape(3, 3, 8)[:, ::2],
    }[layout]
    assert support.support_all_finite(array) == bool(np.isfinite(array).all())


def test_support_all_finite_on_integers_and_booleans():
    assert support.support_all_finite(np.arange(6).reshape(2, 3))
    assert support.support_all_finite(np.array([True, False]))


# -- through a compiled loop -----------------------------------------------------------------


def gram_rows(y, conf):
    # ALS's A for each user, in a loop the compile-loops pass compiles.
    users = np.shape(conf)[0]
    features = np.shape(y)[1]
    total = np.zeros((features, features))
    u = 0
    while u < users:
        conf_u = conf[u, :]
        total = total + np.dot(np.dot(np.transpose(y), np.diag(conf_u)), y)
        u = u + 1
    return total


def test_a_compiled_loop_of_weighted_grams_gives_numpys_nan():
    rng = np.random.default_rng(17)
    y = rng.standard_normal((30, 3))
    conf = np.stack([weights(rng, 30, SPARSE) for _ in range(4)])
    skipped = np.flatnonzero((conf == 0).all(axis=0))[0]  # a row no user weights
    y[skipped, 1] = np.inf
    optimized = physl(gram_rows)
    assert "compiled_loop" in optimized.physl_optimized
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = gram_rows(y.copy(), conf.copy())
        got = optimized(y.copy(), conf.copy())
    assert np.isnan(expected[1]).all()
    assert_like_numpy(got, expected, "compiled loop")
