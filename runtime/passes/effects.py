"""What evaluating a subtree may do besides computing its value, as the passes must assume.

Three questions, answered conservatively from the tree and the primitive registry alone:
which names a subtree may re-bind, which arrays it may write in place, and whether it may do
anything else we cannot see (call a user function, which could do all of the above). Also
which subtrees are pure (no effect, no write, no binding: safe to share or drop) and which
primitives always return a fresh object that shares no memory with their arguments.

This module must not rewrite trees; it only describes them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from jetlag.runtime.ir.nodes import Call, Literal, Node, Program, Variable
from jetlag.runtime.primitives import REGISTRY

#: Forms the scheduler evaluates itself (docs/physl.md), not registry primitives.
SPECIAL_FORMS = frozenset(
    {"define", "lambda", "store", "block", "if", "while", "for", "break", "continue", "return"}
    | {"__and", "__or", "compiled_loop"}
)

#: Primitives that may write into their first argument besides those registered
#: `writes_first` (the in-place operators, `__iadd`...): nan_to_num(x, copy=false).
IN_PLACE = frozenset({"nan_to_num"})

# Categories whose primitives always build new arrays or plain scalars from their inputs.
# Unknown categories count as possibly returning a view: that only makes the passes do less.
_FRESH_CATEGORIES = frozenset({"creation", "elementwise", "reduction", "product", "linalg"})
_FRESH_CATEGORIES |= {"sorting", "random", "rewrite"}
# Exceptions inside those categories: they can hand back their argument or a view of it.
_MAY_ALIAS = frozenset({"asarray", "array", "nan_to_num", "einsum", "matrix_power"})
# Outside those categories, primitives whose result is a bool, an int or a tuple of ints.
_FRESH_NAMES = frozenset({"__lt", "__le", "__gt", "__ge", "__eq", "__ne", "__not"})
_FRESH_NAMES |= {"shape", "len", "ndim", "size"}


def bound_names(root: Node) -> frozenset[str]:
    """Every name the program binds anywhere: defined variables and functions, parameters,
    loop variables. A primitive with one of these names may be shadowed by a user value."""
    names: set[str] = set()
    for node in root.walk():
        if not isinstance(node, Call):
            continue
        if node.name in ("define", "store", "for") and node.args:
            if isinstance(node.args[0], Variable):
                names.add(node.args[0].name)
        if node.name == "define" and len(node.args) > 2:
            names.update(p.name for p in node.args[1:-1] if isinstance(p, Variable))
        if node.name == "lambda":
            names.update(p.name for p in node.args[:-1] if isinstance(p, Variable))
    return frozenset(names)


def is_function_definition(node: Node) -> bool:
    """`define(f, p1, ..., body)` or `define(f, lambda(...))`: binds a function value."""
    if not isinstance(node, Call) or node.name != "define" or len(node.args) < 2:
        return False
    value = node.args[1]
    return len(node.args) > 2 or (isinstance(value, Call) and value.name == "lambda")


def nested_function_body(node: Call) -> Node | None:
    """The body a function definition or lambda does not evaluate now, else None."""
    if node.name == "lambda" and node.args:
        return node.args[-1]
    if is_function_definition(node):
        value = node.args[1]
        return value.args[-1] if len(node.args) == 2 else node.args[-1]  # type: ignore[union-attr]
    return None


def evaluated_now(node: Node) -> Iterator[Node]:
    """`node` and its descendants that run when `node` runs (function bodies excluded)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, Program):
            stack.extend(current.body)
            continue
        if not isinstance(current, Call):
            continue
        if current.name == "lambda":
            continue
        if is_function_definition(current):
            stack.append(current.args[0])
            continue
        stack.extend(current.children())


@dataclass
class Effects:
    """What running a subtree may change: re-bound names, arrays written in place (by the
    variable written through), and `unknown` when it may call code we cannot see."""

    rebinds: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    unknown: bool = False

    def __bool__(self) -> bool:
        return bool(self.rebinds or self.writes or self.unknown)


def writes_in_place(name: str) -> bool:
    """Whether a call of primitive `name` may write its first argument in place: an
    in-place operator (registry `writes_first`: `__iadd` for `x += v`) or an IN_PLACE one."""
    if name in IN_PLACE:
        return True
    found = REGISTRY.get(name)
    return found is not None and found.writes_first


def is_user_call(node: Call, shadowed: frozenset[str]) -> bool:
    """Whether a call may run a user function (or a name that is no primitive)."""
    if node.name in SPECIAL_FORMS:
        return False
    return node.name in shadowed or node.name not in REGISTRY


def effects_of(node: Node, shadowed: frozenset[str]) -> Effects:
    """The effects of evaluating `node` now (function bodies run only when called)."""
    found = Effects()
    for current in evaluated_now(node):
        if not isinstance(current, Call):
            continue
        first = current.args[0] if current.args else None
        if current.name in ("define", "store", "for") and isinstance(first, Variable):
            found.rebinds.add(first.name)
        elif current.name == "store" and isinstance(first, Call) and first.name == "slice":
            target = first.args[0] if first.args else None
            if isinstance(target, Variable):
                found.writes.add(target.name)
            else:
                found.unknown = True
        elif is_user_call(current, shadowed):
            found.unknown = True
        elif writes_in_place(current.name) and first is not None:
            # Written: the memory of every variable the operand may be a view of
            # (`__iadd(slice(X, i), v)` writes X; a fresh operand writes no variable).
            found.writes |= reachable_variables(first, shadowed)
    return found


def is_pure(node: Node, shadowed: frozenset[str]) -> bool:
    """True when evaluating `node` only computes a value: variables, literals and calls of
    registry primitives without effects (no special forms, no user functions, no writes)."""
    for current in node.walk():
        if isinstance(current, (Literal, Variable)):
            continue
        if not isinstance(current, Call) or current.name in SPECIAL_FORMS:
            return False
        if is_user_call(current, shadowed) or writes_in_place(current.name):
            return False
        if REGISTRY[current.name].effect:
            return False
    return True


def returns_fresh(node: Call, shadowed: frozenset[str]) -> bool:
    """Whether the call's value never shares memory with (or contains) its arguments."""
    if node.name in SPECIAL_FORMS or is_user_call(node, shadowed):
        return False
    if node.name in _FRESH_NAMES:
        return True
    primitive = REGISTRY[node.name]
    return primitive.category in _FRESH_CATEGORIES and node.name not in _MAY_ALIAS


def reachable_variables(node: Node, shadowed: frozenset[str]) -> set[str]:
    """Variables whose memory the value of `node` may share (stopping at fresh calls)."""
    found: set[str] = set()
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, Variable):
            found.add(current.name)
        elif isinstance(current, Call) and not returns_fresh(current, shadowed):
            stack.extend(current.children())
    return found
