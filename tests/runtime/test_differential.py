"""Differential tests: generated programs run by JetLag give what plain Python with NumPy gives.

Hypothesis writes small programs as source text (tests/runtime/differential_programs.py):
elementwise expressions over every dtype with special values (0, -1, limits, nan, inf) on
both sides of the fused-kernel threshold, reductions on both sides of the chunking
threshold, while loops with accumulators (the compile-loops pass), products with diag(v)
and inv(A) (the algebra pass) and augmented assignments. Each runs as plain NumPy, as
`physl(f, optimize=False)` and as `physl(f)`, on copies of its arguments; the value, dtype,
scalar type, the arguments afterwards and the error must match (`check_program`), exactly
unless the generator names a `Tolerance` (transcendental functions, reordered sums and dot
products, an LU solve standing for inv(A) @ b). A failure prints the program, its arguments
as code and the three outcomes.

Bounded and reproducible: a fixed seed and a fixed number of programs per test (the whole
file takes about 35 s on two idle cores, 80 s on two busy ones). More programs per test:

    pytest tests/runtime/test_differential.py --differential-examples=500
    JETLAG_DIFFERENTIAL_EXAMPLES=500 pytest tests/runtime/test_differential.py

Shrinking is off (each step compiles new kernels); JETLAG_DIFFERENTIAL_SHRINK=1 turns it on
to get a smaller failing program.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from differential_programs import (
    LARGE_REDUCTION_SHAPES,
    LARGE_SHAPES,
    SMALL_REDUCTION_SHAPES,
    SMALL_SHAPES,
    Program,
    Tolerance,
    check_function,
    check_program,
    diagonal_programs,
    elementwise_programs,
    inplace_programs,
    inverse_programs,
    loop_programs,
    reduction_programs,
)
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from jetlag.runtime.errors import PhySLRuntimeError


def bounded(default: int) -> settings:
    """Fixed seed, `default` programs (or JETLAG_DIFFERENTIAL_EXAMPLES), no deadline."""
    count = int(os.environ.get("JETLAG_DIFFERENTIAL_EXAMPLES") or default)
    phases = [Phase.explicit, Phase.generate]
    if os.environ.get("JETLAG_DIFFERENTIAL_SHRINK"):
        phases.append(Phase.shrink)
    return settings(
        derandomize=True,
        database=None,
        max_examples=count,
        deadline=None,
        phases=phases,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )


@pytest.fixture(scope="module")
def program_dir(tmp_path_factory: pytest.TempPathFactory):
    """Where generated programs are written (the frontend reads their source from files)."""
    return tmp_path_factory.mktemp("differential")


@bounded(500)
@given(program=elementwise_programs(SMALL_SHAPES))
def test_elementwise_expressions_on_small_arrays_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(150)
@given(program=elementwise_programs(LARGE_SHAPES, arrays_only=True))
def test_elementwise_expressions_at_fused_kernel_sizes_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(200)
@given(program=reduction_programs(SMALL_REDUCTION_SHAPES))
def test_reductions_below_the_chunking_threshold_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(60)
@given(program=reduction_programs(LARGE_REDUCTION_SHAPES))
def test_reductions_above_the_chunking_threshold_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(100)
@given(program=loop_programs(writes=False))
def test_while_loop_accumulators_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(80)
@given(program=loop_programs(writes=True))
def test_while_loops_writing_their_array_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(60)
@given(
    program=st.one_of(
        loop_programs(writes=False, prints=True), loop_programs(writes=True, prints=True)
    )
)
def test_while_loops_that_print_equal_numpy_byte_for_byte(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(200)
@given(program=diagonal_programs())
def test_products_with_diag_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(100)
@given(program=inverse_programs())
def test_inverse_times_b_equals_numpy(program: Program, program_dir):
    check_program(program, program_dir)


@bounded(250)
@given(program=inplace_programs())
def test_augmented_assignments_equal_numpy(program: Program, program_dir):
    check_program(program, program_dir)


# The comparison itself: what it must tell apart (checked with plain Python functions, so a
# harness that accepts everything cannot pass).


def _returns(value):
    return lambda *_: value


def _fails_like(expected_message: str, fn, *args, tolerance=None) -> None:
    with pytest.raises(AssertionError) as failure:
        check_function(fn, *args, tolerance=tolerance)
    assert expected_message in str(failure.value)


def _add_one(a):
    return a + 1


def test_the_comparison_passes_a_program_jetlag_runs_like_numpy():
    check_function(_add_one, np.arange(4))


def test_the_comparison_tells_dtypes_scalar_types_values_and_arguments_apart(monkeypatch):
    import differential_programs as harness

    def fake(value, mutate=False):
        def run(*args):
            if mutate:
                args[0][0] = 99
            return value

        return run

    cases = [
        (fake(np.arange(4, dtype=np.int32) + 1), "dtype int32, NumPy gives int64"),
        (fake(np.arange(4) + 2), "4 of 4 element(s) differ"),
        (fake(list(range(1, 5))), "type list, NumPy gives np.ndarray"),
        (fake(np.arange(4) + 1, mutate=True), "argument 0 after the call"),
    ]
    for stand_in, message in cases:
        made = harness.Compiled(_add_one, stand_in, stand_in)
        monkeypatch.setitem(harness._compiled_by_key, _add_one, made)
        _fails_like(message, _add_one, np.arange(4))
    made = harness.Compiled(_add_one, fake(2), fake(2))
    monkeypatch.setitem(harness._compiled_by_key, _add_one, made)
    _fails_like("type int, NumPy gives np.int64", _add_one, np.int64(1))


def test_the_comparison_requires_a_physl_runtime_error_standing_for_numpys():
    import differential_programs as harness

    numpy_error = ValueError("Integers to negative integer powers are not allowed.")
    wrapped = PhySLRuntimeError("f.py:2:11: __pow failed", cause=numpy_error)
    chained = PhySLRuntimeError("f.py:2:11: __pow failed")
    chained.__cause__ = ZeroDivisionError("division by zero")
    assert harness.same_error(wrapped, numpy_error)
    assert not harness.same_error(numpy_error, numpy_error)  # must be JetLag's error type
    assert not harness.same_error(wrapped, TypeError("x"))
    assert harness.same_error(chained, ZeroDivisionError())
    raised = harness.Outcome("physl", error=wrapped)
    returned = harness.Outcome("physl", value=np.int64(0))
    expected = harness.Outcome("numpy", error=numpy_error)
    assert harness.outcome_mismatches(raised, expected, None) == []
    assert harness.outcome_mismatches(returned, expected, None) == [
        "NumPy raises ValueError, this returned a value"
    ]


def test_tolerance_is_only_what_the_program_names():
    import differential_programs as harness

    exact = harness.value_mismatch(np.float64(1.0 + 1e-15), np.float64(1.0), None)
    assert exact is not None
    loose = Tolerance("test", rtol64=1e-12)
    assert harness.value_mismatch(np.float64(1.0 + 1e-15), np.float64(1.0), loose) is None
    assert harness.value_mismatch(np.float64(np.inf), np.float64(np.nan), loose) is not None
    assert harness.value_mismatch(np.int64(3), np.int64(4), loose) is not None
