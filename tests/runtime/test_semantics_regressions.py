"""Regressions: programs where JetLag's optimized paths once differed from plain NumPy.

Each test runs one small function as plain NumPy, as `physl(f, optimize=False)` and as
`physl(f)` and requires the same value, dtype, scalar type, arguments afterwards and error
(`differential_programs.check_function`, the rule the differential tests use). Grouped by
the path that got it wrong: fused elementwise kernels (arrays of at least
FUSE_MIN_ELEMENTS), compiled while loops, the algebra rewrites, float32 sums and
augmented assignment.
"""

from __future__ import annotations

import numpy as np
from differential_programs import Tolerance, check_function, summation_tolerance

from jetlag.runtime.primitives.fused_map import FUSE_MIN_ELEMENTS

#: Large enough for the generated elementwise kernel.
FUSED = FUSE_MIN_ELEMENTS + 5


# --- fused elementwise kernels: dtype from NumPy's rules, not from element 0 or Numba's ---


def power_of_shifted(a, b):
    return (a + 1) ** b


def test_fused_int_power_with_a_negative_exponent_past_element_0_raises_like_numpy():
    a = np.ones(FUSED, dtype=np.int64)
    b = np.ones(FUSED, dtype=np.int64)
    b[5] = -1  # NumPy: "Integers to negative integer powers are not allowed."
    check_function(power_of_shifted, a, b)


def test_fused_int_power_with_a_negative_exponent_at_element_0_raises_like_numpy():
    a = np.ones(FUSED, dtype=np.int64)
    b = np.ones(FUSED, dtype=np.int64)
    b[0] = -1
    check_function(power_of_shifted, a, b)


def doubled_sum(a, b):
    return (a + b) * 2


def test_fused_bool_sum_is_logical_or_before_doubling():
    a = np.ones(FUSED, dtype=bool)
    b = np.ones(FUSED, dtype=bool)
    check_function(doubled_sum, a, b)  # True + True is True: 2, not 4


def test_fused_bool_sum_below_the_threshold_too():
    check_function(doubled_sum, np.ones(7, dtype=bool), np.ones(7, dtype=bool))


# --- compiled while loops: Python's and NumPy's scalar rules, not Numba's ---


def power_of_three(v, n):
    i = 0
    s = 1
    while i < n:
        s = s * 3
        i += 1
    return s


def test_loop_python_int_accumulator_grows_past_int64():
    check_function(power_of_three, np.zeros(3), 50)  # 3**50, a Python int


def factorial(v, n):
    i = 0
    s = 1
    while i < n:
        s = s * (i + 1)
        i = i + 1
    return s


def test_loop_python_int_factorial_grows_past_int64():
    check_function(factorial, np.zeros(3), 30)


def halves(v, n):
    i = 0
    s = 0
    while i < n:
        s = s + 2 ** (-i)
        i += 1
    return s


def test_loop_two_to_a_negative_int_power_is_a_python_float():
    check_function(halves, np.zeros(3), 5)  # 1 + 0.5 + 0.25 + ..., not 1.0


def bool_or(v, n):
    i = 0
    s = v[0]
    while i < n:
        s = s + v[i]
        i += 1
    return s


def test_loop_adding_bool_elements_is_logical_or():
    check_function(bool_or, np.array([True, True, False, True]), 4)


def bool_count(v, n):
    i = 0
    s = 0
    while i < n:
        s = s + v[i]
        i += 1
    return s


def test_loop_counting_bool_elements_gives_a_numpy_int():
    check_function(bool_count, np.array([True, True, False, True]), 4)


def tripled(v, n):
    i = 0
    s = v[0]
    while i < n:
        s = s * 3
        i += 1
    return s


def test_loop_int32_accumulator_wraps_like_numpy_int32():
    check_function(tripled, np.array([7], dtype=np.int32), 40)


def test_loop_int64_accumulator_wraps_like_numpy_int64():
    check_function(tripled, np.array([7], dtype=np.int64), 50)


def element_sum(v, n):
    i = 0
    s = v[0]
    while i < n:
        s = s + v[i]
        i = i + 1
    return s


def test_loop_float32_accumulator_stays_float32():
    check_function(element_sum, np.full(1000, 0.1, dtype=np.float32), 1000)


