"""Which Python values compiled code may take without changing what the program means.

PhySL primitives follow NumPy. For arrays, NumPy scalars, Python numbers, strings, None
and tuples of those, a compiled run or function computes what Python computes. For
anything else (a list, where `+` concatenates; a DataFrame; an object with its own
operators) only Python keeps the meaning, so such values keep the code in Python.
This module only classifies values; it never converts them.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def is_data(value: Any) -> bool:
    """True for values compiled code takes as a parameter with unchanged meaning."""
    if type(value) is np.ndarray:
        return value.dtype != object and value.dtype.fields is None
    if isinstance(value, np.generic):
        return not isinstance(value, np.object_)
    if type(value) in (bool, int, float, complex, str, type(None)):
        return True
    return type(value) is tuple and all(is_data(item) for item in value)


def kind(value: Any) -> str:
    """How a refusal names a value's type: `a list`, `a DataFrame`."""
    return "a tuple of other values" if type(value) is tuple else f"a {type(value).__name__}"
