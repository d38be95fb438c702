"""What lowered code is made of: operands (source and possible types), generated names,
literal types, and the type rules of indexing and element stores.

Shared by the value and statement lowerings (values.py, statements.py). Only generated
identifiers and checked numeric literals are produced here; nothing is built or run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from jetlag.runtime.codegen.emit import NotLowerable
from jetlag.runtime.codegen.value_types import (
    SPAN,
    ValueType,
    describe_set,
    python_scalar,
    result_type,
)
from jetlag.runtime.ir.nodes import Call, Node, Variable

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Operand:
    """A lowered value: its source (a name, literal or tuple) and its possible types."""

    source: str
    types: frozenset | None = None


def variable_name(name: str) -> str:
    """The generated identifier of PhySL variable `name`."""
    if not _IDENTIFIER.fullmatch(name):
        raise NotLowerable(f"{name!r} is not a PhySL identifier")
    return f"v_{name}"


def literal_type(value: object) -> ValueType | None:
    """The type of a numeric literal (None for nil)."""
    if value is None:
        return None
    if isinstance(value, bool | int | float) and not isinstance(value, complex):
        if isinstance(value, int) and not isinstance(value, bool):
            if not -(2**63) <= value < 2**63:
                raise NotLowerable(f"the literal {value} does not fit 64 bits")
        return python_scalar(type(value))
    raise NotLowerable(f"the literal {value!r} is not a number")


def changed_in(region: Node) -> tuple[set[str], set[str]]:
    """(variables a region re-binds or writes into, variables it writes into in place)."""
    changed: set[str] = set()
    stored: set[str] = set()
    for node in region.walk():
        if isinstance(node, Call) and node.name in ("define", "store") and node.args:
            target = node.args[0]
            if isinstance(target, Variable):
                changed.add(target.name)
            elif isinstance(target, Call) and target.args and isinstance(target.args[0], Variable):
                changed.add(target.args[0].name)
                stored.add(target.args[0].name)
    return changed, stored


class FiniteChecks:
    """ "Is this matrix all finite?" for the rewritten ALS routines, checked once per region.

    The flag for an input array the region never changes (nor writes through another
    input that may share its memory) is computed before the loop (`hoisted`: lines by
    variable); for anything else it is False and the routine checks for itself.
    """

    def __init__(self, inputs: frozenset[str], region: Node | None) -> None:
        self.inputs = inputs
        self.changed, self.stored = changed_in(region) if region is not None else (set(), set())
        self.hoisted: dict[str, list[str]] = {}

    def flag(self, matrix: Node, env: dict[str, frozenset]) -> str:
        """The source of "`matrix` (or the matrix it transposes) is all finite"."""
        if isinstance(matrix, Call) and matrix.name == "transpose" and len(matrix.args) == 1:
            matrix = matrix.args[0]
        if not isinstance(matrix, Variable):
            return "False"
        name = matrix.name
        types = env.get(name, frozenset())
        if (
            name not in self.inputs
            or name in self.changed
            or not types
            or not all(t.kind == "array" for t in types)
            or not self.stored <= self.inputs
        ):
            return "False"
        flag = f"f_{name}"
        if name not in self.hoisted:
            lines = [f"{flag} = support_all_finite({variable_name(name)})"]
            # Written in place through another input that shares its memory: not invariant.
            for other in sorted(self.stored - {name}):
                lines.append(
                    f"{flag} = {flag} and not support_may_share({variable_name(other)}, "
                    f"{variable_name(name)})"
                )
            self.hoisted[name] = lines
        return flag


def integers(types: frozenset) -> bool:
    return all(t.scalar and t.dtype.kind in "iu" for t in types)


def storable(target: ValueType, value: ValueType) -> bool:
    """Whether `target[...] = value` converts the value exactly as NumPy does in compiled
    code: same dtype, a cast NumPy calls safe, float to a narrower float (both round to
    nearest), or a Python bool/int/float that needs no range check."""
    to, of = target.dtype, value.dtype
    if value.kind == "python":
        if of.kind == "b":
            return True
        if of.kind == "i":
            return to == np.int64 or to == np.float64
        return to.kind == "f"
    return of == to or np.can_cast(of, to, "safe") or (of.kind == "f" and to.kind == "f")


def index_type(of: ValueType, parts: list[frozenset | None]) -> ValueType:
    """The type of `of[parts]` (each part's possible types; None for nil/newaxis)."""
    if of.kind not in ("array", "shape"):
        raise NotLowerable(f"indexing {of.describe()}")
    found: set[ValueType] = set()
    for part in parts:
        if part is not None and not all(
            t is SPAN or (t.dtype.kind in "iu" and t.kind != "shape") or t.kind == "array"
            for t in part
        ):
            raise NotLowerable(f"an index is {describe_set(part)}")
    combos: list[list[ValueType | None]] = [[]]
    for part in parts:
        options = [None] if part is None else sorted(part, key=repr)
        combos = [c + [o] for c in combos for o in options]
    for combo in combos:
        found.add(result_type("slice", [of, *combo]))
    if len(found) != 1:
        raise NotLowerable(f"indexing {of.describe()} gives values of several types")
    return found.pop()


__all__ = [
    "FiniteChecks",
    "Operand",
    "changed_in",
    "index_type",
    "integers",
    "literal_type",
    "storable",
    "variable_name",
]
