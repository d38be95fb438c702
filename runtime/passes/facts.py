"""Dataflow facts within one scope: what a variable is known to hold at a program point.

Two kinds of fact, both created by `define(x, e)` / `store(x, e)` and valid until something
may invalidate them:
- a *definition* `x := diag(v)` or `x := identity(n)` (a transparent call over variables
  and literals), which lets rules see through `x` to the call;
- a *kind* (ranks.py): `x` holds an ndarray of rank r, or a Python int.
A definition dies when `x` or a variable it mentions is re-bound, when an array that may
share memory with one of them is written in place (`store(slice(...))`), and when code we
cannot see runs (a user function call). Aliasing is judged by `Aliases`, flow-insensitive
may-alias classes of the scope. Loops and branches are handled by the caller (rewrite.py):
facts entering a compound statement are those not killed anywhere inside it.

This module must not rewrite trees.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable
from jetlag.runtime.passes.effects import (
    Effects,
    evaluated_now,
    is_function_definition,
    is_user_call,
    reachable_variables,
)
from jetlag.runtime.passes.ranks import Kind

#: Calls a variable may be seen through: cheap to name again and free of aliasing surprises
#: once their operands are known unchanged.
TRANSPARENT = frozenset({"diag", "identity"})

_EXTERNAL = "\0external"  # the class of parameters and names bound outside the scope


class Aliases:
    """May-alias classes of the variables of one scope (union-find over all assignments).

    Two names are in one class when one may hold (a view of) memory the other holds:
    `y = x`, `y = x[0]`, `y = transpose(x)`, `for y in x` join them; a fresh result
    (effects.returns_fresh) joins nothing. Parameters and outer names share one class,
    since a caller may pass the same array twice; a user function call joins everything.
    """

    def __init__(self, body: Iterable[Node], params: Iterable[str], shadowed: frozenset[str]):
        self._parent: dict[str, str] = {}
        bound: set[str] = set(params)
        for name in params:
            self._union(name, _EXTERNAL)
        pairs: list[tuple[str, set[str]]] = []
        universal: list[str] = []
        read: set[str] = set()
        for root in body:
            for node in evaluated_now(root):
                if isinstance(node, Variable):
                    read.add(node.name)
                if not isinstance(node, Call) or not node.args:
                    continue
                target = node.args[0]
                if not isinstance(target, Variable) or is_function_definition(node):
                    continue
                if node.name in ("define", "store", "for") and len(node.args) >= 2:
                    bound.add(target.name)
                    value = node.args[1]
                    pairs.append((target.name, reachable_variables(value, shadowed)))
                    if any(
                        isinstance(n, Call) and is_user_call(n, shadowed)
                        for n in evaluated_now(value)
                    ):
                        universal.append(target.name)
        for name in read - bound:
            self._union(name, _EXTERNAL)
        for name, sources in pairs:
            for source in sources:
                self._union(name, source)
        every = list(read | bound)
        for name in universal:
            for other in every:
                self._union(name, other)

    def _find(self, name: str) -> str:
        root = name
        while self._parent.setdefault(root, root) != root:
            root = self._parent[root]
        return root

    def _union(self, a: str, b: str) -> None:
        root_a, root_b = self._find(a), self._find(b)
        if root_a != root_b:
            self._parent[root_a] = root_b

    def may_alias(self, a: str, b: str) -> bool:
        """Whether `a` and `b` may share memory."""
        return self._find(a) == self._find(b)

    def touches(self, written: Iterable[str], names: Iterable[str]) -> bool:
        """Whether writing into any of `written` may change any of `names`."""
        roots = {self._find(name) for name in written}
        return any(self._find(name) in roots for name in names)


def transparent_definition(value: Node, shadowed: frozenset[str]) -> Call | None:
    """`value` when it is a transparent call over variables and literals, else None."""
    if not isinstance(value, Call) or value.name not in TRANSPARENT or value.name in shadowed:
        return None
    if not all(isinstance(arg, (Variable, Literal)) for arg in value.children()):
        return None
    return value


def _mentions(definition: Call) -> set[str]:
    return {node.name for node in definition.children() if isinstance(node, Variable)}


@dataclass
class Facts:
    """Definitions and kinds known at one program point of one scope."""

    definitions: dict[str, Call] = field(default_factory=dict)
    kinds: dict[str, int] = field(default_factory=dict)

    def copy(self) -> Facts:
        """An independent copy (facts are updated in place while walking a sequence)."""
        return Facts(dict(self.definitions), dict(self.kinds))

    def lookup(self, variable: Variable) -> Node | None:
        """The transparent call `variable` is known to hold here, or None."""
        return self.definitions.get(variable.name)

    def kind(self, variable: Variable) -> Kind:
        """The proven kind of `variable` here, or None."""
        return self.kinds.get(variable.name)

    def without(self, effects: Effects, aliases: Aliases) -> Facts:
        """The facts that survive `effects` (a new object)."""
        if effects.unknown:
            return Facts()
        survivors = Facts()
        for name, definition in self.definitions.items():
            names = {name} | _mentions(definition)
            if names & effects.rebinds:
                continue
            if effects.writes and aliases.touches(effects.writes, names):
                continue
            survivors.definitions[name] = definition
        survivors.kinds = {n: k for n, k in self.kinds.items() if n not in effects.rebinds}
        return survivors

    def assign(self, name: str, value: Node, kind: Kind, shadowed: frozenset[str]) -> None:
        """Record what `name` holds right after `define/store(name, value)`.

        The caller has already removed the facts the assignment kills.
        """
        definition = transparent_definition(value, shadowed)
        if definition is not None and name not in _mentions(definition):
            self.definitions[name] = definition
        if kind is not None:
            self.kinds[name] = kind
