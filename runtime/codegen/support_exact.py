"""Numba routines that compute exactly what Python's and NumPy's operators compute.

Numba's scalar arithmetic is C's: Python ints wrap at 64 bits instead of growing, float
division by zero raises where NumPy gives inf, `MIN // -1` gives 0, `int ** -1` gives 0.
Generated code (exact.py chooses the spelling from the operand types) calls these instead:

- `support_py_*`: Python's operators on Python ints and floats. Where Python's answer is
  something generated code cannot hold -- an int past 64 bits, a float from `int ** -1`, a
  complex number, or an exception (ZeroDivisionError, OverflowError, ValueError) -- they
  raise `Deviation`, and the caller runs the same code with the interpreter instead, which
  gives Python's answer or error exactly.
- `support_int_*`, `support_uint_*`, `support_float_*`: NumPy's integer and float
  division, remainder and power (same-typed operands; the caller casts first). NumPy's own
  error (negative integer powers) is also left to the interpreter through `Deviation`.

Only scalars: on arrays Numba refuses to type them, and the loop then runs interpreted.
This module decides nothing about when they are used.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from jetlag.runtime.codegen.support_loops import Deviation

_MIN = np.int64(-(2**63))
_MAX = np.int64(2**63 - 1)
_U_ONE = np.uint64(1)
_U_ZERO = np.uint64(0)
_U_LARGEST = np.uint64(2**63 - 1)  # the largest product magnitude of like signs
_U_SMALLEST = np.uint64(2**63)  # of unlike signs (MIN)
#: Largest magnitude an int may have to convert to float64 exactly.
_EXACT_FLOAT_INT = 2**53


# -- Python's operators on Python ints (bools count as ints) ----------------------------


@njit(nogil=True)
def support_py_add(a, b):  # pragma: no cover - compiled
    """a + b for Python ints; Deviation past 64 bits."""
    # Checked before computing: LLVM may assume signed arithmetic does not overflow and
    # fold an after-the-fact test away.
    x, y = np.int64(a), np.int64(b)
    if (y > 0 and x > _MAX - y) or (y < 0 and x < _MIN - y):
        raise Deviation()
    return x + y


@njit(nogil=True)
def support_py_sub(a, b):  # pragma: no cover - compiled
    """a - b for Python ints; Deviation past 64 bits."""
    x, y = np.int64(a), np.int64(b)
    if (y < 0 and x > _MAX + y) or (y > 0 and x < _MIN + y):
        raise Deviation()
    return x - y


@njit(nogil=True)
def _magnitude(x):  # pragma: no cover - compiled
    # |x| as uint64 (|MIN| = 2**63 fits), computed without overflowing int64.
    if x >= 0:
        return np.uint64(x)
    return np.uint64(-(x + 1)) + _U_ONE


@njit(nogil=True)
def support_py_mul(a, b):  # pragma: no cover - compiled
    """a * b for Python ints; Deviation past 64 bits."""
    x, y = np.int64(a), np.int64(b)
    if x == 0 or y == 0:
        return np.int64(0)
    limit = _U_LARGEST if (x < 0) == (y < 0) else _U_SMALLEST
    if _magnitude(x) > limit // _magnitude(y):
        raise Deviation()
    return x * y


@njit(nogil=True)
def support_py_floordiv(a, b):  # pragma: no cover - compiled
    """a // b for Python ints (floor); Deviation for b == 0 and MIN // -1."""
    x, y = np.int64(a), np.int64(b)
    if y == 0 or (y == -1 and x == _MIN):
        raise Deviation()
    return x // y


@njit(nogil=True)
def support_py_mod(a, b):  # pragma: no cover - compiled
    """a % b for Python ints (the divisor's sign); Deviation for b == 0."""
    x, y = np.int64(a), np.int64(b)
    if y == 0:
        raise Deviation()
    if y == -1:
        return np.int64(0)
    return x % y


