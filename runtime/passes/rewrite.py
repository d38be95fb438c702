"""The algebraic rewrite pass: runs the rule table (algebra.py) over the tree, seeing
through variables with dataflow facts (facts.py).

Each scope (the program, each function body) is walked in evaluation order. Within a
sequence of statements, `x = diag(v)` makes `x` stand for `diag(v)` in later statements
until `x` or `v` may change; facts entering a loop, a branch or a nested block are those
nothing inside it can kill, so a fact is never used where another iteration or path could
have invalidated it. Function bodies start with no facts (they run later, anywhere). Rules
are tried top-down at every call (the longest pattern first, as the table orders them)
and again after the call's arguments were rewritten. A rule is off in a program that binds
any of its call names (a user `dot` would shadow the primitive).

Rewrites keep the location of the node they replace. The definition a rewrite saw through
(`c_u = diag(conf_u)`) stays; the dead-definition pass removes it if nothing reads it.
This module must not remove statements or evaluate anything.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from jetlag.runtime.ir.nodes import Call, Node, Program, Variable
from jetlag.runtime.passes.algebra import RULES
from jetlag.runtime.passes.effects import (
    SPECIAL_FORMS,
    Effects,
    bound_names,
    effects_of,
    is_function_definition,
    is_pure,
)
from jetlag.runtime.passes.facts import Aliases, Facts
from jetlag.runtime.passes.patterns import Rule
from jetlag.runtime.passes.protocol import Applied, PassResult, StatementKey, statement_key
from jetlag.runtime.passes.ranks import Kind, kind_of

#: Rewrites of one node before giving up (every rule shrinks the tree, so this is a guard).
MAX_REWRITES_PER_NODE = 32


@dataclass
class _Context:
    """What rules and guards may ask at the node being rewritten."""

    facts: Facts
    shadowed: frozenset[str]

    def kind(self, node: Node) -> Kind:
        """The proven kind of `node`'s value here (ranks.py), or None."""
        return kind_of(node, self.facts.kind, self.shadowed)

    def pure(self, node: Node) -> bool:
        """Whether `node` may be evaluated once for two occurrences, or dropped."""
        return is_pure(node, self.shadowed)


