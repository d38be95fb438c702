"""Elementwise fusion: a tree of two or more elementwise operations becomes one kernel.

`1.0 / (1.0 + exp(-dot(x, w)))` evaluates four primitives, each reading and writing a whole
array. This pass replaces every maximal such tree (elementwise primitives with a Numba
spelling, codegen/lowerings.py, applied to numeric literals and other values) by

    fused_elementwise(lambda(t0, __div(1.0, __add(1.0, exp(__neg(t0))))), dot(x, w))

whose primitive (primitives/fused_map.py) runs the body as one generated loop. Operands that
are variables keep their names as parameters; other operands (non-elementwise calls) become
`t0, t1, ...` and are fused recursively on their own. The body keeps every node's location,
so errors and traces still point at the user's source.

Left alone: the lambdas of `glm_gradient`/`fused_elementwise` (already fused), loops already
compiled whole (`compiled_loop`), and any tree using a name the program binds (a user value
may shadow a primitive). This module must not evaluate.
"""

from __future__ import annotations

import jetlag.runtime.primitives.fused_map  # noqa: F401  (registers fused_elementwise)
from jetlag.runtime.codegen.lowerings import numba_template
from jetlag.runtime.ir.nodes import Call, Literal, Node, Program, Variable
from jetlag.runtime.ir.text import print_physl
from jetlag.runtime.passes.effects import bound_names
from jetlag.runtime.passes.patterns import retag
from jetlag.runtime.passes.protocol import Applied, PassResult, rebuilt, statement_key
from jetlag.runtime.primitives.fused_body import fusable_call
from jetlag.runtime.primitives.registry import REGISTRY

#: Calls whose arguments this pass must not rewrite.
_OPAQUE = frozenset({"glm_gradient", "fused_elementwise", "compiled_loop"})
#: The fewest operations worth one kernel (a single one already is one loop).
MIN_FUSED = 2
_NUMERIC = (bool, int, float)


class _Fuser:
    def __init__(self, shadowed: frozenset[str]):
        self.shadowed = shadowed
        self.applied: list[Applied] = []

    def fusable(self, node: Node) -> bool:
        return (
            isinstance(node, Call)
            and not node.kwargs
            and node.name not in self.shadowed
            and fusable_call(node.name)
            and numba_template(node.name) is not None
        )

    def statement(self, node: Node) -> Node:
        """`node` with its fusable trees replaced; notes go on this statement."""
        self.current = statement_key(node)
        return self.rewrite(node)

    def rewrite(self, node: Node) -> Node:
        if not isinstance(node, Call):
            return node
        if node.name in _OPAQUE:
            return node
        if node.name == "block":
            args = tuple(self.statement(arg) for arg in node.args)
            return node if args == node.args else node.replace(args=args)
        if self.fusable(node):
            fused = self.fuse(node)
            if fused is not None:
                return fused
        args = tuple(self.rewrite(arg) for arg in node.args)
        if all(new is old for new, old in zip(args, node.args, strict=True)):
            return node
        return node.replace(args=args)

    def fuse(self, root: Call) -> Node | None:
        operands: list[Node] = []
        names: list[str] = []
        count = 0
        taken = set(self.shadowed) | {n.name for n in root.walk() if isinstance(n, Variable)}

        def absorb(node: Node) -> Node:
            nonlocal count
            if self.fusable(node):
                count += 1
                assert isinstance(node, Call)
                return node.replace(args=tuple(absorb(arg) for arg in node.args))
            if isinstance(node, Literal) and isinstance(node.value, _NUMERIC):
                return node
            if isinstance(node, Variable):
                if node.name not in names:
                    names.append(node.name)
                    operands.append(node)
                return node
            name = _fresh(taken)
            taken.add(name)
            names.append(name)
            operands.append(self.rewrite(node))
            return Variable(name, loc=node.loc)

        body = absorb(root)
        if count < MIN_FUSED or not operands:
            return None  # too small, or literals only (no array to loop over)
        params = tuple(Variable(name, loc=root.loc) for name in names)
        function = Call("lambda", params + (body,), loc=root.loc)
        self.applied.append(
            Applied(
                f"fuse: {count} elementwise operations -> one compiled loop: "
                f"{_abbreviate(print_physl(retag(body, None)))}",
                self.current,
            )
        )
        return Call("fused_elementwise", (function, *operands), loc=root.loc)


def _fresh(taken: set[str]) -> str:
    counter = 0
    while f"t{counter}" in taken or f"t{counter}" in REGISTRY:
        counter += 1
    return f"t{counter}"


def _abbreviate(text: str, width: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 3] + "..."


class ElementwiseFusion:
    """Turns every tree of ≥ 2 compilable elementwise operations into one generated loop."""

    name = "elementwise-fusion"

    def run(self, program: Program) -> PassResult:
        """The program with its elementwise trees fused (the top level included)."""
        fuser = _Fuser(bound_names(program))
        body = tuple(fuser.statement(node) for node in program.body)
        return rebuilt(program, body, fuser.applied)
