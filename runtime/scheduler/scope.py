"""Name bindings and function values of a running PhySL program.

A `Scope` maps names to values or Futures, with Python's lexical parent chain.
`FunctionValue` is what `define(f, ...)`/`lambda(...)` evaluate to. The control signals
(`BreakSignal` ...) carry break/continue/return through the driver's Python stack.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jetlag.runtime.ir.nodes import Node


class Scope:
    """One level of bindings; lookups walk the parents."""

    __slots__ = ("names", "parent")

    def __init__(self, parent: Scope | None = None) -> None:
        self.names: dict[str, Any] = {}
        self.parent = parent

    def find(self, name: str) -> Scope | None:
        """The innermost scope binding `name`, or None."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.names:
                return scope
            scope = scope.parent
        return None

    def lookup(self, name: str) -> Any:
        """The value bound to `name`; KeyError when unbound."""
        scope: Scope | None = self
        while scope is not None:  # one walk: this runs for every variable read
            names = scope.names
            if name in names:
                return names[name]
            scope = scope.parent
        raise KeyError(name)

    def define(self, name: str, value: Any) -> None:
        """Bind `name` here."""
        self.names[name] = value

    def visible_names(self) -> list[str]:
        """Every bound name, innermost first (for 'did you mean' hints)."""
        seen: list[str] = []
        scope: Scope | None = self
        while scope is not None:
            seen.extend(n for n in scope.names if n not in seen)
            scope = scope.parent
        return seen


@dataclass(frozen=True)
class FunctionValue:
    """A PhySL function: parameters, body, and the scope it closes over."""

    name: str
    params: tuple[str, ...]
    body: Node
    scope: Scope

    def __repr__(self) -> str:
        return f"<PhySL function {self.name}({', '.join(self.params)})>"


class BreakSignal(Exception):
    """`break()` unwinding to the innermost loop."""


class ContinueSignal(Exception):
    """`continue()` unwinding to the innermost loop."""


class ReturnSignal(Exception):
    """`return(value)` unwinding to the function call."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self.value = value
