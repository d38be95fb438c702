"""PhySL expressions to Numba source text: the one expression emitter.

`Emitter.expression(node)` returns Python source computing `node`, spelling each call with
its registry template (lowerings.py) and each variable through a name map the caller
chooses (a loop's locals, or `p0[i]` for one element of a fused kernel's input). Anything it
cannot spell raises `NotLowerable` with the reason; callers then keep the interpreted form.

Only generated identifiers and checked numeric literals reach the source (no user strings),
which is what lets build.py import the result.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from jetlag.runtime.ir.nodes import Call, Literal, Node, Variable


class NotLowerable(Exception):
    """A tree (or part) has no Numba spelling; the message says which part and why."""


def literal_source(value: object) -> str:
    """Source for a numeric, boolean or nil literal; NotLowerable for anything else."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "np.nan"
        if math.isinf(value):
            return "np.inf" if value > 0 else "(-np.inf)"
        return repr(value)
    raise NotLowerable(f"the literal {value!r} is not a number")


class Emitter:
    """Lowers expressions, given how variables are spelled and which calls are special.

    `variable(name)` returns the source for a variable or raises NotLowerable. `special`
    maps call names to functions `(emitter, call) -> source` for the structural forms a
    caller supports (slice reads in loops); other calls use their registry template.
    """

    def __init__(
        self,
        variable: Callable[[str], str],
        special: Mapping[str, Callable[[Emitter, Call], str]] | None = None,
        allowed: Callable[[str], bool] | None = None,
    ) -> None:
        self.variable = variable
        self.special = dict(special or {})
        self.allowed = allowed or (lambda name: True)

    def expression(self, node: Node) -> str:
        """Source computing `node`."""
        if isinstance(node, Literal):
            return literal_source(node.value)
        if isinstance(node, Variable):
            return self.variable(node.name)
        assert isinstance(node, Call)
        if node.kwargs:
            raise NotLowerable(f"{node.name} is called with keyword arguments")
        form = self.special.get(node.name)
        if form is not None:
            return form(self, node)
        # Imported here: lowerings registers every primitive, and primitives use this module.
        from jetlag.runtime.codegen.lowerings import numba_template

        template = numba_template(node.name) if self.allowed(node.name) else None
        if template is None:
            raise NotLowerable(f"{node.name} has no compiled form")
        args = [self.expression(arg) for arg in node.args]
        try:
            return template.replace("{finite}", "False").format(*args)
        except IndexError:
            raise NotLowerable(f"{node.name} is called with {len(args)} argument(s)") from None