def test_loop_int64_accumulator_comes_back_as_numpy_int64():
    check_function(element_sum, np.arange(10, dtype=np.int64), 10)


def test_loop_float64_accumulator_comes_back_as_numpy_float64():
    check_function(element_sum, np.linspace(0.0, 1.0, 10), 10)


def reciprocal_sum(v, n):
    i = 0
    s = 0
    while i < n:
        s = s + v[i] ** (-1)
        i += 1
    return s


def test_loop_int_element_to_a_negative_power_raises_like_numpy():
    check_function(reciprocal_sum, np.array([1, 2, 4], dtype=np.int64), 3)


def powers(v, n):
    i = 0
    w = v
    while i < n:
        w = v ** (i - 1)
        i += 1
    return w


def test_loop_int_array_to_a_negative_power_raises_like_numpy():
    check_function(powers, np.array([1, 2, 4], dtype=np.int64), 3)


def quotient(v, n):
    i = 0
    s = v[0]
    while i < n:
        s = s / v[i]
        i += 1
    return s


def test_loop_numpy_float_divided_by_zero_is_inf():
    check_function(quotient, np.array([1.0, 2.0, 0.0, 4.0]), 4)


def python_quotient(v, n):
    i = 0
    s = 1.0
    while i < n:
        s = s / (i - 2)
        i += 1
    return s


def test_loop_python_float_divided_by_zero_raises_zero_division():
    check_function(python_quotient, np.zeros(1), 4)


def floor_quotient(v, n):
    i = 0
    s = v[0]
    while i < n:
        s = s // v[i]
        i += 1
    return s


def test_loop_numpy_int_floor_divided_by_zero_is_zero():
    check_function(floor_quotient, np.array([9, 2, 0, 4], dtype=np.int64), 4)


def doubled_in_place(v, n):
    i = 0
    s = 0.0
    while i < n:
        v[i] = v[i] * 2
        s = s + v[i]
        i += 1
    return s, v


def test_loop_writing_its_array_in_place_returns_the_numpy_scalar_and_array():
    check_function(doubled_in_place, np.array([1.5, 2.0, -3.0]), 3)


# --- algebra rewrites: nan/inf where the weight is zero ---


def scale_columns(A, v):
    return np.dot(A, np.diag(v))


def scale_rows(A, v):
    return np.dot(np.diag(v), A)


def weighted_gram(Y, c):
    return np.dot(np.dot(np.transpose(Y), np.diag(c)), Y)


def weighted_gram_in_statements(Y, c):
    C = np.diag(c)
    YtC = np.dot(np.transpose(Y), C)
    return np.dot(YtC, Y)


def test_dot_with_diag_on_the_right_keeps_inf_times_zero_weight():
    A = np.arange(12.0).reshape(4, 3)
    A[1, 2] = np.inf  # column 2 has weight 0: NumPy's dense product gives nan in row 1
    check_function(scale_columns, A, np.array([1.0, 2.0, 0.0]))


def test_dot_with_diag_on_the_left_keeps_nan_times_zero_weight():
    A = np.arange(12.0).reshape(4, 3)
    A[2, 0] = np.nan  # row 2 has weight 0
    check_function(scale_rows, A, np.array([1.0, 2.0, 0.0, 3.0]))


#: Mostly zero weights: the rewrite then reads only the rows where the weight is not zero.
SPARSE_WEIGHTS = np.array([1.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0])
DENSE_WEIGHTS = np.array([1.0, 0.0, 2.0, 0.0, 1.0, 3.0, 0.5, 1.0])


def test_weighted_gram_with_sparse_weights_keeps_inf_in_a_zero_weight_row():
    Y = np.arange(24.0).reshape(8, 3) / 4
    Y[3, 1] = np.inf
    check_function(weighted_gram, Y, SPARSE_WEIGHTS)


def test_weighted_gram_with_dense_weights_keeps_inf_in_a_zero_weight_row():
    Y = np.arange(24.0).reshape(8, 3) / 4
    Y[3, 1] = np.inf
    check_function(weighted_gram, Y, DENSE_WEIGHTS)


