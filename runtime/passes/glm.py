"""The GLM pass: `dot(transpose(X), f(dot(X, w), ...))` becomes one blocked pass over X.

The gradient of a generalized linear model reads X twice: once for z = X·w, once for
Xᵀ·f(z). When f is elementwise, both products can share one read of each block of rows
(primitives/fused.py, `glm_gradient`). In the listings the pattern spans statements:

    pred = 1 / (1 + exp(-dot(x, w)));  error = pred - y;  gradient = dot(transx, error)

with `transx = transpose(x)` earlier. Within a function body this pass looks at each
statement `g = dot(T, R)` where T is `transpose(X)` or a variable known (dataflow facts,
facts.py) to hold it, and inlines into R the statements right before it that assign
intermediate values, as long as each such variable is local and read nowhere else (every
read of it lies in the statements after it up to `g = ...`), so dropping its assignment
changes nothing anyone can observe. The result must be elementwise (fused.fusable_call)
over literals and variables, with every product in it the same `dot(X, w)` of variables
none of the dropped statements rebinds. Whether X is 2-D and w 1-D is decided at run time
by the primitive, which falls back to the unfused evaluation.

The replacement keeps the location of the replaced `dot`; f is written as a `lambda` whose
parameters are z (the product) and the variables R reads. The program's top level is never
changed (a notebook's later cells may read its names). This module must not evaluate.
"""

from __future__ import annotations

from collections.abc import Sequence

import jetlag.runtime.primitives.fused  # noqa: F401  (registers glm_gradient)
from jetlag.runtime.ir.nodes import Call, Node, Program, Variable
from jetlag.runtime.passes.effects import (
    SPECIAL_FORMS,
    Effects,
    bound_names,
    effects_of,
    is_function_definition,
)
from jetlag.runtime.passes.facts import Aliases, Facts
from jetlag.runtime.passes.glm_scope import ScopeUsage, assignment, free_variables, substitute
from jetlag.runtime.passes.patterns import tree_key
from jetlag.runtime.passes.protocol import Applied, PassResult, rebuilt, statement_key
from jetlag.runtime.primitives.fused_body import fusable_call
from jetlag.runtime.primitives.registry import REGISTRY

#: What the comment above a fused statement says.
DESCRIPTION = (
    "dot(transpose(X), f(dot(X, w), ...)) -> glm_gradient(X, w, f, ...): "
    "one blocked pass over X instead of two"
)

#: Primitive names the rewrite relies on; a program binding one of them is left alone.
_NEEDED = frozenset({"dot", "transpose", "glm_gradient", "lambda"})


