"""How each primitive is spelled in generated Numba code: one template per primitive.

A template is Python source with `{0}`, `{1}`, ... for the lowered arguments, e.g.
`np.exp({0})` or `({0} + {1})`. It is stored on the primitive's registry entry
(`Primitive.extra["numba"]`), so the registry stays the one table of primitives; this module
only fills that field. Templates of elementwise primitives work on scalars and on arrays
(Numba types NumPy ufuncs and operators for both), so fused elementwise kernels and compiled
loops share them. Names other than `np`/`math` refer to `support.py`.

A primitive without a template cannot be compiled; code using it runs interpreted. Only
spellings whose Numba behaviour matches NumPy's (within rounding) are listed: `__not`
(truth of a whole array), `where`/`clip`/`round` (Numba lacks the scalar forms) and
keyword arguments are left out on purpose.
"""

from __future__ import annotations

import jetlag.runtime.primitives  # noqa: F401  (registers every primitive first)
from jetlag.runtime.primitives.registry import REGISTRY

_OPERATORS = {
    "__add": "({0} + {1})",
    "__sub": "({0} - {1})",
    "__mul": "({0} * {1})",
    "__div": "({0} / {1})",
    "__floordiv": "({0} // {1})",
    "__mod": "np.remainder({0}, {1})",
    "__pow": "np.power({0}, {1})",
    "__neg": "(-{0})",
    "__pos": "(+{0})",
    "__lt": "({0} < {1})",
    "__le": "({0} <= {1})",
    "__gt": "({0} > {1})",
    "__ge": "({0} >= {1})",
    "__eq": "({0} == {1})",
    "__ne": "({0} != {1})",
    "__bitand": "({0} & {1})",
    "__bitor": "({0} | {1})",
    "__bitxor": "({0} ^ {1})",
    "__invert": "(~{0})",
}

#: Elementwise primitives spelled as the NumPy ufunc of the same name.
_UFUNCS = (
    "absolute add arccos arccosh arcsin arcsinh arctan arctan2 arctanh bitwise_and "
    "bitwise_or bitwise_xor cbrt ceil copysign cos cosh deg2rad degrees divide equal exp "
    "exp2 expm1 fabs floor floor_divide fmax fmin fmod greater greater_equal hypot invert "
    "isfinite isinf isnan left_shift less less_equal log log10 log1p log2 logaddexp "
    "logaddexp2 logical_and logical_not logical_or logical_xor maximum minimum mod "
    "multiply negative not_equal power rad2deg radians reciprocal remainder right_shift "
    "rint sign signbit sin sinh sqrt square subtract tan tanh true_divide trunc"
).split()

#: Array-level primitives (compiled loops only).
_ARRAYS = {
    "dot": "np.dot({0}, {1})",
    "transpose": "np.transpose({0})",
    "shape": "np.shape({0})",
    "identity": "np.identity({0})",
    "diag": "np.diag({0})",
    "inverse": "np.linalg.inv({0})",
    "inverse_dot": "support_inverse_dot({0}, {1})",
    # {finite}: whether the matrix is known to be all finite (statements.py hoists the
    # check out of the loop when it can; otherwise False and the routine checks itself).
    "weighted_gram": "support_weighted_gram({0}, {1}, {finite})",
    "shifted_weighted_product": "support_shifted_weighted_product({0}, {1}, {2}, {3}, {finite})",
    "scale_columns": "support_scale_columns({0}, {1})",
    "scale_rows": "support_scale_rows({0}, {1})",
    "copy": "np.copy({0})",
    # Python's builtins on two numbers of one type (exact.py spells them per type).
    "builtin_abs": "abs({0})",
    "builtin_max": "max({0}, {1})",
    "builtin_min": "min({0}, {1})",
}


#: `x op= v`: on numbers the operator itself (exact.py types which one applies).
_IN_PLACE = {f"__i{name[2:]}": template for name, template in _OPERATORS.items()}


def _install() -> None:
    templates = dict(_OPERATORS)
    templates.update(_IN_PLACE)
    templates.update(
        {
            name: f"np.{name}(" + ", ".join(f"{{{i}}}" for i in range(_ufunc_arity(name))) + ")"
            for name in _UFUNCS
        }
    )
    templates.update(_ARRAYS)
    for name, template in templates.items():
        found = REGISTRY.get(name)
        if found is not None:
            found.extra["numba"] = template


def _ufunc_arity(name: str) -> int:
    import numpy as np

    return getattr(np, name).nin


def numba_template(name: str) -> str | None:
    """The Numba spelling of primitive `name` (a format string), or None."""
    found = REGISTRY.get(name)
    return None if found is None else found.extra.get("numba")


_install()
