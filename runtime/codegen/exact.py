"""The Numba spelling of a primitive that computes exactly what Python and NumPy compute,
chosen from its operands' types.

The same `a + b` is Python's `+` on two Python ints (exact integers: checked, see
support_exact.py), logical or on two bool arrays, an int8 addition that wraps at 8 bits,
or a float32 addition; Numba's own `+` is none of those for all of them. `spell(name,
types)` returns a template (`{0}`, `{1}` for the operands' source) and the result's type:

- operators on Python scalars only: Python's semantics (support_py_*), with `Deviation`
  where Python's answer cannot be held (big ints, `2 ** -1`, ZeroDivisionError);
- ufuncs and operators with a NumPy scalar or array: NumPy's, by NumPy's own loop
  (`ufunc.resolve_dtypes`): scalars are cast to the loop's dtype first (NEP 50: a Python
  int out of an integer dtype's range is NumPy's OverflowError, so a `Deviation`), the
  operation is spelled for that dtype (bool `+` is logical or; integer `//`, `%` and `**`
  through support_exact), and a scalar result is cast to NumPy's result dtype (Numba
  computes small ints in int64 and float32 in float64: wrapping and rounding once more
  gives NumPy's value for these operations);
- other primitives (dot, transpose, inverse, ...): their registry template, typed by the
  registry's implementation (value_types.result_type).

What has no exact spelling for the types raises NotLowerable and runs interpreted. The
result types are also checked against the types Numba infers for the compiled function
(scheduler/compiled.py), so a spelling that Numba types differently never runs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.lowerings import numba_template
from jetlag.runtime.codegen.value_types import (
    ValueType,
    describe_set,
    join,
    result_type,
)
from jetlag.runtime.locks import fork_safe_lock


@dataclass(frozen=True)
class Spelling:
    """Source template over the operands (`{0}`, `{1}`, ...) and the result's type."""

    template: str
    result: ValueType


# -- Python's operators on Python scalars ----------------------------------------------

_COMPARISONS = {"__lt": "<", "__le": "<=", "__gt": ">", "__ge": ">=", "__eq": "==", "__ne": "!="}
_BITWISE = {"__bitand": "&", "__bitor": "|", "__bitxor": "^"}
_PY_INTEGER = {
    "__add": "support_py_add({0}, {1})",
    "__sub": "support_py_sub({0}, {1})",
    "__mul": "support_py_mul({0}, {1})",
    "__floordiv": "support_py_floordiv({0}, {1})",
    "__mod": "support_py_mod({0}, {1})",
    "__pow": "support_py_power({0}, {1})",
    "__lshift": "support_py_lshift({0}, {1})",
    "__rshift": "support_py_rshift({0}, {1})",
}
_PY_FLOAT = {
    "__add": "({0} + {1})",
    "__sub": "({0} - {1})",
    "__mul": "({0} * {1})",
    "__div": "support_py_truediv({0}, {1})",
    "__floordiv": "support_py_float_divmod({0}, {1})[0]",
    "__mod": "support_py_float_divmod({0}, {1})[1]",
    "__pow": "support_py_float_power({0}, {1})",
}
_OPERATOR_NAMES = (
    frozenset(_COMPARISONS)
    | frozenset(_BITWISE)
    | frozenset(_PY_INTEGER)
    | {
        "__div",
        "__neg",
        "__pos",
        "__invert",
    }
)


