"""Where the names of one function body are read and assigned, for the GLM pass (glm.py).

The GLM pass drops `store(pred, ...)` when nobody but the fused statement reads `pred`.
That is only sound for a *local* variable -- its first occurrence in the body is a
`define` at the body's top level, or it is assigned here only by `define`s, so no assignment
of it re-binds an outer name -- whose
every occurrence is either one of its assignments in this scope or a read inside the
statements being fused. Occurrences are counted over the whole body, nested functions
included (a closure reading `pred` keeps it), as call names too. Also small tree helpers
the pass needs. This module must not rewrite statements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from jetlag.runtime.ir.nodes import Call, Node, Variable
from jetlag.runtime.passes.effects import evaluated_now, is_function_definition


def assignment(node: Node) -> str | None:
    """The variable `define(x, value)` / `store(x, value)` assigns (not a function), or None."""
    if not isinstance(node, Call) or node.name not in ("define", "store") or node.kwargs:
        return None
    if len(node.args) != 2 or not isinstance(node.args[0], Variable):
        return None
    if is_function_definition(node):
        return None
    return node.args[0].name


def free_variables(node: Node) -> set[str]:
    """Names of the variables a subtree reads."""
    return {n.name for n in node.walk() if isinstance(n, Variable)}


def substitute(node: Node, name: str, value: Node) -> Node:
    """`node` with every read of the variable `name` replaced by `value`."""
    if isinstance(node, Variable):
        return value if node.name == name else node
    if isinstance(node, Call):
        args = tuple(substitute(arg, name, value) for arg in node.args)
        kwargs = tuple((key, substitute(v, name, value)) for key, v in node.kwargs)
        return node.replace(args=args, kwargs=kwargs)
    return node


class ScopeUsage:
    """Occurrence and assignment counts of the names of one function body."""

    def __init__(self, body: Node):
        self.occurrences: Counter[str] = Counter()
        first: dict[str, Node] = {}
        for node in body.walk():
            if isinstance(node, (Variable, Call)):
                self.occurrences[node.name] += 1
                first.setdefault(node.name, node)
        self.assignments: Counter[str] = Counter()
        stores: set[str] = set()
        for node in evaluated_now(body):
            name = assignment(node)
            if name is not None:
                self.assignments[name] += 1
                if node.name == "store":  # type: ignore[union-attr]
                    stores.add(name)
        top = body.args if isinstance(body, Call) and body.name == "block" else (body,)
        defines = {
            id(node.args[0])
            for node in top
            if isinstance(node, Call) and node.name == "define" and assignment(node) is not None
        }
        # A name only ever `define`d here binds in this scope whatever path ran before.
        only_defined = set(self.assignments) - stores
        self.local = frozenset(
            name for name, node in first.items() if id(node) in defines or name in only_defined
        )

    def only_read_in(self, name: str, expressions: Iterable[Node]) -> bool:
        """Whether `name` is local and every occurrence of it besides its assignments is a
        read inside `expressions`."""
        if name not in self.local:
            return False
        reads = sum(
            1 for e in expressions for n in e.walk() if isinstance(n, Variable) and n.name == name
        )
        return self.occurrences[name] - self.assignments[name] == reads
