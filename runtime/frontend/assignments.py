"""Assignments -> define/store: plain, into array elements, augmented, tuple unpacking.

`x = v` is `define(x, v)` the first time (see scopes.py) and `store(x, v)` after;
`X[i, :] = v` is `store(slice(X, i, span(nil, nil, nil)), v)`; `a, b = v` binds a hidden
`__unpack_<line>_<col>` to `v` and then `a` and `b` to `slice(temp, 0)` and
`slice(temp, 1)`, so `a, b = b, a` swaps. `x += v` is `store(x, __iadd(x, v))`: the
in-place operator writes an ndarray `x` in place (other names for it see the change) and
re-binds a number, as Python's `x += v` does; `X[i] += v` is Python's read, in-place
operation and write back, `store(slice(X, i), __iadd(slice(X, i), v))`, with an index
that computes something evaluated once, into a hidden `__index_<line>_<col>`.
This module must not compile other statements.
"""

from __future__ import annotations

import ast

from jetlag.runtime.frontend.context import FunctionContext
from jetlag.runtime.frontend.expressions import compile_expression, index_nodes
from jetlag.runtime.frontend.vocabulary import BINARY_OPERATORS, LIST, SLICE, SPAN
from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Variable, relocated


def unpack_name(loc: Location) -> str:
    """The hidden variable holding the value a tuple target is unpacked from."""
    return f"__unpack_{loc.line}_{loc.col}"


def in_place_operator(op: ast.operator) -> str:
    """The in-place operator primitive of an augmented assignment (`+=` -> `__iadd`)."""
    return "__i" + BINARY_OPERATORS[type(op)].lstrip("_")


def _element_variable(ctx: FunctionContext, target: ast.Subscript) -> Variable:
    # Writes go into a variable's elements: `X[i] = v`, not `X[i][j] = v` or `f(x)[i] = v`.
    base = target.value
    if not isinstance(base, ast.Name):
        raise ctx.error(
            target,
            f"assignment to '{ast.unparse(target)}' is not supported",
            "Assign to elements of a variable with one index, e.g. X[i, j] = v.",
        )
    if not ctx.scope.is_local(base.id):
        raise ctx.error(
            base,
            f"cannot assign into '{base.id}', which is not a parameter or local variable",
            f"Pass '{base.id}' in as a parameter to change its elements.",
        )
    return ctx.local(base.id, ctx.loc(base))


def _element_target(ctx: FunctionContext, target: ast.Subscript) -> Call:
    variable = _element_variable(ctx, target)
    return Call(SLICE, (variable, *index_nodes(ctx, target.slice)), loc=ctx.loc(target))


def _evaluates_freely(node: Node) -> bool:
    """Whether evaluating an index twice costs nothing and gives the same value: names,
    literals, and spans and lists of those."""
    for current in node.walk():
        if isinstance(current, Call) and current.name not in (SPAN, LIST):
            return False
    return True


def bind_target(ctx: FunctionContext, target: ast.expr, value: Node) -> list[Node]:
    """The nodes assigning an already compiled `value` to an assignment target."""
    loc = ctx.loc(target)
    if isinstance(target, ast.Name):
        form = ctx.scope.bind(target.id)
        return [Call(form, (ctx.local(target.id, loc), value), loc=loc)]
    if isinstance(target, ast.Subscript):
        return [Call("store", (_element_target(ctx, target), value), loc=loc)]
    if isinstance(target, (ast.Tuple, ast.List)):
        temp = unpack_name(loc)
        nodes: list[Node] = [Call(ctx.scope.bind(temp), (Variable(temp, loc=loc), value), loc=loc)]
        nodes.extend(unpack_into(ctx, target, temp))
        return nodes
    if isinstance(target, ast.Attribute):
        raise ctx.error(
            target,
            "assignment to attributes is not supported",
            "Only variables and array elements (X[i] = v) can be assigned.",
        )
    if isinstance(target, ast.Starred):
        raise ctx.error(
            target,
            "starred assignment targets (*rest) are not supported",
            "Unpack a fixed number of values, or index the array instead.",
        )
    raise ctx.reject(target)


def unpack_into(ctx: FunctionContext, target: ast.Tuple | ast.List, temp: str) -> list[Node]:
    """Bind each element of a tuple target to `slice(temp, k)`."""
    nodes: list[Node] = []
    temp_loc = ctx.loc(target)
    for index, element in enumerate(target.elts):
        if isinstance(element, ast.Starred):
            bind_target(ctx, element, Literal(None))  # raises the starred-target error
        item = Call(SLICE, (Variable(temp, loc=temp_loc), Literal(index)), loc=ctx.loc(element))
        nodes.extend(bind_target(ctx, element, item))
    return nodes


def assign(ctx: FunctionContext, stmt: ast.Assign) -> list[Node]:
    """`t = v` and `t1 = t2 = v` (later targets take the first target's value)."""
    nodes = bind_target(ctx, stmt.targets[0], compile_expression(ctx, stmt.value))
    first = stmt.targets[0]
    for target in stmt.targets[1:]:
        if not isinstance(first, ast.Name):
            raise ctx.error(
                target,
                "chained assignment is only supported when the first target is a name",
                "Assign the value to a variable first, then copy it.",
            )
        nodes.extend(bind_target(ctx, target, ctx.local(first.id, ctx.loc(first))))
    return nodes


def annotated_assign(ctx: FunctionContext, stmt: ast.AnnAssign) -> list[Node]:
    """`x: T = v` is `x = v`; the annotation is ignored (`x: T` alone does nothing)."""
    if stmt.value is None:
        return []
    return bind_target(ctx, stmt.target, compile_expression(ctx, stmt.value))


def augmented_assign(ctx: FunctionContext, stmt: ast.AugAssign) -> list[Node]:
    """`x op= v` -> `store(x, __iop(x, v))`; on elements, `X[i] op= v` ->
    `store(slice(X, i), __iop(slice(X, i), v))` (Python's read, in-place op, write back)."""
    operator = in_place_operator(stmt.op)
    target = stmt.target
    loc = ctx.loc(target)
    if isinstance(target, ast.Name):
        name = target.id
        if not ctx.scope.is_defined(name):
            raise ctx.error(
                target,
                f"local variable '{name}' is used before it is assigned",
                f"Assign '{name}' a first value (e.g. {name} = 0) before updating it.",
            )
        value = compile_expression(ctx, stmt.value)
        updated = Call(operator, (ctx.local(name, loc), value), loc=ctx.loc(stmt))
        return [Call("store", (ctx.local(name, loc), updated), loc=loc)]
    if not isinstance(target, ast.Subscript):
        return bind_target(ctx, target, compile_expression(ctx, stmt.value))  # raises
    variable = _element_variable(ctx, target)
    nodes: list[Node] = []
    indices: list[Node] = []
    # Python evaluates the index once, for both the read and the write back.
    for index in index_nodes(ctx, target.slice):
        if _evaluates_freely(index):
            indices.append(index)
            continue
        assert index.loc is not None  # a computing index is a tagged call
        temp = f"__index_{index.loc.line}_{index.loc.col}"
        bound = Call(ctx.scope.bind(temp), (Variable(temp, loc=index.loc), index), loc=index.loc)
        nodes.append(bound)
        indices.append(Variable(temp, loc=index.loc))
    current = Call(SLICE, (variable, *indices), loc=loc)
    value = compile_expression(ctx, stmt.value)
    updated = Call(operator, (current, value), loc=ctx.loc(stmt))
    # The write back is its own copy: passes tell nodes apart by identity.
    nodes.append(Call("store", (relocated(current, lambda same: same), updated), loc=loc))
    return nodes
