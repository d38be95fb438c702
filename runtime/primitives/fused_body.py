"""What the fused primitives need to know about an elementwise lambda body, memoized.

`glm_gradient` and `fused_elementwise` receive a PhySL lambda whose body uses only
elementwise primitives. They run once per loop iteration, so the questions about the body
are answered once per body (keyed by node identity; the node is kept alive with the
answer): is it elementwise and does it have a Numba spelling at all (`body_facts`; which
spelling, for which operand types, is codegen/exact.py's). Bodies are also evaluated here
with the registry's implementations (`evaluate_elementwise`), the unfused meaning, whose
errors name the operation of the body that raised them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from jetlag.runtime.errors import PrimitiveArgumentError
from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable
from jetlag.runtime.locks import fork_safe_lock
from jetlag.runtime.primitives.registry import REGISTRY

_FUSABLE_CATEGORIES = frozenset({"elementwise", "operator"})
# Category members that are not a pure function of each element: `not a` asks for the truth
# of the whole array (a block of one row would answer differently), nan_to_num may write.
_NOT_FUSABLE = frozenset({"__not", "nan_to_num"})
#: The dtypes generated kernels read and write.
KERNEL_DTYPES = frozenset(np.dtype(name) for name in ("float64", "int64", "bool"))

_lock = fork_safe_lock()
_facts: dict[tuple[int, tuple[str, ...]], tuple[Node, bool, bool]] = {}


def fusable_call(name: str) -> bool:
    """Whether `name` is a registered primitive that acts element by element (with
    broadcasting), so evaluating it on a block of rows gives that block of its result.
    Never one that writes an operand in place (`__iadd`: registry `writes_first`)."""
    found = REGISTRY.get(name)
    return (
        found is not None
        and found.category in _FUSABLE_CATEGORIES
        and not found.writes_first
        and name not in _NOT_FUSABLE
    )


def elementwise_lambda(
    f: Any, not_a_lambda: str, not_elementwise: str
) -> tuple[tuple[str, ...], Node]:
    """(params, body) of `f`, a PhySL lambda of at least one parameter whose body is
    elementwise; else PrimitiveArgumentError with the caller's message for what is wrong."""
    params, body = getattr(f, "params", None), getattr(f, "body", None)
    if not isinstance(params, tuple) or not isinstance(body, Node) or not params:
        raise PrimitiveArgumentError(not_a_lambda)
    if not elementwise_body(body, params):
        raise PrimitiveArgumentError(not_elementwise)
    return params, body


def elementwise_body(body: Node, params: Sequence[str]) -> bool:
    """Whether `body` uses only fusable calls (positional arguments), `params` and literals."""
    return body_facts(body, params)[0]


def body_facts(body: Node, params: Sequence[str]) -> tuple[bool, bool]:
    """(elementwise, compilable) for `body` over `params`, computed once per body."""
    key = (id(body), tuple(params))
    with _lock:
        found = _facts.get(key)
    if found is not None:
        return found[1], found[2]
    elementwise = _elementwise(body, params)
    compilable = False
    if elementwise:
        from jetlag.runtime.codegen.kernels import lowerable

        compilable = lowerable(params, body)
    with _lock:
        _facts[key] = (body, elementwise, compilable)
    return elementwise, compilable


def _elementwise(body: Node, params: Sequence[str]) -> bool:
    allowed = set(params)
    for node in body.walk():
        if isinstance(node, Literal):
            continue
        if isinstance(node, Variable):
            if node.name not in allowed:
                return False
        elif not (isinstance(node, Call) and not node.kwargs and fusable_call(node.name)):
            return False
    return True


#: The attribute an error raised while evaluating a body carries: the body's node that
#: raised it (the user's own operation and line, not the fused primitive's).
FAILED_SITE = "jetlag_site"


def evaluate_elementwise(body: Node, values: Mapping[str, Any]) -> Any:
    """The value of an elementwise body (checked by `elementwise_body`) for `values`.

    An error keeps its type; it is marked with the innermost call that raised it
    (`FAILED_SITE`), so the report names the user's operation and line."""
    if isinstance(body, Literal):
        return body.value
    if isinstance(body, Variable):
        return values[body.name]
    assert isinstance(body, Call)
    args = [evaluate_elementwise(arg, values) for arg in body.args]
    try:
        return REGISTRY[body.name].impl(*args)
    except Exception as error:
        if getattr(error, FAILED_SITE, None) is None:
            try:
                setattr(error, FAILED_SITE, body)
            except AttributeError:  # pragma: no cover - an exception without attributes
                pass
        raise
