"""The PhySL special forms: define, store, block, if, while, for, lambda, and friends.

Each form is a function `(run, node, scope) -> value` in the SPECIAL_FORMS table, so the
driver has no if-chain over names and docs/physl.md maps one-to-one onto this file.
Forms that need a decision (a condition, a loop range) wait for that value; everything
else stays asynchronous.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from jetlag.runtime.ir.nodes import Call, Node, Variable
from jetlag.runtime.scheduler.futures import resolved
from jetlag.runtime.scheduler.scope import (
    BreakSignal,
    ContinueSignal,
    FunctionValue,
    ReturnSignal,
    Scope,
)

if TYPE_CHECKING:  # pragma: no cover
    from jetlag.runtime.scheduler.evaluator import Run

Form = Callable[["Run", Call, Scope], Any]
SPECIAL_FORMS: dict[str, Form] = {}


def special_form(name: str) -> Callable[[Form], Form]:
    """Register a special form under its PhySL name."""

    def register(form: Form) -> Form:
        SPECIAL_FORMS[name] = form
        return form

    return register


def truth(run: Run, node: Node, value: Any) -> bool:
    """Python truthiness, with NumPy's ambiguity error placed at the node."""
    try:
        return bool(value)
    except ValueError as error:
        raise run.error(
            node,
            f"condition is not a single truth value: {error}",
            hint="Reduce it first, e.g. with all(...) or any(...).",
        ) from None


def _arity(run: Run, node: Call, low: int, high: int | None = None) -> None:
    count = len(node.args)
    if count < low or (high is not None and count > high):
        expected = str(low) if high == low else f"{low}..{high if high is not None else 'n'}"
        raise run.error(node, f"{node.name} takes {expected} arguments, got {count}")


def _binder(run: Run, node: Call, target: Node) -> str:
    if not isinstance(target, Variable):
        raise run.error(node, f"{node.name}: the first argument must be a name, not {target!r}")
    return target.name


def _function(run: Run, name: str, params: tuple[Node, ...], body: Node, scope: Scope, node: Call):
    names = tuple(_binder(run, node, p) for p in params)
    return FunctionValue(name, names, body, scope)


@special_form("define")
def define(run: Run, node: Call, scope: Scope) -> Any:
    """define(x, value) | define(f, p1, ..., pn, body) | define(f, lambda(...))."""
    _arity(run, node, 2)
    name = _binder(run, node, node.args[0])
    if len(node.args) > 2:
        value: Any = _function(run, name, node.args[1:-1], node.args[-1], scope, node)
    elif isinstance(node.args[1], Call) and node.args[1].name == "lambda":
        lam = node.args[1]
        value = _function(run, name, lam.args[:-1], lam.args[-1], scope, lam)
    else:
        value = run.evaluate(node.args[1], scope)
    scope.define(name, value)
    return value


@special_form("lambda")
def lambda_(run: Run, node: Call, scope: Scope) -> Any:
    """lambda(p1, ..., pn, body): a function value closing over the current scope."""
    _arity(run, node, 1)
    return _function(run, "lambda", node.args[:-1], node.args[-1], scope, node)


@special_form("store")
def store(run: Run, node: Call, scope: Scope) -> Any:
    """store(x, value) re-binds; store(slice(x, i...), value) writes into x in place."""
    _arity(run, node, 2, 2)
    target = node.args[0]
    if isinstance(target, Call) and target.name == "slice":
        return _store_into(run, node, target, scope)
    name = _binder(run, node, target)
    owner = scope.find(name)
    if owner is None:
        raise run.error(
            node, f"store to undefined variable '{name}'", hint="Use define(...) first."
        )
    value = run.evaluate(node.args[1], scope)
    owner.names[name] = value
    return value


def _store_into(run: Run, node: Call, target: Call, scope: Scope) -> Any:
    from jetlag.runtime.primitives.indexing import assign_index

    if not target.args or not isinstance(target.args[0], Variable):
        raise run.error(node, "store(slice(...)): only a variable's elements can be written")
    variable = target.args[0]
    owner = scope.find(variable.name)
    if owner is None:
        raise run.error(variable, f"name '{variable.name}' is not defined")
    array = owner.names[variable.name]
    indices = [run.evaluate(i, scope) for i in target.args[1:]]
    value = run.evaluate(node.args[1], scope)

    def write(array: Any, value: Any, *indices: Any) -> Any:
        return assign_index(array, tuple(indices), value, variable.name)

    # A fence, as every in-place write: see Run.write_in_place.
    result = run.write_in_place(node, write, [array, value, *indices], {}, array)
    owner.names[variable.name] = result
    return result


@special_form("block")
def block(run: Run, node: Call, scope: Scope) -> Any:
    """block(e1, ..., en): evaluate in order, value of the last."""
    return run.evaluate_body(node.args, scope)


@special_form("if")
def if_(run: Run, node: Call, scope: Scope) -> Any:
    """if(cond, then[, else])."""
    _arity(run, node, 2, 3)
    if truth(run, node, run.concrete(node.args[0], scope)):
        return run.evaluate(node.args[1], scope)
    if len(node.args) == 3:
        return run.evaluate(node.args[2], scope)
    return None


@special_form("while")
def while_(run: Run, node: Call, scope: Scope) -> Any:
    """while(cond, body)."""
    _arity(run, node, 2, 2)
    cond, body = node.args
    while truth(run, node, run.concrete(cond, scope)):
        try:
            run.evaluate(body, scope)
        except BreakSignal:
            break
        except ContinueSignal:
            continue
    return None


@special_form("for")
def for_(run: Run, node: Call, scope: Scope) -> Any:
    """for(x, iterable, body): iterable is range(...) (lazy), an array or a tuple."""
    _arity(run, node, 3, 3)
    name = _binder(run, node, node.args[0])
    iterable = run.concrete(node.args[1], scope)
    try:
        iterator = iter(iterable)
    except TypeError:
        raise run.error(
            node.args[1], f"for: cannot iterate over a {type(iterable).__name__}"
        ) from None
    for item in iterator:
        scope.define(name, item)
        try:
            run.evaluate(node.args[2], scope)
        except BreakSignal:
            break
        except ContinueSignal:
            continue
    return None


@special_form("break")
def break_(run: Run, node: Call, scope: Scope) -> Any:
    """break(): leave the innermost loop."""
    raise BreakSignal()


@special_form("continue")
def continue_(run: Run, node: Call, scope: Scope) -> Any:
    """continue(): next iteration of the innermost loop."""
    raise ContinueSignal()


@special_form("return")
def return_(run: Run, node: Call, scope: Scope) -> Any:
    """return(value) / return(): leave the current function."""
    _arity(run, node, 0, 1)
    raise ReturnSignal(run.evaluate(node.args[0], scope) if node.args else None)


@special_form("__and")
def and_(run: Run, node: Call, scope: Scope) -> Any:
    """Python `a and b`: b is evaluated only when a is true; returns an operand."""
    _arity(run, node, 2, 2)
    left = run.concrete(node.args[0], scope)
    return run.evaluate(node.args[1], scope) if truth(run, node, left) else left


@special_form("__or")
def or_(run: Run, node: Call, scope: Scope) -> Any:
    """Python `a or b`: b is evaluated only when a is false; returns an operand."""
    _arity(run, node, 2, 2)
    left = run.concrete(node.args[0], scope)
    return left if truth(run, node, left) else run.evaluate(node.args[1], scope)


__all__ = ["SPECIAL_FORMS", "resolved", "special_form", "truth"]
