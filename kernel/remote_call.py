"""Reading the body of a `%%remote` cell: one call of a compiled function, its arguments.

The body is `f(args)`, `name = f(args)` or `a, b = f(args)` where `f` is a function of
this kernel that JetLag compiled (a function defined in a cell, or a `@physl` function).
Its arguments are evaluated here from the notebook's namespace, but only in a small,
safe subset of Python, walked on the AST (nothing is `eval`ed, no function is called):

- literals: numbers, strings, bytes, True/False/None, and tuples/lists of allowed forms;
- names bound in the notebook (`x`, `alpha`);
- attribute access `a.b` (no name starting with `_`) and subscripts `a[i]`, `a[i, j]`,
  `a[1:3]`, `a[::2]` of allowed forms (reading data, never changing it);
- `+e`, `-e` and `e1 op e2` (+ - * / // % **) when the operands are Python or NumPy
  numbers (scalars; no work on arrays happens in the kernel).

Keyword arguments are matched to the function's parameters by name, defaults filled in,
so the job gets its arguments by position. Anything else is a `UsageError` that names
the part of the cell and what is allowed. This module reads; it submits nothing.
"""

from __future__ import annotations

import ast
import inspect
import numbers
import operator
from dataclasses import dataclass
from typing import Any

from IPython.core.error import UsageError

from jetlag.runtime.api import PhySLFunction

ALLOWED = (
    "literals, notebook names, attribute access, subscripts and +-*/ on numbers; "
    "compute anything else in a cell before and pass its name"
)

_BINARY = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}
_UNARY = {ast.UAdd: operator.pos, ast.USub: operator.neg}
MAX_EXPONENT = 1024


@dataclass(frozen=True)
class RemoteCall:
    """The call a `%%remote` cell makes: which function, with what, bound to what."""

    name: str  # the function's name in the notebook
    function: PhySLFunction
    args: tuple[Any, ...]
    targets: tuple[str, ...] | None  # None: show the value; ("w",) or ("a", "b"): bind
    unpack: bool  # the target was a tuple (a, b = ...)


def _refuse(node: ast.AST, what: str) -> UsageError:
    text = ast.unparse(node)
    shown = text if len(text) <= 60 else text[:57] + "..."
    return UsageError(f"%%remote: {what} in `{shown}`; allowed in arguments: {ALLOWED}")


def _number(value: Any) -> bool:
    return isinstance(value, numbers.Number)