class _Walker:
    def __init__(self, shadowed: frozenset[str]):
        self.shadowed = shadowed
        self.applied: list[Applied] = []

    # -- scopes and statements (the same walk as rewrite.py, without expression rules) ---

    def scope(self, body: Node, params: Sequence[str]) -> Node:
        aliases = Aliases((body,), params, self.shadowed)
        usage = ScopeUsage(body)
        return self.statement(body, Facts(), aliases, usage)[0]

    def function_definition(self, node: Call) -> Call:
        if len(node.args) > 2:
            params = [p.name for p in node.args[1:-1] if isinstance(p, Variable)]
            return node.replace(args=node.args[:-1] + (self.scope(node.args[-1], params),))
        lam = node.args[1]
        assert isinstance(lam, Call)
        params = [p.name for p in lam.args[:-1] if isinstance(p, Variable)]
        body = self.scope(lam.args[-1], params)
        return node.replace(args=(node.args[0], lam.replace(args=lam.args[:-1] + (body,))))

    def top_level(self, node: Node) -> Node:
        """Top-level statements stay; function definitions get their bodies fused."""
        if isinstance(node, Call) and is_function_definition(node):
            return self.function_definition(node)
        return node

    def statement(
        self, node: Node, facts: Facts, aliases: Aliases, usage: ScopeUsage | None
    ) -> tuple[Node, Facts]:
        """The rewritten statement and the facts that hold after it."""
        if not isinstance(node, Call):
            return node, facts
        if is_function_definition(node):
            defined = Effects(rebinds={node.args[0].name})  # type: ignore[union-attr]
            return self.function_definition(node), facts.without(defined, aliases)
        if node.name == "lambda":
            params = [p.name for p in node.args[:-1] if isinstance(p, Variable)]
            return node.replace(args=node.args[:-1] + (self.scope(node.args[-1], params),)), facts
        inner = facts.without(effects_of(node, self.shadowed), aliases)
        target = assignment(node)
        if target is not None:
            after = inner.copy()
            value = node.args[1]
            # transpose(v) is a view of v: the fact dies with v (facts.without checks both).
            if _transposed_name(value) not in (None, target):
                after.definitions[target] = value
            return node, after
        if node.name == "block":
            return self.sequence(node, inner, aliases, usage)
        if node.name in SPECIAL_FORMS:
            args = tuple(self.statement(arg, inner, aliases, usage)[0] for arg in node.args)
            return node.replace(args=args), inner
        return node, inner

    def sequence(
        self, block: Call, facts: Facts, aliases: Aliases, usage: ScopeUsage | None
    ) -> tuple[Node, Facts]:
        out: list[Node] = []
        changed = False
        for node in block.args:
            new, after = self.statement(node, facts, aliases, usage)
            fused = self.fuse(out, new, facts, usage) if usage is not None else None
            if fused is not None:
                dropped, new = fused
                del out[len(out) - dropped :]
            changed = changed or new is not node or fused is not None
            out.append(new)
            facts = after
        return (block.replace(args=tuple(out)) if changed else block), facts

    # -- the fusion ---------------------------------------------------------------------

    def transposed(self, node: Node, facts: Facts) -> str | None:
        """The name of X when `node` is transpose(X) or a variable known to hold it."""
        if isinstance(node, Variable):
            known = facts.lookup(node)
            if known is None:
                return None
            node = known
        return _transposed_name(node)

    def fuse(
        self, previous: list[Node], node: Node, facts: Facts, usage: ScopeUsage
    ) -> tuple[int, Node] | None:
        """(how many statements before `node` to drop, its replacement), or None."""
        target = assignment(node)
        if target is None:
            return None
        value = node.args[1]  # type: ignore[union-attr]
        if not (isinstance(value, Call) and value.name == "dot" and len(value.args) == 2):
            return None
        if value.kwargs or _NEEDED & self.shadowed:
            return None
        x_name = self.transposed(value.args[0], facts)
        if x_name is None:
            return None
        expression, window = value.args[1], [value.args[1]]
        dropped: list[str] = []
        # Inline the statements right before, innermost first, while each is an
        # intermediate value read only here.
        while len(dropped) < len(previous):
            candidate = previous[len(previous) - 1 - len(dropped)]
            name = assignment(candidate)
            if name is None or name not in free_variables(expression):
                break
            if not usage.only_read_in(name, window):
                break
            inlined = candidate.args[1]  # type: ignore[union-attr]
            expression = substitute(expression, name, inlined)
            window.append(inlined)
            dropped.append(name)
        built = self.build(expression, x_name, dropped, value)
        if built is None:
            return None
        folded = f" (folds in {', '.join(reversed(dropped))})" if dropped else ""
        self.applied.append(Applied(f"rewrite: {DESCRIPTION}{folded}", statement_key(node)))
        return len(dropped), node.replace(args=(node.args[0], built))  # type: ignore[union-attr]

    def build(self, expression: Node, x_name: str, dropped: list[str], dot: Call) -> Node | None:
        """glm_gradient(X, w, lambda(z, operands..., f), operands...) or None."""
        products = [n for n in expression.walk() if isinstance(n, Call) and n.name == "dot"]
        if not products:
            return None
        first = products[0]
        if not (
            len(first.args) == 2
            and not first.kwargs
            and isinstance(first.args[0], Variable)
            and first.args[0].name == x_name
            and isinstance(first.args[1], Variable)
        ):
            return None
        weights = first.args[1]
        if any(tree_key(p) != tree_key(first) for p in products):
            return None
        z_name = _fresh_name(self.shadowed | free_variables(expression))
        body = _replace_products(expression, tree_key(first), Variable(z_name, loc=first.loc))
        operands = sorted(free_variables(body) - {z_name})
        # Every value must be read where the statement stood: nothing dropped rebinds it.
        if set(dropped) & (set(operands) | {x_name, weights.name}):
            return None
        for node in body.walk():
            if isinstance(node, Call) and (
                node.kwargs or node.name in self.shadowed or not fusable_call(node.name)
            ):
                return None
        params = (Variable(z_name, loc=dot.loc),) + tuple(
            Variable(name, loc=dot.loc) for name in operands
        )
        function = Call("lambda", params + (body,), loc=dot.loc)
        args = (Variable(x_name, loc=dot.args[0].loc), weights, function)
        args += tuple(Variable(name, loc=dot.loc) for name in operands)
        return Call("glm_gradient", args, loc=dot.loc)


def _fresh_name(taken: frozenset[str] | set[str]) -> str:
    """z, or z1, z2, ...: a lambda parameter no program name or primitive uses."""
    candidate, counter = "z", 0
    while candidate in taken or candidate in REGISTRY:
        counter += 1
        candidate = f"z{counter}"
    return candidate


def _replace_products(node: Node, key: tuple, z: Variable) -> Node:
    if isinstance(node, Call):
        if node.name == "dot" and tree_key(node) == key:
            return z
        return node.replace(args=tuple(_replace_products(arg, key, z) for arg in node.args))
    return node


def _transposed_name(node: Node) -> str | None:
    """X when `node` is transpose(X) of a variable X, else None."""
    if (
        isinstance(node, Call)
        and node.name == "transpose"
        and len(node.args) == 1
        and not node.kwargs
        and isinstance(node.args[0], Variable)
    ):
        return node.args[0].name
    return None


class GlmFusion:
    """Fuses `dot(transpose(X), f(dot(X, w)))` into glm_gradient: one compiled pass over X."""

    name = "glm-fusion"

    def run(self, program: Program) -> PassResult:
        """The program with every provably equivalent GLM gradient fused."""
        walker = _Walker(bound_names(program))
        body = tuple(walker.top_level(node) for node in program.body)
        return rebuilt(program, body, walker.applied)