@njit(nogil=True)
def support_py_power(a, b):  # pragma: no cover - compiled
    """a ** b for Python ints; Deviation for b < 0 (a float) and past 64 bits."""
    base, exponent = np.int64(a), np.int64(b)
    if exponent < 0:
        raise Deviation()
    result = np.int64(1)
    while exponent > 0:
        if exponent & 1:
            result = support_py_mul(result, base)
        exponent >>= 1
        if exponent > 0:
            base = support_py_mul(base, base)
    return result


@njit(nogil=True)
def support_py_neg(a):  # pragma: no cover - compiled
    """-a for a Python int; Deviation for -MIN."""
    x = np.int64(a)
    if x == _MIN:
        raise Deviation()
    return -x


@njit(nogil=True)
def support_py_abs(a):  # pragma: no cover - compiled
    """abs(a) for a Python int or bool; Deviation for abs(MIN)."""
    x = np.int64(a)
    if x == _MIN:
        raise Deviation()
    return -x if x < 0 else x


@njit(nogil=True)
def support_py_invert(a):  # pragma: no cover - compiled
    """~a for a Python int or bool (~True is -2 in Python)."""
    return np.int64(-1) - np.int64(a)


@njit(nogil=True)
def support_py_lshift(a, b):  # pragma: no cover - compiled
    """a << b for Python ints; Deviation for a negative count and past 64 bits."""
    x, count = np.int64(a), np.int64(b)
    if count < 0:
        raise Deviation()
    if x == 0:
        return x
    if count >= 63 or x > (_MAX >> count) or x < (_MIN >> count):
        raise Deviation()
    return x << count


@njit(nogil=True)
def support_py_rshift(a, b):  # pragma: no cover - compiled
    """a >> b for Python ints; Deviation for a negative count."""
    x, count = np.int64(a), np.int64(b)
    if count < 0:
        raise Deviation()
    if count >= 63:
        return np.int64(-1) if x < 0 else np.int64(0)
    return x >> count


@njit(nogil=True)
def support_py_exact_float(a):  # pragma: no cover - compiled
    """float(a) for a Python int whose comparison or division with floats is exact in
    float64 (|a| <= 2**53); Deviation otherwise (Python compares and divides big ints
    exactly)."""
    x = np.int64(a)
    if x > _EXACT_FLOAT_INT or x < -_EXACT_FLOAT_INT:
        raise Deviation()
    return np.float64(x)


# -- Python's operators on floats ------------------------------------------------------


@njit(nogil=True)
def support_py_truediv(a, b):  # pragma: no cover - compiled
    """a / b for Python floats; Deviation for b == 0 (ZeroDivisionError)."""
    x, y = np.float64(a), np.float64(b)
    if y == 0.0:
        raise Deviation()
    return x / y


@njit(nogil=True)
def _float_divmod(a, b):  # pragma: no cover - compiled
    # CPython's float_divmod, which NumPy's npy_divmod follows too (b != 0).
    mod = np.fmod(a, b)
    div = (a - mod) / b
    if mod:
        if (b < 0) != (mod < 0):
            mod += b
            div -= 1.0
    else:
        mod = math.copysign(0.0, b)
    if div:
        floordiv = np.floor(div)
        if div - floordiv > 0.5:
            floordiv += 1.0
    else:
        floordiv = math.copysign(0.0, a / b)
    return floordiv, mod


@njit(nogil=True)
def support_py_float_divmod(a, b):  # pragma: no cover - compiled
    """(a // b, a % b) for Python floats; Deviation for b == 0 (ZeroDivisionError)."""
    x, y = np.float64(a), np.float64(b)
    if y == 0.0:
        raise Deviation()
    return _float_divmod(x, y)


@njit(nogil=True)
def support_py_float_power(a, b):  # pragma: no cover - compiled
    """a ** b for Python floats; Deviation where Python gives a complex number or raises
    (0.0 ** negative, overflow of finite operands)."""
    x, y = np.float64(a), np.float64(b)
    if x == 0.0 and y < 0.0:
        raise Deviation()
    finite = math.isfinite(x) and math.isfinite(y)
    if x < 0.0 and finite and y != np.floor(y):
        raise Deviation()
    r = math.pow(x, y)
    if finite and math.isinf(r):
        raise Deviation()
    return r


