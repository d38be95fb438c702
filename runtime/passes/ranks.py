"""What kind of value an expression provably has: an ndarray of a known rank, or a Python int.

A small, sound inference used by rule guards (e.g. `transpose` of a 1-D array is the array
itself). It answers only when the tree alone proves it -- creation calls with literal or
length-like shapes, elementwise operators over known operands, slicing with literal
indices, variables whose last assignment is known -- and says "unknown" (None) otherwise;
function parameters are always unknown. It must not guess.
"""

from __future__ import annotations

from collections.abc import Callable

from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable
from jetlag.runtime.passes.effects import SPECIAL_FORMS
from jetlag.runtime.primitives import REGISTRY

#: The kind of a Python int (shape entries, lengths, counters).
INT = -1
#: A kind: INT, r >= 1 for an ndarray of rank r, or None when not proven.
Kind = int | None
KindLookup = Callable[[Variable], Kind]

_CREATION_FROM_SHAPE = frozenset({"zeros", "ones", "empty"})
_RANGES = frozenset({"arange", "linspace", "logspace"})
_INT_VALUED = frozenset({"len", "ndim"})
_ELEMENTWISE_OPERATORS = frozenset(
    {"__add", "__sub", "__mul", "__div", "__pow", "__lt", "__le", "__gt", "__ge", "__eq", "__ne"}
    | {"__neg", "__pos"}
    # `x op= v`: in place on an ndarray x (its shape, which v broadcasts to), else x op v.
    | {"__iadd", "__isub", "__imul", "__idiv", "__ipow"}
)


def _is_int_literal(node: Node) -> bool:
    return isinstance(node, Literal) and type(node.value) is int


def _is_number_literal(node: Node) -> bool:
    return isinstance(node, Literal) and type(node.value) in (int, float)


def kind_of(node: Node, lookup: KindLookup, shadowed: frozenset[str]) -> Kind:
    """The proven kind of `node`'s value, or None."""
    if isinstance(node, Variable):
        return lookup(node)
    if _is_int_literal(node):
        return INT
    if not isinstance(node, Call) or node.name in SPECIAL_FORMS or node.name in shadowed:
        return None
    if node.name not in REGISTRY:
        return None
    args = node.args

    def kind(arg: Node) -> Kind:
        return kind_of(arg, lookup, shadowed)

    if node.name in _INT_VALUED and len(args) == 1 and not node.kwargs:
        return INT
    if node.name == "slice" and len(args) == 2 and isinstance(args[0], Call):
        # shape(x)[k] with a literal k is an int
        if args[0].name == "shape" and len(args[0].args) == 1 and _is_int_literal(args[1]):
            return INT
    if node.name in _CREATION_FROM_SHAPE and len(args) == 1:
        return _rank_of_shape(args[0], kind)
    if node.name in _RANGES and args and all(_is_number_literal(a) for a in args):
        return 1 if not any(key in ("num", "axis") for key, _ in node.kwargs) else None
    if node.name in ("identity", "eye") and len(args) == 1 and kind(args[0]) == INT:
        return 2
    if node.kwargs:
        return None
    if node.name in _ELEMENTWISE_OPERATORS:
        return _broadcast([0 if _is_number_literal(arg) else kind(arg) for arg in args])
    if node.name == "transpose" and len(args) == 1:
        rank = kind(args[0])
        return rank if rank is not None and rank >= 1 else None
    if node.name == "slice" and args:
        return _rank_of_slice(kind(args[0]), args[1:])
    return None


def _rank_of_shape(shape: Node, kind: Callable[[Node], Kind]) -> Kind:
    if kind(shape) == INT:
        return 1
    if isinstance(shape, Call) and shape.name == "list" and shape.args and not shape.kwargs:
        if all(kind(entry) == INT for entry in shape.args):
            return len(shape.args)
    return None


def _broadcast(kinds: list[Kind]) -> Kind:
    """Elementwise result: an ndarray of the largest rank when one operand is an ndarray
    and every other one is an ndarray or a number (0 stands for a number literal)."""
    if any(k is None for k in kinds):
        return None
    top = max((0 if k == INT else k for k in kinds if k is not None), default=0)
    return top if top >= 1 else None


def _rank_of_slice(rank: Kind, indices: tuple[Node, ...]) -> Kind:
    if rank is None or rank < 1 or len(indices) > rank:
        return None
    dropped = 0
    for index in indices:
        if _is_int_literal(index):
            dropped += 1
        elif not (isinstance(index, Call) and index.name == "span"):
            return None
    result = rank - dropped
    return result if result >= 1 else None
