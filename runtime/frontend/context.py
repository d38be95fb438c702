"""What compiling one function body needs: its source, its names, and the dependency sink.

A `FunctionContext` is passed to every statement and expression compiler so they can tag
nodes with absolute positions, raise placed errors, tell locals from globals, and ask for
other functions to be compiled. It holds no compilation logic itself.
"""

from __future__ import annotations

import ast
from typing import Protocol

from jetlag.runtime.errors import PhySLSyntaxError
from jetlag.runtime.frontend.names import FunctionUse, GlobalEnv
from jetlag.runtime.frontend.scopes import FunctionScope, LocalPlan
from jetlag.runtime.frontend.source import FunctionSource, SourceFile
from jetlag.runtime.frontend.unsupported import reject
from jetlag.runtime.ir.nodes import Location, Variable


class Dependencies(Protocol):
    """Compiles referenced functions once each and names their `define`s."""

    def request(self, use: FunctionUse, written: str) -> str:
        """The PhySL name under which the function `use` is defined (compiling it if new)."""
        ...


class FunctionContext:
    """The state shared while one function (or lambda) body is compiled."""

    def __init__(self, source: FunctionSource, deps: Dependencies, scope: FunctionScope) -> None:
        self.source = source
        self.deps = deps
        self.scope = scope

    @property
    def file(self) -> SourceFile:
        """The file the function came from."""
        return self.source.file

    @property
    def env(self) -> GlobalEnv:
        """The function's globals."""
        return self.source.env

    def loc(self, node: ast.AST) -> Location:
        """The absolute tag position of an AST node."""
        return self.file.location(node)

    def error(self, node: ast.AST, message: str, hint: str = "") -> PhySLSyntaxError:
        """A PhySLSyntaxError at `node` (raise the result)."""
        return self.file.error(node, message, hint)

    def error_at(self, loc: Location, message: str, hint: str = "") -> PhySLSyntaxError:
        """A PhySLSyntaxError at an explicit position (raise the result)."""
        return PhySLSyntaxError(message, self.file.place_at(loc.line, loc.col), hint)

    def reject(self, node: ast.AST) -> PhySLSyntaxError:
        """The error for an unsupported construct (raise the result)."""
        return reject(self.file, node)

    def local(self, name: str, loc: Location) -> Variable:
        """A reference to the local `name` (under its PhySL name)."""
        return Variable(self.scope.emitted(name), loc=loc)

    def nested(self, plan: LocalPlan) -> FunctionContext:
        """The context of a function defined inside this one."""
        return FunctionContext(self.source, self.deps, FunctionScope(plan, self.scope))