# -- NumPy's integer and float operators (same-typed operands) -------------------------


# NumPy's integers wrap around. Numba's signed integer arithmetic does not: LLVM is told it
# never overflows (nsw), so an overflowing `a + b` is undefined and may change the code
# around it. These compute on the bit patterns as uint64, which wraps; the caller casts the
# result to NumPy's dtype (a truncation: the low bits are the same for every width).


@njit(nogil=True)
def support_wrapping_add(a, b):  # pragma: no cover - compiled
    """a + b modulo 2**64, as uint64 bits."""
    return np.uint64(a) + np.uint64(b)


@njit(nogil=True)
def support_wrapping_sub(a, b):  # pragma: no cover - compiled
    """a - b modulo 2**64, as uint64 bits."""
    return np.uint64(a) - np.uint64(b)


@njit(nogil=True)
def support_wrapping_mul(a, b):  # pragma: no cover - compiled
    """a * b modulo 2**64, as uint64 bits."""
    return np.uint64(a) * np.uint64(b)


@njit(nogil=True)
def support_wrapping_neg(a):  # pragma: no cover - compiled
    """-a modulo 2**64, as uint64 bits."""
    return _U_ZERO - np.uint64(a)


@njit(nogil=True)
def support_wrapping_abs(a):  # pragma: no cover - compiled
    """|a| modulo 2**64 (NumPy's abs(MIN) is MIN), as uint64 bits."""
    if a < 0:
        return _U_ZERO - np.uint64(a)
    return np.uint64(a)


@njit(nogil=True)
def support_int_floordiv(a, b):  # pragma: no cover - compiled
    """NumPy's a // b for signed ints of one dtype, as uint64 bits: 0 for b == 0,
    MIN // -1 wraps to MIN."""
    if b == 0:
        return _U_ZERO
    if b == -1:
        return _U_ZERO - np.uint64(a)
    return np.uint64(a // b)


@njit(nogil=True)
def support_int_remainder(a, b):  # pragma: no cover - compiled
    """NumPy's a % b for signed ints of one dtype, as uint64 bits: 0 for b == 0 and
    b == -1, else the divisor's sign."""
    if b == 0 or b == -1:
        return _U_ZERO
    return np.uint64(a % b)


@njit(nogil=True)
def support_uint_floordiv(a, b):  # pragma: no cover - compiled
    """NumPy's a // b for unsigned ints of one dtype, as uint64 bits: 0 for b == 0."""
    if b == 0:
        return _U_ZERO
    return np.uint64(a // b)


@njit(nogil=True)
def support_uint_remainder(a, b):  # pragma: no cover - compiled
    """NumPy's a % b for unsigned ints of one dtype, as uint64 bits: 0 for b == 0."""
    if b == 0:
        return _U_ZERO
    return np.uint64(a % b)


@njit(nogil=True)
def support_int_power(a, b, one):  # pragma: no cover - compiled
    """NumPy's a ** b for ints of one dtype (`one` is 1 of that dtype), as uint64 bits
    (it wraps like NumPy); Deviation for a negative exponent (NumPy raises ValueError)."""
    if b < one - one:
        raise Deviation()
    result, base, exponent = _U_ONE, np.uint64(a), np.uint64(b)
    while exponent != _U_ZERO:
        if exponent & _U_ONE:
            result = result * base
        exponent = exponent >> _U_ONE
        if exponent != _U_ZERO:
            base = base * base
    return result


@njit(nogil=True, error_model="numpy")
def support_float_divmod(a, b):  # pragma: no cover - compiled
    """NumPy's (a // b, a % b) for float64: (a / b, nan) when b == 0 (inf or nan, nan)."""
    if b == 0:
        return a / b, np.fmod(a, b)
    return _float_divmod(a, b)


@njit(nogil=True)
def support_weak_int(value, low, high):  # pragma: no cover - compiled
    """A Python int about to become a NumPy integer of range [low, high]; Deviation when
    it is out of range (NumPy raises OverflowError there)."""
    if value < low or value > high:
        raise Deviation()
    return value
