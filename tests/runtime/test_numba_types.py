"""The remembered Numba types of loop inputs equal numba.typeof for every kind of array."""

from __future__ import annotations

import numpy as np
import pytest
from numba import typeof

from jetlag.runtime.scheduler.compiled_variants import numba_type


def arrays():
    base = np.arange(24, dtype=np.float64).reshape(4, 6)
    readonly = base.copy()
    readonly.flags.writeable = False
    unaligned = np.frombuffer(bytearray(8 * 10 + 1), dtype=np.float64, offset=1, count=10)
    yield "C", base
    yield "F", np.asfortranarray(base)
    yield "A (strided)", base[:, ::2]
    yield "0-d", np.array(3.5)
    yield "1-d", base[0]
    yield "read-only", readonly
    yield "unaligned", unaligned
    for dtype in (np.int8, np.uint64, np.float32, np.complex128, np.bool_, "datetime64[s]"):
        yield str(dtype), np.zeros((2, 3), dtype=dtype)
    yield "big-endian", np.zeros(3, dtype=">f8")


@pytest.mark.parametrize("name, value", list(arrays()), ids=[n for n, _ in arrays()])
def test_a_remembered_type_is_numbas_own(name, value):
    try:
        expected = typeof(value)
    except Exception as error:  # noqa: BLE001 - Numba refuses it (a big-endian dtype)
        with pytest.raises(type(error)):
            numba_type(value)
        return
    numba_type(value)  # remembered on the first look...
    assert numba_type(value) == expected  # ...and the same on the next


def test_subclasses_and_scalars_are_asked_each_time():
    matrix = np.asmatrix(np.ones((2, 2)))
    assert numba_type(matrix) == typeof(matrix)
    for value in (1, 2**63, -(2**63), 1.5, True, 1 + 2j, np.float32(2)):
        assert numba_type(value) == typeof(value), value