def test_weighted_gram_across_statements_keeps_nan_in_a_zero_weight_row():
    Y = np.arange(24.0).reshape(8, 3) / 4
    Y[1, 0] = np.nan
    check_function(weighted_gram_in_statements, Y, SPARSE_WEIGHTS)


# --- float32 sums: float32 results, rounded like a pairwise sum (not one term at a time) ---


def total(x):
    return np.sum(x)


def column_totals(x):
    return np.sum(x, axis=0)


def total_of_squares(x):
    return np.sum(x * x)


def mean_value(x):
    return np.mean(x)


def reordered(x: np.ndarray) -> Tolerance:
    """The tolerance of a sum of x's terms in another order (chunks on several workers)."""
    return summation_tolerance(float(np.sum(np.abs(x), dtype=np.float64)))


#: Split into chunks (at least twice parallel.MIN_CHUNK_ELEMENTS) and far from exact in float32.
TENTHS = np.full(1_000_003, 0.1, dtype=np.float32)
NOISE = np.random.default_rng(7).standard_normal((2000, 700)).astype(np.float32)


def test_small_float32_sum_equals_numpy_exactly():
    check_function(total, np.full(7, 0.1, dtype=np.float32))


def test_float32_sum_over_chunks_equals_numpy_to_float32_rounding():
    check_function(total, TENTHS, tolerance=reordered(TENTHS))


def test_float32_mean_over_chunks_equals_numpy_to_float32_rounding():
    check_function(mean_value, TENTHS, tolerance=reordered(TENTHS / TENTHS.size))


def test_float32_sum_of_a_fused_expression_equals_numpy_to_float32_rounding():
    check_function(total_of_squares, TENTHS, tolerance=reordered(TENTHS * TENTHS))


def test_float32_column_sums_over_chunks_equal_numpy_to_float32_rounding():
    check_function(column_totals, NOISE, tolerance=reordered(NOISE))


# --- augmented assignment changes arrays in place, never scalars ---


def add_in_place(a, v):
    b = a
    a += v
    return b


def scale_slice_in_place(a):
    a[1:3] *= 2
    return a


def scale_slice_of_alias(a):
    b = a
    a[1:3] *= 2
    return b


def test_plus_equals_changes_the_argument_array_and_its_alias():
    check_function(add_in_place, np.arange(4.0), np.ones(4))


def test_plus_equals_on_a_scalar_leaves_the_alias_alone():
    check_function(add_in_place, np.float64(2.0), 1.0)
    check_function(add_in_place, 2, 1)


def test_plus_equals_that_cannot_cast_raises_like_numpy():
    check_function(add_in_place, np.arange(4), np.full(4, 0.5))


def test_times_equals_on_a_slice_changes_the_argument():
    check_function(scale_slice_in_place, np.arange(5.0))


def test_times_equals_on_a_slice_is_seen_through_an_alias():
    check_function(scale_slice_of_alias, np.arange(5))


# --- found by the differential tests (tests/runtime/test_differential.py) ---


def negated_root_of_zero(a):
    return -np.sqrt(0)


def test_an_elementwise_tree_of_literals_only_runs_like_numpy():
    check_function(negated_root_of_zero, np.zeros(3))


def absolute_of_a_literal(a):
    return np.abs(1)


def larger_of_literals(a):
    return np.maximum(True, 0.5)


def test_a_ufunc_of_python_scalars_gives_a_numpy_scalar():
    check_function(absolute_of_a_literal, np.zeros(3))  # np.int64(1), not 1
    check_function(larger_of_literals, np.zeros(3))  # np.float64(1.0), not True


def shifted_by_a_ufunc_result(a):
    u = np.minimum(2, 0)
    return a + u


def test_a_ufunc_result_promotes_like_a_numpy_scalar_not_a_python_int():
    check_function(shifted_by_a_ufunc_result, np.arange(4, dtype=np.uint8))  # int64 result


def floor_by_a_ufunc_zero(s):
    return (-s) // np.minimum(s, 0)


def test_floor_division_by_a_ufunc_zero_is_numpy_zero_not_zero_division():
    check_function(floor_by_a_ufunc_zero, True)  # -1 // np.int64(0) is np.int64(0)


def test_int64_mean_over_chunks_is_float64():
    check_function(mean_value, np.arange(2 * 65536 + 7, dtype=np.int64))
