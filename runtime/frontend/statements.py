"""Python statements and function bodies -> PhySL.

A function becomes `define(f, p1, ..., pn, block(...))` (`define(f, lambda(block(...)))`
without parameters). Its final `return x` is the block's last expression; an earlier
return, or one inside if/while/for, is `return(x)`; without a return the block ends in
`nil`. Control flow maps to the special forms if/while/for/break/continue. This module
must not resolve names (calls.py) or decide define vs store (scopes.py).
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from jetlag.runtime.frontend import assignments
from jetlag.runtime.frontend.context import FunctionContext
from jetlag.runtime.frontend.expressions import compile_expression, parameters
from jetlag.runtime.frontend.scopes import LocalPlan, plan_function
from jetlag.runtime.frontend.source import def_name_location, else_location
from jetlag.runtime.frontend.vocabulary import is_reserved
from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Variable


def function_parts(
    ctx: FunctionContext, node: ast.FunctionDef
) -> tuple[tuple[Variable, ...], Call]:
    """Compile a def in the context `ctx` of its own body: its parameters and body block.

    `ctx` must have been made for this function (its scope planned from `node`).
    """
    params = parameters(ctx, node.args)
    return params, function_body(ctx, node)


def plan_of_function(node: ast.FunctionDef) -> LocalPlan:
    """The LocalPlan of a def's own body (its parameters and locals)."""
    params = [a.arg for a in node.args.posonlyargs + node.args.args]
    return plan_function(params, node.body, is_reserved)


def define_node(name: Variable, params: tuple[Variable, ...], body: Node, loc: Location) -> Call:
    """`define(f, p..., body)`, or `define(f, lambda(body))` for no parameters."""
    if params:
        return Call("define", (name, *params, body), loc=loc)
    return Call("define", (name, Call("lambda", (body,), loc=loc)), loc=loc)


def function_body(ctx: FunctionContext, node: ast.FunctionDef) -> Call:
    """The body block of a function, with hoisted defines and the final return value."""
    body = node.body
    nodes: list[Node] = []
    for index, stmt in enumerate(body):
        for site in ctx.scope.plan.hoists.get(index, ()):
            if not ctx.scope.is_defined(site.name):
                ctx.scope.bind(site.name)
                loc = ctx.loc(site.node)
                if isinstance(site.node, ast.FunctionDef):
                    loc = def_name_location(ctx.file, site.node)
                target = ctx.local(site.name, loc)
                nodes.append(Call("define", (target, Literal(None)), loc=loc))
        if index == len(body) - 1 and isinstance(stmt, ast.Return):
            value = stmt.value
            nodes.append(Literal(None) if value is None else compile_expression(ctx, value))
            break
        nodes.extend(compile_statement(ctx, stmt))
    else:
        nodes.append(Literal(None))
    return Call("block", tuple(nodes), loc=ctx.loc(node))


def compile_statement(ctx: FunctionContext, stmt: ast.stmt) -> list[Node]:
    """The nodes of one statement (none for pass and docstrings)."""
    handler = _HANDLERS.get(type(stmt))
    if handler is None:
        raise ctx.reject(stmt)
    return handler(ctx, stmt)


def _block(ctx: FunctionContext, stmts: list[ast.stmt]) -> Call:
    nodes: list[Node] = []
    for stmt in stmts:
        nodes.extend(compile_statement(ctx, stmt))
    return Call("block", tuple(nodes), loc=ctx.loc(stmts[0]))


def _expression_statement(ctx: FunctionContext, stmt: ast.Expr) -> list[Node]:
    if isinstance(stmt.value, ast.Constant):
        return []  # docstrings, string comments and `...` placeholders
    return [compile_expression(ctx, stmt.value)]


def _return(ctx: FunctionContext, stmt: ast.Return) -> list[Node]:
    args = () if stmt.value is None else (compile_expression(ctx, stmt.value),)
    return [Call("return", args, loc=ctx.loc(stmt))]


