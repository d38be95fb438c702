"""Splitting a cell into statements that may run compiled and statements that run as Python.

`plan_cell` classifies the cell's top-level statements once, from the AST: a `def` without
decorators (compiled after Python defines it), a candidate for a compiled run (assignments,
expressions and if/for/while made only of what PhySL can express), or plain Python
(imports, with, try, classes, magics, ...). `rewrite` then guards every candidate so the
kernel decides at run time, when the namespace is known, which consecutive candidates run
together as one task graph:

    if __jetlag_N__.plain(3):        # False once statement 3 ran inside a compiled run
        <statement 3, untouched>

A displayed last expression becomes `__jetlag_N__.value(i) if not __jetlag_N__.plain(i)
else (<expression>)`, so IPython's displayhook shows either result. The original statement
nodes keep their positions, so Python errors point at the cell's own lines. This module
decides nothing about values and compiles nothing (runs.py does).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

CANDIDATE = "candidate"
DEF = "def"
PLAIN = "plain"

_STATEMENTS = (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Expr, ast.For, ast.While, ast.If)

# Constructs that would make a compiled run differ from Python (new scopes, function
# values leaking into the namespace, control flow leaving the cell) or that the frontend
# rejects anyway; refusing them here saves a compile attempt.
_REFUSED: dict[type[ast.AST], str] = {
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.NamedExpr: "an assignment expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
    ast.FunctionDef: "a nested def",
    ast.AsyncFunctionDef: "a nested def",
    ast.ClassDef: "a class",
    ast.Global: "a global statement",
    ast.Nonlocal: "a nonlocal statement",
    ast.Import: "an import",
    ast.ImportFrom: "an import",
    ast.Try: "try",
    ast.With: "with",
    ast.AsyncWith: "with",
    ast.AsyncFor: "async for",
    ast.Raise: "raise",
    ast.Assert: "assert",
    ast.Delete: "del",
    ast.Return: "return",
    ast.Starred: "a starred expression",
    ast.JoinedStr: "an f-string",
    ast.Dict: "a dict",
    ast.Set: "a set",
}


@dataclass(frozen=True)
class Statement:
    """One top-level statement of a cell: its node, lines and how it may run."""

    index: int
    node: ast.stmt
    kind: str  # CANDIDATE, DEF or PLAIN
    first_line: int
    last_line: int
    reason: str = ""  # why a PLAIN statement cannot run compiled

    @property
    def lines(self) -> str:
        """`line 3` or `lines 3-5`."""
        if self.first_line == self.last_line:
            return f"line {self.first_line}"
        return f"lines {self.first_line}-{self.last_line}"


@dataclass(frozen=True)
class CellPlan:
    """The classified statements of one cell and the cell's (transformed) source lines."""

    filename: str
    lines: tuple[str, ...]
    statements: tuple[Statement, ...]
    display_last: bool  # the last statement is a candidate expression IPython displays

    def run_end(self, index: int) -> int:
        """Index of the last candidate in the unbroken sequence of candidates from `index`."""
        end = index
        while end + 1 < len(self.statements) and self.statements[end + 1].kind == CANDIDATE:
            end += 1
        return end

    def statement_at(self, line: int, first: int, last: int) -> int | None:
        """Index of the statement among `first..last` that covers cell line `line`."""
        for stmt in self.statements[first : last + 1]:
            if stmt.first_line <= line <= stmt.last_line:
                return stmt.index
        return None

    @property
    def has_candidates(self) -> bool:
        """True when a statement may run compiled or a def will be compiled."""
        return any(s.kind in (CANDIDATE, DEF) for s in self.statements)

    @property
    def only_magics(self) -> bool:
        """True for a cell that is nothing but magics (`%physl`, `%trace ...`)."""
        return bool(self.statements) and all(_is_magic(s.node) for s in self.statements)


def _uses_ipython(node: ast.stmt) -> bool:
    # IPython turns %magics and !commands into get_ipython() calls.
    return any(isinstance(n, ast.Name) and n.id == "get_ipython" for n in ast.walk(node))


def _is_magic(node: ast.stmt) -> bool:
    return isinstance(node, ast.Expr) and _uses_ipython(node)