def _python(name: str, types: Sequence[ValueType], result: ValueType) -> str:
    integral = [t.dtype.kind in "bi" for t in types]
    if len(types) == 1:
        if name == "__neg":
            return "support_py_neg({0})" if integral[0] else "(-{0})"
        if name == "__pos":
            return "np.int64({0})" if types[0].dtype.kind == "b" else "(+{0})"
        if name == "__invert" and integral[0]:
            return "support_py_invert({0})"
        raise NotLowerable(f"{name} of {types[0].describe()}")
    if name in _COMPARISONS:
        operands = ["{0}", "{1}"]
        if integral[0] != integral[1]:
            # Python compares an int with a float exactly; float64 holds ints up to 2**53.
            k = 0 if integral[0] else 1
            operands[k] = f"support_py_exact_float({{{k}}})"
        return f"({operands[0]} {_COMPARISONS[name]} {operands[1]})"
    if name in _BITWISE:
        return f"({{0}} {_BITWISE[name]} {{1}})"
    if name == "__div":
        if all(integral):
            return "support_py_truediv(support_py_exact_float({0}), support_py_exact_float({1}))"
        return _PY_FLOAT[name]
    if result.dtype.kind in "bi":
        if name in _PY_INTEGER:
            return _PY_INTEGER[name]
    elif name in _PY_FLOAT:
        return _PY_FLOAT[name]
    raise NotLowerable(f"{name} of {types[0].describe()} and {types[1].describe()}")


# -- NumPy's ufuncs --------------------------------------------------------------------

# By the ufunc's name, then the kind of its loop's dtype ("*": any other kind).
# Integer results come back as uint64 bits from support_exact (NumPy wraps; Numba's signed
# arithmetic may not), and are cast to NumPy's dtype: {out}.
_UFUNC_CORE: dict[str, dict[str, str]] = {
    "add": {
        "b": "np.logical_or({0}, {1})",
        "i": "{out}(support_wrapping_add({0}, {1}))",
        "u": "{out}(support_wrapping_add({0}, {1}))",
        "*": "({0} + {1})",
    },
    "subtract": {
        "i": "{out}(support_wrapping_sub({0}, {1}))",
        "u": "{out}(support_wrapping_sub({0}, {1}))",
        "*": "({0} - {1})",
    },
    "multiply": {
        "b": "np.logical_and({0}, {1})",
        "i": "{out}(support_wrapping_mul({0}, {1}))",
        "u": "{out}(support_wrapping_mul({0}, {1}))",
        "*": "({0} * {1})",
    },
    "divide": {"f": "({0} / {1})"},
    "floor_divide": {
        "i": "{out}(support_int_floordiv({0}, {1}))",
        "u": "{out}(support_uint_floordiv({0}, {1}))",
        "f": "support_float_divmod({0}, {1})[0]",
    },
    "remainder": {
        "i": "{out}(support_int_remainder({0}, {1}))",
        "u": "{out}(support_uint_remainder({0}, {1}))",
        "f": "support_float_divmod({0}, {1})[1]",
    },
    "power": {
        "i": "{out}(support_int_power({0}, {1}, {one}))",
        "u": "{out}(support_int_power({0}, {1}, {one}))",
    },
    "less": {"*": "({0} < {1})"},
    "less_equal": {"*": "({0} <= {1})"},
    "greater": {"*": "({0} > {1})"},
    "greater_equal": {"*": "({0} >= {1})"},
    "equal": {"*": "({0} == {1})"},
    "not_equal": {"*": "({0} != {1})"},
    "bitwise_and": {"b": "({0} & {1})", "i": "({0} & {1})", "u": "({0} & {1})"},
    "bitwise_or": {"b": "({0} | {1})", "i": "({0} | {1})", "u": "({0} | {1})"},
    "bitwise_xor": {"b": "({0} ^ {1})", "i": "({0} ^ {1})", "u": "({0} ^ {1})"},
    "invert": {"b": "np.logical_not({0})", "i": "(~{0})", "u": "(~{0})"},
    "negative": {
        "i": "{out}(support_wrapping_neg({0}))",
        "u": "{out}(support_wrapping_neg({0}))",
        "f": "(-{0})",
    },
    "positive": {"i": "(+{0})", "u": "(+{0})", "f": "(+{0})"},
    "absolute": {
        "i": "{out}(support_wrapping_abs({0}))",
        "u": "np.absolute({0})",
        "*": "np.absolute({0})",
    },
    "maximum": {"*": "np.maximum({0}, {1})"},
    "minimum": {"*": "np.minimum({0}, {1})"},
    "logical_and": {"*": "np.logical_and({0}, {1})"},
    "logical_or": {"*": "np.logical_or({0}, {1})"},
    "logical_xor": {"*": "np.logical_xor({0}, {1})"},
    "logical_not": {"*": "np.logical_not({0})"},
}
#: Spellings that hold only for scalars (support functions): arrays run interpreted.
_SCALAR_ONLY = frozenset({"floor_divide", "remainder", "power"})
#: Integer ufuncs Numba computes with signed arithmetic it assumes never overflows: on
#: integer arrays they run interpreted (scalars go through support_wrapping_*).
_WRAPPING = frozenset({"add", "subtract", "multiply", "negative", "absolute"})
#: Float ufuncs whose integer loops do something else (Numba has no int loop for them).
_NO_INTEGER_LOOP = frozenset({"left_shift", "right_shift", "fmod", "gcd", "lcm"})
#: Scalar results Numba already holds in NumPy's dtype (no cast back needed).
_NATIVE = frozenset(np.dtype(n) for n in ("bool", "int64", "float64"))