class _Walker:
    def __init__(self, rules: Sequence[Rule], shadowed: frozenset[str]):
        self.rules = [rule for rule in rules if not (rule.names & shadowed)]
        self.shadowed = shadowed
        self.applied: list[Applied] = []

    # -- scopes and statements -----------------------------------------------------------

    def scope(self, body: Node, params: Sequence[str], anchor: StatementKey | None) -> Node:
        """A function body: a new scope, no facts from outside."""
        aliases = Aliases((body,), params, self.shadowed)
        return self.statement(body, Facts(), aliases, anchor)[0]

    def sequence(
        self, nodes: Sequence[Node], facts: Facts, aliases: Aliases
    ) -> tuple[list[Node], Facts]:
        out = []
        for node in nodes:
            new, facts = self.statement(node, facts, aliases, statement_key(node))
            out.append(new)
        return out, facts

    def statement(
        self, node: Node, facts: Facts, aliases: Aliases, anchor: StatementKey | None
    ) -> tuple[Node, Facts]:
        """The rewritten statement and the facts that hold after it."""
        if not isinstance(node, Call):
            return node, facts
        if is_function_definition(node):
            defined = Effects(rebinds={node.args[0].name})  # type: ignore[union-attr]
            return self.function_definition(node, anchor), facts.without(defined, aliases)
        if node.name == "lambda":
            params = [p.name for p in node.args[:-1] if isinstance(p, Variable)]
            body = self.scope(node.args[-1], params, anchor)
            return node.replace(args=node.args[:-1] + (body,)), facts
        # Facts valid everywhere inside: whatever the statement may kill is gone.
        inner = facts.without(effects_of(node, self.shadowed), aliases)
        target = node.args[0] if node.args else None
        if node.name in ("define", "store") and len(node.args) == 2:
            if isinstance(target, Variable):
                value = self.expression(node.args[1], inner, aliases, anchor)
                after = inner.copy()
                after.assign(target.name, value, self.kind(value, inner), self.shadowed)
                return node.replace(args=(target, value)), after
        if node.name == "block":
            body, after = self.sequence(node.args, inner, aliases)
            return node.replace(args=tuple(body)), after
        if node.name in SPECIAL_FORMS:
            args = tuple(self.statement(arg, inner, aliases, anchor)[0] for arg in node.args)
            kwargs = tuple(
                (key, self.statement(value, inner, aliases, anchor)[0])
                for key, value in node.kwargs
            )
            return node.replace(args=args, kwargs=kwargs), inner
        return self.expression(node, inner, aliases, anchor), inner

    def function_definition(self, node: Call, anchor: StatementKey | None) -> Call:
        if len(node.args) > 2:
            params = [p.name for p in node.args[1:-1] if isinstance(p, Variable)]
            body = self.scope(node.args[-1], params, anchor)
            return node.replace(args=node.args[:-1] + (body,))
        lam = node.args[1]
        assert isinstance(lam, Call)
        params = [p.name for p in lam.args[:-1] if isinstance(p, Variable)]
        body = self.scope(lam.args[-1], params, anchor)
        return node.replace(args=(node.args[0], lam.replace(args=lam.args[:-1] + (body,))))

    # -- expressions ---------------------------------------------------------------------

    def kind(self, node: Node, facts: Facts) -> Kind:
        return kind_of(node, facts.kind, self.shadowed)

    def expression(
        self,
        node: Node,
        facts: Facts,
        aliases: Aliases,
        anchor: StatementKey | None,
        depth: int = 0,
    ) -> Node:
        if not isinstance(node, Call):
            return node
        if node.name in SPECIAL_FORMS:
            return self.statement(node, facts, aliases, anchor)[0]
        rewritten = self.rewrite_here(node, facts, anchor, depth)
        if rewritten is not None:
            return self.expression(rewritten, facts, aliases, anchor, depth + 1)
        args = tuple(self.expression(arg, facts, aliases, anchor) for arg in node.args)
        kwargs = tuple(
            (key, self.expression(value, facts, aliases, anchor)) for key, value in node.kwargs
        )
        unchanged = all(new is old for new, old in zip(args, node.args, strict=True))
        unchanged = unchanged and all(
            new is old for (_, new), (_, old) in zip(kwargs, node.kwargs, strict=True)
        )
        if unchanged:
            return node
        node = node.replace(args=args, kwargs=kwargs)
        rewritten = self.rewrite_here(node, facts, anchor, depth)
        if rewritten is not None:
            return self.expression(rewritten, facts, aliases, anchor, depth + 1)
        return node

    def rewrite_here(
        self, node: Call, facts: Facts, anchor: StatementKey | None, depth: int
    ) -> Node | None:
        """The first rule's rewrite of `node` itself, recording it; None when none applies."""
        if depth >= MAX_REWRITES_PER_NODE:
            return None
        context = _Context(facts, self.shadowed)
        for rule in self.rules:
            rewritten = rule.apply(node, facts.lookup, context.pure, context)
            if rewritten is not None:
                self.applied.append(Applied(f"rewrite: {rule.describe()}", anchor))
                return rewritten
        return None


class AlgebraicRewrite:
    """Applies the rewrite rules (default: algebra.RULES, below) wherever they provably hold."""

    name = "algebra"

    def __init__(self, rules: Sequence[Rule] = RULES):
        self.rules = tuple(rules)

    def run(self, program: Program) -> PassResult:
        """The rewritten program and one Applied per rewrite."""
        shadowed = bound_names(program)
        walker = _Walker(self.rules, shadowed)
        aliases = Aliases(program.body, (), shadowed)
        body, _ = walker.sequence(program.body, Facts(), aliases)
        new = dataclasses.replace(program, body=tuple(body))
        return PassResult(new, tuple(walker.applied))
