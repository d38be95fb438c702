"""Python's numeric builtins abs, max, min and round as primitives: exactly the builtin.

`abs(x)` in Python is not `np.abs(x)`: on a Python int it is a Python int (`np.abs` gives
`np.int64`), and `max(a, b)` on arrays asks for the truth of `b > a` (an error for more than
one element) where `np.maximum` compares element by element. So the builtins are their own
primitives, each calling the builtin itself, and the NumPy functions stay NumPy's
(elementwise.py). On arrays the builtins reach NumPy through the array's own methods, as in
Python (`abs(a)` is `a.__abs__()`, `round(a)` is `a.__round__()`).
"""

from __future__ import annotations

import builtins
from typing import Any

from jetlag.runtime.primitives.arguments import argument_errors
from jetlag.runtime.primitives.registry import primitive


@primitive(
    "builtin_abs",
    "builtin_abs(x)",
    "Python's abs(x): a Python number stays one; an array's __abs__ (numpy.absolute).",
    "elementwise",
    aliases=("builtins.abs",),
)
@argument_errors
def builtin_abs(x: Any) -> Any:
    """builtins.abs."""
    return builtins.abs(x)


@primitive(
    "builtin_max",
    "builtin_max(a, b, ...)",
    "Python's max: the largest argument (or item of one iterable), by Python's comparisons.",
    "misc",
    aliases=("builtins.max",),
)
@argument_errors
def builtin_max(*args: Any) -> Any:
    """builtins.max."""
    return builtins.max(*args)


@primitive(
    "builtin_min",
    "builtin_min(a, b, ...)",
    "Python's min: the smallest argument (or item of one iterable), by Python's comparisons.",
    "misc",
    aliases=("builtins.min",),
)
@argument_errors
def builtin_min(*args: Any) -> Any:
    """builtins.min."""
    return builtins.min(*args)


@primitive(
    "builtin_round",
    "builtin_round(x, ndigits=nil)",
    "Python's round: an int for a float without ndigits (half to even); an array's __round__.",
    "elementwise",
    aliases=("builtins.round",),
)
@argument_errors
def builtin_round(x: Any, ndigits: Any = None) -> Any:
    """builtins.round."""
    return builtins.round(x) if ndigits is None else builtins.round(x, ndigits)