def _ufunc_of(name: str) -> np.ufunc | None:
    from jetlag.runtime.primitives.registry import REGISTRY

    found = REGISTRY.get(name)
    if found is None or found.category not in ("operator", "elementwise") or not found.numpy:
        return None
    ufunc = getattr(np, found.numpy.removeprefix("numpy."), None)
    return ufunc if isinstance(ufunc, np.ufunc) else None


def _descriptor(t: ValueType) -> object:
    return t.python_type if t.kind == "python" else t.dtype


def _cast(t: ValueType, loop: np.dtype, k: int) -> str:
    """Operand k cast to the loop's dtype, as NumPy casts it."""
    source = f"{{{k}}}"
    if t.kind == "array" or t.dtype == loop and t.kind == "numpy":
        return source  # arrays: Numba's own promotion, checked against NumPy's result type
    if t.kind == "python" and t.dtype == loop:
        return source
    if t.kind == "python" and t.dtype.kind == "i" and loop.kind in "iu":
        info = np.iinfo(loop)
        return f"np.{loop.name}(support_weak_int({source}, {info.min}, {info.max}))"
    return f"np.{loop.name}({source})"


def _numpy(name: str, ufunc: np.ufunc, types: Sequence[ValueType], result: ValueType) -> str:
    described = ", ".join(t.describe() for t in types)
    if ufunc.nout != 1 or len(types) != ufunc.nin:
        raise NotLowerable(f"{name} of {described}")
    try:
        loop = ufunc.resolve_dtypes((*(_descriptor(t) for t in types), None))
    except (TypeError, ValueError) as error:
        raise NotLowerable(f"{name} of {described}: {error}") from None
    inputs, out = loop[: ufunc.nin], loop[-1]
    if any(d.kind == "f" and d.itemsize < 4 for d in loop):
        raise NotLowerable(f"{name} of {described} computes in float16 (Numba has no float16)")
    if out != result.dtype or len(set(inputs)) != 1:
        raise NotLowerable(f"{name} of {described} (mixed NumPy loop {loop})")
    dtype = inputs[0]
    arrays = any(t.kind == "array" for t in types)
    table = _UFUNC_CORE.get(ufunc.__name__)
    if table is not None:
        core = table.get(dtype.kind) or table.get("*")
    elif dtype.kind == "f" and ufunc.__name__ not in _NO_INTEGER_LOOP:
        core = f"np.{ufunc.__name__}(" + ", ".join(f"{{{k}}}" for k in range(ufunc.nin)) + ")"
    else:
        core = None
    if core is None or (arrays and ufunc.__name__ in _SCALAR_ONLY):
        raise NotLowerable(f"{name} of {described} has no exact compiled form")
    if arrays and dtype.kind in "iu" and ufunc.__name__ in _WRAPPING:
        raise NotLowerable(f"{name} of {described} may overflow (compiled code cannot wrap)")
    if dtype.kind == "f" and ufunc.__name__ in ("floor_divide", "remainder"):
        if dtype != np.float64:
            raise NotLowerable(f"{name} of {described} has no exact compiled form")
    core = core.replace("{one}", f"np.{dtype.name}(1)").replace("{out}", f"np.{out.name}")
    spelled = core.format(*(_cast(t, dtype, k) for k, t in enumerate(types)))
    if not arrays and out not in _NATIVE and not spelled.startswith(f"np.{out.name}("):
        spelled = f"np.{out.name}({spelled})"
    return spelled


