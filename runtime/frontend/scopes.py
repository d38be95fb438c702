"""Local variables of one compiled function: which names are local, define vs store.

Python decides locality per function: a name bound anywhere in the body (assignment,
for target, nested def) is local everywhere in it. PhySL needs more: `define(x, v)` the
first time, `store(x, v)` after, and a `store` must find `x` already bound when it runs.
The first binding in source order becomes the `define` -- except when it sits inside an
if/while/for and the name is bound again elsewhere or read outside that statement: then
`define(x, nil)` is hoisted in front of the enclosing top-level statement and every binding
is a `store` (otherwise `if c: x = 1 else: x = 2` would store into an unbound x).
This module only plans names; it does not build nodes.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BindingSite:
    """One place a local name is bound: the node gives the position of the binder."""

    name: str
    node: ast.AST
    top: int  # index of the function-body statement containing the binding
    nested: bool  # inside an if/while/for rather than directly in the body
    function: bool = False  # binds a def or a lambda


@dataclass(frozen=True)
class LocalPlan:
    """The locals of one function and the `define(x, nil)` to emit before statement `i`."""

    params: tuple[str, ...]
    locals: frozenset[str]
    hoists: dict[int, tuple[BindingSite, ...]] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)


def _target_sites(
    target: ast.AST, top: int, nested: bool, out: list[BindingSite], function: bool = False
) -> None:
    if isinstance(target, ast.Name):
        out.append(BindingSite(target.id, target, top, nested, function))
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _target_sites(element, top, nested, out)
    elif isinstance(target, ast.Starred):
        _target_sites(target.value, top, nested, out)


def _statement_sites(stmt: ast.stmt, top: int, nested: bool, out: list[BindingSite]) -> None:
    if isinstance(stmt, ast.Assign):
        for target in stmt.targets:
            _target_sites(target, top, nested, out, isinstance(stmt.value, ast.Lambda))
    elif isinstance(stmt, (ast.AugAssign, ast.AnnAssign)):
        _target_sites(stmt.target, top, nested, out)
    elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append(BindingSite(stmt.name, stmt, top, nested, True))
        return  # a nested function's own locals are its own
    elif isinstance(stmt, (ast.For, ast.AsyncFor)):
        _target_sites(stmt.target, top, nested, out)
    for child_list in (getattr(stmt, "body", None), getattr(stmt, "orelse", None)):
        if isinstance(child_list, list):
            for child in child_list:
                if isinstance(child, ast.stmt):
                    _statement_sites(child, top, True, out)


def _reads(stmt: ast.stmt) -> set[str]:
    # Conservative: includes reads inside nested functions, which run later.
    names: set[str] = set()
    for node in ast.walk(stmt):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def plan_function(
    params: list[str], body: list[ast.stmt], reserved: Callable[[str], bool] = lambda n: False
) -> LocalPlan:
    """Find the locals of a function body and where `define(x, nil)` must be hoisted.

    A local function whose name is `reserved` (a primitive or a special form) is renamed,
    or calling it and calling the primitive would be the same PhySL call.
    """
    sites: list[BindingSite] = []
    for index, stmt in enumerate(body):
        _statement_sites(stmt, index, False, sites)
    reads = [_reads(stmt) for stmt in body]
    by_name: dict[str, list[BindingSite]] = {}
    for site in sites:
        if site.name not in params:
            by_name.setdefault(site.name, []).append(site)
    hoists: dict[int, list[BindingSite]] = {}
    for name, name_sites in by_name.items():
        first = name_sites[0]
        if not first.nested:
            continue
        read_elsewhere = any(name in r for i, r in enumerate(reads) if i != first.top)
        if len(name_sites) > 1 or read_elsewhere:
            hoists.setdefault(first.top, []).append(first)
    local_names = frozenset(params) | frozenset(by_name)
    renames: dict[str, str] = {}
    for name, name_sites in by_name.items():
        if reserved(name) and any(site.function for site in name_sites):
            counter = 1
            while f"{name}_{counter}" in local_names or reserved(f"{name}_{counter}"):
                counter += 1
            renames[name] = f"{name}_{counter}"
    return LocalPlan(
        tuple(params),
        local_names,
        {top: tuple(found) for top, found in hoists.items()},
        renames,
    )


class FunctionScope:
    """The compile-time view of one function's names while its body is compiled."""

    def __init__(self, plan: LocalPlan, parent: FunctionScope | None = None) -> None:
        self.plan = plan
        self.parent = parent
        self._defined: set[str] = set(plan.params)

    def is_local(self, name: str) -> bool:
        """True when `name` is a parameter or local of this or an enclosing function."""
        scope: FunctionScope | None = self
        while scope is not None:
            if name in scope.plan.locals:
                return True
            scope = scope.parent
        return False

    def emitted(self, name: str) -> str:
        """The PhySL name of local `name` (renamed when it clashes with a primitive)."""
        scope: FunctionScope | None = self
        while scope is not None:
            if name in scope.plan.locals:
                return scope.plan.renames.get(name, name)
            scope = scope.parent
        return name

    def is_defined(self, name: str) -> bool:
        """True when this function has already bound `name` (in source order)."""
        return name in self._defined

    def bind(self, name: str) -> str:
        """`define` for the first binding of `name` in this function, `store` after."""
        if name in self._defined:
            return "store"
        self._defined.add(name)
        return "define"

    def mark_defined(self, name: str) -> None:
        """Record a binding made by a form that binds by itself (a `for` variable)."""
        self._defined.add(name)
