"""Checks Numba's typing of a built function against the types NumPy gives its values.

The typed lowering (statements.py, exact.py) spells every operation so that Numba computes
NumPy's dtype; this module makes sure it did. After Numba compiles a generated function
for a signature, every generated name (`v_<variable>`, `t<k>`) must hold the
representation the lowering recorded for it: a float32 that Numba would hold as float64,
or a bool it would add as an integer, means the code would not give NumPy's answer, and
the caller runs the interpreter instead. This module decides nothing about what compiles.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

_VERSION = re.compile(r"\.\d+$")

Representation = tuple[str, str, int]


def representation_of(numba_type: Any) -> Representation:
    """How a Numba type holds values, in ValueType.representation()'s terms."""
    from numba.core import types

    found = types.unliteral(numba_type)
    if isinstance(found, types.Boolean):
        return ("scalar", "bool", 0)
    if isinstance(found, types.Integer | types.Float):
        return ("scalar", str(found), 0)
    if isinstance(found, types.Array):
        dtype = types.unliteral(found.dtype)
        name = "bool" if isinstance(dtype, types.Boolean) else str(dtype)
        return ("array", name, found.ndim)
    if isinstance(found, types.BaseTuple) and all(
        isinstance(types.unliteral(item), types.Integer) for item in found.types
    ):
        return ("shape", "int64", len(found.types))
    return ("other", str(found), 0)


def _describe(representation: Representation) -> str:
    kind, dtype, ndim = representation
    if kind == "scalar":
        return f"a {dtype} scalar"
    if kind == "array":
        return f"a {ndim}-D {dtype} array"
    if kind == "shape":
        return f"a tuple of {ndim} ints"
    return dtype


def typing_mismatch(
    typemap: dict[str, Any], holds: Iterable[tuple[str, Representation]]
) -> str | None:
    """The first generated name Numba types differently from what NumPy gives, described;
    None when every one agrees."""
    expected = dict(holds)
    for name, numba_type in sorted(typemap.items()):
        base = _VERSION.sub("", name.removeprefix("arg."))
        want = expected.get(base)
        if want is None:
            continue
        got = representation_of(numba_type)
        if got != want:
            shown = base.removeprefix("v_") if base.startswith("v_") else base
            return (
                f"Numba would hold {shown} as {_describe(got)} where NumPy gives {_describe(want)}"
            )
    return None


def compiled_typemap(function: Callable[..., Any], signature: tuple) -> dict[str, Any]:
    """The variable types Numba inferred when it compiled `function` for `signature`."""
    result = function.overloads[tuple(signature)]  # type: ignore[attr-defined]
    return dict(result.type_annotation.typemap)