# -- Python's numeric builtins ---------------------------------------------------------


def _builtin(name: str, types: Sequence[ValueType], result: ValueType) -> str:
    described = " and ".join(t.describe() for t in types)
    if name == "builtin_abs":
        (t,) = types
        if t.kind == "python":
            return "support_py_abs({0})" if t.dtype.kind in "bi" else "abs({0})"
        return _numpy(name, np.absolute, types, result)
    # max(a, b) / min(a, b): the first unless the second compares greater (smaller); the
    # result is one of the operands, so both must have one type.
    if len(types) != 2 or types[0] != types[1] or not types[0].scalar:
        raise NotLowerable(f"{name} of {described}")
    compare = ">" if name == "builtin_max" else "<"
    return f"({{1}} if {{1}} {compare} {{0}} else {{0}})"


_BUILTINS = frozenset({"builtin_abs", "builtin_max", "builtin_min"})


# -- every primitive -------------------------------------------------------------------

_lock = fork_safe_lock()
_spellings: dict[tuple, Spelling | str] = {}


def spell(name: str, types: Sequence[ValueType]) -> Spelling:
    """The exact spelling of primitive `name` for operands of these types (cached);
    NotLowerable with the reason when it has none."""
    key = (name, tuple(types))
    with _lock:
        found = _spellings.get(key)
    if found is None:
        try:
            found = _spell(name, types)
        except NotLowerable as reason:
            found = str(reason)
        with _lock:
            _spellings[key] = found
    if isinstance(found, str):
        raise NotLowerable(found)
    return found


def _spell(name: str, types: Sequence[ValueType]) -> Spelling:
    if name in ("__pow", "__ipow") and len(types) == 2:
        base, exponent = types
        if base.kind != "python" and base.dtype.kind == "b" and exponent.kind == "python":
            # ndarray.__pow__ squares when the exponent is the int 2: a bool array then
            # gives int8, any other exponent int64 -- the type depends on the value.
            raise NotLowerable("a bool array to a Python number's power has a value-dependent type")
    if name.startswith("__i") and name[3:] and f"__{name[3:]}" in _OPERATOR_NAMES:
        # x op= v rebinds x to x op v for numbers; an array is written in place.
        if types and types[0].kind == "array":
            raise NotLowerable(f"{name} writes {types[0].describe()} in place")
        return spell(f"__{name[3:]}", types)
    result = result_type(name, types)
    if name in _OPERATOR_NAMES and all(t.kind == "python" for t in types):
        return Spelling(_python(name, types, result), result)
    if name in _BUILTINS:
        return Spelling(_builtin(name, types, result), result)
    ufunc = _ufunc_of(name)
    if ufunc is not None:
        if result.kind not in ("numpy", "array"):
            raise NotLowerable(f"{name} gives {result.describe()}")
        return Spelling(_numpy(name, ufunc, types, result), result)
    template = numba_template(name)
    if template is None:
        raise NotLowerable(f"{name} has no compiled form")
    return Spelling(template, result)


def spell_sets(name: str, operands: Sequence[frozenset[ValueType]]) -> tuple[str, frozenset]:
    """The one template valid for every combination of the operands' possible types, and
    the result's possible types; NotLowerable when the combinations need different code
    (a Python float and a NumPy float64 divided by zero, say)."""
    spellings = {spell(name, combination) for combination in itertools.product(*operands)}
    templates = {s.template for s in spellings}
    if len(templates) != 1:
        kinds = "; ".join(describe_set(frozenset(s)) for s in operands)
        raise NotLowerable(f"{name}: its operands may be {kinds}, which need different code")
    return templates.pop(), join(s.result for s in spellings)
