"""Which names a run of top-level cell statements reads, assigns and calls.

A run of consecutive top-level statements becomes one synthetic compiled function. To
build it the kernel must know, in program order, which names come from the notebook's
namespace (parameters or globals), which the run assigns (results stored back), and which
it assigns only conditionally (inside if/for/while bodies), where Python would leave an
unassigned name untouched. This module answers those questions from the AST alone; it
never looks at values or the namespace (runs.py does) and never compiles anything.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field


@dataclass
class Flow:
    """What a run of statements does with names (statement indexes are relative to the run).

    reads:             names read before any assignment in the run (or read where they are
                       only conditionally assigned), with the first statement reading them.
    maybe_reads:       the subset of `reads` that the run may have assigned before the read.
    assigned:          every name the run assigns, in order of first assignment.
    assign_index:      statement of each name's first assignment.
    conditional_first: names whose first assignment is inside an if/for/while body.
    aug_targets:       names updated with `x op= ...`, with their statement.
    copies:            names on either side of a plain `a = b` copy.
    call_roots:        the root name of every called expression (`np` for `np.linalg.inv`).
    call_sites:        (statement, root name) of every call, in order.
    works:             True when the run computes something: a call, an operator, an
                       index or a loop (not only names and constants).
    """

    reads: dict[str, int] = field(default_factory=dict)
    maybe_reads: set[str] = field(default_factory=set)
    assigned: list[str] = field(default_factory=list)
    assign_index: dict[str, int] = field(default_factory=dict)
    conditional_first: set[str] = field(default_factory=set)
    aug_targets: dict[str, int] = field(default_factory=dict)
    copies: set[str] = field(default_factory=set)
    call_roots: set[str] = field(default_factory=set)
    call_sites: list[tuple[int, str]] = field(default_factory=list)
    works: bool = False


def root_name(node: ast.expr) -> str | None:
    """The name an attribute/subscript/call chain starts from (`np` for `np.linalg.inv`)."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


_WORK = (ast.Call, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Subscript, ast.IfExp)


class _Walker:
    """Walks statements in program order, tracking definitely-assigned names per branch."""

    def __init__(self) -> None:
        self.flow = Flow()
        self.bound: set[str] = set()  # assigned somewhere earlier (maybe conditionally)
        self.definite: set[str] = set()  # surely assigned at this point
        self.index = 0

    def statements(self, body: list[ast.stmt], conditional: bool) -> None:
        for stmt in body:
            self.statement(stmt, conditional)

    def statement(self, stmt: ast.stmt, conditional: bool) -> None:
        if isinstance(stmt, ast.Assign):
            self.expression(stmt.value)
            for target in stmt.targets:
                self.target(target, conditional)
            if isinstance(stmt.value, ast.Name):
                names = [t.id for t in stmt.targets if isinstance(t, ast.Name)]
                if names:
                    self.flow.copies.update([stmt.value.id, *names])
        elif isinstance(stmt, ast.AugAssign):
            if isinstance(stmt.target, ast.Name):
                self.read(stmt.target.id)
                self.flow.aug_targets.setdefault(stmt.target.id, self.index)
            self.expression(stmt.value)
            self.target(stmt.target, conditional)
        elif isinstance(stmt, ast.AnnAssign):
            if stmt.value is not None:
                self.expression(stmt.value)
                self.target(stmt.target, conditional)
        elif isinstance(stmt, ast.Expr):
            self.expression(stmt.value)
        elif isinstance(stmt, (ast.For, ast.While)):
            self.flow.works = True
            # A loop body may run zero times: nothing it assigns is definite after it.
            saved = set(self.definite)
            if isinstance(stmt, ast.For):
                self.expression(stmt.iter)
                self.target(stmt.target, True)
            else:
                self.expression(stmt.test)
            self.statements(stmt.body, True)
            self.statements(stmt.orelse, True)
            self.definite = saved
        elif isinstance(stmt, ast.If):
            self.expression(stmt.test)
            saved = set(self.definite)
            self.statements(stmt.body, True)
            after_body, self.definite = self.definite, set(saved)
            self.statements(stmt.orelse, True)
            self.definite = saved | (after_body & self.definite)
        else:
            # Other statements never reach a compiled run (cells.py refuses them); reading
            # every name keeps the analysis conservative if one ever does.
            self.expression(stmt)

    def expression(self, node: ast.AST) -> None:
        for child in ast.walk(node):
            if isinstance(child, _WORK):
                self.flow.works = True
            if isinstance(child, ast.Name) and isinstance(child.ctx, ast.Load):
                self.read(child.id)
            elif isinstance(child, ast.Call):
                root = root_name(child.func)
                if root is not None:
                    self.flow.call_roots.add(root)
                    self.flow.call_sites.append((self.index, root))

    def target(self, node: ast.expr, conditional: bool) -> None:
        if isinstance(node, ast.Name):
            self.assign(node.id, conditional)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                self.target(element, conditional)
        elif isinstance(node, ast.Starred):
            self.target(node.value, conditional)
        else:  # x[i] = v and x.a = v read x
            self.expression(node)

    def read(self, name: str) -> None:
        if name in self.definite:
            return
        if name in self.bound:
            self.flow.maybe_reads.add(name)
        self.flow.reads.setdefault(name, self.index)

    def assign(self, name: str, conditional: bool) -> None:
        if name not in self.bound:
            self.flow.assigned.append(name)
            self.flow.assign_index[name] = self.index
            if conditional:
                self.flow.conditional_first.add(name)
        self.bound.add(name)
        self.definite.add(name)


def analyze(statements: list[ast.stmt]) -> Flow:
    """The Flow of a run of top-level statements, in order."""
    walker = _Walker()
    for index, stmt in enumerate(statements):
        walker.index = index
        walker.statement(stmt, conditional=False)
    return walker.flow