def evaluate(node: ast.expr, namespace: dict[str, Any]) -> Any:
    """The value of an argument expression in the safe subset (see the module docstring)."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in namespace:
            raise _refuse(node, f"no variable named '{node.id}' in the notebook")
        return namespace[node.id]
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [evaluate(item, namespace) for item in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Attribute):
        if node.attr.startswith("_"):
            raise _refuse(node, f"attribute '{node.attr}' starts with '_'")
        base = evaluate(node.value, namespace)
        try:
            return getattr(base, node.attr)
        except AttributeError as error:
            raise _refuse(node, str(error)) from None
    if isinstance(node, ast.Subscript):
        base = evaluate(node.value, namespace)
        try:
            return base[evaluate(node.slice, namespace)]
        except (IndexError, KeyError, TypeError, ValueError) as error:
            raise _refuse(node, f"{type(error).__name__}: {error}") from None
    if isinstance(node, ast.Slice):
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if p is None else evaluate(p, namespace) for p in parts))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        value = evaluate(node.operand, namespace)
        if not _number(value):
            raise _refuse(node, "a sign on something that is not a number")
        return _UNARY[type(node.op)](value)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        left, right = evaluate(node.left, namespace), evaluate(node.right, namespace)
        if not (_number(left) and _number(right)):
            raise _refuse(node, "arithmetic on something that is not a number")
        if isinstance(node.op, ast.Pow) and abs(right) > MAX_EXPONENT:
            raise _refuse(node, f"an exponent beyond {MAX_EXPONENT}")  # 10**10**10 never ends
        try:
            return _BINARY[type(node.op)](left, right)
        except (ArithmeticError, ValueError) as error:
            raise _refuse(node, f"{type(error).__name__}: {error}") from None
    raise _refuse(node, f"{type(node).__name__.lower()} is not allowed")


def _targets(node: ast.expr) -> tuple[tuple[str, ...], bool]:
    if isinstance(node, ast.Name):
        return (node.id,), False
    if isinstance(node, (ast.Tuple, ast.List)) and all(isinstance(t, ast.Name) for t in node.elts):
        return tuple(t.id for t in node.elts), True  # type: ignore[attr-defined]
    raise _refuse(node, "the result can be assigned to a name or a tuple of names only")


def _compiled_function(node: ast.expr, namespace: dict[str, Any]) -> tuple[str, PhySLFunction]:
    if not isinstance(node, ast.Name):
        raise _refuse(node, "call a compiled function of the notebook by its name")
    value = namespace.get(node.id)
    if isinstance(value, PhySLFunction) and not getattr(value, "python_reason", ""):
        return node.id, value
    if value is None:
        raise UsageError(f"%%remote: no function named '{node.id}' in the notebook")
    reason = getattr(value, "python_reason", "") or (
        f"'{node.id}' is not a function JetLag compiled (define it in a cell, or use @physl)"
    )
    raise UsageError(f"%%remote: {reason}")


def _positional(name: str, function: PhySLFunction, args: list, kwargs: dict) -> tuple:
    signature = inspect.signature(function.__physl_python_function__)
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as error:
        raise UsageError(f"%%remote: {name}(...): {error}") from None
    bound.apply_defaults()
    if bound.kwargs:  # a **kwargs parameter: a job passes arguments by position only
        raise UsageError(f"%%remote: {name} takes **kwargs; a job passes arguments by position")
    return tuple(bound.args)


def parse_remote_call(body: str, namespace: dict[str, Any]) -> RemoteCall:
    """The call in a `%%remote` cell's `body`, its arguments evaluated in `namespace`."""
    try:
        module = ast.parse(body.strip() or "pass")
    except SyntaxError as error:
        raise UsageError(f"%%remote: line {error.lineno}: {error.msg}") from None
    statements = module.body
    usage = "%%remote [MACHINE] takes one call of a compiled function: `f(x, 1e-3)` or `w = f(x)`"
    if len(statements) != 1:
        raise UsageError(f"%%remote: the cell holds {len(statements)} statements. {usage}")
    (statement,) = statements
    targets: tuple[str, ...] | None = None
    unpack = False
    if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
        targets, unpack = _targets(statement.targets[0])
        call = statement.value
    elif isinstance(statement, ast.Expr):
        call = statement.value
    else:
        raise UsageError(f"%%remote: `{ast.unparse(statement)[:60]}` is not a call. {usage}")
    if not isinstance(call, ast.Call):
        raise UsageError(f"%%remote: `{ast.unparse(call)[:60]}` is not a call. {usage}")
    name, function = _compiled_function(call.func, namespace)
    args = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):
            raise _refuse(arg, "a starred argument")
        args.append(evaluate(arg, namespace))
    kwargs = {}
    for keyword in call.keywords:
        if keyword.arg is None:
            raise _refuse(keyword.value, "a ** argument")
        kwargs[keyword.arg] = evaluate(keyword.value, namespace)
    return RemoteCall(name, function, _positional(name, function, args, kwargs), targets, unpack)


def bind_result(call: RemoteCall, value: Any, namespace: dict[str, Any]) -> None:
    """Assign the job's result to the cell's target names, as Python's `=` would."""
    if call.targets is None:
        return
    if not call.unpack:
        namespace[call.targets[0]] = value
        return
    try:
        values = tuple(value)
    except TypeError:
        raise UsageError(
            f"%%remote: cannot unpack the result ({type(value).__name__}) into "
            f"{', '.join(call.targets)}"
        ) from None
    if len(values) != len(call.targets):
        raise UsageError(
            f"%%remote: the result has {len(values)} values; the cell assigns "
            f"{len(call.targets)} ({', '.join(call.targets)})"
        )
    namespace.update(zip(call.targets, values, strict=True))
