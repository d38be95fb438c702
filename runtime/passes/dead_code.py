"""Dead-definition elimination: drop assignments to local variables nothing reads.

After the algebraic rewrites, `c_u = np.diag(conf_u)` and `I_i = np.identity(n)` are often
read by nobody, yet each would still build a dense n x n matrix. Inside a function body, a
variable is dropped, with every `define`/`store` of it, only when all of these hold:
- it is local: its first occurrence is a `define` at the body's top level (so no `store`
  of it can re-bind an outer variable);
- no read of its name anywhere in the body, nested functions included (closures), and no
  call by its name; it is not a parameter or a loop variable;
- every assignment of it is in this body where its value is discarded (not the last
  expression of a block whose value is used), and assigns a pure value (effects.is_pure:
  registry primitives without effects; no user calls, no in-place writes, no special forms).
The program's top level is never touched (a notebook's later cells may read its names).
Dropping a pure computation also drops the error it could have raised (e.g. a negative
size); that is the one behaviour change, as in any compiler. This module must not rewrite
expressions.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from jetlag.runtime.ir.nodes import Call, Node, Program, Variable
from jetlag.runtime.ir.text import print_physl
from jetlag.runtime.passes.effects import (
    bound_names,
    evaluated_now,
    is_function_definition,
    is_pure,
)
from jetlag.runtime.passes.patterns import retag
from jetlag.runtime.passes.protocol import Applied, PassResult, StatementKey, statement_key

#: How long a removed statement may be in its comment before it is abbreviated.
_COMMENT_WIDTH = 72


def _discarded(nodes: Sequence[Node], value_used: bool) -> set[int]:
    """ids of the nodes of one scope (function bodies excluded) whose value is discarded."""
    found: set[int] = set()
    work = [(node, value_used and index == len(nodes) - 1) for index, node in enumerate(nodes)]
    while work:
        node, used = work.pop()
        if not used:
            found.add(id(node))
        if not isinstance(node, Call) or node.name == "lambda" or is_function_definition(node):
            continue
        if node.name == "block":
            last = len(node.args) - 1
            work.extend((arg, used and i == last) for i, arg in enumerate(node.args))
        elif node.name == "while" and len(node.args) == 2:
            work += [(node.args[0], True), (node.args[1], False)]
        elif node.name == "for" and len(node.args) == 3:
            work += [(node.args[0], True), (node.args[1], True), (node.args[2], False)]
        elif node.name == "if" and node.args:
            work.append((node.args[0], True))
            work.extend((arg, used) for arg in node.args[1:])
        else:
            work.extend((child, True) for child in node.children())
    return found


def _local_names(body: Node) -> set[str]:
    """Names a function body makes local: its first occurrence (in evaluation order) is the
    target of a `define` that is a statement of the body's top level. Every later
    `store` of such a name then re-binds the local, never an outer variable."""
    top = body.args if isinstance(body, Call) and body.name == "block" else (body,)
    defines = {
        id(node.args[0])
        for node in top
        if isinstance(node, Call)
        and node.name == "define"
        and len(node.args) == 2
        and isinstance(node.args[0], Variable)
    }
    first: dict[str, Node] = {}
    for node in body.walk():
        if isinstance(node, (Variable, Call)):
            first.setdefault(node.name, node)
    return {name for name, node in first.items() if id(node) in defines}


def _dead_assignments(body: Node, shadowed: frozenset[str]) -> dict[int, str]:
    """The assignment statements (by id) of the variables of a function body that can be
    dropped, each mapped to its variable's name."""
    discarded = _discarded([body], True)
    assignments: dict[str, list[Call]] = {}
    for node in evaluated_now(body):
        if isinstance(node, Call) and node.name in ("define", "store") and len(node.args) == 2:
            target = node.args[0]
            if isinstance(target, Variable) and not is_function_definition(node):
                assignments.setdefault(target.name, []).append(node)
    # Every occurrence of a name, in nested scopes too, as a variable or a call name.
    occurrences: dict[str, int] = {}
    for node in body.walk():
        if isinstance(node, (Variable, Call)):
            occurrences[node.name] = occurrences.get(node.name, 0) + 1
    local = _local_names(body)
    dead: dict[int, str] = {}
    for name, statements in assignments.items():
        # Each assignment accounts for one occurrence (its target); any other is a read.
        if name not in local or occurrences.get(name, 0) != len(statements):
            continue
        if all(id(s) in discarded and is_pure(s.args[1], shadowed) for s in statements):
            dead.update((id(s), name) for s in statements)
    return dead


