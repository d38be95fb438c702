"""Names, attribute chains and calls -> PhySL.

A name is a local (a Variable), or a global resolved by names.py: a captured constant
(a Literal), another compiled function (a Variable/Call of its `define`), or a primitive
(a Call). `np.linalg.inv(a)` follows the module chain to `numpy.linalg.inv` and asks the
registry; `x.sum()` and `x.T` are array methods/properties, asked of the registry too.
This module must not compile statements or keep its own table of NumPy names.
"""

from __future__ import annotations

import ast

import numpy as np

from jetlag.runtime.frontend import expressions
from jetlag.runtime.frontend.context import FunctionContext
from jetlag.runtime.frontend.names import (
    FunctionUse,
    GlobalRef,
    PrimitiveUse,
    Refusal,
    as_callee,
    as_value,
    attribute,
)
from jetlag.runtime.frontend.vocabulary import LIST, SPECIAL_FORMS
from jetlag.runtime.ir.nodes import Call, Literal, Location, Node, Variable
from jetlag.runtime.primitives.registry import REGISTRY


def _global_chain(ctx: FunctionContext, node: ast.expr) -> GlobalRef | None:
    # `np`, `np.linalg`, `np.linalg.inv`: a global, or an attribute of a global module.
    if isinstance(node, ast.Name):
        return None if ctx.scope.is_local(node.id) else ctx.env.lookup(node.id)
    if isinstance(node, ast.Attribute):
        base = _global_chain(ctx, node.value)
        if base is not None and base.is_module:
            return attribute(base, node.attr)
    return None


def _written(node: ast.expr) -> str:
    return ast.unparse(node)


def _constant_node(value: object, loc: Location) -> Node:
    if isinstance(value, tuple):
        return Call(LIST, tuple(_constant_node(item, loc) for item in value), loc=loc)
    return Literal(value)  # type: ignore[arg-type]


def _unknown_name(ctx: FunctionContext, node: ast.Name) -> Exception:
    return ctx.error(
        node,
        f"name '{node.id}' is not defined",
        f"'{node.id}' is neither a parameter, a local variable, a global of the function's "
        "module nor a PhySL primitive; pass it in as a parameter or assign it first.",
    )


def _value_of(ctx: FunctionContext, ref: GlobalRef, node: ast.expr, written: str) -> Node:
    use = as_value(ref, written)
    if isinstance(use, Refusal):
        raise ctx.error(node, use.message, use.hint)
    if isinstance(use, FunctionUse):
        return Variable(ctx.deps.request(use, written.rsplit(".", 1)[-1]), loc=ctx.loc(node))
    return _constant_node(use.value, ctx.loc(node))


def name_reference(ctx: FunctionContext, node: ast.Name) -> Node:
    """A name read: local variable, captured global constant, or compiled function."""
    if ctx.scope.is_local(node.id):
        return ctx.local(node.id, ctx.loc(node))
    ref = ctx.env.lookup(node.id)
    if ref is not None:
        return _value_of(ctx, ref, node, node.id)
    if node.id in REGISTRY:
        raise ctx.error(
            node,
            f"primitive '{node.id}' cannot be used as a value",
            f"Call it directly, e.g. {node.id}(x).",
        )
    raise _unknown_name(ctx, node)


def attribute_reference(ctx: FunctionContext, node: ast.Attribute) -> Node:
    """`np.pi` (a module constant) or `x.T`, `x.shape` (array properties)."""
    ref = _global_chain(ctx, node)
    if ref is not None:
        return _value_of(ctx, ref, node, _written(node))
    base = expressions.compile_expression(ctx, node.value)
    name = REGISTRY.resolve_property(node.attr)
    if name is None:
        raise ctx.error_at(
            _attribute_name_location(ctx, node),
            f"array attribute '{node.attr}' is not supported",
            "See docs/primitives.md for the array attributes JetLag maps to primitives.",
        )
    return Call(name, (base,), loc=ctx.loc(node))


def _attribute_name_location(ctx: FunctionContext, node: ast.Attribute) -> Location:
    # The AST places an attribute at its receiver; errors about the name point at the name.
    line = node.end_lineno or node.lineno
    end = ctx.file.column(line, node.end_col_offset or 0)
    return Location(line, max(end - len(node.attr), 0))


def _arguments(
    ctx: FunctionContext, node: ast.Call
) -> tuple[tuple[Node, ...], tuple[tuple[str, Node], ...]]:
    args: list[Node] = []
    for arg in node.args:
        if isinstance(arg, ast.Starred):
            raise ctx.error(
                arg,
                "starred arguments (*args) in calls are not supported",
                "Pass the arguments one by one.",
            )
        args.append(expressions.compile_expression(ctx, arg))
    kwargs: list[tuple[str, Node]] = []
    for keyword in node.keywords:
        if keyword.arg is None:
            raise ctx.error(
                keyword,
                "'**' arguments in calls are not supported",
                "Pass the keyword arguments one by one.",
            )
        value = expressions.compile_expression(ctx, keyword.value)
        if keyword.arg == "dtype":
            value = _dtype_literal(value)
        kwargs.append((keyword.arg, value))
    return tuple(args), tuple(kwargs)


def _dtype_literal(value: Node) -> Node:
    # 'f4' and 'float32' mean the same dtype; PhySL always spells NumPy's name.
    if isinstance(value, Literal) and isinstance(value.value, str):
        try:
            return Literal(np.dtype(value.value).name)
        except TypeError:
            return value
    return value


def _call_global(ctx: FunctionContext, node: ast.Call, ref: GlobalRef, written: str) -> str:
    use = as_callee(ref, written)
    if isinstance(use, Refusal):
        raise ctx.error(node, use.message, use.hint)
    if isinstance(use, PrimitiveUse):
        return use.name
    return ctx.deps.request(use, written.rsplit(".", 1)[-1])


def call(ctx: FunctionContext, node: ast.Call) -> Node:
    """A call: of a primitive, of a compiled function, of a local function, or a method."""
    func = node.func
    receiver: tuple[Node, ...] = ()
    if isinstance(func, ast.Name) and ctx.scope.is_local(func.id):
        if ctx.scope.emitted(func.id) in SPECIAL_FORMS:
            raise ctx.error(
                func,
                f"a function called '{func.id}' clashes with the PhySL form {func.id}(...)",
                "Rename the function.",
            )
        name = ctx.scope.emitted(func.id)
    elif isinstance(func, ast.Name):
        ref = ctx.env.lookup(func.id)
        if ref is not None:
            name = _call_global(ctx, node, ref, func.id)
        elif func.id in REGISTRY:
            name = func.id  # a primitive by its PhySL name, as in `inverse(A)`
        else:
            raise _unknown_name(ctx, func)
    elif isinstance(func, ast.Attribute):
        ref = _global_chain(ctx, func)
        if ref is not None:
            name = _call_global(ctx, node, ref, _written(func))
        else:
            method = REGISTRY.resolve_method(func.attr)
            if method is None:
                raise ctx.error_at(
                    _attribute_name_location(ctx, func),
                    f"method '{func.attr}' is not a PhySL primitive",
                    "See docs/primitives.md for the array methods JetLag supports, or call "
                    "the NumPy function instead.",
                )
            receiver = (expressions.compile_expression(ctx, func.value),)
            name = method
    else:
        raise ctx.error(
            node,
            "calling the result of an expression is not supported",
            "Assign the function to a name first, or call it by its name.",
        )
    args, kwargs = _arguments(ctx, node)
    return Call(name, receiver + args, kwargs, loc=ctx.loc(node))
