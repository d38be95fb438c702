"""The types NumPy and Python give values, as generated code must reproduce them.

Numba gives `1` and `np.int64(1)` the same type, computes `np.float32` scalars in float64
and adds booleans as integers; NumPy and Python do not. Generated code is therefore typed
here first, with NumPy's own rules: a `ValueType` says whether a value is a Python scalar
("python": the weak scalars of NEP 50, Python's own operators), a NumPy scalar ("numpy"),
an ndarray ("array", with dtype and ndim) or a tuple of Python ints ("shape").

`result_type` answers what a primitive gives for operand types by running the primitive's
own implementation (the registry's, i.e. the interpreter's) on small stand-in values:
NumPy's promotion depends on types, not values (NEP 50), so one evaluation answers for
every value of those types. The few value-dependent results (`int ** int` is a float for a
negative exponent) are left to the spellings (exact.py), which check the value at run time.
This module decides nothing about what is compiled.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.locks import fork_safe_lock

#: Element kinds generated code handles: bool, signed and unsigned ints, floats.
_KINDS = frozenset("biuf")
_PYTHON_DTYPES = {bool: np.dtype(bool), int: np.dtype(np.int64), float: np.dtype(np.float64)}
_INT64 = (-(2**63), 2**63)


@dataclass(frozen=True)
class ValueType:
    """The type of a value as NumPy and Python see it.

    kind:  "python" (bool, int or float: `dtype` is how generated code holds it),
           "numpy" (a NumPy scalar of `dtype`), "array" (`ndim` >= 1 dimensions of `dtype`)
           or "shape" (a tuple of `ndim` Python ints; `dtype` int64). "span" stands
           for a `lo:hi:step` part of an index while indexing is typed.
    """

    kind: str
    dtype: np.dtype
    ndim: int = 0

    def __post_init__(self) -> None:
        # Types are dictionary keys on every call of a fused primitive: hash once.
        object.__setattr__(self, "_hash", hash((self.kind, self.dtype, self.ndim)))

    def __hash__(self) -> int:
        return self._hash  # type: ignore[attr-defined]

    @property
    def python_type(self) -> type:
        """bool, int or float for a Python scalar."""
        return {"b": bool, "i": int, "f": float}[self.dtype.kind]

    @property
    def scalar(self) -> bool:
        """A Python or NumPy number."""
        return self.kind in ("python", "numpy")

    def describe(self) -> str:
        """For messages: 'a Python int', 'a NumPy float32', 'a 2-D float64 array'."""
        if self.kind == "python":
            return f"a Python {self.python_type.__name__}"
        if self.kind == "numpy":
            return f"a NumPy {self.dtype.name}"
        if self.kind == "array":
            return f"a {self.ndim}-D {self.dtype.name} array"
        if self.kind == "span":
            return "a slice"
        return f"a tuple of {self.ndim} ints"

    def representation(self) -> tuple[str, str, int]:
        """What generated code holds the value as: (Numba kind, dtype name, ndim).

        A Python float and a NumPy float64 are both held as float64: values whose types
        share a representation can meet in one variable of generated code."""
        if self.kind in ("python", "numpy"):
            return ("scalar", self.dtype.name, 0)
        return (self.kind, self.dtype.name, self.ndim)

    def probe(self, integer: int = 1) -> Any:
        """A small stand-in value of this type (ints are `integer`)."""
        if self.kind == "python":
            return self.python_type(integer if self.dtype.kind == "i" else 1)
        if self.kind == "numpy":
            return self.dtype.type(integer if self.dtype.kind in "iu" else 1)
        if self.kind == "shape":
            return (2,) * self.ndim
        if self.kind == "span":
            return slice(None)
        if self.ndim == 2:
            # Invertible, so inverse() and solves can be typed on it.
            return np.array([[2, 1], [1, 2]]).astype(self.dtype)
        return np.ones((2,) * self.ndim, dtype=self.dtype)

    def convert(self, value: Any) -> Any:
        """A value returned by generated code, as NumPy/Python would have it."""
        if self.kind == "python":
            return self.python_type(value)
        if self.kind == "numpy":
            return self.dtype.type(value)
        if self.kind == "shape":
            return tuple(int(v) for v in value)
        return value


_PYTHON_TYPES = {kind: ValueType("python", dtype) for kind, dtype in _PYTHON_DTYPES.items()}
_NUMPY_TYPES: dict[tuple[str, np.dtype, int], ValueType] = {}


def python_scalar(kind: type) -> ValueType:
    """The ValueType of Python bool, int or float."""
    return _PYTHON_TYPES[kind]


def numpy_type(kind: str, dtype: np.dtype, ndim: int = 0) -> ValueType:
    """The ValueType of a NumPy scalar ("numpy") or array ("array") of `dtype`, made once."""
    key = (kind, dtype, ndim)
    found = _NUMPY_TYPES.get(key)
    if found is None:
        found = _NUMPY_TYPES.setdefault(key, ValueType(kind, dtype, ndim))
    return found


#: A `lo:hi:step` index part (typing only).
SPAN = ValueType("span", np.dtype(np.int64))


def type_of(value: Any) -> ValueType | None:
    """The ValueType of a concrete value, or None when generated code cannot hold it
    (complex numbers, 0-D arrays, ints beyond 64 bits, strings, other objects)."""
    kind = type(value)
    if kind is bool or kind is float:
        return python_scalar(kind)
    if kind is int:
        return python_scalar(int) if _INT64[0] <= value < _INT64[1] else None
    if isinstance(value, np.ndarray):
        if value.ndim == 0 or value.dtype.kind not in _KINDS or value.dtype.itemsize > 8:
            return None
        return numpy_type("array", value.dtype, value.ndim)
    if isinstance(value, np.generic):
        if value.dtype.kind not in _KINDS or value.dtype.itemsize > 8:
            return None
        return numpy_type("numpy", value.dtype)
    if isinstance(value, tuple) and all(type(v) is int for v in value):
        if all(_INT64[0] <= v < _INT64[1] for v in value):
            return ValueType("shape", np.dtype(np.int64), len(value))
    return None


TypeSet = frozenset  # of ValueType: the types one variable or temporary may hold


def join(*sets: Iterable[ValueType]) -> frozenset[ValueType]:
    """The union of type sets; NotLowerable when the members cannot share one
    representation in generated code (a Python int and a NumPy float64, say)."""
    joined = frozenset().union(*sets)
    if len({t.representation() for t in joined}) > 1:
        names = " or ".join(sorted(t.describe() for t in joined))
        raise NotLowerable(f"a value may be {names} (one compiled variable cannot hold both)")
    return joined


def describe_set(types: frozenset[ValueType]) -> str:
    """'a Python int' or 'a Python float or a NumPy float64'."""
    return " or ".join(sorted(t.describe() for t in types))


_lock = fork_safe_lock()
_results: dict[tuple, ValueType | str] = {}


def result_type(name: str, operands: Sequence[ValueType | None], call: Any = None) -> ValueType:
    """The type `name(*operands)` has in NumPy/Python (the registry's implementation run
    on stand-ins; `None` operands stand for literal `None`). NotLowerable when NumPy or
    Python raise for these types or the result is not a type generated code holds.

    `call(*probes)` replaces the registry's implementation (structural forms)."""
    key = (name, tuple(operands), call)
    with _lock:
        found = _results.get(key)
    if found is None:
        found = _probe(name, operands, call)
        with _lock:
            _results[key] = found
    if isinstance(found, str):
        raise NotLowerable(found)
    return found


def _probe(name: str, operands: Sequence[ValueType | None], call: Any) -> ValueType | str:
    if call is None:
        from jetlag.runtime.primitives.registry import REGISTRY

        call = REGISTRY[name].impl
    described = ", ".join("nil" if t is None else t.describe() for t in operands)
    error: BaseException | None = None
    # Ints are 1 first; some primitives need a size (shifted_weighted_product's n).
    for integer in (1, 2):
        probes = [None if t is None else t.probe(integer) for t in operands]
        try:
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                value = call(*probes)
        except Exception as caught:  # noqa: BLE001 - NumPy refuses these types
            error = error or caught
            continue
        found = type_of(value)
        if found is None:
            return f"{name} of {described} gives a {type(value).__name__}"
        return found
    assert error is not None
    return f"{name} of {described} raises {type(error).__name__}: {error}"
