"""Python expressions -> PhySL nodes: literals, operators, tuples, indexing, lambdas.

Names, attributes and calls (everything that needs name resolution) are in calls.py.
Every Call and Variable gets the absolute `line$col` of the AST node it comes from.
This module must not compile statements.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from jetlag.runtime.frontend import calls
from jetlag.runtime.frontend.context import FunctionContext
from jetlag.runtime.frontend.scopes import plan_function
from jetlag.runtime.frontend.unsupported import check_parameters
from jetlag.runtime.frontend.vocabulary import (
    BINARY_OPERATORS,
    BOOLEAN_OPERATORS,
    COMPARISONS,
    LIST,
    SLICE,
    SPAN,
    UNARY_OPERATORS,
)
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable


def compile_expression(ctx: FunctionContext, node: ast.expr) -> Node:
    """The PhySL node computing the Python expression `node`."""
    handler = _HANDLERS.get(type(node))
    if handler is None:
        raise ctx.reject(node)
    return handler(ctx, node)


def _constant(ctx: FunctionContext, node: ast.Constant) -> Node:
    value = node.value
    if value is None or isinstance(value, (bool, int, float, str)):
        return Literal(value)
    if value is Ellipsis:
        raise ctx.error(
            node,
            "'...' (Ellipsis) is not supported in a compiled function",
            "Write the indices out, e.g. a[:, :, 0] instead of a[..., 0].",
        )
    if isinstance(value, complex):
        raise ctx.error(
            node,
            "complex literals are not supported",
            "Pass complex values in as parameters (complex arrays are supported).",
        )
    raise ctx.error(
        node,
        f"{type(value).__name__} literals are not supported",
        "Use numbers, strings, True/False or None.",
    )


def _unary(ctx: FunctionContext, node: ast.UnaryOp) -> Node:
    operand = node.operand
    is_number = isinstance(operand, ast.Constant) and type(operand.value) in (int, float)
    if isinstance(node.op, ast.USub) and is_number:
        return Literal(-operand.value)  # type: ignore[attr-defined]
    name = UNARY_OPERATORS[type(node.op)]
    return Call(name, (compile_expression(ctx, operand),), loc=ctx.loc(node))


def _binary(ctx: FunctionContext, node: ast.BinOp) -> Node:
    name = BINARY_OPERATORS[type(node.op)]
    args = (compile_expression(ctx, node.left), compile_expression(ctx, node.right))
    return Call(name, args, loc=ctx.loc(node))


def _boolean(ctx: FunctionContext, node: ast.BoolOp) -> Node:
    name = BOOLEAN_OPERATORS[type(node.op)]
    result = compile_expression(ctx, node.values[0])
    for value in node.values[1:]:
        result = Call(name, (result, compile_expression(ctx, value)), loc=ctx.loc(node))
    return result


def _compare(ctx: FunctionContext, node: ast.Compare) -> Node:
    links: list[Node] = []
    left_ast: ast.expr = node.left
    left = compile_expression(ctx, left_ast)
    for op, right_ast in zip(node.ops, node.comparators, strict=True):
        name = COMPARISONS.get(type(op))
        if name is None:
            spelled = {ast.Is: "is", ast.IsNot: "is not", ast.In: "in", ast.NotIn: "not in"}
            raise ctx.error(
                left_ast,
                f"'{spelled[type(op)]}' comparisons are not supported",
                "Compare values with ==, !=, <, <=, > or >=.",
            )
        right = compile_expression(ctx, right_ast)
        links.append(Call(name, (left, right), loc=ctx.loc(left_ast)))
        left_ast, left = right_ast, right
    result = links[0]
    for link in links[1:]:
        result = Call("__and", (result, link), loc=ctx.loc(node))
    return result


def _if_expression(ctx: FunctionContext, node: ast.IfExp) -> Node:
    args = (
        compile_expression(ctx, node.test),
        compile_expression(ctx, node.body),
        compile_expression(ctx, node.orelse),
    )
    return Call("if", args, loc=ctx.loc(node))


def _sequence(ctx: FunctionContext, node: ast.Tuple | ast.List) -> Node:
    items = tuple(compile_expression(ctx, element) for element in node.elts)
    return Call(LIST, items, loc=ctx.loc(node))


def index_nodes(ctx: FunctionContext, index: ast.expr) -> tuple[Node, ...]:
    """The `slice(x, ...)` index arguments of a subscript: one per axis."""
    parts = index.elts if isinstance(index, ast.Tuple) else [index]
    nodes: list[Node] = []
    for part in parts:
        if isinstance(part, ast.Slice):
            bounds = tuple(
                Literal(None) if bound is None else compile_expression(ctx, bound)
                for bound in (part.lower, part.upper, part.step)
            )
            nodes.append(Call(SPAN, bounds, loc=ctx.loc(part)))
        else:
            nodes.append(compile_expression(ctx, part))
    return tuple(nodes)


def _subscript(ctx: FunctionContext, node: ast.Subscript) -> Node:
    base = compile_expression(ctx, node.value)
    return Call(SLICE, (base, *index_nodes(ctx, node.slice)), loc=ctx.loc(node))


def parameters(ctx: FunctionContext, args: ast.arguments) -> tuple[Variable, ...]:
    """The parameter binders of a def or lambda (positional names only)."""
    check_parameters(ctx.file, args)
    return tuple(Variable(a.arg, loc=ctx.loc(a)) for a in args.posonlyargs + args.args)


def _lambda(ctx: FunctionContext, node: ast.Lambda) -> Node:
    params = parameters(ctx, node.args)
    inner = ctx.nested(plan_function([p.name for p in params], []))
    body = compile_expression(inner, node.body)
    return Call("lambda", (*params, body), loc=ctx.loc(node))


_HANDLERS: dict[type[ast.AST], Callable[[FunctionContext, ast.expr], Node]] = {
    ast.Constant: _constant,  # type: ignore[dict-item]
    ast.UnaryOp: _unary,  # type: ignore[dict-item]
    ast.BinOp: _binary,  # type: ignore[dict-item]
    ast.BoolOp: _boolean,  # type: ignore[dict-item]
    ast.Compare: _compare,  # type: ignore[dict-item]
    ast.IfExp: _if_expression,  # type: ignore[dict-item]
    ast.Tuple: _sequence,  # type: ignore[dict-item]
    ast.List: _sequence,  # type: ignore[dict-item]
    ast.Subscript: _subscript,  # type: ignore[dict-item]
    ast.Lambda: _lambda,  # type: ignore[dict-item]
    # Late-bound: calls.py imports this module too.
    ast.Name: lambda ctx, node: calls.name_reference(ctx, node),  # type: ignore[arg-type]
    ast.Attribute: lambda ctx, node: calls.attribute_reference(ctx, node),  # type: ignore[arg-type]
    ast.Call: lambda ctx, node: calls.call(ctx, node),  # type: ignore[arg-type]
}
