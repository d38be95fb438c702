"""A primitive's own argument errors are caught as the type NumPy (or Python) raises for the
same call: each @physl function below fails in JetLag with the primitive's message, as a
PhySLRuntimeError that is also what its plain Python with NumPy raises."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from jetlag import physl
from jetlag.runtime.errors import PhySLRuntimeError, PrimitiveArgumentError
from jetlag.runtime.primitives.arguments import DTYPE_NAMES, argument_error, argument_errors

AxisError = np.exceptions.AxisError
LinAlgError = np.linalg.LinAlgError


# -- IndexError --------------------------------------------------------------------------------


@physl
def pick(a, i):
    return a[i]


@physl
def pick_two(a, i, j):
    return a[i, j]


@physl
def pick_from_tuple(i):
    t = (1, 2, 3)
    return t[i]


@physl
def write(a, i):
    a[i] = 1.0
    return a


@physl
def pick_span(a, lo):
    return a[lo:2]


@physl
def every(a, step):
    return a[::step]


@physl
def pick_two_from_tuple(i, j):
    t = (1, 2, 3)
    return t[i, j]


@physl
def contract(a, b, axes):
    return np.tensordot(a, b, axes)


# -- numpy.exceptions.AxisError --------------------------------------------------------------


@physl
def total(a, axis):
    return np.sum(a, axis=axis)


@physl
def running_total(a, axis):
    return np.cumsum(a, axis=axis)


# -- TypeError -------------------------------------------------------------------------------


@physl
def zeros_of(shape):
    return np.zeros(shape)


@physl
def zeros_typed(n, dtype):
    return np.zeros(n, dtype=dtype)


@physl
def reshaped(a, n):
    return np.reshape(a, n, shape=n)


@physl
def clipped(a, limit):
    return np.clip(a, 0.0, 1.0, limit=limit)


@physl
def identity_of(n):
    return np.eye(n)


@physl
def length(a):
    return len(a)


@physl
def as_float(a):
    return float(a)


@physl
def as_int(a):
    return int(a)


@physl
def numbers(n):
    return range(n)


@physl
def power(a, n):
    return np.linalg.matrix_power(a, n)


@physl
def shout(x, sep):
    print(x, x, sep=sep)
    return x


# -- np.linalg.LinAlgError -------------------------------------------------------------------


@physl
def invert(a):
    return np.linalg.inv(a)


@physl
def eigenvalues(a):
    return np.linalg.eigvals(a)


@physl
def least_squares(a, b):
    return np.linalg.lstsq(a, b)


@physl
def singular_values(a):
    return np.linalg.svd(a)


# -- through argument_errors, and errors NumPy raises outside it -------------------------------


@physl
def as_int8(x):
    return np.int8(x)


@physl
def steps(start, stop, step):
    return np.arange(start, stop, step)


# -- what stays a ValueError -----------------------------------------------------------------


@physl
def as_bool(a):
    return bool(a)


@physl
def spread(a, shape):
    return np.broadcast_to(a, shape)


@physl
def choose(c, x):
    return np.where(c, x)


@physl
def scaled(a, b):
    return np.dot(a, b)


DTYPE_LIST = ", ".join(DTYPE_NAMES)
V3 = np.zeros(3)
M23 = np.zeros((2, 3))
E2 = np.eye(2)

#: (function, arguments, the type NumPy raises, the primitive, its message after "failed: ")
CASES: list[tuple[Any, tuple[Any, ...], type[BaseException], str, str]] = [
    (pick, (V3, 5), IndexError, "slice", "index 5 is out of bounds for axis 0 with size 3"),
    (pick, (V3, -4), IndexError, "slice", "index -4 is out of bounds for axis 0 with size 3"),
    (
        pick_two,
        (V3, 0, 0),
        IndexError,
        "slice",
        "too many indices: the array has 1 dimension (shape (3,)) but 2 were indexed",
    ),
    (
        pick,
        (V3, 1.5),
        IndexError,
        "slice",
        "index 1.5 is a float; indices must be integers, spans, nil, lists of integers/bools, "
        "or int/bool arrays (use int(...) to convert)",
    ),
    (
        pick,
        (V3, np.array([0.0, 1.0])),
        IndexError,
        "slice",
        "an index array must have an integer or bool dtype, got float64; indices must be "
        "integers, spans, nil, lists of integers/bools, or int/bool arrays",
    ),
    (pick_from_tuple, (5,), IndexError, "slice", "index 5 is out of range for a list of length 3"),
    (
        write,
        (np.zeros(3), 3),
        IndexError,
        "store",
        "index 3 is out of bounds for axis 0 with size 3",
    ),
    (
        write,
        ("ab", 0),
        TypeError,
        "store",
        "cannot write into a[0]: a is a str, and only arrays can be written in place; "
        "make a an array first (numpy.array)",
    ),
    (
        contract,
        (M23, M23, ([5], [0])),
        IndexError,
        "tensordot",
        "axis 5 is out of bounds for the first operand of shape (2, 3)",
    ),
    (
        contract,
        (M23, M23, 3),
        IndexError,
        "tensordot",
        "axes=3 sums over the last 3 axes of the first operand and the first 3 of the second, "
        "but their shapes are (2, 3) and (2, 3)",
    ),
    (
        pick_span,
        (V3, 1.5),
        TypeError,
        "span",
        "bounds and step must be integers or nil, got float 1.5",
    ),
    (
        pick_two_from_tuple,
        (0, 1),
        TypeError,
        "slice",
        "a list takes exactly one integer or span as index, not x[0, 1]; "
        "make it an array (numpy.array) to index it like one",
    ),
    (
        contract,
        (M23, M23, (1.5, 0)),
        TypeError,
        "tensordot",
        "axes must be an int or a pair of axis lists such as list(list(1), list(0)); got (1.5, 0)",
    ),
    (total, (V3, 3), AxisError, "sum", "axis 3 is out of bounds for array of dimension 1"),
    (total, (M23, (0, -3)), AxisError, "sum", "axis -3 is out of bounds for array of dimension 2"),
    (
        running_total,
        (M23, 2),
        AxisError,
        "cumsum",
        "axis 2 is out of bounds for array of dimension 2",
    ),
    (total, (V3, 1.5), TypeError, "sum", "axis must be an int, a tuple of ints or nil, got 1.5"),
    (zeros_of, (1.5,), TypeError, "zeros", "shape must be an int or a tuple of ints, got 1.5"),
    (
        zeros_of,
        ((2, True),),
        TypeError,
        "zeros",
        "shape must be an int or a tuple of ints, got (2, True)",
    ),
    (
        zeros_typed,
        (3, "nope"),
        TypeError,
        "zeros",
        f"unknown dtype 'nope'; valid dtype names: {DTYPE_LIST}",
    ),
    (
        length,
        (np.float64(2.0),),
        TypeError,
        "len",
        "a float64 has no length; use size(x) for the number of elements",
    ),
    (
        as_float,
        (np.ones(3),),
        TypeError,
        "float",
        "float() needs a scalar or a 0-d array, got an array of shape (3,); "
        "use astype(x, dtype) to convert every element",
    ),
    (
        as_int,
        (np.ones(2),),
        TypeError,
        "int",
        "int() needs a scalar or a 0-d array, got an array of shape (2,); use astype(x, dtype) to convert every element",
    ),
    (reshaped, (V3, 3), TypeError, "reshape", "shape given both positionally and by keyword"),
    (clipped, (V3, 2.0), TypeError, "clip", "clip got unexpected keyword arguments ['limit']"),
    (identity_of, (2.5,), TypeError, "eye", "'float' object cannot be interpreted as an integer"),
    (numbers, (1.5,), TypeError, "range", "arguments must be integers, got float 1.5"),
    (power, (E2, 1.5), TypeError, "matrix_power", "the exponent must be an integer, got float 1.5"),
    (shout, (1.0, 3), TypeError, "print", "sep must be a string or nil, got int 3"),
    (
        invert,
        (np.ones(3),),
        LinAlgError,
        "inverse",
        "expects a square matrix (2-D, or a stack of matrices), got a 1-D value of shape (3,)",
    ),
    (
        eigenvalues,
        (M23,),
        LinAlgError,
        "eigvals",
        "expects a square matrix, got shape (2, 3) (2 rows, 3 columns)",
    ),
    (
        least_squares,
        (E2, np.ones(3)),
        LinAlgError,
        "lstsq",
        "shapes (2, 2) and (3,) are not aligned: a has 2 rows, b has 3",
    ),
    (singular_values, (np.full((2, 2), np.nan),), LinAlgError, "svd", "SVD did not converge"),
    (as_int8, (1000,), OverflowError, "int8", "Python integer 1000 out of bounds for int8"),
]


def first_line(error: BaseException) -> str:
    return str(error).splitlines()[0]


@pytest.mark.parametrize(
    ("function", "args", "kind", "name", "message"),
    CASES,
    ids=[f"{case[0].__name__}-{case[2].__name__}-{i}" for i, case in enumerate(CASES)],
)
def test_the_error_is_caught_as_what_numpy_raises(function, args, kind, name, message):
    with pytest.raises(kind) as caught:  # as `except kind:` around the call would
        function(*args)
    error = caught.value
    assert isinstance(error, PhySLRuntimeError)
    assert isinstance(error, ValueError)  # as the PrimitiveArgumentError it was
    assert not isinstance(error, PrimitiveArgumentError)
    assert first_line(error).startswith(f"{__file__}:")
    assert first_line(error).endswith(f": {name} failed: {message}")  # the message unchanged
    assert isinstance(error.cause, kind) and error.__cause__ is error.cause
    # The same Python with NumPy raises the same type.
    with pytest.raises(kind):
        function.__wrapped__(*args)


def test_numpys_own_exceptions_outside_value_error_keep_their_type():
    with pytest.raises(ZeroDivisionError) as caught:
        steps(0, 1, 0)
    assert isinstance(caught.value, PhySLRuntimeError)
    assert first_line(caught.value).endswith(": arange failed: ZeroDivisionError: division by zero")
    with pytest.raises(ZeroDivisionError):
        steps.__wrapped__(0, 1, 0)


#: Errors NumPy raises as ValueError too: a plain ValueError, no other type.
VALUE_ERRORS: list[tuple[Any, tuple[Any, ...], str]] = [
    (as_bool, (np.ones(3),), "bool() needs a scalar or a 0-d array, got an array of shape (3,)"),
    (spread, (V3, (4,)), "cannot broadcast an array of shape (3,) to shape (4,)"),
    (total, (M23, (0, -2)), "duplicate value in 'axis'"),
    (choose, (V3, V3), "where takes either 1 or 3 arguments (condition, x, y)"),
    (scaled, (M23, np.ones(4)), "shapes (2, 3) and (4,) are not aligned"),
    (every, (V3, 0), "span failed: the step must not be zero"),
    (contract, (M23, M23, "x"), "axes must be an int or a pair of axis lists"),
]


@pytest.mark.parametrize(("function", "args", "message"), VALUE_ERRORS)
def test_what_numpy_raises_as_value_error_stays_one(function, args, message):
    with pytest.raises(ValueError) as caught:
        function(*args)
    error = caught.value
    assert isinstance(error, PhySLRuntimeError)
    assert not isinstance(error, (TypeError, IndexError, LookupError, ArithmeticError))
    assert message in first_line(error)
    with pytest.raises(ValueError):
        function.__wrapped__(*args)


#: What NumPy takes and JetLag refuses: JetLag's limitation, a plain ValueError.
LIMITATIONS: list[tuple[Any, tuple[Any, ...], str]] = [
    (zeros_typed, (3, "f8"), "unknown dtype 'f8'"),
    (power, (E2, True), "the exponent must be an integer, got bool True"),
    (pick_from_tuple, (True,), "a list takes exactly one integer or span as index, not x[True]"),
    (contract, (M23, M23, -1), "got the negative count -1"),
    (write, ([1.0, 2.0], 0), "cannot write into a[0]: a is a list, and only arrays"),
]


@pytest.mark.parametrize(("function", "args", "message"), LIMITATIONS)
def test_a_jetlag_limitation_is_a_plain_value_error(function, args, message):
    with pytest.raises(ValueError) as caught:
        function(*args)
    error = caught.value
    assert type(error).kinds == (ValueError,)
    assert type(error.cause) is PrimitiveArgumentError
    assert message in first_line(error)
    function.__wrapped__(*args)  # NumPy (or Python) takes it


def test_argument_error_chains_the_numpy_type_and_keeps_the_message():
    error = argument_error("index 5 is out of bounds for axis 0 with size 3", IndexError)
    assert type(error) is PrimitiveArgumentError and str(error) == str(error.__cause__)
    assert type(error.__cause__) is IndexError and error.__suppress_context__
    axis = argument_error("axis 3 is out of bounds for array of dimension 1", AxisError)
    assert str(axis.__cause__) == "axis 3 is out of bounds for array of dimension 1"
    assert argument_error("bad", ValueError).__cause__ is None


def test_argument_errors_raises_from_numpys_exception():
    @argument_errors
    def fails(kind: type[Exception]) -> None:
        raise kind("from NumPy")

    for kind in (TypeError, OverflowError, LinAlgError, AxisError, ValueError):
        with pytest.raises(PrimitiveArgumentError) as caught:
            fails(kind)
        assert type(caught.value.__cause__) is kind and str(caught.value) == "from NumPy"