def _list_allowed(node: ast.List, parents: dict[ast.AST, ast.AST]) -> bool:
    # np.array([1, 2]), x.reshape([2, 3]) and x[[0, 2]] mean the same with a tuple;
    # `xs = [1, 2]` or `f([1])` (a user function may append or concatenate) do not.
    parent = parents.get(node)
    while isinstance(parent, (ast.List, ast.Tuple, ast.keyword)):
        parent = parents.get(parent)
    if isinstance(parent, ast.Subscript):
        return True
    return isinstance(parent, ast.Call) and isinstance(parent.func, ast.Attribute)


def _target_ok(target: ast.expr) -> bool:
    if isinstance(target, ast.Name):
        return True
    if isinstance(target, (ast.Tuple, ast.List)):
        return all(_target_ok(t) for t in target.elts)
    return isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)


def refusal(node: ast.stmt) -> str:
    """Why a top-level statement cannot be part of a compiled run ('' when it may be)."""
    if not isinstance(node, _STATEMENTS):
        return f"{type(node).__name__.lower()} statements run as Python"
    if _uses_ipython(node):
        return "IPython magic or shell command"
    if isinstance(node, ast.AnnAssign) and (node.value is None or not node.simple):
        return "annotation without a plain assignment"
    targets = {
        ast.Assign: lambda n: n.targets,
        ast.AugAssign: lambda n: [n.target],
        ast.AnnAssign: lambda n: [n.target],
    }.get(type(node))
    if targets is not None and not all(_target_ok(t) for t in targets(node)):
        return "assignment to an attribute or a complex target"
    parents = {child: parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    for child in ast.walk(node):
        what = _REFUSED.get(type(child))
        if what is not None:
            return f"uses {what}"
        if isinstance(child, ast.List) and not _list_allowed(child, parents):
            return "makes a list (a compiled run would make a tuple)"
        if (
            isinstance(child, ast.Constant)
            and isinstance(child.value, (str, bytes))
            and child.end_lineno != child.lineno
        ):
            return "contains a multi-line string"
    return ""


def plan_cell(nodes: list[ast.stmt], lines: tuple[str, ...], filename: str) -> CellPlan:
    """Classify the top-level statements of a cell (its AST and transformed source lines)."""
    statements: list[Statement] = []
    for index, node in enumerate(nodes):
        first = node.lineno
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            first = min([first] + [d.lineno for d in node.decorator_list])
        last = node.end_lineno or node.lineno
        shares = (index > 0 and (nodes[index - 1].end_lineno or 0) >= first) or (
            index + 1 < len(nodes) and nodes[index + 1].lineno <= last
        )
        if isinstance(node, ast.FunctionDef) and not node.decorator_list:
            kind, reason = DEF, ""
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            kind, reason = PLAIN, "decorated or async def: left as its decorators made it"
        else:
            reason = refusal(node)
            if not reason and shares:
                reason = "shares a line with another statement"
            kind = PLAIN if reason else CANDIDATE
        statements.append(Statement(index, node, kind, first, last, reason))
    display_last = bool(statements) and (
        statements[-1].kind == CANDIDATE and isinstance(statements[-1].node, ast.Expr)
    )
    return CellPlan(filename, lines, tuple(statements), display_last)


def _call(controller: str, method: str, *args: ast.expr) -> ast.Call:
    func = ast.Attribute(ast.Name(controller, ast.Load()), method, ast.Load())
    return ast.Call(func, list(args), [])


def rewrite(plan: CellPlan, controller: str) -> list[ast.stmt]:
    """The cell's statements with every candidate guarded and every def followed by its
    compilation; `controller` is the namespace name of the cell's runs.CellController."""
    out: list[ast.stmt] = []
    last = len(plan.statements) - 1
    for stmt in plan.statements:
        node = stmt.node
        index = ast.Constant(stmt.index)
        if stmt.kind == DEF:
            out.append(node)
            hook = ast.Expr(_call(controller, "compile_def", ast.Constant(node.name), index))
            out.append(ast.copy_location(hook, node))
        elif stmt.kind == CANDIDATE and stmt.index == last and plan.display_last:
            assert isinstance(node, ast.Expr)
            test = ast.UnaryOp(ast.Not(), _call(controller, "plain", index))
            choice = ast.IfExp(test, _call(controller, "value", index), node.value)
            out.append(ast.copy_location(ast.Expr(choice), node))
        elif stmt.kind == CANDIDATE:
            guard = ast.If(_call(controller, "plain", index), [node], [])
            out.append(ast.copy_location(guard, node))
        else:
            out.append(node)
    for node in out:
        ast.fix_missing_locations(node)
    return out