def _if(ctx: FunctionContext, stmt: ast.If) -> list[Node]:
    args: list[Node] = [compile_expression(ctx, stmt.test), _block(ctx, stmt.body)]
    if len(stmt.orelse) == 1 and isinstance(stmt.orelse[0], ast.If):
        args.extend(_if(ctx, stmt.orelse[0]))  # elif: the nested if is the else branch
    elif stmt.orelse:
        args.append(_block(ctx, stmt.orelse))
    return [Call("if", tuple(args), loc=ctx.loc(stmt))]


def _loop_else(ctx: FunctionContext, stmt: ast.While | ast.For, loop: str) -> None:
    if stmt.orelse:
        raise ctx.error_at(
            else_location(ctx.file, stmt),
            f"'else' on a {loop} loop is not supported",
            "Use a flag variable set before 'break' and test it after the loop.",
        )


def _while(ctx: FunctionContext, stmt: ast.While) -> list[Node]:
    _loop_else(ctx, stmt, "while")
    test = compile_expression(ctx, stmt.test)
    return [Call("while", (test, _block(ctx, stmt.body)), loc=ctx.loc(stmt))]


def _for(ctx: FunctionContext, stmt: ast.For) -> list[Node]:
    _loop_else(ctx, stmt, "for")
    iterable = compile_expression(ctx, stmt.iter)
    target = stmt.target
    loc = ctx.loc(target)
    prologue: list[Node] = []
    if isinstance(target, ast.Name):
        name = target.id
    elif isinstance(target, (ast.Tuple, ast.List)):
        name = assignments.unpack_name(loc)
        ctx.scope.mark_defined(name)
        prologue = assignments.unpack_into(ctx, target, name)
    else:
        raise ctx.error(
            target,
            "a for loop variable must be a name or a tuple of names",
            "Loop over a name and assign inside the loop body.",
        )
    ctx.scope.mark_defined(name)
    body = _block(ctx, stmt.body)
    if prologue:
        body = body.replace(args=(*prologue, *body.args))
    return [Call("for", (ctx.local(name, loc), iterable, body), loc=ctx.loc(stmt))]


def _nested_def(ctx: FunctionContext, stmt: ast.FunctionDef) -> list[Node]:
    if stmt.decorator_list:
        raise ctx.error(
            stmt.decorator_list[0],
            "decorators on nested functions are not supported",
            "Remove the decorator; the nested function is compiled with its parent.",
        )
    name_loc = def_name_location(ctx.file, stmt)
    inner = ctx.nested(plan_of_function(stmt))
    params, body = function_parts(inner, stmt)
    target = ctx.local(stmt.name, name_loc)
    loc = ctx.loc(stmt)
    if ctx.scope.bind(stmt.name) == "define":
        return [define_node(target, params, body, loc)]
    return [Call("store", (target, Call("lambda", (*params, body), loc=loc)), loc=loc)]


def _simple(form: str) -> Callable[[FunctionContext, ast.stmt], list[Node]]:
    return lambda ctx, stmt: [Call(form, (), loc=ctx.loc(stmt))]


_HANDLERS: dict[type[ast.AST], Callable[[FunctionContext, ast.stmt], list[Node]]] = {
    ast.Expr: _expression_statement,  # type: ignore[dict-item]
    ast.Assign: assignments.assign,  # type: ignore[dict-item]
    ast.AugAssign: assignments.augmented_assign,  # type: ignore[dict-item]
    ast.AnnAssign: assignments.annotated_assign,  # type: ignore[dict-item]
    ast.Return: _return,  # type: ignore[dict-item]
    ast.If: _if,  # type: ignore[dict-item]
    ast.While: _while,  # type: ignore[dict-item]
    ast.For: _for,  # type: ignore[dict-item]
    ast.FunctionDef: _nested_def,  # type: ignore[dict-item]
    ast.Break: _simple("break"),
    ast.Continue: _simple("continue"),
    ast.Pass: lambda ctx, stmt: [],
}