def _describe(statement: Call, name: str) -> str:
    text = print_physl(retag(statement, None))
    if "\n" in text or len(text) > _COMMENT_WIDTH:
        text = f"{statement.name}({name}, ...)"
    return f"removed: {text}: {name} is never read"


class _Remover:
    def __init__(self, dead: dict[int, str]):
        self.dead = dead
        self.applied: list[Applied] = []

    def sequence(self, nodes: Sequence[Node], anchor: StatementKey | None) -> list[Node]:
        kept = [node for node in nodes if id(node) not in self.dead]
        for index, node in enumerate(nodes):
            if id(node) not in self.dead:
                continue
            following = [n for n in nodes[index + 1 :] if id(n) not in self.dead]
            where = statement_key(following[0]) if following else anchor
            self.applied.append(Applied(_describe(node, self.dead[id(node)]), where))  # type: ignore[arg-type]
        return [self.node(node, statement_key(node) or anchor) for node in kept]

    def node(self, node: Node, anchor: StatementKey | None) -> Node:
        if not isinstance(node, Call) or node.name == "lambda" or is_function_definition(node):
            return node
        if node.name == "block":
            return node.replace(args=tuple(self.sequence(node.args, anchor)))
        args = []
        for arg in node.args:
            if id(arg) in self.dead:  # a loop body or branch that is a lone dead assignment
                self.applied.append(Applied(_describe(arg, self.dead[id(arg)]), anchor))  # type: ignore[arg-type]
                args.append(Call("block", loc=arg.loc))
            else:
                args.append(self.node(arg, anchor))
        return node.replace(args=tuple(args))


class DeadDefinitions:
    """Removes assignments of never-read local variables, function by function.

    The program's top level is left alone: a notebook's later cells may read its names.
    """

    name = "dead-definitions"

    def run(self, program: Program) -> PassResult:
        """The program without dead assignments, and one Applied per removed statement."""
        shadowed = bound_names(program)
        applied: list[Applied] = []
        body = [
            self._functions(node, statement_key(node), shadowed, applied) for node in program.body
        ]
        return PassResult(dataclasses.replace(program, body=tuple(body)), tuple(applied))

    def _scope(
        self,
        body: Node,
        anchor: StatementKey | None,
        shadowed: frozenset[str],
        applied: list[Applied],
    ) -> Node:
        # Dropping one variable can leave another unread (x = ...; y = f(x)): repeat.
        while True:
            dead = _dead_assignments(body, shadowed)
            if not dead:
                break
            remover = _Remover(dead)
            body = remover.sequence([body], anchor)[0]
            applied.extend(remover.applied)
        return self._functions(body, anchor, shadowed, applied)

    def _functions(
        self,
        node: Node,
        anchor: StatementKey | None,
        shadowed: frozenset[str],
        applied: list[Applied],
    ) -> Node:
        """`node` with the bodies of the functions it defines cleaned as their own scopes."""
        if not isinstance(node, Call):
            return node
        if node.name == "lambda" and node.args:
            body = self._scope(node.args[-1], anchor, shadowed, applied)
            return node.replace(args=node.args[:-1] + (body,))
        if is_function_definition(node):
            if len(node.args) > 2:
                body = self._scope(node.args[-1], anchor, shadowed, applied)
                return node.replace(args=node.args[:-1] + (body,))
            lam = self._functions(node.args[1], anchor, shadowed, applied)
            return node.replace(args=(node.args[0], lam))
        if node.name == "block":
            args = tuple(
                self._functions(arg, statement_key(arg) or anchor, shadowed, applied)
                for arg in node.args
            )
        else:
            args = tuple(self._functions(arg, anchor, shadowed, applied) for arg in node.args)
        kwargs = tuple(
            (key, self._functions(value, anchor, shadowed, applied)) for key, value in node.kwargs
        )
        return node.replace(args=args, kwargs=kwargs)
